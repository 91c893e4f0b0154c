//! A report's flat fields: the one list that every tabular output is written from, so that the
//! formats cannot drift apart. CSV writes every field in this order; FlatGeobuf and KML every
//! field but the coordinate columns (their geometry carries the point); the OGC API's report
//! items add the [`Ogc::Flat`] summaries beside their structured properties, and its
//! queryables and CQL2 filters read the fields marked for it.
//!
//! The columns, their order, types and OGC form are the table of report fields
//! ([`crate::domain::model::fields::REPORT_FIELDS`]); this list adds how each is read from a
//! report, taking the rest from the table at compile time, and a test holds the two to the
//! same columns in the same order. A new field's export column is declared in the table and
//! read here, and every export carries it.

use crate::domain::model::fields::ExportColumn;
pub use crate::domain::model::fields::{CONTEXT_COLUMNS, EVENT_ID, FieldType, Ogc};
use crate::domain::model::{Report, Timestamp};
use crate::formats::coords;
use std::borrow::Cow;

/// A field's value for one report.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// No value.
    Null,
    /// Text.
    Text(Cow<'a, str>),
    /// A number.
    Number(f64),
    /// A whole number.
    Integer(i64),
    /// true or false.
    Bool(bool),
    /// An instant.
    Time(Timestamp),
    /// JSON text.
    Json(String),
}

impl FieldValue<'_> {
    /// The value as CSV and KML write it: empty for none, numbers in Rust's shortest form
    /// (distances to the metre, as `border_distance_km` is given), times in RFC 3339.
    pub fn to_text(&self) -> Cow<'_, str> {
        match self {
            FieldValue::Null => Cow::Borrowed(""),
            FieldValue::Text(text) => Cow::Borrowed(text),
            FieldValue::Number(n) => Cow::Owned(n.to_string()),
            FieldValue::Integer(n) => Cow::Owned(n.to_string()),
            FieldValue::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            FieldValue::Time(t) => Cow::Owned(t.to_string()),
            FieldValue::Json(json) => Cow::Borrowed(json),
        }
    }
}

impl serde::Serialize for FieldValue<'_> {
    /// As JSON: text, numbers and booleans as themselves, times in RFC 3339, JSON text
    /// as the string it is.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FieldValue::Null => s.serialize_none(),
            FieldValue::Text(text) => s.serialize_str(text),
            FieldValue::Number(n) => s.serialize_f64(*n),
            FieldValue::Integer(n) => s.serialize_i64(*n),
            FieldValue::Bool(b) => s.serialize_bool(*b),
            FieldValue::Time(t) => t.serialize(s),
            FieldValue::Json(json) => s.serialize_str(json),
        }
    }
}

/// One flat field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    /// Its column name.
    pub name: &'static str,
    /// What it holds.
    pub kind: FieldType,
    /// A coordinate column (`lon`, `lat`, `wkt`): CSV only, since the other formats have a
    /// geometry.
    pub coordinate: bool,
    /// How the OGC API shows it.
    pub ogc: Ogc,
    /// Reads it from a report.
    pub read: for<'r> fn(&'r Report) -> FieldValue<'r>,
}

fn text(value: Option<&str>) -> FieldValue<'_> {
    value.map_or(FieldValue::Null, |t| FieldValue::Text(Cow::Borrowed(t)))
}

fn km(metres: Option<f64>) -> FieldValue<'static> {
    // To the metre, as the GeoJSON properties give it.
    metres.map_or(FieldValue::Null, |m| {
        FieldValue::Number(crate::formats::feature::round_to(m / 1000.0, 3))
    })
}

/// The sources' names, `; ` between them.
fn source_names(report: &Report) -> String {
    let names: Vec<&str> = report.sources.iter().map(|s| s.name.as_str()).collect();
    names.join("; ")
}

/// The sources' stances, in the sources' order, `; ` between them.
fn stances(report: &Report) -> String {
    let stances: Vec<&str> = report.sources.iter().map(|s| s.stance.as_str()).collect();
    stances.join("; ")
}

/// The tags, `; ` between them.
fn tags_text(report: &Report) -> String {
    report.tags.join("; ")
}

impl Field {
    /// The export column declared in the table of report fields, read by `read`.
    const fn of(column: ExportColumn, read: for<'r> fn(&'r Report) -> FieldValue<'r>) -> Self {
        Field {
            name: column.name,
            kind: column.kind,
            coordinate: column.coordinate,
            ogc: column.ogc,
            read,
        }
    }
}

/// A field: the table's export column `$name`, read by `$read`.
macro_rules! field {
    ($name:literal, $read:expr) => {
        Field::of(
            const { crate::domain::model::fields::export_column($name) },
            $read,
        )
    };
}

