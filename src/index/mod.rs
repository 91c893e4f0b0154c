//! The in-memory index of every live report: an R*-tree of points on the auxiliary sphere
//! (see [`crate::geodesy`]) beside compact records for filtering, an id order and a time order.
//!
//! The index holds no report text: queries answer with ids (and distances), and the store
//! supplies the reports of the page asked for.

mod snapshot;
mod views;

/// What the index keeps of a report (defined with the model, which the stores share).
pub use crate::model::IndexRecord;
pub use snapshot::{SnapshotError, SnapshotStamp};
pub use views::ViewIndex;

use crate::geodesy::{self, AuxPoint};
use crate::model::{Kind, Precision, ReportId, Status, Timestamp, WordSet};
use crate::query::{BBox, Filter, Page, ReportQuery, Spatial};
use rstar::primitives::GeomWithData;
use rstar::{AABB, ParentNode, RStarInsertionStrategy, RTree, RTreeNode, RTreeParams};
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

/// A record's tag list and names as interned numbers.
#[derive(Debug, Clone, Copy)]
struct Interned {
    tags: u32,
    province: u32,
    country: u32,
    border_country: u32,
}

impl Interned {
    fn of(record: &IndexRecord, tags: &mut TagInterner, names: &mut Names) -> Self {
        Self {
            tags: tags.intern(&record.tags),
            province: names.intern(NameKind::Province, record.province.as_deref()),
            country: names.intern(NameKind::Country, record.country.as_deref()),
            border_country: names
                .intern(NameKind::Country, record.relation.border_country.as_deref()),
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
}

/// A query's answer: one page of hits and how many matched in all.
#[derive(Debug, Clone, PartialEq)]
pub struct IdPage {
    /// Every match, across all pages.
    pub matched: usize,
    /// The page asked for, in order.
    pub hits: Vec<RankedId>,
}

/// Every live report, indexed by place, time and id.
#[derive(Debug, Default)]
pub struct ReportIndex {
    records: Vec<Option<Entry>>,
    /// One bit per slot, set while the slot is live: small enough to stay in cache, so tree
    /// scans skip retired points without touching `records`.
    alive: Vec<u64>,
    /// One bit per slot, set for entries that place private reports where the public sees
    /// them: a reviewer's radius walk skips them without reading records.
    private: Vec<u64>,
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
        let (points, interned) = std::thread::scope(|scope| {
            let points = scope.spawn(|| {
                records
                    .iter()
                    .map(|r| AuxPoint::new(r.lon, r.lat))
                    .collect::<Vec<_>>()
            });
            let interned: Vec<Interned> = records
                .iter()
                .map(|r| Interned::of(r, &mut tags, &mut names))
                .collect();
            (
                points.join().expect("placing points does not panic"),
                interned,
            )
        });
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
        let (tree, (by_id, by_time, max_span, max_uncertainty_m)) = std::thread::scope(|scope| {
            let tree = scope.spawn(|| RTree::bulk_load_with_params(points));
            drop(garbage);
            let slots = || entries.iter().enumerate().map(|(s, e)| (s as Slot, e));
            let mut ids: Vec<_> = slots().map(|(slot, e)| (e.id, slot)).collect();
            let mut times: Vec<_> = slots().map(|(slot, e)| (e.from, slot)).collect();
            ids.sort_unstable_by_key(|(id, _)| *id);
            times.sort_unstable();
            let max_span = entries.iter().map(|e| e.to - e.from).max().unwrap_or(0);
            let max_uncertainty_m = entries.iter().map(|e| e.uncertainty_m).fold(0.0, f64::max);
            let orders = (
                ids.into_iter().collect(),
                times.into_iter().collect(),
                max_span,
                max_uncertainty_m,
            );
            (tree.join().expect("bulk load does not panic"), orders)
        });
        Self {
            alive: vec![u64::MAX; entries.len().div_ceil(64)],
            private: entries.iter().enumerate().filter(|(_, e)| e.private).fold(
                vec![0; entries.len().div_ceil(64)],
                |mut bits, (slot, _)| {
                    bits[slot / 64] |= 1 << (slot % 64);
                    bits
                },
            ),
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
        let word = slot as usize / 64;
        if self.alive.len() <= word {
            self.alive.resize(word + 1, 0);
            self.private.resize(word + 1, 0);
        }
        self.alive[word] |= 1 << (slot % 64);
        if private {
            self.private[word] |= 1 << (slot % 64);
        }
    }

    fn is_private(&self, slot: Slot) -> bool {
        self.private
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }

    fn is_alive(&self, slot: Slot) -> bool {
        self.alive
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
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
        self.alive[slot as usize / 64] &= !(1 << (slot % 64));
        self.by_id.remove(&entry.id);
        self.by_time.remove(&(entry.from, slot));
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

    /// The extent of every live report: `[min_lon, min_lat, max_lon, max_lat]` and the first
    /// and last moment of their observation intervals. A pass over the records.
    pub fn extent(&self) -> Option<([f64; 4], (Timestamp, Timestamp))> {
        self.records.iter().flatten().fold(None, |acc, e| {
            let (lon, lat) = (e.point.lon, e.point.lat);
            Some(match acc {
                None => ([lon, lat, lon, lat], (Timestamp(e.from), Timestamp(e.to))),
                Some((b, (from, to))) => (
                    [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)],
                    (Timestamp(from.0.min(e.from)), Timestamp(to.0.max(e.to))),
                ),
            })
        })
    }

    /// Every hit of a query on one page, in the query's order.
    fn every_hit(
        &self,
        query: &ReportQuery,
        text_matches: Option<&HashSet<ReportId>>,
    ) -> Vec<RankedId> {
        let everything = ReportQuery {
            page: Page {
                limit: usize::MAX,
                offset: 0,
            },
            ..query.clone()
        };
        self.query(&everything, text_matches).hits
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
        let filter = CompiledFilter::new(&query.filter, &self.tags, &self.names, text_matches);
        if matches!(query.spatial, Spatial::None) && filter.is_empty() {
            return None;
        }
        let mut ids: Vec<ReportId> = self
            .every_hit(query, text_matches)
            .into_iter()
            .map(|h| h.id)
            .collect();
        ids.sort_unstable();
        Some(ids)
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
            .filter_map(|hit| {
                let e = self.entry(*self.by_id.get(&hit.id)?);
                Some(MapPoint {
                    id: e.id,
                    lon: e.point.lon,
                    lat: e.point.lat,
                    uncertainty_m: e.uncertainty_m,
                    precision: e.precision,
                    kind: e.kind,
                    status: e.status,
                    province: self.names.name(e.province),
                    country: self.names.name(e.country),
                })
            })
            .collect()
    }

    fn entry(&self, slot: Slot) -> &Entry {
        self.records[slot as usize]
            .as_ref()
            .expect("indexed slot is live")
    }

    /// The entry of a tree point, unless the slot was retired.
    fn live(&self, slot: Slot) -> Option<&Entry> {
        self.records[slot as usize].as_ref()
    }

    fn radius(
        &self,
        centre: AuxPoint,
        radius_m: f64,
        filter: &CompiledFilter,
        page: &Page,
    ) -> IdPage {
        let chord = geodesy::max_chord_for(radius_m);
        let unfiltered = filter.is_empty();
        // A reviewer's walk leaves out private entries by their bit, not their records.
        let only_private = !unfiltered && filter.only_leaves_out_private();
        let mut found: Vec<(f64, ReportId)> = Vec::with_capacity(256);
        within_chord(
            self.tree.root(),
            &centre.xyz,
            chord * chord,
            &mut |p, chord2| {
                let (slot, id) = p.data;
                // Without a filter, a candidate's record is read only in the rare case that needs
                // Karney's algorithm: memory traffic, not arithmetic, bounds this loop.
                if unfiltered || only_private {
                    if !self.is_alive(slot) || (only_private && self.is_private(slot)) {
                        return;
                    }
                } else if !self.live(slot).is_some_and(|e| filter.matches(e)) {
                    return;
                }
                let lon_lat = || {
                    let e = self.entry(slot);
                    (e.point.lon, e.point.lat)
                };
                if let Some(d) =
                    geodesy::distance_within_chord2(&centre, p.geom(), chord2, radius_m, lon_lat)
                {
                    found.push((d, id));
                }
            },
        );
        let matched = found.len();
        IdPage {
            matched,
            hits: nearest_first_page(&found, page),
        }
    }

    /// Reports whose uncertainty circle overlaps the query circle (their point within
    /// `radius_m` plus their own uncertainty radius), nearest first.
    ///
    /// The tree is searched out to `radius_m` plus the largest uncertainty in the index, and
    /// each candidate then checked against its own.
    fn radius_overlapping(
        &self,
        centre: AuxPoint,
        radius_m: f64,
        filter: &CompiledFilter,
        page: &Page,
    ) -> IdPage {
        let reach_m = (radius_m + self.max_uncertainty_m).min(geodesy::MAX_RADIUS_M);
        let chord = geodesy::max_chord_for(reach_m);
        let mut found: Vec<(f64, ReportId)> = Vec::with_capacity(256);
        within_chord(
            self.tree.root(),
            &centre.xyz,
            chord * chord,
            &mut |p, chord2| {
                let (slot, id) = p.data;
                let Some(entry) = self.live(slot).filter(|e| filter.matches(e)) else {
                    return;
                };
                // The tree was searched out to the widest reach; each report reaches only as far
                // as its own uncertainty.
                let own_reach_m = radius_m + entry.uncertainty_m;
                let lon_lat = || (entry.point.lon, entry.point.lat);
                if let Some(d) =
                    geodesy::distance_within_chord2(&centre, p.geom(), chord2, own_reach_m, lon_lat)
                {
                    found.push((d, id));
                }
            },
        );
        IdPage {
            matched: found.len(),
            hits: nearest_first_page(&found, page),
        }
    }

    /// The k nearest matching reports, exactly by geodesic distance.
    fn nearest(&self, centre: AuxPoint, k: usize, filter: &CompiledFilter, page: &Page) -> IdPage {
        // Candidates come in chord order; chord gives a lower bound on the geodesic, so once
        // that bound passes the k-th best distance nothing nearer can follow.
        let mut best: Vec<(f64, Slot)> = Vec::with_capacity(k + 1);
        for (p, chord2) in self.tree.nearest_neighbor_iter_with_distance_2(centre.xyz) {
            if best.len() == k {
                let kth = best[k - 1].0;
                if geodesy::min_distance_for_chord(chord2.sqrt()) > kth {
                    break;
                }
            }
            let Some(entry) = self.live(p.data.0) else {
                continue;
            };
            if !filter.matches(entry) {
                continue;
            }
            let d = geodesy::geodesic_distance_m(
                centre.lon,
                centre.lat,
                entry.point.lon,
                entry.point.lat,
            );
            let key = (d, p.data.0);
            let at = best.partition_point(|b| {
                b.0.total_cmp(&d)
                    .then_with(|| self.entry(b.1).id.cmp(&entry.id))
                    .is_lt()
            });
            if at < k {
                best.insert(at, key);
                best.truncate(k);
            }
        }
        let matched = best.len();
        let start = page.offset.min(matched);
        let end = page.offset.saturating_add(page.limit).min(matched);
        IdPage {
            matched,
            hits: best[start..end]
                .iter()
                .map(|&(d, slot)| RankedId {
                    id: self.entry(slot).id,
                    distance_m: Some(d),
                })
                .collect(),
        }
    }

    fn bbox_slots(&self, bbox: &BBox, filter: &CompiledFilter) -> Vec<Slot> {
        let mut slots = Vec::new();
        for part in bbox.split_at_antimeridian() {
            let envelope = aux_envelope(&part);
            for p in self.tree.locate_in_envelope(envelope) {
                let Some(entry) = self.live(p.data.0) else {
                    continue;
                };
                if part.contains(entry.point.lon, entry.point.lat) && filter.matches(entry) {
                    slots.push(p.data.0);
                }
            }
        }
        slots
    }

    fn time_slots(&self, filter: &CompiledFilter) -> Vec<Slot> {
        // An interval overlapping [since, until] starts at or before `until` and, since no
        // interval is longer than `max_span`, at or after `since - max_span`.
        let low = filter
            .since
            .map_or(i64::MIN, |s| s.saturating_sub(self.max_span));
        let high = filter.until.unwrap_or(i64::MAX);
        if low > high {
            return Vec::new();
        }
        self.by_time
            .range((low, Slot::MIN)..=(high, Slot::MAX))
            .map(|&(_, slot)| slot)
            .filter(|&slot| filter.matches(self.entry(slot)))
            .collect()
    }

    /// Orders matches newest first (ids are UUIDv7) and cuts the page.
    fn page_by_id(&self, mut slots: Vec<Slot>, page: &Page) -> IdPage {
        let matched = slots.len();
        let cmp = |a: &Slot, b: &Slot| self.entry(*b).id.cmp(&self.entry(*a).id);
        let end = page.offset.saturating_add(page.limit).min(matched);
        if end < matched && end > 0 {
            slots.select_nth_unstable_by(end - 1, cmp);
        }
        slots[..end].sort_unstable_by(cmp);
        let start = page.offset.min(end);
        IdPage {
            matched,
            hits: slots[start..end]
                .iter()
                .map(|&slot| RankedId {
                    id: self.entry(slot).id,
                    distance_m: None,
                })
                .collect(),
        }
    }

    /// Walks every report newest first: only for queries with no place or time to narrow them.
    fn scan_by_id(&self, filter: &CompiledFilter, page: &Page) -> IdPage {
        let hit = |(id, _): (&ReportId, &Slot)| RankedId {
            id: *id,
            distance_m: None,
        };
        if filter.is_empty() {
            return IdPage {
                matched: self.by_id.len(),
                hits: self
                    .by_id
                    .iter()
                    .rev()
                    .skip(page.offset)
                    .take(page.limit)
                    .map(hit)
                    .collect(),
            };
        }
        let mut matched = 0;
        let mut hits = Vec::new();
        for (id, &slot) in self.by_id.iter().rev() {
            if filter.matches(self.entry(slot)) {
                if matched >= page.offset && hits.len() < page.limit {
                    hits.push(RankedId {
                        id: *id,
                        distance_m: None,
                    });
                }
                matched += 1;
            }
        }
        IdPage { matched, hits }
    }
}

/// Calls `visit` with every tree point within `max_chord2` (squared chord) of `centre`, and
/// that squared chord.
///
/// A depth-first walk by recursion: rstar's own iterator keeps an explicit stack that costs
/// more than the distance tests at this tree size.
fn within_chord(
    node: &ParentNode<TreePoint>,
    centre: &[f64; 3],
    max_chord2: f64,
    visit: &mut impl FnMut(&TreePoint, f64),
) {
    for child in node.children() {
        match child {
            RTreeNode::Leaf(point) => {
                let chord2 = geodesy::chord_squared(point.geom(), centre);
                if chord2 <= max_chord2 {
                    visit(point, chord2);
                }
            }
            RTreeNode::Parent(parent) => {
                if parent.envelope().distance_2(centre) <= max_chord2 {
                    within_chord(parent, centre, max_chord2, visit);
                }
            }
        }
    }
}

/// Bits of a sort key that hold a result's position in `found`.
const POSITION_BITS: u32 = 20;

/// A distance in steps of 10 µm, the resolution at which results are ordered (ties then go
/// by id). Radii are at most [`geodesy::MAX_RADIUS_M`], so this fits in 41 bits.
fn distance_key(distance_m: f64) -> u64 {
    (distance_m * 1e5) as u64
}

/// Sorts just enough of `found` (by distance, then id) for the page, and returns the page.
///
/// It sorts packed integer keys (distance, then position in `found`), which is several
/// times faster than sorting the pairs, then orders runs of equal distance by id.
fn nearest_first_page(found: &[(f64, ReportId)], page: &Page) -> Vec<RankedId> {
    let end = page.offset.saturating_add(page.limit).min(found.len());
    let hit = |&(d, id): &(f64, ReportId)| RankedId {
        id,
        distance_m: Some(d),
    };
    if found.len() >= 1 << POSITION_BITS {
        let mut pairs = found.to_vec();
        let cmp = |a: &(f64, ReportId), b: &(f64, ReportId)| {
            (distance_key(a.0), a.1).cmp(&(distance_key(b.0), b.1))
        };
        if end < pairs.len() && end > 0 {
            pairs.select_nth_unstable_by(end - 1, cmp);
        }
        pairs[..end].sort_unstable_by(cmp);
        return pairs[page.offset.min(end)..end].iter().map(hit).collect();
    }
    if end == 0 {
        return Vec::new();
    }
    let mut keys: Vec<u64> = found
        .iter()
        .enumerate()
        .map(|(i, &(d, _))| distance_key(d) << POSITION_BITS | i as u64)
        .collect();
    let distance_of = |key: u64| key >> POSITION_BITS;
    if end < keys.len() {
        keys.select_nth_unstable(end - 1);
        // Results beyond the page at the same distance as its last compete by id for it.
        let boundary = distance_of(keys[end - 1]);
        let mut kept = end;
        for j in end..keys.len() {
            if distance_of(keys[j]) == boundary {
                keys.swap(kept, j);
                kept += 1;
            }
        }
        keys.truncate(kept);
    }
    keys.sort_unstable();
    let mut order: Vec<usize> = keys
        .iter()
        .map(|k| (k & ((1 << POSITION_BITS) - 1)) as usize)
        .collect();
    let mut start = 0;
    while start < keys.len() {
        let distance = distance_of(keys[start]);
        let stop = start
            + keys[start..]
                .iter()
                .take_while(|&&k| distance_of(k) == distance)
                .count();
        if stop - start > 1 {
            order[start..stop].sort_unstable_by_key(|&i| found[i].1);
        }
        start = stop;
    }
    order[page.offset.min(end)..end]
        .iter()
        .map(|&i| hit(&found[i]))
        .collect()
}

/// The box on the auxiliary sphere that holds every point of a lon/lat box (which must not
/// cross the antimeridian).
fn aux_envelope(bbox: &BBox) -> AABB<[f64; 3]> {
    let south = AuxPoint::new(0.0, bbox.min_lat);
    let north = AuxPoint::new(0.0, bbox.max_lat);
    let (z_min, z_max) = (south.xyz[2], north.xyz[2]);
    // cos β over the latitude range: smallest at an end, largest at the equator if crossed.
    let (cb_s, cb_n) = (south.xyz[0], north.xyz[0]);
    let cb_min = cb_s.min(cb_n);
    let cb_max = if bbox.min_lat <= 0.0 && bbox.max_lat >= 0.0 {
        1.0
    } else {
        cb_s.max(cb_n)
    };
    let (cos_min, cos_max) = trig_range(bbox.min_lon, bbox.max_lon, f64::cos, 0.0);
    let (sin_min, sin_max) = trig_range(bbox.min_lon, bbox.max_lon, f64::sin, 90.0);
    let product = |lo: f64, hi: f64| {
        let c = [cb_min * lo, cb_min * hi, cb_max * lo, cb_max * hi];
        (
            c.iter().copied().fold(f64::INFINITY, f64::min),
            c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        )
    };
    let (x_min, x_max) = product(cos_min, cos_max);
    let (y_min, y_max) = product(sin_min, sin_max);
    let pad = 1e-12;
    AABB::from_corners(
        [x_min - pad, y_min - pad, z_min - pad],
        [x_max + pad, y_max + pad, z_max + pad],
    )
}

/// Range of cos or sin over a longitude interval (degrees, min ≤ max, within ±180), given the
/// angle of its maximum (0° for cos, 90° for sin).
fn trig_range(min_lon: f64, max_lon: f64, f: fn(f64) -> f64, peak_deg: f64) -> (f64, f64) {
    let a = f(min_lon.to_radians());
    let b = f(max_lon.to_radians());
    let mut lo = a.min(b);
    let mut hi = a.max(b);
    let contains = |angle: f64| {
        [angle - 360.0, angle, angle + 360.0]
            .iter()
            .any(|x| (min_lon..=max_lon).contains(x))
    };
    if contains(peak_deg) {
        hi = 1.0;
    }
    if contains(peak_deg + 180.0) || contains(peak_deg - 180.0) {
        lo = -1.0;
    }
    (lo, hi)
}

/// A filter with its word lists turned into bit sets and tag ids.
struct CompiledFilter<'a> {
    since: Option<i64>,
    until: Option<i64>,
    kinds: Option<WordSet>,
    statuses: Option<WordSet>,
    source_types: Option<WordSet>,
    /// For each interned tag list, whether it holds a tag asked for.
    tag_lists: Option<Vec<bool>>,
    text: Option<&'a HashSet<ReportId>>,
    border_within_m: Option<f64>,
    coast_within_m: Option<f64>,
    in_sea: Option<bool>,
    /// Interned names asked for; an empty list matches nothing (no report has those names).
    provinces: Option<Vec<u32>>,
    countries: Option<Vec<u32>>,
    border_countries: Option<Vec<u32>>,
    /// Leave out entries that place private reports where the public sees them.
    without_private: bool,
}

impl<'a> CompiledFilter<'a> {
    fn new(
        filter: &Filter,
        tags: &TagInterner,
        names: &Names,
        text: Option<&'a HashSet<ReportId>>,
    ) -> Self {
        let ids = |wanted: &Option<Vec<String>>, key: fn(Option<&str>) -> String| {
            wanted.as_ref().map(|list| {
                list.iter()
                    .filter_map(|name| names.get(&key(Some(name))))
                    .collect::<Vec<u32>>()
            })
        };
        Self {
            border_within_m: filter.border_within_m,
            coast_within_m: filter.coast_within_m,
            in_sea: filter.in_sea,
            provinces: ids(&filter.provinces, Names::province_key),
            countries: ids(&filter.countries, Names::country_key),
            border_countries: ids(&filter.border_countries, Names::country_key),
            since: filter.since.map(|t| t.0),
            until: filter.until.map(|t| t.0),
            kinds: filter
                .kinds
                .clone()
                .map(|ks| ks.iter().fold(WordSet::default(), |s, k| s.with(k.bit()))),
            statuses: filter
                .statuses
                .clone()
                .map(|ss| ss.iter().fold(WordSet::default(), |s, k| s.with(k.bit()))),
            source_types: filter
                .source_types
                .clone()
                .map(|ts| ts.iter().fold(WordSet::default(), |s, k| s.with(k.bit()))),
            tag_lists: filter
                .tags
                .as_ref()
                .map(|wanted| tags.lists_with_any(wanted)),
            text,
            without_private: filter.without_private,
        }
    }

