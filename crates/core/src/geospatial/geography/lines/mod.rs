//! The nearest point on a set of polylines (borders, coasts), by geodesic distance on WGS84,
//! in about a microsecond (half of it Karney's algorithm for the winner).
//!
//! Segments are chords between their end points on the auxiliary sphere (see
//! [`crate::geospatial::geodesy`]). A candidate's nearest point is the foot of the
//! perpendicular on the chord, pushed back onto the sphere ([`walk::foot_on_arc`]);
//! candidates are ranked by Lambert's formula straight from the unit vectors, and only the
//! winner is turned into longitude and latitude and measured with Karney's algorithm.
//!
//! Finding the winner: a flat eight-way tree of the segments ([`tree`]), pruned by a bound on
//! Lambert's distance that is tight to metres ([`bound`]) and started from the segment
//! nearest to the centre of the point's grid cell ([`seeds`]). It finds the same segment as a
//! scan of every segment; where two segments are at exactly the same distance it defers to
//! the R-tree walk that came before it ([`walk`]), so answers are unchanged to the bit.

mod bound;
mod seeds;
mod tree;
mod walk;

use crate::geospatial::geodesy::{self, AuxPoint};
use rstar::RTree;
use rstar::primitives::Line;
use seeds::SeedGrid;
use std::sync::OnceLock;
use tree::SegmentTree;
use walk::Segment;

/// The nearest point of a line set to a query point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Nearest {
    /// Geodesic distance, metres.
    pub distance_m: f64,
    /// The nearest point, `[lon, lat]` in degrees.
    pub point: [f64; 2],
    /// Initial bearing from the query point to `point`, degrees clockwise from north.
    pub bearing_deg: f64,
    /// Which of the set's lines it lies on, in the order given to [`LineSet::new`].
    pub line: usize,
}

/// Polylines indexed for nearest-point queries.
#[derive(Debug)]
pub struct LineSet {
    segments: SegmentTree,
    /// The area the seeds cover (see [`LineSet::seeded`]).
    seed_bbox: Option<[f64; 4]>,
    /// Where each query starts, built at the first query.
    seeds: OnceLock<Option<SeedGrid>>,
    /// The R-tree walk, for ties.
    tree: RTree<Segment>,
    /// The line of each of the R-tree's segments.
    line_of: Vec<u32>,
    /// The largest gap, in chord units, between a segment's chord and its arc.
    max_sagitta: f64,
}

