//! Events restored as they were saved: each report's event, kept in the index snapshot, so
//! that a restart puts a million reports back into their events without grouping them again.
//!
//! Saved events are trusted only when they were grouped by the same rules and settings; a
//! saved assignment that does not fit its members (a report without an event that needs one,
//! an event without its founder) is refused, and the caller groups anew.

use super::extents::{EMPTY_BOX, EventExtents, extent, widen};
use super::table::MemberTable;
use super::{Event, EventIndex, EventSettings, Member};
use crate::domain::model::{EventId, EventReview, ReportId};
use crate::engine::parallel::Background;

/// The version of the grouping rules (the leader rule, links, vague and pinned placement):
/// saved events grouped under another version are grouped anew. Raise it with any change
/// that can place a report in another event.
pub const GROUPING_RULES: u32 = 2;

impl EventIndex {
    /// The event of every report in one.
    pub fn assignments(&self) -> impl Iterator<Item = (ReportId, EventId)> + '_ {
        self.members.assignments()
    }

    /// The events of these members as saved (`event_of`: the event of every report in
    /// one), if they fit; if not, the members back, to be grouped anew.
    pub fn restore(
        settings: EventSettings,
        members: Vec<Member>,
        event_of: impl IntoIterator<Item = (ReportId, EventId)>,
    ) -> Result<Self, Vec<Member>> {
        let mut table = MemberTable::of(members);
        let mut fits = table.len() == table.values().count();
        // The saved assignment names the members mostly in the order given: each is looked
        // for where the one before it was found, then looked up.
        let mut next = 0;
        for (report, event) in event_of {
            // A report that is not a member, or named twice, does not fit.
            let Some(slot) = table.slot(&report, next) else {
                fits = false;
                break;
            };
            if slot == next {
                next += 1;
            }
            if table.set_event_at(slot, Some(event)).is_some() {
                fits = false;
                break;
            }
        }
        match fits.then(|| saved_events(&table)).flatten() {
            Some(events) => Ok(Self::with_events(settings, table, events)),
            None => Err(table.into_values().collect()),
        }
    }

    /// The index of these members in these events.
    fn with_events(settings: EventSettings, members: MemberTable, events: Vec<Event>) -> Self {
        let mut index = Self::empty(settings);
        // Only writes read the link trees and the core order: they are made in the
        // background once the restart's own work is done (begin_background).
        index.trees = super::LinkTrees::in_background(members.values());
        let mut core: Vec<ReportId> = Vec::with_capacity(members.len());
        core.extend(
            members
                .values()
                .filter(|m| m.core && m.review.is_auto())
                .map(|m| m.id),
        );
        index.core_order = Background::spawn("core-order", core, |mut core| {
            core.sort_unstable();
            core.into_iter().collect()
        });
        index.newest_vague = members
            .values()
            .filter(|m| !m.core && m.review.is_auto())
            .map(|m| m.id)
            .max();
        for member in members.values() {
            if let EventReview::Pin(target) = member.review {
                index.pinned_to.entry(target).or_default().insert(member.id);
            }
        }
        // Boxed by the saved events already; only queries of a box and writes read the
        // tree of the boxes, which loads in the background too.
        let boxes = events.iter().map(|e| extent(e, &members)).collect();
        index.extents = Background::spawn("event-boxes", boxes, EventExtents::from_boxes);
        index.members = members;
        index.events = events.into_iter().map(|e| (e.id, e)).collect();
        index
    }
}

/// The events the table's saved assignment makes, in id order, if it fits: every member but
/// an excluded one in an event, and every event holding its founder.
///
/// An event's id is its founder's, so the members are counted into buckets by their
/// founder's slot (one pass, no sort of a million members); each event's lists are sorted
/// and sized from its bucket, and the events come out in id order, from which a map of them
/// is built at once: no map of events grows or rehashes on the way.
fn saved_events(table: &MemberTable) -> Option<Vec<Event>> {
    let slots = table.slot_count();
    // Each member's founder's slot, and how many members each founder's event has.
    let mut founder_of = vec![u32::MAX; slots];
    let mut sizes = vec![0u32; slots];
    for (slot, member, event) in table.slots_with_events() {
        if event.is_none() != (member.review == EventReview::Exclude) {
            return None;
        }
        let Some(event) = event else { continue };
        // An event without its founder (a member of that very event) does not fit.
        let founder = table.slot(&event.0, slot)?;
        if table.event_at(founder) != Some(event) {
            return None;
        }
        founder_of[slot] = founder as u32;
        sizes[founder] += 1;
    }
    // Where each founder's bucket begins, then the members in their buckets.
    let mut starts = Vec::with_capacity(slots + 1);
    let mut at = 0u32;
    for &size in &sizes {
        starts.push(at);
        at += size;
    }
    starts.push(at);
    let mut fill = starts.clone();
    let mut bucketed = vec![0u32; at as usize];
    for (slot, &founder) in founder_of.iter().enumerate() {
        if founder != u32::MAX {
            let f = founder as usize;
            bucketed[fill[f] as usize] = slot as u32;
            fill[f] += 1;
        }
    }
    drop((founder_of, fill));
    let mut founders: Vec<(ReportId, u32)> = sizes
        .iter()
        .enumerate()
        .filter(|(_, size)| **size > 0)
        .filter_map(|(slot, _)| Some((table.at(slot)?.id, slot as u32)))
        .collect();
    founders.sort_unstable();
    let mut events = Vec::with_capacity(founders.len());
    let mut run: Vec<&Member> = Vec::new();
    for (id, founder) in founders {
        let f = founder as usize;
        run.clear();
        run.extend(
            bucketed[starts[f] as usize..starts[f + 1] as usize]
                .iter()
                .filter_map(|&slot| table.at(slot as usize)),
        );
        run.sort_unstable_by_key(|m| m.id);
        let mut event = Event::new(EventId(id));
        let mut extent = EMPTY_BOX;
        let cores = run.iter().filter(|m| m.core).count();
        event.core.reserve_exact(cores);
        event.support.reserve_exact(run.len() - cores);
        for member in &run {
            // Boxed here, in passing, rather than by looking each member up again.
            widen(&mut extent, member);
            match member.core {
                true => event.core.push(member.id),
                false => event.support.push(member.id),
            }
        }
        event.extent.get_or_init(|| extent);
        events.push(event);
    }
    Some(events)
}
