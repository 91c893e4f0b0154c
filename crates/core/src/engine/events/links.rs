//! Where to look for the reports linked to one: trees of places, one per slice of time.
//!
//! Links need observation intervals within `gap_h`, so one tree of places would offer every
//! report ever made near a busy town. Here a report of an ordinary interval goes into the
//! tree of the [`SLICE_S`]-long slice its observation starts in, and a query reads only the
//! slices its interval (widened by the gap) can reach; reports observed over more than
//! [`LONG_S`] ("during the war") are kept apart in one tree of places, since their starts say
//! little of their ends. Each entry carries its interval, so that the time test needs no
//! lookup.
//!
//! A query either lists every member that may be linked ([`LinkTree::candidates`]) or walks
//! them nearest first ([`LinkTree::nearest_first`]): the leader rule stops at the first event
//! that admits a report, so on an attack night (thousands of reports of one city and hour,
//! each linked to most of the others) a write reads a handful of neighbours, not all of them.

use super::member::Member;
use crate::domain::model::ReportId;
use crate::engine::parallel::{Background, side_by_side};
use crate::geospatial::geodesy::{chord_squared, max_chord_for};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

/// Intervals longer than this, in seconds, are kept by place alone: those vague in time,
/// which never shape an event.
pub const LONG_S: i64 = super::member::VAGUE_INTERVAL_S;

/// The length of one slice of time, in seconds: as long as the longest interval a slice
/// holds, so a query reads three or four slices.
const SLICE_S: i64 = LONG_S;

/// A member in a tree: its unit vector, with its id and observation interval.
type Entry = GeomWithData<[f64; 3], Linkable>;

/// What a tree keeps of a member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linkable {
    /// The report.
    pub id: ReportId,
    /// Observation start, epoch seconds.
    pub from: i64,
    /// Observation end, epoch seconds.
    pub to: i64,
}

/// The trees of the grouped core members and of the grouped vague ones. Grouping loads them
/// at once; putting saved events back loads them in the background once the restart's own
/// work is done (only writes read them): a write that comes first waits for them.
#[derive(Debug)]
pub struct LinkTrees(Background<(LinkTree, LinkTree)>);

impl Default for LinkTrees {
    fn default() -> Self {
        Self(Background::ready(Default::default()))
    }
}

/// The entries of the grouped core members and of the grouped vague ones among `members`.
fn unloaded<'a>(members: impl Iterator<Item = &'a Member>) -> (Unloaded, Unloaded) {
    let (core, vague): (Vec<&Member>, Vec<&Member>) =
        members.filter(|m| m.review.is_auto()).partition(|m| m.core);
    (Unloaded::of(core), Unloaded::of(vague))
}

/// Both trees loaded, on two threads.
fn load_both((core, vague): (Unloaded, Unloaded)) -> (LinkTree, LinkTree) {
    let (vague, core) = side_by_side(|| vague.load(true), || core.load(true));
    (core, vague)
}

/// Both trees loaded on this thread alone: in the background, where more threads would only
/// take the cores from the work in front.
fn load_both_here((core, vague): (Unloaded, Unloaded)) -> (LinkTree, LinkTree) {
    (core.load(false), vague.load(false))
}

impl LinkTrees {
    /// The trees of the grouped members among `members`, loaded now.
    pub fn of<'a>(members: impl Iterator<Item = &'a Member>) -> Self {
        Self(Background::ready(load_both(unloaded(members))))
    }

    /// The trees of the grouped members among `members`, loaded in the background once
    /// begun ([`LinkTrees::begin`]) or needed.
    pub fn in_background<'a>(members: impl Iterator<Item = &'a Member>) -> Self {
        Self(Background::spawn(
            "link-trees",
            unloaded(members),
            load_both_here,
        ))
    }

    /// Lets the trees load now, if they wait to (see [`Background::begin`]).
    pub fn begin(&self) {
        self.0.begin();
    }

    /// Both trees, waiting for them if they are being loaded.
    fn both(&self) -> &(LinkTree, LinkTree) {
        self.0.get()
    }

    /// The core members' tree.
    pub fn core(&self) -> &LinkTree {
        &self.both().0
    }

    /// The vague members' tree.
    pub fn vague(&self) -> &LinkTree {
        &self.both().1
    }

    /// Both trees, to change.
    pub fn both_mut(&mut self) -> (&mut LinkTree, &mut LinkTree) {
        let (core, vague) = self.0.get_mut();
        (core, vague)
    }

    /// Waits until both are loaded.
    pub fn wait(&self) {
        self.both();
    }
}

