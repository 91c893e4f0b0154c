//! What the events keep of a report, and when two reports are *linked*: compatible kinds,
//! observation intervals within `gap_h` hours, footprints within `gap_km`.

use crate::domain::model::{
    EventReview, IndexRecord, Kind, Precision, ReportId, Stance, Status, Testimony,
};
use crate::geospatial::geodesy::{AuxPoint, distance_within};

/// The bounds of the grouping (see the README's "Events").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventSettings {
    /// Footprints (point and uncertainty circle) this far apart, or closer, may be linked.
    pub gap_km: f64,
    /// Observation intervals this many hours apart, or closer, may be linked.
    pub gap_h: f64,
    /// No two core points of an event lie farther apart than this.
    pub max_km: f64,
    /// No two core observations of an event start farther apart than this.
    pub max_h: f64,
}

impl EventSettings {
    /// The defaults, chosen from the evaluation against simulated truth (BENCHMARKS.md,
    /// "[16/21] Events against simulated truth"): at a quiet density they group with B³
    /// precision 0.736 and recall 0.656, where the earlier 5 km / 2 h / 50 km / 24 h gave 0.722
    /// and 0.612; on an attack night they merge fewer occurrences into one event.
    pub const DEFAULT: EventSettings = EventSettings {
        gap_km: 10.0,
        gap_h: 1.0,
        max_km: 25.0,
        max_h: 24.0,
    };
}

impl Default for EventSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl EventSettings {
    pub(super) fn gap_m(&self) -> f64 {
        self.gap_km * 1_000.0
    }

    pub(super) fn gap_s(&self) -> i64 {
        (self.gap_h * 3_600.0).floor() as i64
    }

    pub(super) fn max_m(&self) -> f64 {
        self.max_km * 1_000.0
    }

    pub(super) fn max_s(&self) -> i64 {
        (self.max_h * 3_600.0).floor() as i64
    }
}

/// Kinds that can never describe one occurrence: a report of `other` is not what a drone,
/// aircraft, missile, strike, explosion, sound or light report describes, or its reporter
/// would have said so. Every other pair can be one occurrence: a drone is heard as a sound,
/// seen as a light, and strikes, which explode; jets and drones are mistaken for each other.
pub const INCOMPATIBLE_KINDS: &[(Kind, Kind)] = &[
    (Kind::Other, Kind::Drone),
    (Kind::Other, Kind::Aircraft),
    (Kind::Other, Kind::Missile),
    (Kind::Other, Kind::Strike),
    (Kind::Other, Kind::Explosion),
    (Kind::Other, Kind::Sound),
    (Kind::Other, Kind::Light),
];

/// Whether two kinds can describe one occurrence ([`INCOMPATIBLE_KINDS`] in either order).
pub fn compatible(a: Kind, b: Kind) -> bool {
    !INCOMPATIBLE_KINDS
        .iter()
        .any(|&(x, y)| (x, y) == (a, b) || (y, x) == (a, b))
}

/// Observation intervals longer than this, in seconds, are vague in time: six hours, a
/// quarter of a day. A report rounded to the hour places an occurrence of an attack night
/// among its neighbours; one dated to "that day" or "during the war" cannot tell the
/// occurrences of a day apart, just as one placed at a province cannot tell a city's apart.
pub const VAGUE_INTERVAL_S: i64 = 6 * 3_600;

/// Whether a report is placed well enough in space and in time to shape an event (its
/// *core*): exact, place or near precision, and an observation interval of at most
/// [`VAGUE_INTERVAL_S`]. Vaguer reports only support events.
pub fn is_core(precision: Precision, from: i64, to: i64) -> bool {
    matches!(
        precision,
        Precision::Exact | Precision::Place | Precision::Near
    ) && to - from <= VAGUE_INTERVAL_S
}

/// Where a member is, as one viewer sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// The point.
    pub point: AuxPoint,
    /// Its uncertainty radius, metres.
    pub radius_m: f64,
}

/// Where the public sees a private member, and whether that placement is still precise
/// enough to shape an event's footprint (shown at `place`: yes; at province or country: no,
/// it only supports in the public view).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicPlacement {
    /// The placement shown to the public.
    pub placement: Placement,
    /// Whether it is precise (exact, place or near).
    pub precise: bool,
}

