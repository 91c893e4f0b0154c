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
/// a quick accept or reject of a candidate before checking every member), the box of its
/// points, and the convex hull of its points in a plane about the founder: in the plane the
/// farthest point from a candidate is a corner of the hull, so the corners (a few dozen
/// however many thousand members) decide, within the plane's distortion.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounds {
    founder: AuxPoint,
    first_start: i64,
    last_start: i64,
    reach_m: f64,
    /// West, south, east, north, degrees.
    boxed: [f64; 4],
    /// The hull's corners, counter-clockwise.
    hull: Vec<Corner>,
}

/// A corner of an event's hull: where it lies in the plane about the founder (km east and
/// north, by the founder's latitude) and on the ellipsoid.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Corner {
    x: f64,
    y: f64,
    point: AuxPoint,
}

/// The plane is used only while the points and the candidate span less than this, in
/// degrees of latitude and longitude, away from the poles.
const PLANE_SPAN_DEG: f64 = 2.0;
const PLANE_MAX_LAT: f64 = 70.0;

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
            hull: Vec::new(),
        };
        bounds.hull.push(bounds.corner(founder.exact.point));
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
        let corner = self.corner(member.exact.point);
        if !inside(&self.hull, &corner) {
            self.hull.push(corner);
            self.hull = convex_hull(std::mem::take(&mut self.hull));
        }
    }

    /// A point in the plane about the founder.
    fn corner(&self, point: AuxPoint) -> Corner {
        let mut dlon = point.lon - self.founder.lon;
        if dlon > 180.0 {
            dlon -= 360.0;
        } else if dlon < -180.0 {
            dlon += 360.0;
        }
        Corner {
            x: dlon * 111.320 * self.founder.lat.to_radians().cos(),
            y: (point.lat - self.founder.lat) * 110.574,
            point,
        }
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
        // The hull: its farthest corner is a member (so farther than the bound rejects), and
        // no member lies farther than it by more than the plane's distortion (so well within
        // the bound accepts). The distortion is the spread of the east-west scale over the
        // latitudes spanned, with room for the ellipsoid's curvature.
        let [w, s, e, n] = self.boxed;
        let (lon, lat) = (candidate.exact.point.lon, candidate.exact.point.lat);
        let (south, north) = (s.min(lat), n.max(lat));
        if e.max(lon) - w.min(lon) < PLANE_SPAN_DEG
            && north - south < PLANE_SPAN_DEG
            && south > -PLANE_MAX_LAT
            && north < PLANE_MAX_LAT
        {
            let farthest = self
                .hull
                .iter()
                .map(|c| lambert_distance_m(&c.point, &candidate.exact.point))
                .fold(0.0, f64::max);
            if farthest - slack(farthest) > settings.max_m() {
                return Some(false);
            }
            let steepest = south.abs().max(north.abs()).to_radians().tan();
            let distortion = (north - south).to_radians() * steepest + 2e-3;
            let most = farthest * (1.0 + distortion).powi(2);
            if most + slack(most) <= settings.max_m() {
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

/// Whether a point lies inside (or on) a counter-clockwise hull of three or more corners.
fn inside(hull: &[Corner], p: &Corner) -> bool {
    hull.len() >= 3
        && (0..hull.len()).all(|i| {
            let (a, b) = (hull[i], hull[(i + 1) % hull.len()]);
            (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x) >= 0.0
        })
}

/// The convex hull of points, counter-clockwise, without collinear corners (Andrew's
/// monotone chain).
fn convex_hull(mut points: Vec<Corner>) -> Vec<Corner> {
    points.sort_by(|a, b| a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y)));
    points.dedup_by(|a, b| a.x == b.x && a.y == b.y);
    if points.len() < 3 {
        return points;
    }
    let turn =
        |o: &Corner, a: &Corner, b: &Corner| (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
    let mut hull: Vec<Corner> = Vec::with_capacity(points.len() + 1);
    for pass in [
        &points[..],
        &points.iter().rev().copied().collect::<Vec<_>>()[..],
    ] {
        let start = hull.len();
        for p in pass {
            while hull.len() >= start + 2
                && turn(&hull[hull.len() - 2], &hull[hull.len() - 1], p) <= 0.0
            {
                hull.pop();
            }
            hull.push(*p);
        }
        hull.pop();
    }
    hull
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hull_holds_every_point_and_its_corners_are_points() {
        let mut next = super::super::uniform(3);
        let corner = |x: f64, y: f64| Corner {
            x,
            y,
            point: AuxPoint::new(x, y),
        };
        let points: Vec<Corner> = (0..500).map(|_| corner(next(), next())).collect();
        let hull = convex_hull(points.clone());
        assert!(hull.len() >= 3 && hull.len() < 60, "{}", hull.len());
        for p in &points {
            assert!(inside(&hull, p));
        }
        for c in &hull {
            assert!(points.contains(c));
        }
        // Points on a line: its two ends.
        let line: Vec<Corner> = (0..10)
            .map(|i| corner(f64::from(i), 2.0 * f64::from(i)))
            .collect();
        assert_eq!(convex_hull(line).len(), 2);
    }
}
