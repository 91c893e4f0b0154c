//! Events restored as they were saved: each report's event, kept in the index snapshot, so
//! that a restart puts a million reports back into their events without grouping them again.
//!
//! Saved events are trusted only when they were grouped by the same rules and settings; a
//! saved assignment that does not fit its members (a report without an event that needs one,
//! an event without its founder) is refused, and the caller groups anew.

use super::table::MemberTable;
use super::{Event, EventIndex, EventSettings, Member};
use crate::model::{EventId, EventReview, ReportId};
use foldhash::{HashMap, HashMapExt};

/// The version of the grouping rules (the leader rule, links, vague and pinned placement):
/// saved events grouped under another version are grouped anew. Raise it with any change
/// that can place a report in another event.
pub const GROUPING_RULES: u32 = 1;

impl EventIndex {
    /// The event of every report in one.
    pub fn assignments(&self) -> impl Iterator<Item = (ReportId, EventId)> + '_ {
        self.event_of
            .iter()
            .map(|(report, event)| (*report, *event))
    }

    /// The events of these members as saved (`event_of`: the event of every report in
    /// one), if they fit; if not, the members back, to be grouped anew.
    pub fn restore(
        settings: EventSettings,
        members: Vec<Member>,
        event_of: impl IntoIterator<Item = (ReportId, EventId)>,
    ) -> Result<Self, Vec<Member>> {
        let event_of: HashMap<ReportId, EventId> = event_of.into_iter().collect();
        match Self::saved_events(&members, &event_of) {
            Some(events) => Ok(Self::with_events(settings, members, event_of, events)),
            None => Err(members),
        }
    }

    /// The events that `event_of` makes of the members, if it fits them.
    fn saved_events(
        members: &[Member],
        event_of: &HashMap<ReportId, EventId>,
    ) -> Option<HashMap<EventId, Event>> {
        if event_of.len() > members.len() {
            return None;
        }
        let mut events: HashMap<EventId, Event> = HashMap::new();
        for member in members {
            let event = event_of.get(&member.id).copied();
            if event.is_none() != (member.review == EventReview::Exclude) {
                return None;
            }
            if let Some(event) = event {
                let e = events.entry(event).or_insert_with(|| Event::new(event));
                if member.core {
                    e.core.push(member.id);
                } else {
                    e.support.push(member.id);
                }
            }
        }
        let placed: usize = events.values().map(Event::len).sum();
        if placed != event_of.len()
            || events
                .keys()
                .any(|event| event_of.get(&event.0) != Some(event))
        {
            // An event for a report not given, or an event without its founder.
            return None;
        }
        Some(events)
    }

    /// The index of these members in these events.
    fn with_events(
        settings: EventSettings,
        members: Vec<Member>,
        event_of: HashMap<ReportId, EventId>,
        events: HashMap<EventId, Event>,
    ) -> Self {
        let mut index = Self::empty(settings);
        (index.core_tree, index.vague_tree) = super::link_trees(members.iter());
        let mut core: Vec<ReportId> = members
            .iter()
            .filter(|m| m.core && m.review.is_auto())
            .map(|m| m.id)
            .collect();
        core.sort_unstable();
        index.core_order = core.into_iter().collect();
        for member in &members {
            if let EventReview::Pin(target) = member.review {
                index.pinned_to.entry(target).or_default().insert(member.id);
            }
        }
        index.members = MemberTable::of(members);
        index.event_of = event_of;
        index.events = events
            .into_iter()
            .map(|(id, mut event)| {
                event.core.sort_unstable();
                event.support.sort_unstable();
                (id, event)
            })
            .collect();
        index.locate_events();
        index
    }
}
