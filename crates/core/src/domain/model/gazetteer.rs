//! The model's port to the region: what it needs of a geocoder and of the geography to
//! place, name and relate a report (implemented by [`crate::geospatial::atlas::Atlas`]).

use super::{FieldError, Location, Precision, Relation};

/// Why place text names no place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// The text is blank.
    Blank,
    /// No known place matches; `suggestions` are names the text may mean.
    NoMatch {
        /// Names close to the text, best first.
        suggestions: Vec<String>,
    },
}

impl Unresolved {
    /// What to tell the client about `text`, given at `field`.
    pub fn field_error(&self, field: &str, text: &str) -> FieldError {
        match self {
            Self::Blank => FieldError::required(field),
            Self::NoMatch { suggestions } => FieldError::place_unknown(field, text, suggestions),
        }
    }
}

/// Places for reports: the geocoder, seen from the model.
pub trait Gazetteer: Send + Sync {
    /// The place a text names, as a location without text (whether the text was ambiguous in
    /// `ambiguous`), or why it names none (with "did you mean" suggestions).
    fn resolve(&self, text: &str) -> Result<Location, Unresolved>;
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
