//! Location privacy. A report may carry `public_precision` (place, province or country): the
//! exact point can endanger whoever reported it, so the public sees the location coarsened
//! to that level, the nearest place's point or the province's or country's, with an
//! uncertainty circle wide enough to hold the exact point and the place text replaced by the
//! place's name.
//!
//! The public view is computed when the report is written and stored beside it
//! ([`PublicView`]); the index places private reports at their public point (see
//! [`crate::engine::index::ViewIndex`]), so answers to the public (distances, filters, clusters,
//! layers, exports, history) are computed from that point and never from the exact one.
//! Reviewers and admins see the exact location.

use crate::domain::model::{
    FieldError, Gazetteer, Location, Precision, PublicView, Report, default_uncertainty_m,
};
use crate::geospatial::geodesy;
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

/// The public level for a location asked to be shown at `level`: `level` itself, or the
/// province or country when the location claims no more than that (a public point is never
/// more precise than the claim).
fn public_level(location: &Location, level: Precision) -> Precision {
    if coarseness(location.precision) <= coarseness(level) {
        return level;
    }
    PUBLIC_LEVELS
        .into_iter()
        .find(|l| coarseness(*l) >= coarseness(location.precision))
        .unwrap_or(Precision::Country)
}

/// The public view of `location` coarsened to `level`, or what to tell the client.
///
/// The public point is always the coarse place's, whatever precision the client claimed for
/// its coordinates: the nearest place's point, or the province's or country's (the coarser
/// of those when the location itself claims less than `level`). Its uncertainty circle covers
/// the place and reaches the exact point's whole uncertainty circle (in steps, see
/// [`uncertainty_step_m`]), and its text is the place's name: the reporter's own text may
/// spell out the exact point.
pub fn public_view(
    location: &Location,
    level: Precision,
    gazetteer: &dyn Gazetteer,
) -> Result<PublicView, FieldError> {
    if !PUBLIC_LEVELS.contains(&level) {
        let allowed = PUBLIC_LEVELS.map(Precision::as_str);
        return Err(FieldError::not_one_of(
            "public_precision",
            level.as_str(),
            &allowed,
        ));
    }
    let asked = level;
    let level = public_level(location, level);
    let place = gazetteer
        .coarse_place(location.lon, location.lat, level)
        .ok_or_else(|| FieldError::no_area_at_precision("public_precision", level.as_str()))?;
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
        public_precision: Some(asked),
        coarsened: true,
    };
    Ok(PublicView {
        relation: gazetteer.relate(shown.lon, shown.lat),
        location: shown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geospatial::atlas::Atlas;
    use crate::geospatial::region::RegionFiles;

    fn places() -> &'static Atlas {
        static PLACES: std::sync::OnceLock<Atlas> = std::sync::OnceLock::new();
        PLACES.get_or_init(|| Atlas::load(RegionFiles::embedded()).unwrap())
    }

    fn at(lon: f64, lat: f64, precision: Precision) -> Location {
        Location {
            text: Some(format!("{lat}, {lon}")),
            lon,
            lat,
            precision,
            uncertainty_m: crate::domain::model::default_uncertainty_m(precision),
            province: None,
            country: None,
            ambiguous: false,
            public_precision: None,
            coarsened: false,
        }
    }

    #[test]
    fn the_public_point_is_the_coarse_places_whatever_the_claimed_precision() {
        let places = places();
        let gilan = places
            .region
            .province_at(49.61, 37.3)
            .unwrap()
            .representative;
        // Exact coordinates that claim province precision still move to the province's point.
        for precision in [
            Precision::Exact,
            Precision::Near,
            Precision::Region,
            Precision::Province,
        ] {
            let view = public_view(&at(49.61, 37.3, precision), Precision::Place, places).unwrap();
            let expected = match precision {
                Precision::Exact => Precision::Place,
                _ => Precision::Province,
            };
            assert_eq!(view.location.precision, expected, "{precision}");
            if expected == Precision::Province {
                assert_eq!((view.location.lon, view.location.lat), gilan, "{precision}");
                assert_eq!(view.location.text.as_deref(), Some("Gilan"));
            }
            assert!(view.location.coarsened);
            assert_eq!(view.location.public_precision, Some(Precision::Place));
        }
    }

    #[test]
    fn the_public_circle_holds_the_exact_circle() {
        let places = places();
        for (lon, lat) in [(49.61, 37.3), (48.3, 38.25), (52.5, 36.5), (50.2, 36.9)] {
            for level in PUBLIC_LEVELS {
                let exact = at(lon, lat, Precision::Exact);
                let view = public_view(&exact, level, places).unwrap().location;
                let reach = geodesy::geodesic_distance_m(view.lon, view.lat, lon, lat)
                    + exact.uncertainty_m;
                assert!(view.uncertainty_m >= reach, "{level} at {lon},{lat}");
                assert_ne!((view.lon, view.lat), (lon, lat));
            }
        }
    }

    #[test]
    fn only_place_province_and_country_are_levels() {
        let places = places();
        for level in [Precision::Exact, Precision::Near, Precision::Region] {
            assert!(public_view(&at(49.6, 37.3, Precision::Exact), level, places).is_err());
        }
    }
}
