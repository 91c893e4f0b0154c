//! The report's fields, declared once: for each field its API name, what it holds, the store
//! columns that hold it, who sets it, what a PATCH may do with it, the columns the exports
//! write (and which of them the OGC API may filter on), how privacy treats it and how the
//! OpenAPI document describes it on input.
//!
//! Everything else is derived from [`REPORT_FIELDS`] or held to it by a test: the OpenAPI
//! report input (`src/http/openapi.rs`), the PATCH rules ([`crate::domain::model::merge_patch`]
//! and the server's refusals), the export fields and OGC queryables (`formats::fields`, whose
//! readers take their names, types and OGC form from here at compile time), the store's
//! column list (`engine::store::columns`) and both SQL schemas. The README's "How to add a
//! report field" says what a new field needs.
//!
//! The table is plain data (strings, small enums and functions of the domain's [`Report`]),
//! so every layer may read it.

use super::privacy::PUBLIC_LEVELS;
use super::{Kind, MAX_DESCRIPTION_CHARS, Precision, Report, SourceType, Stance, Status};
use serde_json::{Value, json};

/// What kind of value a field or an export column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text.
    Text,
    /// A floating-point number.
    Number,
    /// A whole number.
    Integer,
    /// true or false.
    Bool,
    /// An instant (UTC, to the second).
    Time,
    /// JSON (an array or object; JSON text in flat files).
    Json,
}

/// Who sets a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetBy {
    /// The client (the geocoder fills in what place text implies, the region's outlines the
    /// province and country of a point inside them).
    Client,
    /// The server, once (ids and times; `sightmap import` keeps an export's).
    Server,
    /// The geocoder, from the place text.
    Geocoder,
    /// Computed by the server from other fields whenever the point is written (the relation to
    /// the borders and coast, the public view).
    Computed,
}

/// What a PATCH (a JSON merge patch) may do with a field.
#[derive(Debug, Clone, Copy)]
pub enum Patch {
    /// Editable: the patch applies to the current value, read by this function (`None` when
    /// the field is absent).
    Editable(fn(&Report) -> Option<Value>),
    /// Set by the server: a patch naming it is refused (`field.server_set`).
    Refused,
    /// Computed: accepted in a patch (as in an exported report sent back) and ignored.
    Ignored,
}

/// How the OGC API shows an export column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ogc {
    /// A property of the GeoJSON feature already, under the same name: queryable.
    Property,
    /// Added to OGC report items as a flat value under this name (QGIS shows JSON arrays and
    /// objects as NULL): queryable.
    Flat(&'static str),
    /// Not shown as a field of its own (the geometry or a structured property carries it).
    Hidden,
}

/// One column of the flat exports (CSV, KML, FlatGeobuf), and of the OGC API's items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportColumn {
    /// Its name.
    pub name: &'static str,
    /// What it holds.
    pub kind: FieldType,
    /// A coordinate column (`lon`, `lat`, `wkt`): CSV only, since the other formats have a
    /// geometry.
    pub coordinate: bool,
    /// How the OGC API shows it (and whether a filter may use it).
    pub ogc: Ogc,
}

const fn column(name: &'static str, kind: FieldType, ogc: Ogc) -> ExportColumn {
    ExportColumn {
        name,
        kind,
        coordinate: false,
        ogc,
    }
}

/// A queryable export column under the field's own name.
const fn queryable(name: &'static str, kind: FieldType) -> ExportColumn {
    column(name, kind, Ogc::Property)
}

/// A coordinate column: CSV only.
const fn coordinate(name: &'static str, kind: FieldType) -> ExportColumn {
    ExportColumn {
        coordinate: true,
        ..column(name, kind, Ogc::Hidden)
    }
}

/// How privacy treats a field for the public (see [`crate::domain::model::privacy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    /// Shown as it is.
    Public,
    /// Replaced, with the whole location, by the private location's public view.
    Coarsened,
    /// Recomputed from the public point (the relation to the borders and coast).
    Recomputed,
    /// Shown to reviewers and admins only.
    ReviewersOnly,
}

/// How the OpenAPI document describes a field in a report sent by a client.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    /// Accepted, as this JSON schema (OpenAPI 3.0); also inside the nested `location` object
    /// under the name given.
    Accepted(fn() -> Value, Option<&'static str>),
    /// Accepted with any value and ignored (written by the server; an export sent back holds
    /// it).
    Ignored,
    /// Not described: set by the server (import keeps it), or a reviewer's by PATCH.
    Undescribed,
}

