//! The segments of a line set in a flat tree of eight-way nodes, searched for the segment
//! whose nearest point is nearest to a query point by Lambert's distance: the same segment,
//! with the same nearest point to the last bit, as a scan of every segment would find.
//!
//! Leaves hold eight consecutive segments of one line; each level above boxes eight nodes of
//! the level below, down to the root. Boxes are axis-aligned in the auxiliary sphere's 3-D
//! space and grown by their segments' largest sagitta, so that they hold the arcs and not
//! only the chords. A node's eight children are stored side by side (structure of arrays):
//! one pass computes their eight box distances and [`Bound::mask`] says which may hold a
//! nearer segment, with no branch per child. The search is depth first, nearest child
//! first, and starts from a candidate the caller supplies ([`super::seeds`]), so that the
//! bound is tight from the first node.
//!
//! Each segment that passes is measured as [`super::walk`] measures it (`foot_on_arc`, then
//! Lambert's formula), so the winner is the one the R-tree walk finds, unless two segments
//! are at exactly the same distance: then the answer is flagged as a tie, and the caller
//! asks the walk, whose order decides ties.

use super::bound::{self, Bound};
use super::walk::foot_on_arc;
use crate::geospatial::geodesy::{self, AuxPoint};

/// Children per node and segments per leaf.
const W: usize = 8;

/// Eight consecutive segments of one line.
#[derive(Debug, Clone)]
struct Leaf {
    /// First end of each segment, by coordinate.
    a: [[f64; W]; 3],
    /// Second end less the first, by coordinate.
    ab: [[f64; W]; 3],
    /// 1 / |ab|², for the prefilter only (0 for a segment of no length).
    inv_len2: [f64; W],
    /// The largest sagitta of the eight.
    sagitta: f64,
    /// A bit for each lane that holds a segment.
    lanes: u32,
}

/// The boxes of eight nodes of the level below.
#[derive(Debug, Clone)]
struct Group {
    lo: [[f64; W]; 3],
    hi: [[f64; W]; 3],
    lanes: u32,
}

/// A box: low and high corners.
type Aabb = ([f64; 3], [f64; 3]);

/// The nearest segment found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Hit {
    /// Lambert distance to its nearest point, metres.
    pub lambert_m: f64,
    /// That point, a unit vector on the auxiliary sphere.
    pub foot: [f64; 3],
    /// The segment's slot (see [`SegmentTree::line`]).
    pub slot: u32,
    /// Whether another segment lies at exactly the same distance, on another line or with
    /// another nearest point.
    pub tie: bool,
}

/// Segments in eight-way boxes.
#[derive(Debug)]
pub(super) struct SegmentTree {
    leaves: Vec<Leaf>,
    /// `levels[0]` boxes the leaves, eight to a group; each level boxes the groups of the one
    /// below; the last has a single group, the root.
    levels: Vec<Vec<Group>>,
    /// The line of each slot (leaf × 8 + lane).
    line_of: Vec<u32>,
}

impl SegmentTree {
    /// The segments of lines given as auxiliary-sphere vertex lists.
    pub(super) fn new(lines: &[Vec<[f64; 3]>]) -> Self {
        let mut leaves = Vec::new();
        let mut boxes = Vec::new();
        let mut line_of = Vec::new();
        for (line, vertices) in lines.iter().enumerate() {
            let segments: Vec<&[[f64; 3]]> = vertices.windows(2).collect();
            for run in segments.chunks(W) {
                let (leaf, aabb) = leaf(run);
                leaves.push(leaf);
                boxes.push(aabb);
                line_of.extend((0..W).map(|k| if k < run.len() { line as u32 } else { u32::MAX }));
            }
        }
        let mut levels = Vec::new();
        while !boxes.is_empty() {
            let groups: Vec<Group> = boxes.chunks(W).map(group).collect();
            let last = groups.len() == 1;
            boxes = if last {
                Vec::new()
            } else {
                groups.iter().map(bounds).collect()
            };
            levels.push(groups);
        }
        // The search's stack holds at most eight nodes a level (8¹⁵ leaves would need more).
        assert!(levels.len() < 16, "too many segments for the tree");
        Self {
            leaves,
            levels,
            line_of,
        }
    }