/// Members by place, sliced by time.
#[derive(Debug, Default)]
pub struct LinkTree {
    slices: BTreeMap<i64, RTree<Entry>>,
    long: RTree<Entry>,
    /// The largest uncertainty radius ever inserted: a query reaches this far beyond the
    /// member's own (a bound, never lowered).
    reach_m: f64,
    /// The longest interval ever inserted into a slice (at most [`LONG_S`]): a query reads
    /// the slices this far before the member's start (a bound, never lowered).
    longest_s: i64,
}

fn is_long(m: &Member) -> bool {
    m.to - m.from > LONG_S
}

fn entry(m: &Member) -> Entry {
    Entry::new(
        m.exact.point.xyz,
        Linkable {
            id: m.id,
            from: m.from,
            to: m.to,
        },
    )
}

fn slice_of(m: &Member) -> i64 {
    m.from.div_euclid(SLICE_S)
}

/// Whether an entry's interval comes within `gap_s` of `[from, to]`.
fn near_in_time(e: &Linkable, from: i64, to: i64, gap_s: i64) -> bool {
    from.max(e.from) - to.min(e.to) <= gap_s
}

/// The entries of a tree not yet loaded: what [`LinkTree::of`] takes from the members,
/// owned, so that the loading can run on another thread.
#[derive(Debug, Default)]
struct Unloaded {
    slices: BTreeMap<i64, Vec<Entry>>,
    long: Vec<Entry>,
    reach_m: f64,
    longest_s: i64,
}

impl Unloaded {
    /// The entries of these members.
    fn of<'a>(members: impl IntoIterator<Item = &'a Member>) -> Self {
        let mut unloaded = Self::default();
        for m in members {
            unloaded.reach_m = unloaded.reach_m.max(m.exact.radius_m);
            if is_long(m) {
                unloaded.long.push(entry(m));
            } else {
                unloaded.longest_s = unloaded.longest_s.max(m.to - m.from);
                unloaded
                    .slices
                    .entry(slice_of(m))
                    .or_default()
                    .push(entry(m));
            }
        }
        unloaded
    }

    /// The tree of the entries, its slices loaded on two threads (if `two`), each taking
    /// about half of the entries.
    fn load(self, two: bool) -> LinkTree {
        let mut slices: Vec<(i64, Vec<Entry>)> = self.slices.into_iter().collect();
        let total: usize = slices.iter().map(|(_, e)| e.len()).sum();
        let mut first = 0;
        let mut counted = 0;
        while first < slices.len() && counted < total / 2 {
            counted += slices[first].1.len();
            first += 1;
        }
        let later = slices.split_off(first);
        let load = |slices: Vec<(i64, Vec<Entry>)>| -> Vec<(i64, RTree<Entry>)> {
            slices
                .into_iter()
                .map(|(slice, entries)| (slice, RTree::bulk_load(entries)))
                .collect()
        };
        let (mut loaded, later) = match two {
            true => side_by_side(|| load(slices), || load(later)),
            false => (load(slices), load(later)),
        };
        loaded.extend(later);
        LinkTree {
            slices: loaded.into_iter().collect(),
            long: RTree::bulk_load(self.long),
            reach_m: self.reach_m,
            longest_s: self.longest_s,
        }
    }
}

