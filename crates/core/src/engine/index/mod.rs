//! The in-memory index of every live report: an R*-tree of points on the auxiliary sphere
//! (see [`crate::geospatial::geodesy`]) beside compact records for filtering, an id order and a time order.
//!
//! The index holds no report text: queries answer with ids (and distances), and the store
//! supplies the reports of the page asked for.
//!
//! Here: the slots and their life cycle (build, upsert, remove, compaction) and the query
//! entry points. `walks` holds the spatial and time walks and the paging of their answers,
//! `filter` the filter compiled against the interned words, `names` the interners,
//! `snapshot` the file written on shutdown, and `views` the views per viewer.

mod event_views;
mod filter;
mod names;
mod past;
mod reading;
mod snapshot;
mod timeline;
mod views;
mod walks;

use filter::CompiledFilter;
use names::{Interned, Names, TagInterner};

/// What the index keeps of a report (defined with the model, which the stores share).
pub use crate::domain::model::IndexRecord;
pub use event_views::{EventFilter, EventPage, EventView};
pub use past::{ChangedReports, PastIndex, PastView};
pub use reading::IndexRead;
pub use snapshot::{ReportFacts, SavedEvents, Snapshot, SnapshotError, SnapshotStamp};
pub use views::{ReportViews, SeenReport, ViewIndex};

use crate::domain::model::{Kind, Precision, ReportId, Status, Timestamp, WordSet};
use crate::engine::parallel::side_by_side;
use crate::engine::query::{Page, ReportQuery, Spatial};
use crate::engine::slot_bits::SlotBits;
use crate::geospatial::geodesy::AuxPoint;
use rstar::primitives::GeomWithData;
use rstar::{RStarInsertionStrategy, RTree, RTreeParams};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Position of a record in [`ReportIndex::records`].
type Slot = u32;
/// A tree leaf carries its report's id so that answers need no record lookups (a cache miss
/// each).
type TreePoint = GeomWithData<[f64; 3], (Slot, ReportId)>;

/// Wider nodes than rstar's default (6): a radius query then tests fewer envelopes and reads
/// leaves in longer runs, which pays at a million points (see `benches/index.rs`).
#[derive(Debug, Clone, Copy, Default)]
struct TreeParams;

impl RTreeParams for TreeParams {
    const MIN_SIZE: usize = 3;
    const MAX_SIZE: usize = 6;
    const REINSERTION_COUNT: usize = 2;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// The compact form kept per slot.
#[derive(Debug, Clone)]
struct Entry {
    id: ReportId,
    version: i64,
    point: AuxPoint,
    /// Uncertainty radius in metres.
    uncertainty_m: f64,
    precision: Precision,
    kind: Kind,
    status: Status,
    source_types: WordSet,
    from: i64,
    to: i64,
    /// The entry's tag list, interned in [`TagInterner`].
    tags: u32,
    /// Metres to the nearest border, infinite if unknown.
    border_m: f64,
    /// Metres to the coast, infinite if unknown.
    coast_m: f64,
    in_sea: bool,
    /// Whether the entry places a private report where the public sees it (see
    /// [`ViewIndex`]).
    private: bool,
    /// Province, country and border country, interned in [`Names`] (0 for none).
    province: u32,
    country: u32,
    border_country: u32,
}

impl Entry {
    fn new(record: &IndexRecord, point: AuxPoint, interned: Interned) -> Self {
        let relation = &record.relation;
        Self {
            id: record.id,
            version: record.version,
            point,
            uncertainty_m: record.uncertainty_m,
            precision: record.precision,
            kind: record.kind,
            status: record.status,
            source_types: record.source_types,
            from: record.observed_from.0,
            to: record.observed_to.0,
            tags: interned.tags,
            border_m: relation.border_distance_m.unwrap_or(f64::INFINITY),
            coast_m: relation.coast_distance_m.unwrap_or(f64::INFINITY),
            in_sea: relation.in_sea,
            private: record.exact.is_some(),
            province: interned.province,
            country: interned.country,
            border_country: interned.border_country,
        }
    }
}

/// One report in a query's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RankedId {
    /// The report.
    pub id: ReportId,
    /// Geodesic distance from the query's centre, in metres, for radius and nearest queries.
    pub distance_m: Option<f64>,
}