    /// Whether the tree holds no segment.
    pub(super) fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// The line a slot's segment belongs to, in the order given to [`SegmentTree::new`].
    pub(super) fn line(&self, slot: u32) -> usize {
        self.line_of[slot as usize] as usize
    }

    /// The nearest segment to `p`, starting from the segment in slot `seed` if given.
    pub(super) fn nearest(&self, p: &AuxPoint, seed: Option<u32>) -> Option<Hit> {
        if self.is_empty() {
            return None;
        }
        let mut search = Search {
            p,
            best: None,
            best_line: u32::MAX,
            bound: Bound::open(p.xyz[2]),
            seed: u32::MAX,
        };
        if let Some(slot) =
            seed.filter(|&s| self.line_of.get(s as usize).is_some_and(|&l| l != u32::MAX))
        {
            search.seed = slot;
            self.measure(&mut search, slot);
        }
        // Depth first: (level, group or leaf), nearest child on top. Each group pushes at
        // most eight, so the stack never holds more than eight a level (see `new`).
        let mut stack = [(0u32, 0u32); 8 * 16];
        stack[0] = (self.levels.len() as u32, 0);
        let mut len = 1;
        while len > 0 {
            len -= 1;
            let (level, index) = stack[len];
            if level == 0 {
                self.visit_leaf(&mut search, index as usize);
                continue;
            }
            let group = &self.levels[level as usize - 1][index as usize];
            let d2 = box_distances(group, &p.xyz);
            let mut mask = search.bound.mask(&d2, &group.lo[2], &group.hi[2], 0.0) & group.lanes;
            let first = len;
            while mask != 0 {
                let k = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                // Insertion by distance, farthest lowest.
                let mut i = len;
                while i > first && d2[stack[i - 1].1 as usize % W] < d2[k] {
                    stack[i] = stack[i - 1];
                    i -= 1;
                }
                stack[i] = (level - 1, (index as usize * W + k) as u32);
                len += 1;
            }
        }
        search.best
    }

    /// Measures the segment in `slot` and offers it.
    fn measure(&self, search: &mut Search, slot: u32) {
        let leaf = &self.leaves[slot as usize / W];
        let k = slot as usize % W;
        let a = [leaf.a[0][k], leaf.a[1][k], leaf.a[2][k]];
        let ab = [leaf.ab[0][k], leaf.ab[1][k], leaf.ab[2][k]];
        let foot = foot_on_arc(&a, &ab, &search.p.xyz);
        let lambert_m = geodesy::lambert_distance_xyz_m(search.p, &foot);
        search.offer(lambert_m, foot, slot, self.line_of[slot as usize]);
    }

    /// Tests a leaf's eight segments at once, then measures those that may be nearer.
    fn visit_leaf(&self, search: &mut Search, index: usize) {
        let leaf = &self.leaves[index];
        let p = search.p.xyz;
        let (mut d2, mut z_lo, mut z_hi) = ([0.0; W], [0.0; W], [0.0; W]);
        for k in 0..W {
            let ap = [
                p[0] - leaf.a[0][k],
                p[1] - leaf.a[1][k],
                p[2] - leaf.a[2][k],
            ];
            let dot = ap[0] * leaf.ab[0][k] + ap[1] * leaf.ab[1][k] + ap[2] * leaf.ab[2][k];
            // The chord's nearest point to p. Multiplying by the inverse moves it along the
            // chord by a few ulps at most, which lengthens d2 by their square: nothing
            // against the bound's margin.
            let t = bound::min(bound::max(dot * leaf.inv_len2[k], 0.0), 1.0);
            let e = [
                ap[0] - t * leaf.ab[0][k],
                ap[1] - t * leaf.ab[1][k],
                ap[2] - t * leaf.ab[2][k],
            ];
            d2[k] = e[0] * e[0] + e[1] * e[1] + e[2] * e[2];
            let (za, zb) = (leaf.a[2][k], leaf.a[2][k] + leaf.ab[2][k]);
            z_lo[k] = bound::min(za, zb) - leaf.sagitta;
            z_hi[k] = bound::max(za, zb) + leaf.sagitta;
        }
        let mut mask = search.bound.mask(&d2, &z_lo, &z_hi, leaf.sagitta) & leaf.lanes;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let slot = (index * W + k) as u32;
            if slot != search.seed {
                self.measure(search, slot);
            }
        }
    }
}

