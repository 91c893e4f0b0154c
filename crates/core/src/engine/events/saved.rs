//! Events restored as they were saved: each report's event, kept in the index snapshot, so
//! that a restart puts a million reports back into their events without grouping them again.
//!
//! Saved events are trusted only when they were grouped by the same rules and settings; a
//! saved assignment that does not fit its members (a report without an event that needs one,
//! an event without its founder) is refused, and the caller groups anew.

use super::extents::{EMPTY_BOX, widen};
use super::table::MemberTable;
use super::{Event, EventIndex, EventSettings, Member};
use crate::domain::model::{EventId, EventReview, ReportId};

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
        // Only writes read the trees: a restart answers while they load.
        index.trees = super::LinkTrees::in_background(members.values());
        let mut core: Vec<ReportId> = members
            .values()
            .filter(|m| m.core && m.review.is_auto())
            .map(|m| m.id)
            .collect();
        core.sort_unstable();
        index.core_order = core.into_iter().collect();
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
        index.members = members;
        index.events = events.into_iter().map(|e| (e.id, e)).collect();
        index.locate_events();
        index
    }
}

/// The events the table's saved assignment makes, in id order, if it fits: every member but
/// an excluded one in an event, and every event holding its founder.
///
/// The members are sorted by event and id once, so that each event's lists come out sorted
/// and sized and the events in the order a map of them is built from at once: no map of
/// events grows or rehashes on the way.
fn saved_events(table: &MemberTable) -> Option<Vec<Event>> {
    let mut placed: Vec<(EventId, ReportId, &Member)> = Vec::with_capacity(table.len());
    for (member, event) in table.with_events() {
        if event.is_none() != (member.review == EventReview::Exclude) {
            return None;
        }
        if let Some(event) = event {
            placed.push((event, member.id, member));
        }
    }
    placed.sort_unstable_by_key(|&(event, id, _)| (event, id));
    let mut events: Vec<Event> = Vec::new();
    for run in placed.chunk_by(|a, b| a.0 == b.0) {
        let id = run[0].0;
        // An event without its founder does not fit.
        if run
            .binary_search_by_key(&id.0, |&(_, report, _)| report)
            .is_err()
        {
            return None;
        }
        let mut event = Event::new(id);
        let mut extent = EMPTY_BOX;
        let cores = run.iter().filter(|(_, _, m)| m.core).count();
        event.core.reserve_exact(cores);
        event.support.reserve_exact(run.len() - cores);
        for &(_, report, member) in run {
            // Boxed here, in passing, rather than by looking each member up again.
            widen(&mut extent, member);
            match member.core {
                true => event.core.push(report),
                false => event.support.push(report),
            }
        }
        event.extent.get_or_init(|| extent);
        events.push(event);
    }
    Some(events)
}