/// What the index knows of one matching report: enough to draw it on a map layer without
/// reading the store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapPoint<'a> {
    /// The report.
    pub id: ReportId,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Uncertainty radius, metres.
    pub uncertainty_m: f64,
    /// How precisely the point locates the claim.
    pub precision: Precision,
    /// Kind.
    pub kind: Kind,
    /// Verification status.
    pub status: Status,
    /// Province name.
    pub province: Option<&'a str>,
    /// Country code.
    pub country: Option<&'a str>,
    /// Start of the observation interval, epoch seconds.
    pub from: i64,
    /// End of the observation interval, epoch seconds.
    pub to: i64,
}

/// A query's answer: one page of hits and how many matched in all.
#[derive(Debug, Clone, PartialEq)]
pub struct IdPage {
    /// Every match, across all pages.
    pub matched: usize,
    /// The page asked for, in order.
    pub hits: Vec<RankedId>,
}

/// What the index keeps up to date of the live reports, for the layer catalogue: each read
/// without a pass over the reports.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IndexFigures {
    /// How many live reports there are.
    pub reports: usize,
    /// How many of them have an uncertainty circle (a radius above 0).
    pub circles: usize,
    /// `[min_lon, min_lat, max_lon, max_lat]` holding every live report: grown by each report
    /// indexed, rebuilt only when the index is, so after deletes perhaps larger than needed.
    pub bounds: Option<[f64; 4]>,
    /// The largest uncertainty radius indexed since the last rebuild, metres (at least the
    /// largest live one).
    pub max_uncertainty_m: f64,
}

/// Every live report, indexed by place, time and id.
#[derive(Debug, Default)]
pub struct ReportIndex {
    records: Vec<Option<Entry>>,
    /// One bit per slot, set while the slot is live: small enough to stay in cache, so tree
    /// scans skip retired points without touching `records`.
    alive: SlotBits,
    /// One bit per slot, set for entries that place private reports where the public sees
    /// them: a reviewer's radius walk skips them without reading records.
    private: SlotBits,
    /// Slots retired since the last compaction; their points are still in the tree.
    dead: usize,
    by_id: BTreeMap<ReportId, Slot>,
    by_time: BTreeSet<(i64, Slot)>,
    /// The longest observation interval seen, which bounds how far before `since` a matching
    /// interval may start.
    max_span: i64,
    /// The largest uncertainty radius seen, in metres, which bounds how far beyond a query
    /// circle an overlapping uncertainty circle's centre may lie.
    max_uncertainty_m: f64,
    /// `[min_lon, min_lat, max_lon, max_lat]` of every point indexed since the last build:
    /// it holds the live reports (and perhaps some retired ones).
    extent: Option<[f64; 4]>,
    /// The exact extent of the live reports in place and time ([`ReportIndex::extent`]),
    /// once asked for: grown by each report indexed, and forgotten only when a report on
    /// its edge leaves, so that it is worked out again from the records rarely.
    exact_extent: std::sync::OnceLock<Option<Extent>>,
    /// Live reports with an uncertainty circle (a radius above 0).
    circles: usize,
    tree: RTree<TreePoint, TreeParams>,
    tags: TagInterner,
    names: Names,
    /// Ids of deleted reports with the version that deleted them, so that a late upsert of an
    /// older version cannot bring them back.
    tombstones: HashMap<ReportId, i64>,
}

impl ReportIndex {
    /// Builds the index from every live report at once, with rstar's bulk loading.
    ///
    /// Two cores share the work: points are placed on the auxiliary sphere on one while tags
    /// and names are interned on the other; then the tree loads on one while the id and time
    /// orders are built (and the records freed) on the other.
    pub fn build(records: impl IntoIterator<Item = IndexRecord>) -> Self {
        let records: Vec<IndexRecord> = records.into_iter().collect();
        let mut tags = TagInterner::default();
        let mut names = Names::default();
        let (points, interned) = side_by_side(
            || {
                records
                    .iter()
                    .map(|r| AuxPoint::new(r.lon, r.lat))
                    .collect::<Vec<_>>()
            },
            || {
                records
                    .iter()
                    .map(|r| Interned::of(r, &mut tags, &mut names))
                    .collect::<Vec<Interned>>()
            },
        );
        let entries = records
            .iter()
            .zip(points)
            .zip(interned)
            .map(|((r, point), interned)| Entry::new(r, point, interned))
            .collect();
        let mut index = Self::build_from_entries(entries, records);
        index.tags = tags;
        index.names = names;
        index
    }

