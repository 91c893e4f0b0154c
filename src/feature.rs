//! Reports as GeoJSON (RFC 7946): `[lon, lat]` order, no `crs`, the report's id as the
//! Feature's id, and the model's fields as flat properties. Serialised from typed structs, never
//! through `serde_json::Value`, so large answers stay fast.

use crate::model::{Report, Source, Timestamp};
use crate::overlap::Overlap;
use serde::Serialize;
use serde::ser::SerializeMap;

/// A report as a GeoJSON Feature, with its distance from a query's centre if it has one.
pub struct ReportFeature<'a> {
    /// The report.
    pub report: &'a Report,
    /// Metres from the query's centre.
    pub distance_m: Option<f64>,
    /// How far the report's uncertainty circle reaches into the query's circle, for radius
    /// queries with `include_uncertain`.
    pub overlap: Option<Overlap>,
}

impl<'a> ReportFeature<'a> {
    /// A report with no query context.
    pub fn plain(report: &'a Report) -> Self {
        Self {
            report,
            distance_m: None,
            overlap: None,
        }
    }
}

#[derive(Serialize)]
struct Point {
    r#type: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
struct Properties<'a> {
    kind: &'static str,
    status: &'static str,
    description: &'a str,
    location_text: Option<&'a str>,
    precision: &'static str,
    uncertainty_m: f64,
    location_ambiguous: bool,
    province: Option<&'a str>,
    country: Option<&'a str>,
    border_distance_km: Option<f64>,
    border_country: Option<&'a str>,
    coast_distance_km: Option<f64>,
    in_sea: bool,
    observed_from: Timestamp,
    observed_to: Timestamp,
    sources: &'a [Source],
    tags: &'a [String],
    reported_at: Timestamp,
    updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    distance_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    within_radius: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncertainty_overlap_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uncertainty_overlap_share: Option<f64>,
}

/// Rounds to `digits` decimal places.
fn round_to(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

impl Serialize for ReportFeature<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.report;
        let mut map = s.serialize_map(Some(4))?;
        map.serialize_entry("type", "Feature")?;
        map.serialize_entry("id", &r.id)?;
        map.serialize_entry(
            "geometry",
            &Point {
                r#type: "Point",
                coordinates: [r.location.lon, r.location.lat],
            },
        )?;
        map.serialize_entry(
            "properties",
            &Properties {
                kind: r.kind.as_str(),
                status: r.status.as_str(),
                description: &r.description,
                location_text: r.location.text.as_deref(),
                precision: r.location.precision.as_str(),
                uncertainty_m: r.location.uncertainty_m,
                location_ambiguous: r.location.ambiguous,
                province: r.location.province.as_deref(),
                country: r.location.country.as_deref(),
                border_distance_km: r
                    .relation
                    .border_distance_m
                    .map(|m| round_to(m / 1000.0, 3)),
                border_country: r.relation.border_country.as_deref(),
                coast_distance_km: r.relation.coast_distance_m.map(|m| round_to(m / 1000.0, 3)),
                in_sea: r.relation.in_sea,
                observed_from: r.observed.from,
                observed_to: r.observed.to,
                sources: &r.sources,
                tags: &r.tags,
                reported_at: r.reported_at,
                updated_at: r.updated_at,
                distance_km: self.distance_m.map(|m| round_to(m / 1000.0, 6)),
                within_radius: self.overlap.map(|o| o.point_inside),
                uncertainty_overlap_km: self.overlap.map(|o| round_to(o.depth_m / 1000.0, 6)),
                uncertainty_overlap_share: self.overlap.map(|o| round_to(o.share, 4)),
            },
        )?;
        map.end()
    }
}

/// A link in a collection (OGC API style).
#[derive(Debug, Clone, Serialize)]
pub struct Link {
    /// Target.
    pub href: String,
    /// Relation: `self`, `next`, …
    pub rel: &'static str,
    /// Media type.
    pub r#type: &'static str,
}

/// One page of reports as a FeatureCollection with OGC API paging members.
#[derive(Serialize)]
pub struct ReportCollection<'a> {
    r#type: &'static str,
    #[serde(rename = "numberMatched")]
    number_matched: usize,
    #[serde(rename = "numberReturned")]
    number_returned: usize,
    #[serde(rename = "timeStamp")]
    time_stamp: Timestamp,
    links: Vec<Link>,
    features: Vec<ReportFeature<'a>>,
}

impl<'a> ReportCollection<'a> {
    /// A page of features with how many matched in all and its links.
    pub fn new(features: Vec<ReportFeature<'a>>, matched: usize, links: Vec<Link>) -> Self {
        Self {
            r#type: "FeatureCollection",
            number_matched: matched,
            number_returned: features.len(),
            time_stamp: Timestamp::now(),
            links,
            features,
        }
    }
}
