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
use foldhash::{HashMap, HashMapExt};

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
        for (report, event) in event_of {
            // A report that is not a member, or named twice, does not fit.
            if !table.contains_key(&report) || table.set_event(&report, Some(event)).is_some() {
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
    fn with_events(
        settings: EventSettings,
        members: MemberTable,
        events: HashMap<EventId, Event>,
    ) -> Self {
        let mut index = Self::empty(settings);
        (index.core_tree, index.vague_tree) = super::link_trees(members.values());
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
        index.events = events
            .into_iter()
            .map(|(id, mut event)| {
                event.core.sort_unstable();
                event.support.sort_unstable();
                // Most events hold a report or two: no room kept for more.
                event.core.shrink_to_fit();
                event.support.shrink_to_fit();
                (id, event)
            })
            .collect();
        index.locate_events();
        index
    }
}

/// The events the table's saved assignment makes, if it fits: every member but an excluded
/// one in an event, and every event holding its founder.
fn saved_events(table: &MemberTable) -> Option<HashMap<EventId, Event>> {
    // Sized at once: growing a map of a few hundred thousand events rehashes it again and
    // again, each time into fresh memory.
    let founders = table
        .assignments()
        .filter(|(report, event)| event.0 == *report)
        .count();
    let mut events: HashMap<EventId, Event> = HashMap::with_capacity(founders);
    for (member, event) in table.with_events() {
        if event.is_none() != (member.review == EventReview::Exclude) {
            return None;
        }
        if let Some(event) = event {
            let e = events.entry(event).or_insert_with(|| {
                let e = Event::new(event);
                e.extent.get_or_init(|| EMPTY_BOX);
                e
            });
            // Boxed here, in the table's order, rather than by looking each member up again.
            if let Some(extent) = e.extent.get_mut() {
                widen(extent, member);
            }
            if member.core {
                e.core.push(member.id);
            } else {
                e.support.push(member.id);
            }
        }
    }
    if events.len() != founders
        || events
            .keys()
            .any(|event| table.event_of(&event.0) != Some(*event))
    {
        // An event without its founder.
        return None;
    }
    Some(events)
}