impl LineSet {
    /// Indexes lines given as `[lon, lat]` vertex lists.
    pub fn new<'a>(lines: impl IntoIterator<Item = &'a [[f64; 2]]>) -> Self {
        let lines: Vec<Vec<[f64; 3]>> = lines
            .into_iter()
            .map(|vertices| {
                vertices
                    .iter()
                    .map(|v| AuxPoint::new(v[0], v[1]).xyz)
                    .collect()
            })
            .collect();
        let mut segments = Vec::new();
        let mut line_of = Vec::new();
        let mut max_sagitta: f64 = 0.0;
        for (line, points) in lines.iter().enumerate() {
            for pair in points.windows(2) {
                max_sagitta = max_sagitta.max(sagitta(geodesy::chord_squared(&pair[0], &pair[1])));
                let id = line_of.len() as u32;
                segments.push(Segment::new(Line::new(pair[0], pair[1]), id));
                line_of.push(line as u32);
            }
        }
        Self {
            segments: SegmentTree::new(&lines),
            seed_bbox: None,
            seeds: OnceLock::new(),
            tree: RTree::bulk_load(segments),
            line_of,
            max_sagitta,
        }
    }

    /// The same set, with a first candidate for every point of `bbox`
    /// (`[min_lon, min_lat, max_lon, max_lat]`, the region's): queries there are several
    /// times faster. The candidates are found at the first query (about 10 ms for the
    /// region's borders), so that loading a region does not wait for them.
    pub fn seeded(mut self, bbox: [f64; 4]) -> Self {
        self.seed_bbox = Some(bbox);
        self
    }

    /// Whether the set has no segments.
    pub fn is_empty(&self) -> bool {
        self.line_of.is_empty()
    }

    /// The nearest point of any line to `(lon, lat)`.
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<Nearest> {
        let (foot, line) = self.nearest_foot(&AuxPoint::new(lon, lat))?;
        let (foot_lon, foot_lat) = geodesy::geodetic_of(&foot);
        let (distance_m, bearing_deg) = geodesy::distance_and_bearing(lon, lat, foot_lon, foot_lat);
        Some(Nearest {
            distance_m,
            bearing_deg,
            point: [foot_lon, foot_lat],
            line,
        })
    }

    /// The geodesic distance in metres from `p` to the nearest line, and that line: the
    /// `distance_m` and `line` of [`LineSet::nearest`], without the bearing.
    pub fn distance(&self, p: &AuxPoint) -> Option<(f64, usize)> {
        let (foot, line) = self.nearest_foot(p)?;
        let (foot_lon, foot_lat) = geodesy::geodetic_of(&foot);
        let distance_m = geodesy::geodesic_distance_m(p.lon, p.lat, foot_lon, foot_lat);
        Some((distance_m, line))
    }

    /// The nearest point (a unit vector on the auxiliary sphere) and its line.
    fn nearest_foot(&self, p: &AuxPoint) -> Option<([f64; 3], usize)> {
        let seeds = self.seed_bbox.and_then(|bbox| {
            self.seeds
                .get_or_init(|| SeedGrid::new(&self.segments, bbox))
                .as_ref()
        });
        let seed = seeds.and_then(|s| s.seed(p.lon, p.lat));
        let hit = self.segments.nearest(p, seed)?;
        if hit.tie {
            return self.walked_foot(p);
        }
        Some((hit.foot, self.segments.line(hit.slot)))
    }

    /// Every segment measured, for tests: its Lambert distance from `p`, its foot and its
    /// line, in the R-tree's order.
    #[cfg(test)]
    pub(crate) fn measure_all<'a>(
        &'a self,
        p: &'a AuxPoint,
    ) -> impl Iterator<Item = (f64, [f64; 3], usize)> + 'a {
        self.tree.iter().map(move |s| {
            let (a, b) = (s.geom().from, s.geom().to);
            let foot = walk::foot_on_arc(&a, &[b[0] - a[0], b[1] - a[1], b[2] - a[2]], &p.xyz);
            let d = geodesy::lambert_distance_xyz_m(p, &foot);
            (d, foot, self.line_of[s.data as usize] as usize)
        })
    }

    /// The scan of every segment, for tests: the least Lambert distance, its foot and line,
    /// and whether another segment ties with it (on another line, or with another foot).
    #[cfg(test)]
    pub(crate) fn scan(&self, p: &AuxPoint) -> (f64, [f64; 3], usize, bool) {
        let mut best = (f64::INFINITY, [0.0; 3], usize::MAX, false);
        for (d, foot, line) in self.measure_all(p) {
            if d < best.0 {
                best = (d, foot, line, false);
            } else if d == best.0 && (foot != best.1 || line != best.2) {
                best.3 = true;
            }
        }
        best
    }

    /// What the R-tree walk finds.
    pub(crate) fn walked_foot(&self, p: &AuxPoint) -> Option<([f64; 3], usize)> {
        let (foot, segment) = walk::nearest(&self.tree, self.max_sagitta, p)?;
        Some((foot, self.line_of[segment as usize] as usize))
    }
}