/// One field of a report.
#[derive(Debug, Clone, Copy)]
pub struct ReportField {
    /// Its name in the API: the GeoJSON property and the input field.
    pub name: &'static str,
    /// What it holds.
    pub value: FieldType,
    /// The report table's columns that store it (none: computed on reading).
    pub columns: &'static [&'static str],
    /// Who sets it.
    pub set_by: SetBy,
    /// What a PATCH may do with it.
    pub patch: Patch,
    /// The export columns written from it, in their order within the export.
    pub export: &'static [ExportColumn],
    /// How privacy treats it.
    pub privacy: Privacy,
    /// How the OpenAPI document describes it on input.
    pub input: Input,
}

/// The report table's columns that belong to no field: the store's own bookkeeping.
pub const BOOKKEEPING_COLUMNS: &[&str] = &[
    // The store version of the row's last write (the index and the change feed follow it).
    "version",
    // When the report was deleted (hidden from queries, kept for its history).
    "deleted_at",
    // The description's words as the text search matches them, written from Rust on every
    // write and indexed by each store's full-text search (`crate::domain::text`).
    "search_words",
];

fn text(value: &str) -> Option<Value> {
    Some(value.into())
}

fn opt_text(value: Option<&str>) -> Option<Value> {
    value.map(Value::from)
}

fn string() -> Value {
    json!({"type": "string"})
}

fn boolean() -> Value {
    json!({"type": "boolean"})
}

fn latitude() -> Value {
    json!({"type": "number", "minimum": -90, "maximum": 90})
}

fn longitude() -> Value {
    json!({"type": "number", "minimum": -180, "maximum": 180})
}

/// The words of a vocabulary, for an `enum`.
fn words<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Value {
    all.iter().map(|w| name(*w)).collect::<Vec<_>>().into()
}

fn one_of<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Value {
    json!({"type": "string", "enum": words(all, name)})
}

fn sources_schema() -> Value {
    json!({
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "type", "stance"],
            "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "url": {"type": "string"},
                "type": one_of(SourceType::ALL, SourceType::as_str),
                "stance": one_of(Stance::ALL, Stance::as_str),
                "statement": {"type": "string"},
                "via": {"type": "string"},
            },
        },
    })
}

use FieldType::{Bool, Integer, Json, Number, Text, Time};

