//! The events' members in a table of slots: each member stored once, compactly, with its
//! event, and found by id through a small map of slots. A map holding the members themselves
//! would reserve room for about twice as many as it holds, a million reports' worth of memory
//! that a start has to fault in and zero.

use super::member::Member;
use crate::domain::model::{EventId, ReportId};
use crate::engine::slot_bits::SlotBits;
use foldhash::{HashMap, HashMapExt};

/// Members by id.
#[derive(Debug, Default)]
pub struct MemberTable {
    slots: Vec<Option<Member>>,
    /// Each slot's member's event.
    events: Vec<Option<EventId>>,
    /// One bit per slot, set where the member is private (placed elsewhere for the public):
    /// what [`MemberTable::event_shown`] asks of every hit of a query, in 128 kB a million
    /// slots, rather than from the member itself.
    private: SlotBits,
    /// Slots emptied by removals, reused first.
    free: Vec<u32>,
    slot_of: HashMap<ReportId, u32>,
}

impl MemberTable {
    /// A table with room for `n` members.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            slots: Vec::with_capacity(n),
            events: Vec::with_capacity(n),
            private: SlotBits::default(),
            free: Vec::new(),
            slot_of: HashMap::with_capacity(n),
        }
    }

    /// A table of these members (of distinct ids), in their order.
    pub fn of(members: Vec<Member>) -> Self {
        let mut slot_of = HashMap::with_capacity(members.len());
        for (slot, member) in members.iter().enumerate() {
            slot_of.insert(member.id, slot as u32);
        }
        let private = SlotBits::from_fn(members.len(), |slot| members[slot].public.is_some());
        Self {
            events: vec![None; members.len()],
            private,
            slots: members.into_iter().map(Some).collect(),
            free: Vec::new(),
            slot_of,
        }
    }

    /// Makes room for `n` more members.
    pub fn reserve(&mut self, n: usize) {
        self.slots.reserve(n);
        self.events.reserve(n);
        self.private.reserve(n);
        self.slot_of.reserve(n);
    }

    /// The member of a report.
    pub fn get(&self, id: &ReportId) -> Option<&Member> {
        let slot = *self.slot_of.get(id)?;
        self.slots[slot as usize].as_ref()
    }

    /// The event of a member (none for an excluded or unknown report).
    pub fn event_of(&self, id: &ReportId) -> Option<EventId> {
        self.events[*self.slot_of.get(id)? as usize]
    }

    /// The event of a member as the public (if `public`) or a reviewer may know it: none for
    /// the public when the member's location is private, since its event would place it. One
    /// lookup of the member's slot for both.
    pub fn event_shown(&self, id: &ReportId, public: bool) -> Option<EventId> {
        let slot = *self.slot_of.get(id)? as usize;
        if public && self.private.get(slot) {
            return None;
        }
        self.events[slot]
    }

    /// Sets the event of a member, returning its event before; nothing for a report that
    /// is not a member.
    pub fn set_event(&mut self, id: &ReportId, event: Option<EventId>) -> Option<EventId> {
        let slot = *self.slot_of.get(id)? as usize;
        self.set_event_at(slot, event)
    }

    /// The slot of a member, looked for at `hint` first: a table made by [`MemberTable::of`]
    /// keeps the members in the order given, so a caller walking them in that order finds
    /// each without a lookup.
    pub fn slot(&self, id: &ReportId, hint: usize) -> Option<usize> {
        match self.slots.get(hint) {
            Some(Some(member)) if member.id == *id => Some(hint),
            _ => self.slot_of.get(id).map(|&slot| slot as usize),
        }
    }

    /// Sets the event of the member in `slot` (from [`MemberTable::slot`]), returning its
    /// event before.
    pub fn set_event_at(&mut self, slot: usize, event: Option<EventId>) -> Option<EventId> {
        std::mem::replace(&mut self.events[slot], event)
    }

    /// Every member in an event, with its event.
    pub fn assignments(&self) -> impl Iterator<Item = (ReportId, EventId)> + '_ {
        self.slots
            .iter()
            .zip(&self.events)
            .filter_map(|(m, e)| Some((m.as_ref()?.id, (*e)?)))
    }

    /// How many slots there are, filled or empty: slots run from 0 to this.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// The member in a slot, if it is filled.
    pub fn at(&self, slot: usize) -> Option<&Member> {
        self.slots.get(slot)?.as_ref()
    }

    /// The event of the member in a slot.
    pub fn event_at(&self, slot: usize) -> Option<EventId> {
        *self.events.get(slot)?
    }

    /// Every member with its slot and its event, in slot order.
    pub fn slots_with_events(&self) -> impl Iterator<Item = (usize, &Member, Option<EventId>)> {
        self.slots
            .iter()
            .zip(&self.events)
            .enumerate()
            .filter_map(|(slot, (m, e))| Some((slot, m.as_ref()?, *e)))
    }

    /// Adds a member or replaces the one of its id (which keeps its event).
    pub fn insert(&mut self, member: Member) {
        let private = member.public.is_some();
        if let Some(&slot) = self.slot_of.get(&member.id) {
            self.slots[slot as usize] = Some(member);
            self.private.set(slot as usize, private);
            return;
        }
        let id = member.id;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(member);
                self.events[slot as usize] = None;
                slot
            }
            None => {
                self.slots.push(Some(member));
                self.events.push(None);
                u32::try_from(self.slots.len() - 1).expect("fewer than 4 billion members")
            }
        };
        self.private.set(slot as usize, private);
        self.slot_of.insert(id, slot);
    }

    /// Removes a report's member, returning it.
    pub fn remove(&mut self, id: &ReportId) -> Option<Member> {
        let slot = self.slot_of.remove(id)?;
        self.free.push(slot);
        self.events[slot as usize] = None;
        self.private.set(slot as usize, false);
        self.slots[slot as usize].take()
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.slot_of.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.slot_of.is_empty()
    }

    /// Every member, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &Member> {
        self.slots.iter().flatten()
    }

    /// Every member, taken out, in no particular order.
    pub fn into_values(self) -> impl Iterator<Item = Member> {
        self.slots.into_iter().flatten()
    }
}