    /// Builds the index over `entries`, in slot order, dropping `garbage` on the second core
    /// meanwhile.
    fn build_from_entries(entries: Vec<Entry>, garbage: impl Send) -> Self {
        let points: Vec<TreePoint> = entries
            .iter()
            .enumerate()
            .map(|(slot, e)| TreePoint::new(e.point.xyz, (slot as Slot, e.id)))
            .collect();
        let (tree, (by_id, by_time, max_span, max_uncertainty_m)) = side_by_side(
            || RTree::bulk_load_with_params(points),
            || {
                drop(garbage);
                let slots = || entries.iter().enumerate().map(|(s, e)| (s as Slot, e));
                let mut ids: Vec<_> = slots().map(|(slot, e)| (e.id, slot)).collect();
                let mut times: Vec<_> = slots().map(|(slot, e)| (e.from, slot)).collect();
                ids.sort_unstable_by_key(|(id, _)| *id);
                times.sort_unstable();
                let max_span = entries.iter().map(|e| e.to - e.from).max().unwrap_or(0);
                let max_uncertainty_m = entries.iter().map(|e| e.uncertainty_m).fold(0.0, f64::max);
                (
                    ids.into_iter().collect(),
                    times.into_iter().collect(),
                    max_span,
                    max_uncertainty_m,
                )
            },
        );
        let extent = entries
            .iter()
            .fold(None, |extent, e| Some(grown(extent, &e.point)));
        let circles = entries.iter().filter(|e| e.uncertainty_m > 0.0).count();
        Self {
            extent,
            circles,
            alive: SlotBits::all(entries.len()),
            private: SlotBits::from_fn(entries.len(), |slot| entries[slot].private),
            records: entries.into_iter().map(Some).collect(),
            by_id,
            by_time,
            max_span,
            max_uncertainty_m,
            tree,
            ..Self::default()
        }
    }

    fn mark_alive(&mut self, slot: Slot, private: bool) {
        self.alive.set(slot as usize, true);
        self.private.set(slot as usize, private);
    }

    #[inline]
    fn is_private(&self, slot: Slot) -> bool {
        self.private.get(slot as usize)
    }

    #[inline]
    fn is_alive(&self, slot: Slot) -> bool {
        self.alive.get(slot as usize)
    }

    /// How many live reports there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Whether a live report has this id.
    pub fn contains(&self, id: &ReportId) -> bool {
        self.by_id.contains_key(id)
    }

    /// Whether [`ReportIndex::upsert`] would take this record: not removed at or after its
    /// version, and newer than the entry it would replace.
    pub fn accepts(&self, record: &IndexRecord) -> bool {
        self.tombstones
            .get(&record.id)
            .is_none_or(|&v| v < record.version)
            && self
                .version_of(&record.id)
                .is_none_or(|v| v < record.version)
    }

    /// The version of a live report's entry.
    pub fn version_of(&self, id: &ReportId) -> Option<i64> {
        self.by_id.get(id).map(|&slot| self.entry(slot).version)
    }

    /// The ids and versions of the entries that place private reports where the public sees
    /// them (see [`ViewIndex`]).
    pub fn private_entries(&self) -> Vec<(ReportId, i64)> {
        self.records
            .iter()
            .flatten()
            .filter(|e| e.private)
            .map(|e| (e.id, e.version))
            .collect()
    }

    /// Adds a report or replaces its older version.
    pub fn upsert(&mut self, record: IndexRecord) {
        if self
            .tombstones
            .get(&record.id)
            .is_some_and(|&v| v >= record.version)
        {
            return;
        }
        if let Some(&slot) = self.by_id.get(&record.id) {
            // The same version again (a change this process made, read back from the store's
            // change list) changes nothing.
            if self.entry(slot).version >= record.version {
                return;
            }
            self.retire(slot);
        }
        let entry = self.entry_of(&record);
        let slot = self.records.len() as Slot;
        self.tree
            .insert(TreePoint::new(entry.point.xyz, (slot, entry.id)));
        self.by_id.insert(entry.id, slot);
        self.by_time.insert((entry.from, slot));
        self.max_span = self.max_span.max(entry.to - entry.from);
        self.max_uncertainty_m = self.max_uncertainty_m.max(entry.uncertainty_m);
        self.extent = Some(grown(self.extent, &entry.point));
        if let Some(exact) = self.exact_extent.get_mut() {
            *exact = Some(with_entry(*exact, &entry));
        }
        self.circles += usize::from(entry.uncertainty_m > 0.0);
        let private = entry.private;
        self.records.push(Some(entry));
        self.mark_alive(slot, private);
        self.compact_if_worthwhile();
    }