impl LinkTree {
    /// A tree of these members, loaded at once.
    pub fn of<'a>(members: impl IntoIterator<Item = &'a Member>) -> Self {
        Unloaded::of(members).load(true)
    }

    /// Adds a member.
    pub fn insert(&mut self, m: &Member) {
        self.reach_m = self.reach_m.max(m.exact.radius_m);
        if is_long(m) {
            self.long.insert(entry(m));
        } else {
            self.longest_s = self.longest_s.max(m.to - m.from);
            self.slices.entry(slice_of(m)).or_default().insert(entry(m));
        }
    }

    /// Removes a member, as it was inserted.
    pub fn remove(&mut self, m: &Member) {
        if is_long(m) {
            self.long.remove(&entry(m));
        } else if let Some(tree) = self.slices.get_mut(&slice_of(m)) {
            tree.remove(&entry(m));
            if tree.size() == 0 {
                self.slices.remove(&slice_of(m));
            }
        }
    }

    /// The trees that may hold a member whose interval comes within `gap_s` of `m`'s: the
    /// slices its widened interval reaches (a short interval starts at most the longest
    /// inserted before it ends), and the long intervals.
    fn trees_near(&self, m: &Member, gap_s: i64) -> impl Iterator<Item = &RTree<Entry>> {
        let first = (m.from - gap_s - self.longest_s).div_euclid(SLICE_S);
        let last = (m.to + gap_s).div_euclid(SLICE_S);
        self.slices
            .range(first..=last)
            .map(|(_, tree)| tree)
            .chain(std::iter::once(&self.long))
    }

    /// The chord within which a member linked to `m` lies.
    fn reach_chord2(&self, m: &Member, gap_m: f64) -> f64 {
        let chord = max_chord_for(m.exact.radius_m + self.reach_m + gap_m);
        chord * chord
    }

    /// Every member that could be linked to `m` (whose uncertainty circle may come within
    /// `gap_m` of its own and whose interval comes within `gap_s` of its own), and some
    /// that are not: the caller decides with [`super::linked`].
    pub fn candidates(&self, m: &Member, gap_m: f64, gap_s: i64) -> Vec<ReportId> {
        let chord2 = self.reach_chord2(m, gap_m);
        let xyz = m.exact.point.xyz;
        self.trees_near(m, gap_s)
            .flat_map(|tree| tree.locate_within_distance(xyz, chord2))
            .filter(|e| near_in_time(&e.data, m.from, m.to, gap_s))
            .map(|e| e.data.id)
            .collect()
    }

    /// The members that could be linked to `m`, as [`LinkTree::candidates`], nearest first
    /// (by the chord between their points on the auxiliary sphere, given squared, then by
    /// id), read only as far as the caller goes.
    ///
    /// Where few members are within reach (the common case), they are listed and sorted:
    /// cheaper than starting a walk in every slice the interval reaches. Beyond
    /// [`WALK_BEYOND`] of them (an attack night), the slices are walked nearest first.
    pub fn nearest_first<'a>(
        &'a self,
        m: &Member,
        gap_m: f64,
        gap_s: i64,
    ) -> Box<dyn Iterator<Item = (Linkable, f64)> + 'a> {
        let reach2 = self.reach_chord2(m, gap_m);
        let (from, to, xyz) = (m.from, m.to, m.exact.point.xyz);
        let mut listed: Vec<(Linkable, f64)> = Vec::new();
        let mut many = false;
        'trees: for tree in self.trees_near(m, gap_s) {
            for e in tree.locate_within_distance(xyz, reach2) {
                if near_in_time(&e.data, from, to, gap_s) {
                    if listed.len() == WALK_BEYOND {
                        many = true;
                        break 'trees;
                    }
                    listed.push((e.data, chord_squared(e.geom(), &xyz)));
                }
            }
        }
        if !many {
            listed.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.id.cmp(&b.0.id)));
            return Box::new(listed.into_iter());
        }
        Box::new(
            NearestFirst::new(self.trees_near(m, gap_s), xyz)
                .take_while(move |(_, d2)| *d2 <= reach2)
                .filter(move |(e, _)| near_in_time(e, from, to, gap_s)),
        )
    }
}

/// How many members within reach a query lists and sorts before it walks the trees
/// nearest first instead.
const WALK_BEYOND: usize = 32;

/// The entries of several trees merged nearest first.
struct NearestFirst<'a> {
    walks: Vec<Box<dyn Iterator<Item = (&'a Entry, f64)> + 'a>>,
    heads: BinaryHeap<Head>,
}

/// The next entry of one tree's walk, ordered so that the heap gives the nearest first.
struct Head {
    d2: f64,
    walk: usize,
    entry: Linkable,
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: the heap is a max-heap. Equal distances come in id order.
        other
            .d2
            .total_cmp(&self.d2)
            .then(other.entry.id.cmp(&self.entry.id))
    }
}