/// Every flat field, in the CSV's column order.
pub const FIELDS: &[Field] = &[
    field!("id", |r| FieldValue::Text(Cow::Owned(r.id.to_string()))),
    field!("kind", |r| FieldValue::Text(r.kind.as_str().into())),
    field!("status", |r| FieldValue::Text(r.status.as_str().into())),
    field!("description", |r| FieldValue::Text(Cow::Borrowed(
        &r.description
    ))),
    field!("location_text", |r| text(r.location.text.as_deref())),
    field!("lon", |r| FieldValue::Number(coords::round(r.location.lon))),
    field!("lat", |r| FieldValue::Number(coords::round(r.location.lat))),
    field!("wkt", |r| {
        let [lon, lat] = coords::point(r.location.lon, r.location.lat);
        FieldValue::Text(Cow::Owned(format!("POINT ({lon} {lat})")))
    }),
    field!("precision", |r| FieldValue::Text(
        r.location.precision.as_str().into()
    )),
    field!("uncertainty_m", |r| {
        FieldValue::Number(r.location.uncertainty_m)
    }),
    field!("location_ambiguous", |r| {
        FieldValue::Bool(r.location.ambiguous)
    }),
    field!("public_precision", |r| text(
        r.location.public_precision.map(|p| p.as_str())
    )),
    field!("location_coarsened", |r| {
        FieldValue::Bool(r.location.coarsened)
    }),
    field!("province", |r| text(r.location.province.as_deref())),
    field!("country", |r| text(r.location.country.as_deref())),
    field!("border_distance_km", |r| km(r.relation.border_distance_m)),
    field!("border_country", |r| text(
        r.relation.border_country.as_deref()
    )),
    field!("coast_distance_km", |r| km(r.relation.coast_distance_m)),
    field!("in_sea", |r| FieldValue::Bool(r.relation.in_sea)),
    field!("observed_from", |r| FieldValue::Time(r.observed.from)),
    field!("observed_to", |r| FieldValue::Time(r.observed.to)),
    field!("source_count", |r| {
        FieldValue::Integer(r.sources.len() as i64)
    }),
    field!("source_names", |r| {
        FieldValue::Text(Cow::Owned(source_names(r)))
    }),
    field!("stances", |r| FieldValue::Text(Cow::Owned(stances(r)))),
    // Plain structs of strings: serialising them cannot fail.
    field!("sources_json", |r| FieldValue::Json(
        serde_json::to_string(&r.sources).unwrap_or_default()
    )),
    // Joined as text; the GeoJSON `tags` is the array, so the OGC items name it `tags_text`.
    field!("tags", |r| FieldValue::Text(Cow::Owned(tags_text(r)))),
    field!("reported_at", |r| FieldValue::Time(r.reported_at)),
    field!("updated_at", |r| FieldValue::Time(r.updated_at)),
];

/// The fields a file with a geometry carries as attributes (all but the coordinate columns).
pub fn attributes() -> impl Iterator<Item = &'static Field> {
    FIELDS.iter().filter(|f| !f.coordinate)
}

/// The field the OGC API shows under `name` (its own name, or its flat name).
pub fn ogc_field(name: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| match f.ogc {
        Ogc::Property => f.name == name,
        Ogc::Flat(flat) => flat == name,
        Ogc::Hidden => false,
    })
}

/// The OGC queryables of reports: name and type, the fields in the list's order, then the
/// report's context (its `event_id`, [`CONTEXT_COLUMNS`]).
pub fn ogc_queryables() -> impl Iterator<Item = (&'static str, FieldType)> {
    let own = FIELDS.iter().filter_map(|f| match f.ogc {
        Ogc::Property => Some((f.name, f.kind)),
        Ogc::Flat(flat) => Some((flat, f.kind)),
        Ogc::Hidden => None,
    });
    let context = CONTEXT_COLUMNS
        .iter()
        .filter(|c| c.ogc != Ogc::Hidden)
        .map(|c| (c.name, c.kind));
    own.chain(context)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::fields::REPORT_FIELDS;

    #[test]
    fn names_are_unique_in_every_output() {
        let mut names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FIELDS.len());
        let mut ogc: Vec<&str> = ogc_queryables().map(|(n, _)| n).collect();
        let count = ogc.len();
        ogc.sort_unstable();
        ogc.dedup();
        assert_eq!(ogc.len(), count);
        assert!(ogc_field("tags_text").is_some() && ogc_field("tags").is_none());
        for name in ["event_id", "public_precision", "location_coarsened"] {
            assert!(ogc.contains(&name), "{name} is not queryable");
        }
    }

    #[test]
    fn every_export_column_of_the_table_is_read_in_the_tables_order() {
        let declared: Vec<&str> = REPORT_FIELDS
            .iter()
            .flat_map(|f| f.export.iter().map(|c| c.name))
            .collect();
        let read: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(read, declared);
    }

    #[test]
    fn text_forms() {
        assert_eq!(FieldValue::Null.to_text(), "");
        assert_eq!(FieldValue::Bool(true).to_text(), "true");
        assert_eq!(FieldValue::Number(143.457).to_text(), "143.457");
        assert_eq!(FieldValue::Integer(2).to_text(), "2");
        assert_eq!(
            FieldValue::Time(Timestamp(1_749_772_800)).to_text(),
            "2025-06-13T00:00:00Z"
        );
    }
}
