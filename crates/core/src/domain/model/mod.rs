//! The report model. A report is a *claim*: somebody says they saw or heard something,
//! somewhere, some time. The model keeps who says so ([`Source`] with its [`Stance`]), how sure
//! the location is ([`Precision`] and an uncertainty radius), an observation *interval* rather
//! than an invented instant, and how far the claim has been checked ([`Status`]).

mod event_ref;
mod field_error;
pub mod fields;
mod gazetteer;
mod input;
mod json_entry;
mod patch;
pub mod privacy;
mod record;
pub mod testimony;
mod timestamp;
mod vocab;

pub use event_ref::{EVENT_ID_PREFIX, EVENT_REVIEW_WORDS, EventId, EventReview};
pub use field_error::FieldError;
pub use gazetteer::{Gazetteer, Unresolved};
pub use input::{
    EARLIEST_OBSERVED_YEAR, LocationInput, MAX_DESCRIPTION_CHARS, MAX_OBSERVED_DAYS, ObservedInput,
    Origin, ReportInput, SourceInput, default_uncertainty_m,
};
pub use json_entry::{feature_input_from_text, input_from_json};
pub use patch::merge_patch;
pub use record::IndexRecord;
pub use testimony::{OriginCount, SourceKey, Testimony};
pub use timestamp::{BadTimestamp, DayEnd, Timestamp};
pub use vocab::{Kind, Precision, SourceType, Stance, Status, UnknownWord, WordSet};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A report's id: a UUIDv7, so ids sort by creation time and are safe in URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportId(pub uuid::Uuid);

impl ReportId {
    /// A new id for a report created now.
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7())
    }
}

impl Default for ReportId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

impl FromStr for ReportId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        uuid::Uuid::parse_str(s).map(Self)
    }
}

/// Where a report places what it describes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// The place as reported ("eastern Gilan"), if any.
    pub text: Option<String>,
    /// WGS84 longitude, degrees.
    pub lon: f64,
    /// WGS84 latitude, degrees.
    pub lat: f64,
    /// How precisely the point locates the claim.
    pub precision: Precision,
    /// Radius, in metres, within which the claim is thought to lie.
    pub uncertainty_m: f64,
    /// First-level administrative division, such as "Gilan".
    pub province: Option<String>,
    /// ISO 3166-1 alpha-2 country code, such as "IR".
    pub country: Option<String>,
    /// Whether the place text named several places that context did not decide between;
    /// the point is the likeliest of them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ambiguous: bool,
    /// The level to which the public sees this location coarsened (place, province or
    /// country), when the reporter asked for that; see [`crate::domain::model::privacy`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_precision: Option<Precision>,
    /// Whether this is a private location's public view, not the location itself.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub coarsened: bool,
}

/// Where a report's point lies relative to the region's land borders and coast, computed by
/// the server whenever the point is written. `None` where the region has no such lines.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Relation {
    /// Geodesic distance to the nearest land border of the home country, metres.
    pub border_distance_m: Option<f64>,
    /// ISO 3166-1 alpha-2 code of the neighbour across that border.
    pub border_country: Option<String>,
    /// Geodesic distance to the coast, metres.
    pub coast_distance_m: Option<f64>,
    /// Whether the point lies in the open sea.
    pub in_sea: bool,
}

/// When something was observed: an interval, closed at both ends. One instant has
/// `from == to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interval {
    /// The earliest moment the observation may have taken place.
    pub from: Timestamp,
    /// The latest moment.
    pub to: Timestamp,
}

impl Interval {
    /// Whether this interval shares a moment with `[since, until]` (either end open).
    pub fn overlaps(&self, since: Option<Timestamp>, until: Option<Timestamp>) -> bool {
        since.is_none_or(|s| self.to >= s) && until.is_none_or(|u| self.from <= u)
    }
}

/// Somebody who makes, denies or investigates a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Who: a person, outlet, ministry or account.
    pub name: String,
    /// Where they said it, if public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// What kind of source this is.
    #[serde(rename = "type")]
    pub source_type: SourceType,
    /// What they say about the claim.
    pub stance: Stance,
    /// What they said, in brief.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The outlet that relayed what they said ("Residents of Gilan province" via "Tehran
    /// Times"), if it reached us through one. See [`testimony`] for how it counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl Source {
    /// A source by name, kind and stance, with no URL, statement or relaying outlet.
    pub fn new(name: impl Into<String>, source_type: SourceType, stance: Stance) -> Self {
        Source {
            name: name.into(),
            url: None,
            source_type,
            stance,
            statement: None,
            via: None,
        }
    }

    /// The same source, relayed through `outlet`.
    pub fn via(self, outlet: Option<&str>) -> Self {
        Source {
            via: outlet.map(Into::into),
            ..self
        }
    }
}

/// A claim, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Stable id; also the GeoJSON Feature id.
    pub id: ReportId,
    /// What was seen or heard.
    pub kind: Kind,
    /// The claim in the reporter's words.
    pub description: String,
    /// Where.
    pub location: Location,
    /// Where that is relative to the borders and the coast (server-computed).
    pub relation: Relation,
    /// When.
    pub observed: Interval,
    /// Who claims, denies or investigates it.
    pub sources: Vec<Source>,
    /// How far it has been checked.
    pub status: Status,
    /// Short labels.
    pub tags: Vec<String>,
    /// When the server first stored it.
    pub reported_at: Timestamp,
    /// When the server last changed it.
    pub updated_at: Timestamp,
    /// A reviewer's correction of the machine's grouping into events: `auto` (the default),
    /// `exclude`, or the id of the event the report is pinned to.
    #[serde(default, skip_serializing_if = "EventReview::is_auto")]
    pub event_review: EventReview,
    /// What the public sees of the location, for a report with `public_precision`
    /// (server-computed; see [`crate::domain::model::privacy`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public: Option<Box<PublicView>>,
}

/// A private location as the public sees it: a coarser point, and its relation to the
/// borders and coast, computed from that point and never from the exact one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicView {
    /// The coarsened location.
    pub location: Location,
    /// Where the coarsened point lies relative to the borders and coast.
    pub relation: Relation,
}

impl Report {
    /// Whether the public sees the location coarsened.
    pub fn is_private(&self) -> bool {
        self.public.is_some()
    }

    /// The set of source types among the report's sources.
    pub fn source_types(&self) -> WordSet {
        self.sources
            .iter()
            .fold(WordSet::default(), |set, s| set.with(s.source_type.bit()))
    }
}
