//! What the index keeps of a report: enough to place and filter it. The stores read it for
//! every live report when the index is built, and the index holds one per report; it is
//! defined here, with the model, so that neither depends on the other for it.

use super::{
    EventReview, Kind, Precision, PublicView, Relation, Report, ReportId, Status, Testimony,
    Timestamp, WordSet,
};

/// What the index keeps of a report: enough to place and filter it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexRecord {
    /// The report's id.
    pub id: ReportId,
    /// The store's change sequence number when this version was written; an older version
    /// never replaces a newer one.
    pub version: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Radius of the location's uncertainty circle, metres.
    pub uncertainty_m: f64,
    /// How precisely the point locates the claim.
    pub precision: Precision,
    /// Kind.
    pub kind: Kind,
    /// Status.
    pub status: Status,
    /// Source types present.
    pub source_types: WordSet,
    /// Observation start.
    pub observed_from: Timestamp,
    /// Observation end.
    pub observed_to: Timestamp,
    /// Tags, lowercase.
    pub tags: Vec<String>,
    /// Province name.
    pub province: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// Distances to the borders and coast.
    pub relation: Relation,
    /// The sources as keys, for counting origins ([`super::testimony`]).
    pub testimony: Testimony,
    /// A reviewer's correction of the report's event.
    pub event_review: EventReview,
    /// For a report whose location is private (see [`crate::domain::model::privacy`]): its record at the
    /// exact location, while the fields above place it where the public sees it.
    pub exact: Option<Box<IndexRecord>>,
}

impl IndexRecord {
    /// The record of a report at a store version: placed where the public sees it, with the
    /// exact placement beside it for a private report.
    pub fn of(report: &Report, version: i64) -> Self {
        let exact = Self {
            id: report.id,
            version,
            lon: report.location.lon,
            lat: report.location.lat,
            uncertainty_m: report.location.uncertainty_m,
            precision: report.location.precision,
            kind: report.kind,
            status: report.status,
            source_types: report.source_types(),
            observed_from: report.observed.from,
            observed_to: report.observed.to,
            tags: report.tags.clone(),
            province: report.location.province.clone(),
            country: report.location.country.clone(),
            relation: report.relation.clone(),
            testimony: Testimony::of(&report.sources),
            event_review: report.event_review,
            exact: None,
        };
        exact.with_public_view(report.public.as_deref())
    }

    /// Sets the store version of the record (and of its exact record, if any).
    pub fn set_version(&mut self, version: i64) {
        self.version = version;
        if let Some(exact) = &mut self.exact {
            exact.version = version;
        }
    }

    /// This record (of an exact location) placed where the public sees it, keeping the
    /// exact record beside; unchanged for a report without a public view.
    pub fn with_public_view(self, view: Option<&PublicView>) -> Self {
        let Some(PublicView { location, relation }) = view else {
            return self;
        };
        Self {
            lon: location.lon,
            lat: location.lat,
            uncertainty_m: location.uncertainty_m,
            precision: location.precision,
            province: location.province.clone(),
            country: location.country.clone(),
            relation: relation.clone(),
            exact: Some(Box::new(self.clone())),
            ..self
        }
    }
}