/// What the events keep of one report.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The report.
    pub id: ReportId,
    /// The exact placement, which groups.
    pub exact: Placement,
    /// Where the public sees it, for a private report; footprints shown to the public use it.
    /// Boxed: private reports are few, and every member carries the field.
    pub public: Option<Box<PublicPlacement>>,
    /// Whether it shapes events (placed precisely in space and time: [`is_core`]).
    pub core: bool,
    /// What was seen or heard.
    pub kind: Kind,
    /// Observation interval, epoch seconds.
    pub from: i64,
    /// Observation end, epoch seconds.
    pub to: i64,
    /// The report's status (a retracted report asserts nothing).
    pub status: Status,
    /// Its sources as keys.
    pub testimony: Testimony,
    /// A reviewer's correction.
    pub review: EventReview,
}

impl Member {
    /// The member of a report's index record.
    pub fn of(record: &IndexRecord) -> Self {
        let exact = record.exact.as_deref().unwrap_or(record);
        let place = |r: &IndexRecord| Placement {
            point: AuxPoint::new(r.lon, r.lat),
            radius_m: r.uncertainty_m,
        };
        let (from, to) = (record.observed_from.0, record.observed_to.0);
        Self {
            id: record.id,
            exact: place(exact),
            public: record.exact.is_some().then(|| {
                Box::new(PublicPlacement {
                    placement: place(record),
                    precise: is_core(record.precision, from, to),
                })
            }),
            core: is_core(exact.precision, from, to),
            kind: record.kind,
            from,
            to,
            status: record.status,
            testimony: record.testimony.clone(),
            review: record.event_review,
        }
    }

    /// Where `public` viewers (or, if false, reviewers) see the member.
    pub fn placement(&self, public: bool) -> Placement {
        match &self.public {
            Some(shown) if public => shown.placement,
            _ => self.exact,
        }
    }

    /// Whether the member shapes its event's footprint for `public` viewers (or, if false,
    /// reviewers): a core member, unless the public sees it only at province or country.
    pub fn shapes(&self, public: bool) -> bool {
        self.core
            && match &self.public {
                Some(shown) if public => shown.precise,
                _ => true,
            }
    }

    /// Whether some source of the report asserts the claim (a retracted report asserts
    /// nothing: its source withdrew it).
    pub fn asserts(&self) -> bool {
        self.status != Status::Retracted
            && self
                .testimony
                .keys()
                .iter()
                .any(|k| k.stance == Stance::Asserts)
    }

    /// Whether what groups the member differs between two versions (not its sources or
    /// status, which only change counts, unless they decide whether a vague report
    /// supports an event at all).
    pub fn groups_differently(&self, other: &Member) -> bool {
        self.exact != other.exact
            || self.core != other.core
            || self.kind != other.kind
            || (self.from, self.to) != (other.from, other.to)
            || self.review != other.review
            || (!self.core && self.asserts() != other.asserts())
    }
}

/// The time between two intervals, zero if they overlap, in seconds.
pub fn time_gap_s(a: &Member, b: &Member) -> i64 {
    (a.from.max(b.from) - a.to.min(b.to)).max(0)
}

/// Whether two reports are linked: compatible kinds, intervals within `gap_h`, and
/// uncertainty circles overlapping or within `gap_km` (geodesic distance between the points
/// at most the two radii and the gap).
pub fn linked(a: &Member, b: &Member, settings: &EventSettings) -> bool {
    compatible(a.kind, b.kind)
        && time_gap_s(a, b) <= settings.gap_s()
        && distance_within(
            &a.exact.point,
            &b.exact.point,
            a.exact.radius_m + b.exact.radius_m + settings.gap_m(),
        )
        .is_some()
}

/// Whether two core members may be in one event: points within `max_km` and starts within
/// `max_h`.
pub fn within_bounds(a: &Member, b: &Member, settings: &EventSettings) -> bool {
    (a.from - b.from).abs() <= settings.max_s()
        && distance_within(&a.exact.point, &b.exact.point, settings.max_m()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_other_is_incompatible_and_the_matrix_is_symmetric() {
        for &a in Kind::ALL {
            for &b in Kind::ALL {
                assert_eq!(compatible(a, b), compatible(b, a));
                let other = a == Kind::Other || b == Kind::Other;
                assert_eq!(compatible(a, b), !other || a == b, "{a} {b}");
            }
        }
    }
}
