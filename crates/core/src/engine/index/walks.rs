//! The index's walks: radius (by point or overlapping uncertainty), nearest, box and time
//! scans, and the paging of their answers.

use super::filter::CompiledFilter;
use super::{IdPage, RankedId, ReportIndex, Slot, TreePoint};
use crate::domain::model::ReportId;
use crate::engine::query::{BBox, Page};
use crate::geospatial::geodesy::{self, AuxPoint};
use rstar::{AABB, ParentNode, RTreeNode};

impl ReportIndex {
    pub(super) fn radius(
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
    pub(super) fn radius_overlapping(
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
    pub(super) fn nearest(
        &self,
        centre: AuxPoint,
        k: usize,
        filter: &CompiledFilter,
        page: &Page,
    ) -> IdPage {
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

    pub(super) fn bbox_slots(&self, bbox: &BBox, filter: &CompiledFilter) -> Vec<Slot> {
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

    pub(super) fn time_slots(&self, filter: &CompiledFilter) -> Vec<Slot> {
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
    pub(super) fn page_by_id(&self, mut slots: Vec<Slot>, page: &Page) -> IdPage {
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
    pub(super) fn scan_by_id(&self, filter: &CompiledFilter, page: &Page) -> IdPage {
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
        if let Some(changed) = filter.only_leaves_out_changed() {
            // A past moment's page of everything: the changed reports skipped, and counted
            // off rather than every entry tested.
            let held =
                |(id, slot): &(&ReportId, &Slot)| changed.holds(id, self.entry(**slot).version);
            let gone = changed
                .ids()
                .filter(|id| {
                    self.by_id
                        .get(id)
                        .is_some_and(|&slot| changed.holds(id, self.entry(slot).version))
                })
                .count();
            return IdPage {
                matched: self.by_id.len() - gone,
                hits: self
                    .by_id
                    .iter()
                    .rev()
                    .filter(|e| !held(e))
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
pub(super) fn distance_key(distance_m: f64) -> u64 {
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