    /// Removes a report, as of a store version.
    pub fn remove(&mut self, id: &ReportId, version: i64) {
        self.tombstones.insert(*id, version);
        if let Some(&slot) = self.by_id.get(id) {
            self.retire(slot);
            self.compact_if_worthwhile();
        }
    }

    /// Marks a slot dead. Its point stays in the tree, skipped by queries, until the next
    /// compaction: removing points from an rstar tree one by one costs a tree walk each and
    /// can leave empty nodes behind.
    fn retire(&mut self, slot: Slot) {
        let entry = self.records[slot as usize]
            .take()
            .expect("indexed slot is live");
        self.alive.set(slot as usize, false);
        self.by_id.remove(&entry.id);
        self.by_time.remove(&(entry.from, slot));
        if let Some(Some(exact)) = self.exact_extent.get()
            && on_edge(exact, &entry)
        {
            self.exact_extent = std::sync::OnceLock::new();
        }
        self.circles -= usize::from(entry.uncertainty_m > 0.0);
        self.dead += 1;
    }

    /// Rebuilds everything from the live entries once dead slots are a quarter of the total.
    fn compact_if_worthwhile(&mut self) {
        if self.dead < 4096.max(self.by_id.len() / 4) {
            return;
        }
        let records = std::mem::take(&mut self.records);
        let live = records.into_iter().flatten().collect();
        let mut rebuilt = Self::build_from_entries(live, ());
        rebuilt.tags = std::mem::take(&mut self.tags);
        rebuilt.names = std::mem::take(&mut self.names);
        rebuilt.tombstones = std::mem::take(&mut self.tombstones);
        // Only dead slots went: the extent of the live reports stands.
        rebuilt.exact_extent = std::mem::take(&mut self.exact_extent);
        *self = rebuilt;
    }

    fn entry_of(&mut self, record: &IndexRecord) -> Entry {
        let interned = Interned::of(record, &mut self.tags, &mut self.names);
        Entry::new(record, AuxPoint::new(record.lon, record.lat), interned)
    }

    /// Answers a query. `text_matches` is the set of ids whose text matches the query's `q`,
    /// found by the store; `None` when the query has no `q`.
    pub fn query(&self, query: &ReportQuery, text_matches: Option<&HashSet<ReportId>>) -> IdPage {
        let filter = CompiledFilter::new(&query.filter, &self.tags, &self.names, text_matches);
        match &query.spatial {
            Spatial::Radius {
                lon,
                lat,
                radius_m,
                include_uncertain,
            } => {
                let centre = AuxPoint::new(*lon, *lat);
                if *include_uncertain {
                    self.radius_overlapping(centre, *radius_m, &filter, &query.page)
                } else {
                    self.radius(centre, *radius_m, &filter, &query.page)
                }
            }
            Spatial::Nearest { lon, lat, k } => {
                self.nearest(AuxPoint::new(*lon, *lat), *k, &filter, &query.page)
            }
            Spatial::BBox(bbox) => {
                let slots = self.bbox_slots(bbox, &filter);
                self.page_by_id(slots, &query.page)
            }
            Spatial::None if filter.has_time() => {
                let slots = self.time_slots(&filter);
                self.page_by_id(slots, &query.page)
            }
            Spatial::None => self.scan_by_id(&filter, &query.page),
        }
    }

    /// What the index keeps up to date of the live reports, read without a pass over them.
    pub fn figures(&self) -> IndexFigures {
        IndexFigures {
            reports: self.len(),
            circles: self.circles,
            bounds: self.extent,
            max_uncertainty_m: self.max_uncertainty_m,
        }
    }

    /// The extent of every live report: `[min_lon, min_lat, max_lon, max_lat]` and the first
    /// and last moment of their observation intervals. Kept as reports come and go; a pass
    /// over the records only on the first call and after a report on the edge left.
    pub fn extent(&self) -> Option<Extent> {
        *self.exact_extent.get_or_init(|| {
            self.records
                .iter()
                .flatten()
                .fold(None, |extent, e| Some(with_entry(extent, e)))
        })
    }

