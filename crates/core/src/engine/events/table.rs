//! The events' members in a table of slots: each member stored once, compactly, with its
//! event, and found by id through a small map of slots. A map holding the members themselves
//! would reserve room for about twice as many as it holds, a million reports' worth of memory
//! that a start has to fault in and zero.

use super::member::Member;
use crate::domain::model::{EventId, ReportId};
use foldhash::{HashMap, HashMapExt};

/// Members by id.
#[derive(Debug, Default)]
pub struct MemberTable {
    slots: Vec<Option<Member>>,
    /// Each slot's member's event.
    events: Vec<Option<EventId>>,
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
        Self {
            events: vec![None; members.len()],
            slots: members.into_iter().map(Some).collect(),
            free: Vec::new(),
            slot_of,
        }
    }

    /// Makes room for `n` more members.
    pub fn reserve(&mut self, n: usize) {
        self.slots.reserve(n);
        self.events.reserve(n);
        self.slot_of.reserve(n);
    }

    /// The member of a report.
    pub fn get(&self, id: &ReportId) -> Option<&Member> {
        let slot = *self.slot_of.get(id)?;
        self.slots[slot as usize].as_ref()
    }

    /// Whether a report is a member.
    pub fn contains_key(&self, id: &ReportId) -> bool {
        self.slot_of.contains_key(id)
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
        if public && self.slots[slot].as_ref()?.public.is_some() {
            return None;
        }
        self.events[slot]
    }

    /// Sets the event of a member, returning its event before; nothing for a report that
    /// is not a member.
    pub fn set_event(&mut self, id: &ReportId, event: Option<EventId>) -> Option<EventId> {
        let slot = *self.slot_of.get(id)? as usize;
        std::mem::replace(&mut self.events[slot], event)
    }

    /// Every member in an event, with its event.
    pub fn assignments(&self) -> impl Iterator<Item = (ReportId, EventId)> + '_ {
        self.slots
            .iter()
            .zip(&self.events)
            .filter_map(|(m, e)| Some((m.as_ref()?.id, (*e)?)))
    }

    /// Every member with its event.
    pub fn with_events(&self) -> impl Iterator<Item = (&Member, Option<EventId>)> {
        self.slots
            .iter()
            .zip(&self.events)
            .filter_map(|(m, e)| Some((m.as_ref()?, *e)))
    }

    /// Adds a member or replaces the one of its id (which keeps its event).
    pub fn insert(&mut self, member: Member) {
        if let Some(&slot) = self.slot_of.get(&member.id) {
            self.slots[slot as usize] = Some(member);
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
        self.slot_of.insert(id, slot);
    }

    /// Removes a report's member, returning it.
    pub fn remove(&mut self, id: &ReportId) -> Option<Member> {
        let slot = self.slot_of.remove(id)?;
        self.free.push(slot);
        self.events[slot as usize] = None;
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
