//! The nearest point on a set of polylines (borders, coasts), by geodesic distance on WGS84,
//! in microseconds.
//!
//! Each segment is stored as the straight chord between its end points on the auxiliary
//! sphere (see [`crate::geospatial::geodesy`]) in an rstar R-tree. A depth-first branch-and-bound walk
//! visits nodes nearest first: a node's or segment's 3-D distance from the query point bounds
//! the geodesic distance from below once the segments' bulge (their sagitta) is allowed for, so
//! any subtree that cannot hold a nearer segment than the best so far is skipped. Each
//! candidate's nearest point is the foot of the perpendicular on the chord, pushed back onto
//! the sphere; candidates are ranked by Lambert's formula straight from the unit vectors (no
//! trigonometry but one `asin`), and only the winner is turned into longitude and latitude and
//! measured with Karney's algorithm.

use crate::geospatial::geodesy::{self, AuxPoint};
use rstar::primitives::{GeomWithData, Line};
use rstar::{ParentNode, PointDistance, RTree, RTreeNode};

type Segment = GeomWithData<Line<[f64; 3]>, u32>;

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
                let chord2 = geodesy::chord_squared(&pair[0], &pair[1]);
                // A chord of length c lies 1 - sqrt(1 - c²/4) inside its arc at the middle.
                max_sagitta = max_sagitta.max(1.0 - (1.0 - chord2 / 4.0).max(0.0).sqrt());
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
        if self.is_empty() {
            return None;
        }
        let p = AuxPoint::new(lon, lat);
        let mut search = Search {
            p: &p,
            max_sagitta: self.max_sagitta,
            best: None,
            bound_2: f64::INFINITY,
        };
        search.walk(self.tree.root());
        let Best { foot, segment, .. } = search.best?;
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

/// The nearest candidate so far.
struct Best {
    /// Lambert distance, metres.
    distance_m: f64,
    /// The foot on the arc, a unit vector on the auxiliary sphere.
    foot: [f64; 3],
    segment: u32,
}

/// One nearest-point search: a depth-first branch and bound over the tree.
struct Search<'a> {
    p: &'a AuxPoint,
    max_sagitta: f64,
    best: Option<Best>,
    /// The squared chord beyond which nothing can beat the best so far (infinite at first).
    bound_2: f64,
}

/// Children of one node, kept on the stack (rstar's nodes hold at most 6).
const MAX_CHILDREN: usize = 8;

impl Search<'_> {
    /// Records a candidate if it is the nearest so far, and tightens the bound: a segment
    /// whose chord, less the sagitta, spans more than the best distance cannot be nearer.
    fn offer(&mut self, distance_m: f64, foot: [f64; 3], segment: u32) {
        if self
            .best
            .as_ref()
            .is_some_and(|b| distance_m >= b.distance_m)
        {
            return;
        }
        self.best = Some(Best {
            distance_m,
            foot,
            segment,
        });
        let chord = geodesy::chord_for_min_distance(distance_m) + self.max_sagitta;
        self.bound_2 = chord * chord;
    }

    fn walk(&mut self, node: &ParentNode<Segment>) {
        // Children nearest first, so that a good bound is found early.
        let children = node.children();
        if children.len() > MAX_CHILDREN {
            let mut order: Vec<(f64, &RTreeNode<Segment>)> =
                children.iter().map(|c| (self.distance_2(c), c)).collect();
            order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
            return self.visit(&order);
        }
        let mut order = [(f64::INFINITY, &children[0]); MAX_CHILDREN];
        for (slot, child) in order.iter_mut().zip(children) {
            *slot = (self.distance_2(child), child);
        }
        let order = &mut order[..children.len()];
        order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        self.visit(order);
    }

    fn distance_2(&self, child: &RTreeNode<Segment>) -> f64 {
        match child {
            RTreeNode::Leaf(segment) => segment.distance_2(&self.p.xyz),
            RTreeNode::Parent(parent) => parent.envelope().distance_2(&self.p.xyz),
        }
    }

    fn visit(&mut self, order: &[(f64, &RTreeNode<Segment>)]) {
        for &(d2, child) in order {
            if d2 > self.bound_2 {
                // The rest are farther still.
                break;
            }
            match child {
                RTreeNode::Parent(parent) => self.walk(parent),
                RTreeNode::Leaf(segment) => {
                    let foot = foot_on_arc(segment.geom(), &self.p.xyz);
                    let distance_m = geodesy::lambert_distance_xyz_m(self.p, &foot);
                    self.offer(distance_m, foot, segment.data);
                }
            }
        }
    }
}

/// The point of a segment's arc nearest to `p`: the foot of the perpendicular on the chord,
/// clamped to the segment and pushed out onto the sphere, as a unit vector.
fn foot_on_arc(line: &Line<[f64; 3]>, p: &[f64; 3]) -> [f64; 3] {
    let (a, b) = (line.from, line.to);
    let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    let ap = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    let len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
    let t = if len2 > 0.0 {
        ((ap[0] * ab[0] + ap[1] * ab[1] + ap[2] * ab[2]) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let c = [a[0] + t * ab[0], a[1] + t * ab[1], a[2] + t * ab[2]];
    let norm = (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt();
    [c[0] / norm, c[1] / norm, c[2] / norm]
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
                .map(|s| geodesy::lambert_distance_xyz_m(&p, &foot_on_arc(s.geom(), &p.xyz)))
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