    /// Every hit of a query on one page, in the query's order.
    fn every_hit(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Vec<RankedId> {
        self.query(&everything(query), text_matches).hits
    }

    /// Every live report's id, sorted.
    pub fn all_ids(&self) -> Vec<ReportId> {
        self.by_id.keys().copied().collect()
    }

    /// The ids of every report that matches the query's place and filters, sorted, or `None`
    /// when the query keeps every report.
    pub fn matching_ids(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Option<Vec<ReportId>> {
        let mut ids = self.matching_ids_in_any_order(query, text_matches)?;
        ids.sort_unstable();
        Some(ids)
    }

    /// The ids of every report that matches the query's place and filters, in no particular
    /// order (a box or a time range is not sorted at all), or `None` when the query keeps
    /// every report.
    pub fn matching_ids_in_any_order(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Option<Vec<ReportId>> {
        let filter = CompiledFilter::new(&query.filter, &self.tags, &self.names, text_matches);
        let slots = match &query.spatial {
            Spatial::None if filter.is_empty() => return None,
            Spatial::BBox(bbox) => self.bbox_slots(bbox, &filter),
            Spatial::None if filter.has_time() => self.time_slots(&filter),
            _ => {
                let hits = self.every_hit(query, text_matches);
                return Some(hits.into_iter().map(|h| h.id).collect());
            }
        };
        Some(slots.into_iter().map(|slot| self.entry(slot).id).collect())
    }

    /// Every report that matches the query's place and filters (its page is ignored), in
    /// the query's order, as the index knows them.
    pub fn matches(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Vec<MapPoint<'_>> {
        self.every_hit(query, text_matches)
            .iter()
            .filter_map(|hit| self.map_point(&hit.id).map(|(point, _)| point))
            .collect()
    }

    /// A live report as the index knows it, with its version.
    pub fn map_point(&self, id: &ReportId) -> Option<(MapPoint<'_>, i64)> {
        let e = self.entry(*self.by_id.get(id)?);
        let point = MapPoint {
            id: e.id,
            lon: e.point.lon,
            lat: e.point.lat,
            uncertainty_m: e.uncertainty_m,
            precision: e.precision,
            kind: e.kind,
            status: e.status,
            province: self.names.name(e.province),
            country: self.names.name(e.country),
            from: e.from,
            to: e.to,
        };
        Some((point, e.version))
    }

    #[inline]
    fn entry(&self, slot: Slot) -> &Entry {
        self.records[slot as usize]
            .as_ref()
            .expect("indexed slot is live")
    }

    /// The entry of a tree point, unless the slot was retired.
    #[inline]
    fn live(&self, slot: Slot) -> Option<&Entry> {
        self.records[slot as usize].as_ref()
    }
}

/// An extent in place, `[min_lon, min_lat, max_lon, max_lat]`, and in time, the first and
/// last moment of the observation intervals.
pub type Extent = ([f64; 4], (Timestamp, Timestamp));

/// The same query with every hit on one page.
fn everything(query: &ReportQuery) -> ReportQuery {
    ReportQuery {
        page: Page {
            offset: 0,
            limit: usize::MAX,
        },
        ..query.clone()
    }
}

/// The extent holding both.
fn union((a, (a_from, a_to)): Extent, (b, (b_from, b_to)): Extent) -> Extent {
    (
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ],
        (a_from.min(b_from), a_to.max(b_to)),
    )
}

/// An extent grown to hold an entry's point and interval.
fn with_entry(extent: Option<Extent>, e: &Entry) -> Extent {
    let span = match extent {
        None => (e.from, e.to),
        Some((_, (from, to))) => (from.0.min(e.from), to.0.max(e.to)),
    };
    (
        grown(extent.map(|(b, _)| b), &e.point),
        (Timestamp(span.0), Timestamp(span.1)),
    )
}

/// Whether an entry lies on an extent's edge, so that the extent may shrink without it.
fn on_edge((b, (from, to)): &Extent, e: &Entry) -> bool {
    let (lon, lat) = (e.point.lon, e.point.lat);
    lon <= b[0] || lat <= b[1] || lon >= b[2] || lat >= b[3] || e.from <= from.0 || e.to >= to.0
}

/// A lon/lat extent grown to hold a point.
fn grown(extent: Option<[f64; 4]>, point: &AuxPoint) -> [f64; 4] {
    let (lon, lat) = (point.lon, point.lat);
    match extent {
        None => [lon, lat, lon, lat],
        Some([w, s, e, n]) => [w.min(lon), s.min(lat), e.max(lon), n.max(lat)],
    }
}
