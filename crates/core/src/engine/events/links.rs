//! Where to look for the reports linked to one: a tree over place *and* time. Links need
//! observation intervals within `gap_h`, so a tree of places alone would offer every report
//! ever made near a busy town; here a report of an ordinary interval is a point in four
//! dimensions (its unit vector on the auxiliary sphere and its start), and a query is a box
//! around the member in both. Reports observed over more than [`LONG_S`] ("during the war")
//! are kept apart in a tree of places, since their starts say little of their ends.

use super::member::Member;
use crate::domain::model::ReportId;
use crate::geospatial::geodesy::{chord_squared, max_chord_for};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

/// Intervals longer than this, in seconds, are kept by place alone.
pub const LONG_S: i64 = 6 * 3_600;

/// Seconds to the tree's time axis: an hour weighs about as much as 10 km of chord, so that
/// the tree splits on time and place alike.
const TIME_SCALE: f64 = (10_000.0 / 6_371_000.0) / 3_600.0;

type Timed = GeomWithData<[f64; 4], ReportId>;
type Placed = GeomWithData<[f64; 3], ReportId>;

/// Members by place and time.
#[derive(Debug)]
pub struct LinkTree {
    timed: RTree<Timed>,
    long: RTree<Placed>,
    /// The largest uncertainty radius ever inserted: a query reaches this far beyond the
    /// member's own (a bound, never lowered).
    reach_m: f64,
    /// The longest interval ever inserted into `timed` (at most [`LONG_S`]): a query looks
    /// this far before the member's start (a bound, never lowered).
    longest_s: i64,
}

impl Default for LinkTree {
    fn default() -> Self {
        Self {
            timed: RTree::new(),
            long: RTree::new(),
            reach_m: 0.0,
            longest_s: 0,
        }
    }
}

fn is_long(m: &Member) -> bool {
    m.to - m.from > LONG_S
}

fn timed(m: &Member) -> Timed {
    let [x, y, z] = m.exact.point.xyz;
    Timed::new([x, y, z, m.from as f64 * TIME_SCALE], m.id)
}

fn placed(m: &Member) -> Placed {
    Placed::new(m.exact.point.xyz, m.id)
}

impl LinkTree {
    /// A tree of these members, loaded at once.
    pub fn of<'a>(members: impl IntoIterator<Item = &'a Member>) -> Self {
        let (mut t, mut l, mut reach, mut longest) = (Vec::new(), Vec::new(), 0.0f64, 0);
        for m in members {
            reach = reach.max(m.exact.radius_m);
            if is_long(m) {
                l.push(placed(m));
            } else {
                longest = longest.max(m.to - m.from);
                t.push(timed(m));
            }
        }
        Self {
            timed: RTree::bulk_load(t),
            long: RTree::bulk_load(l),
            reach_m: reach,
            longest_s: longest,
        }
    }

    /// Adds a member.
    pub fn insert(&mut self, m: &Member) {
        self.reach_m = self.reach_m.max(m.exact.radius_m);
        if is_long(m) {
            self.long.insert(placed(m));
        } else {
            self.longest_s = self.longest_s.max(m.to - m.from);
            self.timed.insert(timed(m));
        }
    }

    /// Removes a member, as it was inserted.
    pub fn remove(&mut self, m: &Member) {
        if is_long(m) {
            self.long.remove(&placed(m));
        } else {
            self.timed.remove(&timed(m));
        }
    }

    /// Every member that could be linked to `m` (whose uncertainty circle may come within
    /// `gap_m` of its own and whose interval may come within `gap_s` of its own), and some
    /// that are not: the caller decides with [`super::linked`].
    pub fn candidates(&self, m: &Member, gap_m: f64, gap_s: i64) -> Vec<ReportId> {
        let chord = max_chord_for(m.exact.radius_m + self.reach_m + gap_m);
        let chord2 = chord * chord;
        let [x, y, z] = m.exact.point.xyz;
        // A short interval that may come within the gap starts no earlier than this. A
        // second each way covers rounding.
        let earliest = (m.from - gap_s - self.longest_s - 1) as f64 * TIME_SCALE;
        let latest = (m.to + gap_s + 1) as f64 * TIME_SCALE;
        let envelope = AABB::from_corners(
            [x - chord, y - chord, z - chord, earliest],
            [x + chord, y + chord, z + chord, latest],
        );
        let mut out: Vec<ReportId> = self
            .timed
            .locate_in_envelope(envelope)
            .filter(|p| {
                let [px, py, pz, _] = *p.geom();
                chord_squared(&[px, py, pz], &m.exact.point.xyz) <= chord2
            })
            .map(|p| p.data)
            .collect();
        out.extend(
            self.long
                .locate_within_distance(m.exact.point.xyz, chord2)
                .map(|p| p.data),
        );
        out
    }
}
