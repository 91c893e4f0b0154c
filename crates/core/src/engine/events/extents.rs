//! Where each event lies: a tree of the boxes around its members' points (exact and public
//! alike), so that the events in a map's box are found among a few hundred events rather
//! than through the thousands of reports in it. Kept up to date from [`super::EventChanges`].

use super::Event;
use super::table::MemberTable;
use crate::domain::model::EventId;
use foldhash::{HashMap, HashMapExt};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree, RTreeObject};

type Boxed = GeomWithData<Rectangle<[f64; 2]>, EventId>;

/// The boxes of every event.
#[derive(Debug, Default)]
pub struct EventExtents {
    tree: RTree<Boxed>,
    of: HashMap<EventId, Boxed>,
}

/// The box around an event's members' points, exact and public.
fn extent(event: &Event, members: &MemberTable) -> Boxed {
    let (mut low, mut high) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
    for m in event.members().filter_map(|id| members.get(id)) {
        for p in std::iter::once(&m.exact).chain(m.public.as_deref().map(|s| &s.placement)) {
            low = [low[0].min(p.point.lon), low[1].min(p.point.lat)];
            high = [high[0].max(p.point.lon), high[1].max(p.point.lat)];
        }
    }
    Boxed::new(Rectangle::from_corners(low, high), event.id)
}

impl EventExtents {
    /// The boxes of these events, loaded at once.
    pub fn of<'a>(events: impl Iterator<Item = &'a Event>, members: &MemberTable) -> Self {
        let boxes: Vec<Boxed> = events.map(|e| extent(e, members)).collect();
        let mut of = HashMap::with_capacity(boxes.len());
        for b in &boxes {
            of.insert(b.data, *b);
        }
        Self {
            tree: RTree::bulk_load(boxes),
            of,
        }
    }

    /// Puts an event's box in place of its old one (`event` is `None` if it no longer
    /// exists).
    pub fn update(&mut self, id: EventId, event: Option<&Event>, members: &MemberTable) {
        if let Some(old) = self.of.remove(&id) {
            self.tree.remove(&old);
        }
        if let Some(event) = event {
            let new = extent(event, members);
            self.tree.insert(new);
            self.of.insert(id, new);
        }
    }

    /// The events whose box meets `[min_lon, min_lat]`–`[max_lon, max_lat]`, each with
    /// whether its box lies wholly inside (then every member's point does).
    pub fn meeting_or_inside(
        &self,
        low: [f64; 2],
        high: [f64; 2],
    ) -> impl Iterator<Item = (EventId, bool)> + '_ {
        let query = AABB::from_corners(low, high);
        self.tree
            .locate_in_envelope_intersecting(query)
            .map(move |b| (b.data, query.contains_envelope(&b.envelope())))
    }

    /// The events whose box meets `[min_lon, min_lat]`–`[max_lon, max_lat]`.
    pub fn meeting(&self, low: [f64; 2], high: [f64; 2]) -> impl Iterator<Item = EventId> + '_ {
        self.tree
            .locate_in_envelope_intersecting(AABB::from_corners(low, high))
            .map(|b| b.data)
    }
}
