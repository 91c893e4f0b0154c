//! The nearest point on a set of polylines (borders, coasts), by geodesic distance on WGS84,
//! in microseconds.
//!
//! Each segment is stored as the straight chord between its end points on the auxiliary
//! sphere (see [`crate::geospatial::geodesy`]) in an rstar R-tree, searched by a depth-first
//! branch-and-bound walk ([`walk`]). Each candidate's nearest point is the foot of the
//! perpendicular on the chord, pushed back onto the sphere ([`walk::foot_on_arc`]);
//! candidates are ranked by Lambert's formula straight from the unit vectors (no trigonometry
//! but one `asin`), and only the winner is turned into longitude and latitude and measured
//! with Karney's algorithm.

mod walk;

use crate::geospatial::geodesy::{self, AuxPoint};
use rstar::RTree;
use rstar::primitives::Line;
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
    tree: RTree<Segment>,
    /// The line of each segment.
    line_of: Vec<u32>,
    /// The largest gap, in chord units, between a segment's chord and its arc.
    max_sagitta: f64,
}

impl LineSet {
    /// Indexes lines given as `[lon, lat]` vertex lists.
    pub fn new<'a>(lines: impl IntoIterator<Item = &'a [[f64; 2]]>) -> Self {
        let mut segments = Vec::new();
        let mut line_of = Vec::new();
        let mut max_sagitta: f64 = 0.0;
        for (line, vertices) in lines.into_iter().enumerate() {
            let points: Vec<[f64; 3]> = vertices
                .iter()
                .map(|v| AuxPoint::new(v[0], v[1]).xyz)
                .collect();
            for pair in points.windows(2) {
                max_sagitta = max_sagitta.max(sagitta(geodesy::chord_squared(&pair[0], &pair[1])));
                let id = line_of.len() as u32;
                segments.push(Segment::new(Line::new(pair[0], pair[1]), id));
                line_of.push(line as u32);
            }
        }
        Self {
            tree: RTree::bulk_load(segments),
            line_of,
            max_sagitta,
        }
    }

    /// Whether the set has no segments.
    pub fn is_empty(&self) -> bool {
        self.line_of.is_empty()
    }

    /// The nearest point of any line to `(lon, lat)`.
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<Nearest> {
        let p = AuxPoint::new(lon, lat);
        let (foot, segment) = walk::nearest(&self.tree, self.max_sagitta, &p)?;
        let (foot_lon, foot_lat) = geodesy::geodetic_of(&foot);
        let (distance_m, bearing_deg) = geodesy::distance_and_bearing(lon, lat, foot_lon, foot_lat);
        Some(Nearest {
            distance_m,
            bearing_deg,
            point: [foot_lon, foot_lat],
            line: self.line_of[segment as usize] as usize,
        })
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
            let scan = set
                .tree
                .iter()
                .map(|s| {
                    let (a, b) = (s.geom().from, s.geom().to);
                    let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
                    geodesy::lambert_distance_xyz_m(&p, &walk::foot_on_arc(&a, &ab, &p.xyz))
                })
                .fold(f64::INFINITY, f64::min);
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
    }
}