impl std::ops::Index<&ReportId> for MemberTable {
    type Output = Member;

    fn index(&self, id: &ReportId) -> &Member {
        self.get(id)
            .expect("a report kept in the events is a member")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{EventReview, Kind, Status};
    use crate::engine::events::member::{Placement, PublicPlacement};
    use crate::geospatial::geodesy::AuxPoint;

    fn member(i: u128, private: bool) -> Member {
        let placement = Placement {
            point: AuxPoint::new(49.5, 37.2),
            radius_m: 100.0,
        };
        Member {
            id: ReportId(uuid::Uuid::from_u128(i)),
            exact: placement,
            public: private.then(|| {
                Box::new(PublicPlacement {
                    placement,
                    precise: false,
                })
            }),
            core: true,
            kind: Kind::Drone,
            from: 0,
            to: 0,
            status: Status::Unverified,
            testimony: Default::default(),
            review: EventReview::Auto,
        }
    }

    /// The public is told no private member's event, through every way a slot is filled,
    /// refilled and emptied.
    #[test]
    fn the_public_is_told_no_private_members_event() {
        let event = |i: u128| Some(EventId(ReportId(uuid::Uuid::from_u128(1000 + i))));
        let mut table = MemberTable::of((0..70).map(|i| member(i, i % 3 == 0)).collect());
        for i in 0..70 {
            table.set_event(&member(i, false).id, event(i));
        }
        let shown = |t: &MemberTable, i: u128, public: bool| {
            t.event_shown(&ReportId(uuid::Uuid::from_u128(i)), public)
        };
        for i in 0..70 {
            assert_eq!(shown(&table, i, false), event(i));
            assert_eq!(
                shown(&table, i, true),
                (i % 3 != 0).then(|| event(i)).flatten()
            );
        }
        // Made public, made private, removed and its slot reused by a public member.
        table.insert(member(3, false));
        table.insert(member(4, true));
        assert_eq!(shown(&table, 3, true), event(3));
        assert_eq!(shown(&table, 4, true), None);
        table.remove(&member(6, false).id);
        table.insert(member(100, false));
        table.set_event(&member(100, false).id, event(100));
        assert_eq!(shown(&table, 100, true), event(100));
        table.insert(member(101, true));
        table.set_event(&member(101, false).id, event(101));
        assert_eq!(shown(&table, 101, true), None);
        assert_eq!(shown(&table, 101, false), event(101));
    }
}
