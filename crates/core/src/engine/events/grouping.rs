//! How linked core reports become events: the *leader* rule.
//!
//! The core reports are taken in the order of their ids (UUIDv7, so in the order the server
//! first stored them). Each joins one of the events that hold a report it is linked to, if
//! that event stays within the bounds with it (no two core points more than `max_km` apart,
//! no two observation starts more than `max_h` apart); among those it joins the one whose
//! nearest linked report is nearest (by the chord between their points), the older event on a
//! tie. A report that joins none founds a new event, which takes the founder's id.
//!
//! Why this rule: single linkage chains across a province; complete linkage and k-means
//! depend on the order of merges or on starting points and move old reports between events
//! as new ones arrive. The leader rule keeps both bounds by construction, gives the same
//! events for the same reports on every instance, and, because reports are taken in the
//! order they were stored, a new report never moves an older one: it joins an event or
//! founds one, and event ids stay put. Only an edit or a deletion re-groups, and then only
//! the reports connected to it by links (its *component*), since no report outside links to
//! any inside.
//!
//! Why it stays cheap however dense the reports: linked reports are read nearest first
//! ([`super::links::LinkTree::nearest_first`]) and the walk stops at the first event that
//! admits the report; whether an event admits one is decided by its [`Bounds`] (its founder,
//! its earliest and latest start, its farthest point from the founder) in constant time,
//! unless the report lies where only its distance to every core point can tell.

use super::member::{EventSettings, Member, within_bounds};
use crate::geospatial::geodesy::{AuxPoint, lambert_distance_m};

/// Lambert's error bound for the quick accept and reject of a candidate (see
/// [`crate::geospatial::geodesy`]): relative, and absolute in metres.
const SLACK_RELATIVE: f64 = 1e-4;
const SLACK_M: f64 = 2.0;

/// What bounds an event's grouped core: its founder's point, the earliest and latest start,
/// the largest Lambert distance from the founder to a member (with the triangle inequality,
/// a quick accept or reject of a candidate before checking every member), and the box of
/// its points (a second quick accept: no point is much farther than the box's corners).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    founder: AuxPoint,
    first_start: i64,
    last_start: i64,
    reach_m: f64,
    /// West, south, east, north, degrees.
    boxed: [f64; 4],
}

/// What the farthest point of a box of parallels and meridians may lie beyond the farthest
/// of its corners: a parallel bows away from the great circle through its ends, by about
/// 13 m over 30 km at 37°; this allows 100 m and 0.1 %.
const BOX_SLACK_M: f64 = 100.0;
const BOX_SLACK_RELATIVE: f64 = 1e-3;

impl Bounds {
    /// The bounds of an event of these grouped core members, the founder first.
    pub fn of<'a>(mut members: impl Iterator<Item = &'a Member>) -> Option<Self> {
        let founder = members.next()?;
        let (lon, lat) = (founder.exact.point.lon, founder.exact.point.lat);
        let mut bounds = Self {
            founder: founder.exact.point,
            first_start: founder.from,
            last_start: founder.from,
            reach_m: 0.0,
            boxed: [lon, lat, lon, lat],
        };
        for m in members {
            bounds.add(m);
        }
        Some(bounds)
    }

    /// Takes in a member that joined.
    pub fn add(&mut self, member: &Member) {
        self.first_start = self.first_start.min(member.from);
        self.last_start = self.last_start.max(member.from);
        self.reach_m = self
            .reach_m
            .max(lambert_distance_m(&self.founder, &member.exact.point));
        let (lon, lat) = (member.exact.point.lon, member.exact.point.lat);
        let b = &mut self.boxed;
        *b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
    }

    /// Whether `candidate` may join without breaking a bound, if the bounds alone tell:
    /// `None` where its distance to every core point must be checked
    /// ([`admits_by_members`]).
    pub fn admits(&self, candidate: &Member, settings: &EventSettings) -> Option<bool> {
        let first = self.first_start.min(candidate.from);
        let last = self.last_start.max(candidate.from);
        if last - first > settings.max_s() {
            return Some(false);
        }
        let d = lambert_distance_m(&self.founder, &candidate.exact.point);
        let slack = |m: f64| m * SLACK_RELATIVE + SLACK_M;
        if d - slack(d) > settings.max_m() {
            return Some(false);
        }
        if d + slack(d) + self.reach_m + slack(self.reach_m) <= settings.max_m() {
            return Some(true);
        }
        let [w, s, e, n] = self.boxed;
        // Only a box narrower than a few degrees, away from the poles, is bounded so.
        if e - w < 3.0 && n - s < 3.0 && s > -75.0 && n < 75.0 {
            let farthest = [(w, s), (w, n), (e, s), (e, n)]
                .into_iter()
                .map(|(lon, lat)| {
                    lambert_distance_m(&AuxPoint::new(lon, lat), &candidate.exact.point)
                })
                .fold(0.0, f64::max);
            if farthest * (1.0 + BOX_SLACK_RELATIVE) + BOX_SLACK_M <= settings.max_m() {
                return Some(true);
            }
        }
        None
    }
}

/// Whether `candidate` lies within the bounds of every one of an event's grouped core
/// members: the exact test where [`Bounds::admits`] cannot tell.
pub fn admits_by_members<'a>(
    mut members: impl Iterator<Item = &'a Member>,
    candidate: &Member,
    settings: &EventSettings,
) -> bool {
    members.all(|m| within_bounds(m, candidate, settings))
}
