//! The first nearest-segment search, kept as the reference and to settle ties: an rstar
//! R-tree of the segments' chords, walked depth first, nearest node first, pruned by the
//! plain chord bound ([`geodesy::chord_for_min_distance`] plus the largest sagitta).
//!
//! When two segments lie at exactly the same distance (two lines that meet at a vertex, such
//! as two neighbours' borders at a tripoint), the first one the walk reaches wins; the
//! faster search ([`super::tree`]) flags such ties and asks this walk, so that every answer,
//! the neighbour at a tripoint included, is the one this walk has always given.

use crate::geospatial::geodesy::{self, AuxPoint};
use rstar::primitives::{GeomWithData, Line};
use rstar::{ParentNode, PointDistance, RTree, RTreeNode};

/// A segment's chord and its index.
pub(super) type Segment = GeomWithData<Line<[f64; 3]>, u32>;

/// The nearest candidate: its foot on the arc (a unit vector) and its segment.
pub(super) fn nearest(
    tree: &RTree<Segment>,
    max_sagitta: f64,
    p: &AuxPoint,
) -> Option<([f64; 3], u32)> {
    let mut search = Walk {
        p,
        max_sagitta,
        best: None,
        bound_2: f64::INFINITY,
    };
    if tree.size() > 0 {
        search.walk(tree.root());
    }
    search.best.map(|b| (b.foot, b.segment))
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
struct Walk<'a> {
    p: &'a AuxPoint,
    max_sagitta: f64,
    best: Option<Best>,
    /// The squared chord beyond which nothing can beat the best so far (infinite at first).
    bound_2: f64,
}

/// Children of one node, kept on the stack (rstar's nodes hold at most 6).
const MAX_CHILDREN: usize = 8;

impl Walk<'_> {
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
                    let (a, b) = (segment.geom().from, segment.geom().to);
                    let foot =
                        foot_on_arc(&a, &[b[0] - a[0], b[1] - a[1], b[2] - a[2]], &self.p.xyz);
                    let distance_m = geodesy::lambert_distance_xyz_m(self.p, &foot);
                    self.offer(distance_m, foot, segment.data);
                }
            }
        }
    }
}

/// The point of a segment's arc nearest to `p`: the foot of the perpendicular on the chord
/// from `a` along `ab` (the second end less the first), clamped to the segment and pushed out
/// onto the sphere, as a unit vector. Both searches measure every candidate with this, so
/// that they agree to the last bit.
pub(super) fn foot_on_arc(a: &[f64; 3], ab: &[f64; 3], p: &[f64; 3]) -> [f64; 3] {
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
