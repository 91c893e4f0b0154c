//! Where each event lies: a tree of the boxes around its members' points (exact and public
//! alike), so that the events in a map's box are found among a few hundred events rather
//! than through the thousands of reports in it. Kept up to date from [`super::EventChanges`].

use super::table::MemberTable;
use super::{Event, Member};
use crate::domain::model::EventId;
use foldhash::{HashMap, HashMapExt};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree, RTreeObject};

/// An event's box in the tree.
pub(super) type Boxed = GeomWithData<Rectangle<[f64; 2]>, EventId>;

/// The boxes of every event.
#[derive(Debug, Default)]
pub struct EventExtents {
    tree: RTree<Boxed>,
    of: HashMap<EventId, Boxed>,
}

/// The box around an event's members' points, exact and public: kept by the event as
/// members join, worked out again only after one left.
pub(super) fn extent(event: &Event, members: &MemberTable) -> Boxed {
    let [w, s, e, n] = *event.extent.get_or_init(|| {
        let mut b = EMPTY_BOX;
        for m in event.members().filter_map(|id| members.get(id)) {
            widen(&mut b, m);
        }
        b
    });
    Boxed::new(Rectangle::from_corners([w, s], [e, n]), event.id)
}

/// A box around nothing, which any point widens.
pub(super) const EMPTY_BOX: [f64; 4] = [
    f64::INFINITY,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NEG_INFINITY,
];

/// Widens a box `[west, south, east, north]` to hold a member's points, exact and public.
pub(super) fn widen(b: &mut [f64; 4], m: &Member) {
    for p in std::iter::once(&m.exact).chain(m.public.as_deref().map(|s| &s.placement)) {
        let (lon, lat) = (p.point.lon, p.point.lat);
        *b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
    }
}

impl EventExtents {
    /// The boxes of these events, loaded at once.
    pub fn of<'a>(events: impl Iterator<Item = &'a Event>, members: &MemberTable) -> Self {
        Self::from_boxes(events.map(|e| extent(e, members)).collect())
    }

    /// The tree of these boxes (from [`extent`]), loaded at once.
    pub(super) fn from_boxes(boxes: Vec<Boxed>) -> Self {
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
        let new = event.map(|e| extent(e, members));
        if new.is_some() && new == self.of.get(&id).copied() {
            return;
        }
        if let Some(old) = self.of.remove(&id) {
            self.tree.remove(&old);
        }
        if let Some(new) = new {
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