    fn has_time(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether the filter does nothing but leave out private entries.
    fn only_leaves_out_private(&self) -> bool {
        self.without_private && self.keeps_every_report()
    }

    fn is_empty(&self) -> bool {
        !self.without_private && self.keeps_every_report()
    }

    /// Whether no condition but the private flag is set.
    fn keeps_every_report(&self) -> bool {
        !self.has_time()
            && self.kinds.is_none()
            && self.statuses.is_none()
            && self.source_types.is_none()
            && self.tag_lists.is_none()
            && self.text.is_none()
            && self.border_within_m.is_none()
            && self.coast_within_m.is_none()
            && self.in_sea.is_none()
            && self.provinces.is_none()
            && self.countries.is_none()
            && self.border_countries.is_none()
    }

    fn matches(&self, e: &Entry) -> bool {
        !(self.without_private && e.private)
            && self.since.is_none_or(|s| e.to >= s)
            && self.until.is_none_or(|u| e.from <= u)
            && self.kinds.is_none_or(|k| k.contains(e.kind.bit()))
            && self.statuses.is_none_or(|k| k.contains(e.status.bit()))
            && self
                .source_types
                .is_none_or(|k| k.intersects(e.source_types))
            && self
                .tag_lists
                .as_ref()
                .is_none_or(|lists| lists[e.tags as usize])
            && self.text.is_none_or(|ids| ids.contains(&e.id))
            && self.border_within_m.is_none_or(|m| e.border_m <= m)
            && self.coast_within_m.is_none_or(|m| e.coast_m <= m)
            && self.in_sea.is_none_or(|s| e.in_sea == s)
            && self
                .provinces
                .as_ref()
                .is_none_or(|p| p.contains(&e.province))
            && self
                .countries
                .as_ref()
                .is_none_or(|c| c.contains(&e.country))
            && self
                .border_countries
                .as_ref()
                .is_none_or(|c| c.contains(&e.border_country))
    }
}

/// Province and country names, interned: an entry keeps a number for each. Id 0 is "none".
#[derive(Debug)]
struct Names {
    /// Folded keys (see [`Names::province_key`], [`Names::country_key`]) to ids.
    ids: HashMap<String, u32>,
    /// Each spelling already seen, by kind, to its id: building the index looks names up here
    /// without allocating a folded key per report.
    seen: [HashMap<String, u32>; 2],
    /// Each id's name as first seen (without the key's prefix and case folding).
    names: Vec<String>,
}

/// Which kind of name: provinces fold case to lower, country codes to upper.
#[derive(Debug, Clone, Copy)]
enum NameKind {
    Province = 0,
    Country = 1,
}

impl Default for Names {
    fn default() -> Self {
        Self {
            ids: HashMap::from([(String::new(), 0)]),
            seen: Default::default(),
            names: vec![String::new()],
        }
    }
}

impl Names {
    /// Provinces match whatever their case.
    fn province_key(name: Option<&str>) -> String {
        name.map(|n| format!("p:{}", n.trim().to_lowercase()))
            .unwrap_or_default()
    }

