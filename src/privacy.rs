//! Location privacy. A report may carry `public_precision` (place, province or country): the
//! exact point can endanger whoever reported it, so the public sees the location coarsened
//! to that level, the nearest place's point or the province's or country's, with an
//! uncertainty circle wide enough to hold the exact point and the place text replaced by the
//! place's name.
//!
//! The public view is computed when the report is written and stored beside it
//! ([`PublicView`]); the index places private reports at their public point (see
//! [`crate::index::ViewIndex`]), so answers to the public (distances, filters, clusters,
//! layers, exports, history) are computed from that point and never from the exact one.
//! Reviewers and admins see the exact location.

use crate::geodesy;
use crate::model::{Gazetteer, Location, Precision, PublicView, Report, default_uncertainty_m};
use std::borrow::Cow;

/// Who is looking, which decides which location of a private report they see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// Anyone without a reviewer or admin token, and every export for the public.
    Public,
    /// A reviewer or admin: sees exact locations.
    Exact,
}

/// The levels a location may be coarsened to for the public.
pub const PUBLIC_LEVELS: [Precision; 3] =
    [Precision::Place, Precision::Province, Precision::Country];

/// A coarser place that stands for a point in public: a town, a province or a country.
#[derive(Debug, Clone, PartialEq)]
pub struct CoarsePlace {
    /// Its name.
    pub name: String,
    /// Longitude of its point.
    pub lon: f64,
    /// Latitude of its point.
    pub lat: f64,
    /// Metres from its point that its extent reaches.
    pub extent_m: f64,
}

impl Report {
    /// The report as `viewer` may see it: for the public, a private report's location and
    /// relation are replaced by their public view.
    pub fn seen_by(&self, viewer: Viewer) -> Cow<'_, Report> {
        match (&self.public, viewer) {
            (Some(_), Viewer::Public) => Cow::Owned(self.clone().into_seen_by(viewer)),
            _ => Cow::Borrowed(self),
        }
    }

    /// As [`Report::seen_by`], taking the report.
    pub fn into_seen_by(mut self, viewer: Viewer) -> Report {
        if viewer == Viewer::Public
            && let Some(public) = self.public.take()
        {
            self.location = public.location;
            self.relation = public.relation;
        }
        self
    }
}

/// How coarse a precision is: exact is 0, country the coarsest.
fn coarseness(precision: Precision) -> usize {
    precision as usize
}

/// The steps in which a public uncertainty radius grows beyond the place's own extent, so
/// that it tells no more than a band of this width about the exact point.
fn uncertainty_step_m(level: Precision) -> f64 {
    match level {
        Precision::Place => default_uncertainty_m(Precision::Place),
        _ => 25_000.0,
    }
}

/// The public view of `location` coarsened to `level`, or what to tell the client.
///
/// A location already at least as coarse as `level` is shown as it is. Otherwise the public
/// point is the coarse place's, its uncertainty circle covers the place and reaches the exact
/// point's whole uncertainty circle (in steps, see [`uncertainty_step_m`]), and its text is
/// the place's name: the reporter's own text may spell out the exact point.
pub fn public_view(
    location: &Location,
    level: Precision,
    gazetteer: &dyn Gazetteer,
) -> Result<PublicView, String> {
    if !PUBLIC_LEVELS.contains(&level) {
        return Err(format!(
            "public_precision must be place, province or country, not {level}"
        ));
    }
    if coarseness(location.precision) >= coarseness(level) {
        let mut shown = location.clone();
        shown.public_precision = Some(level);
        return Ok(PublicView {
            relation: gazetteer.relate(shown.lon, shown.lat),
            location: shown,
        });
    }
    let place = gazetteer
        .coarse_place(location.lon, location.lat, level)
        .ok_or_else(|| {
            format!(
                "no {level} of the region holds this point, so it cannot be shown at {level} precision; choose a coarser public_precision"
            )
        })?;
    let reach_m = geodesy::geodesic_distance_m(place.lon, place.lat, location.lon, location.lat)
        + location.uncertainty_m;
    let step = uncertainty_step_m(level);
    let uncertainty_m = place.extent_m.max((reach_m / step).ceil() * step);
    let (province, country) = gazetteer.locate(place.lon, place.lat);
    let shown = Location {
        text: Some(place.name),
        lon: place.lon,
        lat: place.lat,
        precision: level,
        uncertainty_m,
        province: if level == Precision::Country {
            None
        } else {
            province
        },
        country,
        ambiguous: false,
        public_precision: Some(level),
        coarsened: true,
    };
    Ok(PublicView {
        relation: gazetteer.relate(shown.lon, shown.lat),
        location: shown,
    })
}
