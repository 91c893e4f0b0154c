//! How linked core reports become events: the *leader* rule.
//!
//! The core reports are taken in the order of their ids (UUIDv7, so in the order the server
//! first stored them). Each joins one of the events that hold a report it is linked to, if
//! that event stays within the bounds with it (no two core points more than `max_km` apart,
//! no two observation starts more than `max_h` apart); among those it joins the one whose
//! nearest linked report is nearest, the older event on a tie. A report that joins none
//! founds a new event, which takes the founder's id.
//!
//! Why this rule: single linkage chains across a province; complete linkage and k-means
//! depend on the order of merges or on starting points and move old reports between events
//! as new ones arrive. The leader rule keeps both bounds by construction, gives the same
//! events for the same reports on every instance, and, because reports are taken in the
//! order they were stored, a new report never moves an older one: it joins an event or
//! founds one, and event ids stay put. Only an edit or a deletion re-groups, and then only
//! the reports connected to it by links (its *component*), since no report outside links to
//! any inside.

use super::member::{EventSettings, Member, rank_distance_m, within_bounds};
use crate::geospatial::geodesy::lambert_distance_m;

/// Lambert's error bound for the quick accept and reject of a candidate (see
/// [`crate::geospatial::geodesy`]): relative, and absolute in metres.
const SLACK_RELATIVE: f64 = 1e-4;
const SLACK_M: f64 = 2.0;

/// An event being formed.
#[derive(Debug, Clone)]
pub struct Forming {
    /// Positions of its core members in the grouped slice, the founder first.
    pub members: Vec<usize>,
    /// Earliest and latest observation start among them.
    first_start: i64,
    last_start: i64,
    /// The largest Lambert distance from the founder to a member: with the triangle
    /// inequality, a quick accept or reject of a candidate before checking every member.
    reach_m: f64,
}

impl Forming {
    /// An event already formed, of these positions (the founder first).
    pub fn of(positions: Vec<usize>, all: &[&Member]) -> Self {
        let mut forming = Self::founded_by(positions[0], all[positions[0]]);
        for &at in &positions[1..] {
            forming.add(at, all);
        }
        forming
    }

    fn founded_by(at: usize, member: &Member) -> Self {
        Self {
            members: vec![at],
            first_start: member.from,
            last_start: member.from,
            reach_m: 0.0,
        }
    }

    /// Whether `candidate` may join without breaking a bound.
    fn admits(&self, all: &[&Member], candidate: &Member, settings: &EventSettings) -> bool {
        let first = self.first_start.min(candidate.from);
        let last = self.last_start.max(candidate.from);
        if last - first > settings.max_s() {
            return false;
        }
        let founder = all[self.members[0]];
        let d = lambert_distance_m(&founder.exact.point, &candidate.exact.point);
        let slack = |m: f64| m * SLACK_RELATIVE + SLACK_M;
        if d - slack(d) > settings.max_m() {
            return false;
        }
        if d + slack(d) + self.reach_m + slack(self.reach_m) <= settings.max_m() {
            return true;
        }
        self.members
            .iter()
            .all(|&m| within_bounds(all[m], candidate, settings))
    }

    fn add(&mut self, at: usize, all: &[&Member]) {
        let member = all[at];
        let founder = all[self.members[0]];
        self.first_start = self.first_start.min(member.from);
        self.last_start = self.last_start.max(member.from);
        self.reach_m = self.reach_m.max(lambert_distance_m(
            &founder.exact.point,
            &member.exact.point,
        ));
        self.members.push(at);
    }
}

/// Groups core members, given in id order, by the leader rule. `linked_before(i)` lists the
/// positions before `i` of the members linked to member `i`. Returns the events, each its
/// members' positions in order, the founder first.
pub fn group(
    members: &[&Member],
    settings: &EventSettings,
    mut linked_before: impl FnMut(usize) -> Vec<usize>,
) -> Vec<Vec<usize>> {
    let mut events: Vec<Forming> = Vec::new();
    let mut event_of: Vec<usize> = Vec::with_capacity(members.len());
    for at in 0..members.len() {
        let joined = join(
            at,
            members,
            &events,
            &event_of,
            &linked_before(at),
            settings,
        );
        match joined {
            Some(e) => {
                events[e].add(at, members);
                event_of.push(e);
            }
            None => {
                event_of.push(events.len());
                events.push(Forming::founded_by(at, members[at]));
            }
        }
    }
    events.into_iter().map(|e| e.members).collect()
}

/// The event that member `at` joins, if any: among the events of the members it is linked
/// to, the one with the nearest linked member (the older on a tie) that admits it.
pub fn join(
    at: usize,
    members: &[&Member],
    events: &[Forming],
    event_of: &[usize],
    linked: &[usize],
    settings: &EventSettings,
) -> Option<usize> {
    let me = members[at];
    // (distance to the nearest linked member, event) per candidate event.
    let mut candidates: Vec<(f64, usize)> = Vec::with_capacity(linked.len());
    for &other in linked {
        let event = event_of[other];
        let d = rank_distance_m(me, members[other]);
        match candidates.iter_mut().find(|(_, e)| *e == event) {
            Some(c) => c.0 = c.0.min(d),
            None => candidates.push((d, event)),
        }
    }
    // Events are numbered in founding order, so the older event has the smaller number.
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    candidates
        .into_iter()
        .map(|(_, e)| e)
        .find(|&e| events[e].admits(members, me, settings))
}