    /// Country codes are ISO alpha-2, upper case.
    fn country_key(code: Option<&str>) -> String {
        code.map(|c| format!("c:{}", c.trim().to_uppercase()))
            .unwrap_or_default()
    }

    /// The id of a name (0 for none), interning it if new.
    fn intern(&mut self, kind: NameKind, name: Option<&str>) -> u32 {
        let Some(name) = name else { return 0 };
        if let Some(&id) = self.seen[kind as usize].get(name) {
            return id;
        }
        let key = match kind {
            NameKind::Province => Self::province_key(Some(name)),
            NameKind::Country => Self::country_key(Some(name)),
        };
        let next = self.ids.len() as u32;
        let id = *self.ids.entry(key).or_insert(next);
        if id == next {
            self.names.push(name.trim().to_string());
        }
        self.seen[kind as usize].insert(name.to_string(), id);
        id
    }

    /// The name of an id, `None` for 0.
    fn name(&self, id: u32) -> Option<&str> {
        (id != 0).then(|| self.names[id as usize].as_str())
    }

    fn get(&self, key: &str) -> Option<u32> {
        self.ids.get(key).copied()
    }
}

/// Tags and tag lists, interned: reports share few distinct tag lists, so an entry keeps one
/// number for its list and building the index allocates nothing per report.
#[derive(Debug)]
struct TagInterner {
    tag_ids: HashMap<String, u32>,
    /// Every distinct list of tag ids; list 0 is the empty list.
    lists: Vec<Box<[u32]>>,
    list_ids: HashMap<Box<[u32]>, u32>,
    scratch: Vec<u32>,
}

impl Default for TagInterner {
    fn default() -> Self {
        Self {
            tag_ids: HashMap::new(),
            lists: vec![Box::default()],
            list_ids: HashMap::from([(Box::default(), 0)]),
            scratch: Vec::new(),
        }
    }
}

impl TagInterner {
    /// The id of a tag list.
    fn intern(&mut self, tags: &[String]) -> u32 {
        if tags.is_empty() {
            return 0;
        }
        self.scratch.clear();
        for tag in tags {
            let id = match self.tag_ids.get(tag.as_str()) {
                Some(&id) => id,
                None => {
                    let id = self.tag_ids.len() as u32;
                    self.tag_ids.insert(tag.clone(), id);
                    id
                }
            };
            self.scratch.push(id);
        }
        if let Some(&list) = self.list_ids.get(self.scratch.as_slice()) {
            return list;
        }
        let list = self.lists.len() as u32;
        let ids: Box<[u32]> = self.scratch.as_slice().into();
        self.lists.push(ids.clone());
        self.list_ids.insert(ids, list);
        list
    }

    /// For each tag list, whether it holds any of `wanted`.
    fn lists_with_any(&self, wanted: &[String]) -> Vec<bool> {
        let wanted: Vec<u32> = wanted
            .iter()
            .filter_map(|t| self.tag_ids.get(t).copied())
            .collect();
        self.lists
            .iter()
            .map(|list| list.iter().any(|t| wanted.contains(t)))
            .collect()
    }
}
