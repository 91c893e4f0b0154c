//! Where a report goes: the event a grouped core report joins by the leader rule (see
//! [`super::grouping`]) and the event a vague report supports, each found by walking the
//! linked reports nearest first.

use super::grouping::{self, Bounds};
use super::member::{self, Member, linked};
use super::{EventId, EventIndex, ReportId};
use foldhash::{HashSet, HashSetExt};

impl EventIndex {
    /// The event a grouped core member joins by the leader rule, if any. Linked members are
    /// read nearest first; those not yet placed (later in the rule's order) are passed over,
    /// and the walk ends at the first event that admits the member, once no other event's
    /// member is as near.
    pub(super) fn event_to_join(&self, me: &Member) -> Option<EventId> {
        let mut best: Option<(f64, EventId)> = None;
        let mut tried: HashSet<EventId> = HashSet::new();
        let walk =
            self.trees
                .core()
                .nearest_first(me, self.settings.gap_m(), self.settings.gap_s());
        for (entry, chord2) in walk {
            if best.is_some_and(|(nearest, _)| chord2 > nearest) {
                break;
            }
            let Some(event) = self.members.event_of(&entry.id) else {
                continue;
            };
            if entry.id == me.id
                || tried.contains(&event)
                || !linked(me, &self.members[&entry.id], &self.settings)
            {
                continue;
            }
            tried.insert(event);
            if self.admits(event, me) && best.is_none_or(|(_, older)| event < older) {
                best = Some((chord2, event));
            }
        }
        best.map(|(_, event)| event)
    }

    /// Whether an event's grouped core stays within the bounds with `me` in it.
    fn admits(&self, event: EventId, me: &Member) -> bool {
        let Some(e) = self.events.get(&event) else {
            return false;
        };
        let grouped = || {
            // The founder first: a pinned member is in it by a reviewer's word and does not
            // bound it.
            std::iter::once(&event.0)
                .chain(e.core.iter().filter(|m| **m != event.0))
                .filter_map(|m| self.members.get(m))
                .filter(|m| m.core && m.review.is_auto())
        };
        let Some(bounds) = e.bounds.get_or_init(|| Bounds::of(grouped()).map(Box::new)) else {
            return false;
        };
        bounds
            .admits(me, &self.settings)
            .unwrap_or_else(|| grouping::admits_by_members(grouped(), me, &self.settings))
    }

    /// The event a vague member supports: that of the linked core report before it in id
    /// order (one stored earlier, so that a later report never moves it) nearest in time,
    /// then in place, then the smaller id. None for a member that asserts nothing: a vague
    /// denial ("no drone crossed the province") is context for every event in its area and
    /// time or for none, never the one that happens to be nearest.
    pub(super) fn supported_event(&self, member: &Member) -> Option<EventId> {
        if !member.asserts() {
            return None;
        }
        // ((time gap, squared chord, core report), its event), the least so far.
        let mut best: Option<((i64, f64, ReportId), EventId)> = None;
        let walk =
            self.trees
                .core()
                .nearest_first(member, self.settings.gap_m(), self.settings.gap_s());
        for (entry, chord2) in walk {
            if let Some(((0, nearest, _), _)) = best
                && chord2 > nearest
            {
                break;
            }
            if entry.id >= member.id {
                continue;
            }
            let core = &self.members[&entry.id];
            if !linked(member, core, &self.settings) {
                continue;
            }
            let Some(event) = self.members.event_of(&entry.id) else {
                continue;
            };
            let rank = (member::time_gap_s(member, core), chord2, entry.id);
            let better = best.as_ref().is_none_or(|((gap, chord, id), _)| {
                rank.0
                    .cmp(gap)
                    .then(rank.1.total_cmp(chord))
                    .then(rank.2.cmp(id))
                    .is_lt()
            });
            if better {
                best = Some((rank, event));
            }
        }
        best.map(|(_, event)| event)
    }
}
