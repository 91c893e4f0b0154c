//! The model's port to the region: what it needs of a geocoder and of the geography to
//! place, name and relate a report (implemented by [`crate::geospatial::atlas::Atlas`]).

use super::{Location, Precision, Relation};

/// Places for reports: the geocoder, seen from the model.
pub trait Gazetteer: Send + Sync {
    /// The place a text names, as a location without text (whether the text was ambiguous in
    /// `ambiguous`), or what to tell the client (with "did you mean" suggestions).
    fn resolve(&self, text: &str) -> Result<Location, String>;
    /// The province name and country code at a point.
    fn locate(&self, lon: f64, lat: f64) -> (Option<String>, Option<String>);
    /// Where a point lies relative to the region's borders and coast.
    fn relate(&self, lon: f64, lat: f64) -> Relation;
    /// The place (town), province or country, by `level`, that stands for a point in public
    /// (see [`crate::domain::model::privacy`]).
    fn coarse_place(
        &self,
        lon: f64,
        lat: f64,
        level: Precision,
    ) -> Option<crate::domain::model::privacy::CoarsePlace>;
}
