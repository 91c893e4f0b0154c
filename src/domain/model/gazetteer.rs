//! The model's port to the region: what it needs of a geocoder and of the geography to
//! place, name and relate a report (implemented by [`crate::atlas::Atlas`]).

use super::{Precision, Relation};

/// A place found for a report's place text.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedPlace {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// How precise.
    pub precision: Precision,
    /// Metres.
    pub uncertainty_m: f64,
    /// Province name.
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    pub country: Option<String>,
    /// Whether the text named several places that context did not decide between.
    pub ambiguous: bool,
}

/// Places for reports: the geocoder, seen from the model.
pub trait Gazetteer: Send + Sync {
    /// The place a text names, or what to tell the client (with "did you mean" suggestions).
    fn resolve(&self, text: &str) -> Result<ResolvedPlace, String>;
    /// The province name and country code at a point.
    fn locate(&self, lon: f64, lat: f64) -> (Option<String>, Option<String>);
    /// Where a point lies relative to the region's borders and coast.
    fn relate(&self, lon: f64, lat: f64) -> Relation;
    /// The place (town), province or country, by `level`, that stands for a point in public
    /// (see [`crate::model::privacy`]).
    fn coarse_place(
        &self,
        lon: f64,
        lat: f64,
        level: Precision,
    ) -> Option<crate::model::privacy::CoarsePlace>;
}