/// A leaf of up to eight consecutive segments (given by their end points), and its box.
fn leaf(run: &[&[[f64; 3]]]) -> (Leaf, Aabb) {
    let mut leaf = Leaf {
        a: [[0.0; W]; 3],
        ab: [[0.0; W]; 3],
        inv_len2: [0.0; W],
        sagitta: 0.0,
        lanes: (1 << run.len()) - 1,
    };
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for (k, ends) in run.iter().enumerate() {
        let (a, b) = (ends[0], ends[1]);
        let ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let len2 = ab[0] * ab[0] + ab[1] * ab[1] + ab[2] * ab[2];
        for d in 0..3 {
            leaf.a[d][k] = a[d];
            leaf.ab[d][k] = ab[d];
            lo[d] = lo[d].min(a[d]).min(b[d]);
            hi[d] = hi[d].max(a[d]).max(b[d]);
        }
        leaf.inv_len2[k] = if len2 > 0.0 { 1.0 / len2 } else { 0.0 };
        leaf.sagitta = leaf.sagitta.max(super::sagitta(len2));
    }
    // Grown by the sagitta, the box holds the arcs as well as the chords.
    for d in 0..3 {
        lo[d] -= leaf.sagitta;
        hi[d] += leaf.sagitta;
    }
    (leaf, (lo, hi))
}

/// The boxes of up to eight nodes, side by side.
fn group(boxes: &[Aabb]) -> Group {
    let mut group = Group {
        lo: [[0.0; W]; 3],
        hi: [[0.0; W]; 3],
        lanes: (1 << boxes.len()) - 1,
    };
    for (k, (lo, hi)) in boxes.iter().enumerate() {
        for d in 0..3 {
            group.lo[d][k] = lo[d];
            group.hi[d][k] = hi[d];
        }
    }
    group
}

/// The box around a group's boxes.
fn bounds(group: &Group) -> Aabb {
    let (mut lo, mut hi) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
    for k in (0..W).filter(|k| group.lanes & (1 << k) != 0) {
        for d in 0..3 {
            lo[d] = lo[d].min(group.lo[d][k]);
            hi[d] = hi[d].max(group.hi[d][k]);
        }
    }
    (lo, hi)
}

/// Squared distances from `p` to a group's eight boxes (0 inside).
#[inline(always)]
fn box_distances(group: &Group, p: &[f64; 3]) -> [f64; W] {
    let mut d2 = [0.0; W];
    for (k, out) in d2.iter_mut().enumerate() {
        for (d, &pd) in p.iter().enumerate() {
            let e = bound::max(bound::max(group.lo[d][k] - pd, pd - group.hi[d][k]), 0.0);
            *out += e * e;
        }
    }
    d2
}

/// One search's state: the best candidate so far and the bound it sets.
struct Search<'a> {
    p: &'a AuxPoint,
    best: Option<Hit>,
    /// The best candidate's line.
    best_line: u32,
    bound: Bound,
    /// The slot measured before the walk, not to be measured again.
    seed: u32,
}

impl Search<'_> {
    /// Keeps a candidate if it is nearer than the best so far; notes a tie if it is exactly
    /// as near but on another line or with another nearest point.
    fn offer(&mut self, lambert_m: f64, foot: [f64; 3], slot: u32, line: u32) {
        if let Some(best) = &mut self.best {
            if lambert_m > best.lambert_m {
                return;
            }
            if lambert_m == best.lambert_m {
                best.tie |= foot != best.foot || line != self.best_line;
                return;
            }
        }
        self.best = Some(Hit {
            lambert_m,
            foot,
            slot,
            tie: false,
        });
        self.best_line = line;
        self.bound = Bound::new(self.p.xyz[2], lambert_m);
    }
}
