//! The events as they stood at a past moment, worked out from the live ones at a cost that
//! follows the reports changed since, not the number of reports.
//!
//! The grouping is a function of the reports alone (the leader rule in id order, see
//! [`super::grouping`]), and each change re-groups exactly what it must: the events of a
//! set of reports are the same however they arrived. So the past's events are the live
//! ones with the changed reports put back as they were, one change at a time. That is done
//! on the live index itself, under its write lock: the events the changes touch are copied
//! out as they stood, and the live records are put back, which re-groups the same events
//! again. The copy holds the touched events whole, each with every member.

use super::{Event, EventIndex, Member};
use crate::domain::model::{EventId, IndexRecord, ReportId};
use foldhash::{HashSet, HashSetExt};
use std::collections::BTreeMap;

/// The events that differ at a past moment from the live ones.
pub struct PastEvents {
    /// The past form of every event that differs (or appears), with its members.
    pub events: EventIndex,
    /// The live events that differ from the past (their past forms, if they had one, are
    /// in `events`).
    pub differing: HashSet<EventId>,
}

impl EventIndex {
    /// The events at a past moment where each of these reports had the record given (`None`:
    /// it did not exist, or was deleted), every other report being as it is now. The live
    /// events are the same before and after the call. `None` if the copied events do not
    /// fit together (which would be a fault in the grouping's bookkeeping).
    pub fn past_events(&mut self, past: &[(ReportId, Option<&IndexRecord>)]) -> Option<PastEvents> {
        let live: Vec<(ReportId, Option<Member>)> = past
            .iter()
            .map(|(id, _)| (*id, self.members.get(id).cloned()))
            .collect();
        let mut differing: HashSet<EventId> = HashSet::new();
        // Newest first, so that each re-groups only the few after it (see `past_cost`).
        let mut past = past.to_vec();
        past.sort_unstable_by_key(|(id, _)| std::cmp::Reverse(*id));
        for (id, record) in &past {
            let changes = match record {
                Some(record) => self.upsert(record),
                None => self.remove(id),
            };
            differing.extend(changes.changed.iter().chain(&changes.removed).copied());
        }
        let copied = self.copy_events(&differing);
        // Back as they are, oldest first: the same events again.
        let mut live = live;
        live.sort_unstable_by_key(|(id, _)| *id);
        for (id, member) in live {
            match member {
                Some(member) => {
                    let changes = self.regroup_for(member);
                    self.relocate(&changes);
                }
                None => {
                    self.remove(&id);
                }
            }
        }
        let events = copied?;
        Some(PastEvents { events, differing })
    }

    /// How many members changing these reports back to these records would place again,
    /// roughly; `None` if one of them would re-group a whole component of linked reports
    /// (an older core report moved, re-dated or deleted among many later ones: seconds at a
    /// million reports), which is no cheaper than building the past whole.
    pub fn past_cost(&self, past: &[(ReportId, Option<&IndexRecord>)]) -> Option<usize> {
        let grouped_core = |m: &Member| m.core && m.review.is_auto();
        // While one is changed back (newest first) or forward again (oldest first), the
        // changed reports after it are in their past form: those grouped core in it count.
        let changed: BTreeMap<ReportId, bool> = past
            .iter()
            .map(|(id, record)| (*id, record.is_some_and(|r| grouped_core(&Member::of(r)))))
            .collect();
        past.iter()
            .map(|(id, record)| {
                let new = record.map(Member::of);
                let old = self.members.get(id);
                if let (Some(old), Some(new)) = (old, &new)
                    && !old.groups_differently(new)
                {
                    return Some(1);
                }
                if !old.is_some_and(grouped_core) && !new.as_ref().is_some_and(grouped_core) {
                    return Some(1);
                }
                let unchanged = self.core_order.get().range(id..);
                let after = unchanged
                    .filter(|m| !changed.contains_key(m))
                    .take(self.short_suffix + 1)
                    .count()
                    + changed.range(id..).filter(|(_, core)| **core).count();
                (after <= self.short_suffix).then_some(after + 1)
            })
            .sum()
    }

    /// A new index of these events as they are, with their members.
    fn copy_events(&self, ids: &HashSet<EventId>) -> Option<EventIndex> {
        let mut members: Vec<Member> = Vec::new();
        let mut event_of: Vec<(ReportId, EventId)> = Vec::new();
        let mut kept: Vec<&Event> = ids.iter().filter_map(|id| self.events.get(id)).collect();
        kept.sort_unstable_by_key(|e| e.id);
        for event in kept {
            for id in event.members() {
                members.push(self.members.get(id)?.clone());
                event_of.push((*id, event.id));
            }
        }
        EventIndex::restore(self.settings, members, event_of).ok()
    }
}