/// How far, in chord units, the middle of a chord whose square is `chord2` lies inside its
/// arc: 1 − √(1 − c²/4).
fn sagitta(chord2: f64) -> f64 {
    1.0 - (1.0 - chord2 / 4.0).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift64: uniform in [0, 1).
    fn uniform(seed: &mut u64) -> f64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Lines to search: a dense wiggly line (a border along a river), a coarse one with
    /// segments of tens of kilometres (the bulge of their arcs matters), a closed ring, and
    /// two lines that meet the first at its ends (tripoints, where segments tie).
    fn test_lines() -> Vec<Vec<[f64; 2]>> {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        let wiggly: Vec<[f64; 2]> = (0..3_000)
            .map(|i| {
                let t = i as f64 / 3_000.0;
                let jitter = 0.002 * (uniform(&mut seed) - 0.5);
                [
                    45.0 + 3.0 * t + jitter,
                    38.0 + 0.5 * (t * 9.0).sin() + jitter,
                ]
            })
            .collect();
        let coarse = vec![
            [48.0, 36.0],
            [48.3, 36.4],
            [48.9, 36.45],
            [49.2, 36.1],
            [49.25, 35.5],
        ];
        let ring: Vec<[f64; 2]> = (0..=400)
            .map(|i| {
                let a = i as f64 / 400.0 * std::f64::consts::TAU;
                [51.0 + 1.5 * a.cos(), 40.0 + a.sin()]
            })
            .collect();
        let start = wiggly[0];
        let end = *wiggly.last().unwrap();
        let west = vec![start, [44.5, 37.0], [44.0, 35.5]];
        let east = vec![end, [48.5, 39.5], [49.5, 41.0]];
        vec![wiggly, coarse, ring, west, east]
    }

    fn indexed(lines: &[Vec<[f64; 2]>], bbox: Option<[f64; 4]>) -> LineSet {
        let set = LineSet::new(lines.iter().map(|l| l.as_slice()));
        match bbox {
            Some(bbox) => set.seeded(bbox),
            None => set,
        }
    }

    #[test]
    fn the_tree_finds_what_a_scan_of_every_segment_finds() {
        let lines = test_lines();
        // Seeded over part of the points' area: the rest are searched without a seed.
        let seeded = indexed(&lines, Some([44.0, 35.0, 52.0, 41.0]));
        let bare = indexed(&lines, None);
        let mut points = Vec::new();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..1_500 {
            points.push((
                42.0 + 12.0 * uniform(&mut seed),
                33.0 + 10.0 * uniform(&mut seed),
            ));
        }
        // On and next to vertices, the tripoints among them.
        for line in &lines {
            for v in line.iter().step_by(37).chain(line.last()) {
                for (dx, dy) in [(0.0, 0.0), (1e-9, -1e-9), (-2e-5, 1e-5), (0.003, -0.004)] {
                    points.push((v[0] + dx, v[1] + dy));
                }
            }
        }
        let mut ties = 0;
        for (lon, lat) in points {
            let p = AuxPoint::new(lon, lat);
            let (d, foot, line, tie) = seeded.scan(&p);
            let walked = seeded.walked_foot(&p).unwrap();
            for set in [&seeded, &bare] {
                let (got_foot, got_line) = set.nearest_foot(&p).unwrap();
                // Exactly the walk's answer, ties included.
                assert_eq!((got_foot, got_line), walked, "({lon}, {lat})");
                // And the scan's: the same least distance, and where no other segment ties,
                // the same foot on the same line.
                assert_eq!(
                    geodesy::lambert_distance_xyz_m(&p, &got_foot),
                    d,
                    "({lon}, {lat})"
                );
                if !tie {
                    assert_eq!((got_foot, got_line), (foot, line), "({lon}, {lat})");
                }
            }
            ties += tie as usize;
        }
        // The tripoints and the ring's closing vertex did tie.
        assert!(ties > 0);
    }

    #[test]
    fn distance_is_nearest_without_the_bearing() {
        let lines = test_lines();
        let set = indexed(&lines, Some([44.0, 35.0, 52.0, 41.0]));
        for (lon, lat) in [(46.0, 37.0), (50.5, 40.2), (43.0, 34.0), (48.6, 36.43)] {
            let nearest = set.nearest(lon, lat).unwrap();
            let (distance_m, line) = set.distance(&AuxPoint::new(lon, lat)).unwrap();
            assert_eq!(distance_m.to_bits(), nearest.distance_m.to_bits());
            assert_eq!(line, nearest.line);
        }
    }

    /// The exact distance to a polyline by brute force: every segment's geodesic sampled every
    /// few metres with GeographicLib, and the nearest sample kept.
    fn brute_force(line: &[[f64; 2]], lon: f64, lat: f64) -> f64 {
        use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
        let g = Geodesic::wgs84();
        let mut best = f64::INFINITY;
        for pair in line.windows(2) {
            let (s12, azi1, _, _): (f64, f64, f64, f64) =
                g.inverse(pair[0][1], pair[0][0], pair[1][1], pair[1][0]);
            let steps = (s12 / 5.0).ceil().max(1.0) as usize;
            for i in 0..=steps {
                let (lat2, lon2) =
                    g.direct(pair[0][1], pair[0][0], azi1, s12 * i as f64 / steps as f64);
                let d: f64 = g.inverse(lat, lon, lat2, lon2);
                best = best.min(d);
            }
        }
        best
    }

    #[test]
    fn nearest_point_matches_a_dense_geodesic_scan() {
        // A zigzag of long segments (tens of km), where the chord's bulge matters most.
        let line = [
            [48.0, 38.0],
            [48.3, 38.4],
            [48.9, 38.45],
            [49.2, 38.1],
            [49.25, 37.5],
        ];
        let set = LineSet::new([&line[..]]);
        for (lon, lat) in [
            (48.5, 38.0),
            (49.0, 38.9),
            (47.0, 37.0),
            (49.6, 37.3),
            (48.6, 38.43),
            (49.25, 37.4),
        ] {
            let got = set.nearest(lon, lat).unwrap();
            let want = brute_force(&line, lon, lat);
            assert!(
                (got.distance_m - want).abs() <= (want * 0.001).max(10.0),
                "({lon}, {lat}): {} vs {want}",
                got.distance_m
            );
            // The reported point is where that distance is reached.
            let to_point = geodesy::geodesic_distance_m(lon, lat, got.point[0], got.point[1]);
            assert!((to_point - got.distance_m).abs() < 1e-6);
        }
    }

    #[test]
    fn the_pruned_walk_finds_what_a_scan_of_every_segment_finds() {
        // A long, gently curving line of 2,000 short segments, where many segments lie at
        // nearly the same distance from far points: the case where a bound that is too tight
        // would skip the nearest one.
        let line: Vec<[f64; 2]> = (0..2_001)
            .map(|i| {
                let t = i as f64 / 2_000.0;
                [46.0 + 6.0 * t, 38.0 + 0.8 * (t * 3.0).sin()]
            })
            .collect();
        let set = LineSet::new([&line[..]]);
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..300 {
            let (lon, lat) = (42.0 + 14.0 * next(), 33.0 + 10.0 * next());
            let p = AuxPoint::new(lon, lat);
            let scan = set.scan(&p).0;
            let walked = set.nearest(lon, lat).unwrap();
            // The walk's winner is the scan's: measured by Karney, it agrees with the scan's
            // Lambert distance to Lambert's accuracy.
            assert!(
                (walked.distance_m - scan).abs() <= 1e-4 * scan.max(1.0),
                "({lon}, {lat}): walk {} vs scan {scan}",
                walked.distance_m
            );
        }
    }

    #[test]
    fn reports_which_line_is_nearest() {
        let a = [[48.0, 38.0], [48.0, 39.0]];
        let b = [[49.0, 38.0], [49.0, 39.0]];
        let set = LineSet::new([&a[..], &b[..]]);
        assert_eq!(set.nearest(48.2, 38.5).unwrap().line, 0);
        assert_eq!(set.nearest(48.8, 38.5).unwrap().line, 1);
        assert!(
            LineSet::new(std::iter::empty())
                .nearest(48.0, 38.0)
                .is_none()
        );
        assert!(
            LineSet::new(std::iter::empty())
                .seeded([44.0, 35.0, 55.0, 42.0])
                .nearest(48.0, 38.0)
                .is_none()
        );
    }
}