impl<'a> NearestFirst<'a> {
    fn new(trees: impl Iterator<Item = &'a RTree<Entry>>, xyz: [f64; 3]) -> Self {
        let mut walks: Vec<Box<dyn Iterator<Item = (&'a Entry, f64)> + 'a>> = trees
            .filter(|t| t.size() > 0)
            .map(|t| Box::new(t.nearest_neighbor_iter_with_distance_2(xyz)) as Box<_>)
            .collect();
        let mut heads = BinaryHeap::with_capacity(walks.len());
        for (walk, it) in walks.iter_mut().enumerate() {
            if let Some((e, d2)) = it.next() {
                heads.push(Head {
                    d2,
                    walk,
                    entry: e.data,
                });
            }
        }
        Self { walks, heads }
    }
}

impl Iterator for NearestFirst<'_> {
    type Item = (Linkable, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let head = self.heads.pop()?;
        if let Some((e, d2)) = self.walks[head.walk].next() {
            self.heads.push(Head {
                d2,
                walk: head.walk,
                entry: e.data,
            });
        }
        Some((head.entry, head.d2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{EventReview, Kind, Status, Testimony};
    use crate::engine::events::Placement;
    use crate::geospatial::geodesy::AuxPoint;

    fn rank_chord2(a: &Member, b: &Member) -> f64 {
        chord_squared(&a.exact.point.xyz, &b.exact.point.xyz)
    }

    fn member(i: u128, lon: f64, lat: f64, from: i64, to: i64) -> Member {
        Member {
            id: ReportId(uuid::Uuid::from_u128(i)),
            exact: Placement {
                point: AuxPoint::new(lon, lat),
                radius_m: 100.0 + (i % 7) as f64 * 300.0,
            },
            public: None,
            core: true,
            kind: Kind::Drone,
            from,
            to,
            status: Status::Unverified,
            testimony: Testimony::default(),
            review: EventReview::Auto,
        }
    }

    #[test]
    fn the_nearest_first_walk_is_the_candidates_sorted_by_distance() {
        let mut next = super::super::uniform(7);
        let members: Vec<Member> = (0..2_000)
            .map(|i| {
                let from = (next() * 3.0 * 86_400.0) as i64;
                let long = i % 17 == 0;
                let to = from
                    + if long {
                        10 * 86_400
                    } else {
                        (next() * 7_200.0) as i64
                    };
                member(i, 49.0 + next() * 0.5, 37.0 + next() * 0.5, from, to)
            })
            .collect();
        // And a dense cluster, more than WALK_BEYOND within reach of one another: the walk.
        let members: Vec<Member> = members
            .into_iter()
            .chain(
                (2_000..2_400)
                    .map(|i| member(i, 49.2 + next() * 0.01, 37.2 + next() * 0.01, 3_600, 3_700)),
            )
            .collect();
        let mut tree = LinkTree::of(&members[..1_000]);
        for m in &members[1_000..] {
            tree.insert(m);
        }
        for m in members.iter().step_by(97).chain(&members[2_100..2_103]) {
            let mut expected: Vec<(f64, ReportId)> = tree
                .candidates(m, 5_000.0, 7_200)
                .into_iter()
                .map(|id| {
                    let other = members.iter().find(|o| o.id == id).unwrap();
                    (rank_chord2(m, other), id)
                })
                .collect();
            expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let walked: Vec<(f64, ReportId)> = tree
                .nearest_first(m, 5_000.0, 7_200)
                .map(|(e, d2)| (d2, e.id))
                .collect();
            assert_eq!(walked, expected);
            // Every member truly within reach and time is offered.
            for other in &members {
                let gap = m.from.max(other.from) - m.to.min(other.to);
                let d = crate::geospatial::geodesy::geodesic_distance_m(
                    m.exact.point.lon,
                    m.exact.point.lat,
                    other.exact.point.lon,
                    other.exact.point.lat,
                );
                if gap <= 7_200 && d <= m.exact.radius_m + other.exact.radius_m + 5_000.0 {
                    assert!(expected.iter().any(|(_, id)| *id == other.id));
                }
            }
        }
        for m in &members[..500] {
            tree.remove(m);
        }
        let left: usize = tree.slices.values().map(RTree::size).sum::<usize>() + tree.long.size();
        assert_eq!(left, 1_900);
    }
}