/// Every field of a report, in the exports' column order.
pub const REPORT_FIELDS: &[ReportField] = &[
    ReportField {
        name: "id",
        value: Text,
        columns: &["id"],
        set_by: SetBy::Server,
        patch: Patch::Refused,
        export: &[queryable("id", Text)],
        privacy: Privacy::Public,
        input: Input::Undescribed,
    },
    ReportField {
        name: "kind",
        value: Text,
        columns: &["kind"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| text(r.kind.as_str())),
        export: &[queryable("kind", Text)],
        privacy: Privacy::Public,
        input: Input::Accepted(|| one_of(Kind::ALL, Kind::as_str), None),
    },
    ReportField {
        name: "status",
        value: Text,
        columns: &["status"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| text(r.status.as_str())),
        export: &[queryable("status", Text)],
        privacy: Privacy::Public,
        input: Input::Accepted(|| one_of(Status::ALL, Status::as_str), None),
    },
    ReportField {
        name: "description",
        value: Text,
        columns: &["description"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| text(&r.description)),
        export: &[queryable("description", Text)],
        privacy: Privacy::Public,
        input: Input::Accepted(
            || json!({"type": "string", "minLength": 1, "maxLength": MAX_DESCRIPTION_CHARS}),
            None,
        ),
    },
    ReportField {
        name: "location_text",
        value: Text,
        columns: &["location_text"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| opt_text(r.location.text.as_deref())),
        export: &[queryable("location_text", Text)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(string, Some("text")),
    },
    ReportField {
        name: "lon",
        value: Number,
        columns: &["lon"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| Some(r.location.lon.into())),
        export: &[coordinate("lon", Number)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(longitude, Some("lon")),
    },
    ReportField {
        name: "lat",
        value: Number,
        columns: &["lat"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| Some(r.location.lat.into())),
        // The point as WKT follows the latitude.
        export: &[coordinate("lat", Number), coordinate("wkt", Text)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(latitude, Some("lat")),
    },
    ReportField {
        name: "precision",
        value: Text,
        columns: &["precision"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| text(r.location.precision.as_str())),
        export: &[queryable("precision", Text)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(
            || one_of(Precision::ALL, Precision::as_str),
            Some("precision"),
        ),
    },
    ReportField {
        name: "uncertainty_m",
        value: Number,
        columns: &["uncertainty_m"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| Some(r.location.uncertainty_m.into())),
        export: &[queryable("uncertainty_m", Number)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(
            || json!({"type": "number", "minimum": 0, "maximum": 2_000_000}),
            Some("uncertainty_m"),
        ),
    },
    ReportField {
        name: "location_ambiguous",
        value: Bool,
        columns: &["location_ambiguous"],
        set_by: SetBy::Geocoder,
        patch: Patch::Ignored,
        export: &[queryable("location_ambiguous", Bool)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(boolean, None),
    },
    ReportField {
        name: "public_precision",
        value: Text,
        // Stored in the public view it asks for.
        columns: &["public_view"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| opt_text(r.location.public_precision.map(|p| p.as_str()))),
        export: &[queryable("public_precision", Text)],
        privacy: Privacy::Public,
        input: Input::Accepted(
            || one_of(&PUBLIC_LEVELS, Precision::as_str),
            Some("public_precision"),
        ),
    },
    ReportField {
        name: "location_coarsened",
        value: Bool,
        columns: &[],
        set_by: SetBy::Computed,
        patch: Patch::Ignored,
        export: &[queryable("location_coarsened", Bool)],
        privacy: Privacy::Coarsened,
        input: Input::Ignored,
    },
    ReportField {
        name: "province",
        value: Text,
        columns: &["province"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| opt_text(r.location.province.as_deref())),
        export: &[queryable("province", Text)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(string, Some("province")),
    },
    ReportField {
        name: "country",
        value: Text,
        columns: &["country"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| opt_text(r.location.country.as_deref())),
        export: &[queryable("country", Text)],
        privacy: Privacy::Coarsened,
        input: Input::Accepted(string, Some("country")),
    },
    ReportField {
        name: "border_distance_km",
        value: Number,
        columns: &["border_distance_m"],
        set_by: SetBy::Computed,
        patch: Patch::Ignored,
        export: &[queryable("border_distance_km", Number)],
        privacy: Privacy::Recomputed,
        input: Input::Ignored,
    },
    ReportField {
        name: "border_country",
        value: Text,
        columns: &["border_country"],
        set_by: SetBy::Computed,
        patch: Patch::Ignored,
        export: &[queryable("border_country", Text)],
        privacy: Privacy::Recomputed,
        input: Input::Ignored,
    },
    ReportField {
        name: "coast_distance_km",
        value: Number,
        columns: &["coast_distance_m"],
        set_by: SetBy::Computed,
        patch: Patch::Ignored,
        export: &[queryable("coast_distance_km", Number)],
        privacy: Privacy::Recomputed,
        input: Input::Ignored,
    },
    ReportField {
        name: "in_sea",
        value: Bool,
        columns: &["in_sea"],
        set_by: SetBy::Computed,
        patch: Patch::Ignored,
        export: &[queryable("in_sea", Bool)],
        privacy: Privacy::Recomputed,
        input: Input::Ignored,
    },
    ReportField {
        name: "observed_from",
        value: Time,
        columns: &["observed_from"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| Some(r.observed.from.to_string().into())),
        export: &[queryable("observed_from", Time)],
        privacy: Privacy::Public,
        input: Input::Accepted(string, None),
    },
    ReportField {
        name: "observed_to",
        value: Time,
        columns: &["observed_to"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| Some(r.observed.to.to_string().into())),
        export: &[queryable("observed_to", Time)],
        privacy: Privacy::Public,
        input: Input::Accepted(string, None),
    },
    ReportField {
        name: "sources",
        value: Json,
        // The source types beside them, as a bit set, for the index.
        columns: &["sources", "source_types"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| serde_json::to_value(&r.sources).ok()),
        export: &[
            column("source_count", Integer, Ogc::Flat("source_count")),
            column("source_names", Text, Ogc::Flat("source_names")),
            column("stances", Text, Ogc::Flat("stances")),
            column("sources_json", Json, Ogc::Hidden),
        ],
        privacy: Privacy::Public,
        input: Input::Accepted(sources_schema, None),
    },
    ReportField {
        name: "tags",
        value: Json,
        columns: &["tags"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| serde_json::to_value(&r.tags).ok()),
        // Joined as text; the GeoJSON `tags` is the array, so the OGC items name it `tags_text`.
        export: &[column("tags", Text, Ogc::Flat("tags_text"))],
        privacy: Privacy::Public,
        input: Input::Accepted(
            || json!({"type": "array", "items": {"type": "string"}}),
            None,
        ),
    },
    ReportField {
        name: "reported_at",
        value: Time,
        columns: &["reported_at"],
        set_by: SetBy::Server,
        patch: Patch::Refused,
        export: &[queryable("reported_at", Time)],
        privacy: Privacy::Public,
        input: Input::Undescribed,
    },
    ReportField {
        name: "updated_at",
        value: Time,
        columns: &["updated_at"],
        set_by: SetBy::Server,
        patch: Patch::Refused,
        export: &[queryable("updated_at", Time)],
        privacy: Privacy::Public,
        input: Input::Undescribed,
    },
    ReportField {
        name: "event_review",
        value: Text,
        columns: &["event_review"],
        set_by: SetBy::Client,
        patch: Patch::Editable(|r| {
            (!r.event_review.is_auto()).then(|| r.event_review.as_text().into())
        }),
        export: &[],
        privacy: Privacy::Public,
        input: Input::Undescribed,
    },
];

/// The column of a report's event, as the viewer may know it (none for a report kept out of
/// events, or a private report's for the public).
pub const EVENT_ID: ExportColumn = queryable("event_id", Text);

/// The columns of what the server knows around a report rather than in it, read from the
/// report's context, never from the report: its event. They are stored with no report, taken
/// on no input, and written by the exports only when asked for (`events=true`); the OGC API's
/// report items always carry them (null when unknown), and its filters may use them.
pub const CONTEXT_COLUMNS: &[ExportColumn] = &[EVENT_ID];

/// What queries write beside a report's fields (the distance from the query's centre, the
/// overlap of the circles); accepted on input and ignored, so that an answer sent back
/// imports cleanly.
pub const QUERY_OUTPUTS: [&str; 4] = [
    "distance_km",
    "within_radius",
    "uncertainty_overlap_km",
    "uncertainty_overlap_share",
];

/// The field named `name`.
pub fn field(name: &str) -> Option<&'static ReportField> {
    REPORT_FIELDS.iter().find(|f| f.name == name)
}

/// The fields a PATCH may not name (set by the server).
pub fn refused_by_patch() -> impl Iterator<Item = &'static str> {
    REPORT_FIELDS
        .iter()
        .filter(|f| matches!(f.patch, Patch::Refused))
        .map(|f| f.name)
}

/// Every column of the report table that a field or the bookkeeping declares.
pub fn store_columns() -> impl Iterator<Item = &'static str> {
    REPORT_FIELDS
        .iter()
        .flat_map(|f| f.columns.iter().copied())
        .chain(BOOKKEEPING_COLUMNS.iter().copied())
}

/// Whether two strings are equal, at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The export column named `name`, found at compile time (`const { export_column("tags") }`
/// fails the build for a column no field declares).
pub const fn export_column(name: &str) -> ExportColumn {
    let mut i = 0;
    while i < REPORT_FIELDS.len() {
        let columns = REPORT_FIELDS[i].export;
        let mut j = 0;
        while j < columns.len() {
            if same(columns[j].name, name) {
                return columns[j];
            }
            j += 1;
        }
        i += 1;
    }
    panic!("no report field declares this export column")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_columns_are_unique() {
        for list in [
            REPORT_FIELDS.iter().map(|f| f.name).collect::<Vec<_>>(),
            store_columns().collect(),
            REPORT_FIELDS
                .iter()
                .flat_map(|f| f.export.iter().map(|c| c.name))
                .collect(),
        ] {
            let mut sorted = list.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), list.len(), "{list:?}");
        }
        assert_eq!(
            refused_by_patch().collect::<Vec<_>>(),
            ["id", "reported_at", "updated_at"]
        );
        assert_eq!(export_column("tags").ogc, Ogc::Flat("tags_text"));
        assert!(field("border_distance_km").is_some());
    }

    /// A report as sent ([`crate::domain::model::ReportInput`]) has a member for every field,
    /// for each query output, and for the nested forms `location` and `observed`: no more.
    #[test]
    fn the_input_takes_every_field() {
        let error = serde_json::from_value::<crate::domain::model::ReportInput>(
            json!({"no such field": 1}),
        )
        .unwrap_err()
        .to_string();
        let expected = error
            .split("expected one of ")
            .nth(1)
            .expect("serde names the fields it expects");
        let mut taken: Vec<&str> = expected
            .split(", ")
            .map(|name| name.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
            .collect();
        let mut declared: Vec<&str> = REPORT_FIELDS
            .iter()
            .map(|f| f.name)
            .chain(QUERY_OUTPUTS)
            .chain(["location", "observed"])
            .collect();
        taken.sort_unstable();
        declared.sort_unstable();
        assert_eq!(taken, declared);
    }

    #[test]
    fn the_server_sets_what_a_patch_refuses_and_computes_what_it_ignores() {
        for f in REPORT_FIELDS {
            match f.patch {
                Patch::Refused => assert_eq!(f.set_by, SetBy::Server, "{}", f.name),
                Patch::Ignored => assert!(
                    matches!(f.set_by, SetBy::Computed | SetBy::Geocoder),
                    "{}",
                    f.name
                ),
                Patch::Editable(_) => assert_eq!(f.set_by, SetBy::Client, "{}", f.name),
            }
        }
    }
}
