//! The report table's columns, once for both stores: which columns a write sets and in what
//! order, which a read selects and at which position, and how a row becomes a [`Report`] or
//! an [`IndexRecord`]. The columns are those the table of report fields declares
//! ([`crate::domain::model::fields::REPORT_FIELDS`], a test holds [`Col`] to it); a new stored
//! column is a [`Col`], a place in the lists below, a [`Value`] in [`write_values`] and a line
//! in the readers, whose positions are constants. Each store only binds values and reads
//! cells ([`StoredRow`]).

use super::StoreError;
use crate::domain::model::testimony::name_key;
use crate::domain::model::{
    EventReview, IndexRecord, Interval, Location, PublicView, Relation, Report, ReportId, Source,
    SourceKey, SourceType, Stance, Testimony, Timestamp, WordSet,
};

/// A column of the report table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// The report's id.
    Id,
    /// The store version of the row.
    Version,
    /// [`Report::kind`].
    Kind,
    /// [`Report::description`].
    Description,
    /// [`Location::text`].
    LocationText,
    /// [`Location::lon`].
    Lon,
    /// [`Location::lat`].
    Lat,
    /// [`Location::precision`].
    Precision,
    /// [`Location::uncertainty_m`].
    UncertaintyM,
    /// [`Location::province`].
    Province,
    /// [`Location::country`].
    Country,
    /// [`Interval::from`] of the observation.
    ObservedFrom,
    /// [`Interval::to`] of the observation.
    ObservedTo,
    /// [`Report::sources`], as JSON.
    Sources,
    /// The source types present, as a bit set (for the index).
    SourceTypes,
    /// [`Report::status`].
    Status,
    /// [`Report::tags`], as JSON.
    Tags,
    /// [`Report::reported_at`].
    ReportedAt,
    /// [`Report::updated_at`].
    UpdatedAt,
    /// [`Location::ambiguous`].
    LocationAmbiguous,
    /// [`Relation::border_distance_m`].
    BorderDistanceM,
    /// [`Relation::border_country`].
    BorderCountry,
    /// [`Relation::coast_distance_m`].
    CoastDistanceM,
    /// [`Relation::in_sea`].
    InSea,
    /// [`Report::public`], as JSON (NULL for a public location).
    PublicView,
    /// [`Report::event_review`], as its text (`auto`, `exclude` or an event id).
    EventReview,
    /// The description's [`crate::domain::text::searchable_words`], for the full-text
    /// search: written with every write, never read back into a report.
    SearchWords,
}

impl Col {
    /// The column's name in both schemas.
    pub const fn name(self) -> &'static str {
        match self {
            Col::Id => "id",
            Col::Version => "version",
            Col::Kind => "kind",
            Col::Description => "description",
            Col::LocationText => "location_text",
            Col::Lon => "lon",
            Col::Lat => "lat",
            Col::Precision => "precision",
            Col::UncertaintyM => "uncertainty_m",
            Col::Province => "province",
            Col::Country => "country",
            Col::ObservedFrom => "observed_from",
            Col::ObservedTo => "observed_to",
            Col::Sources => "sources",
            Col::SourceTypes => "source_types",
            Col::Status => "status",
            Col::Tags => "tags",
            Col::ReportedAt => "reported_at",
            Col::UpdatedAt => "updated_at",
            Col::LocationAmbiguous => "location_ambiguous",
            Col::BorderDistanceM => "border_distance_m",
            Col::BorderCountry => "border_country",
            Col::CoastDistanceM => "coast_distance_m",
            Col::InSea => "in_sea",
            Col::PublicView => "public_view",
            Col::EventReview => "event_review",
            Col::SearchWords => "search_words",
        }
    }

    /// Whether it holds JSON (PostgreSQL's `jsonb`, read back as text).
    pub const fn is_json(self) -> bool {
        matches!(self, Col::Sources | Col::Tags | Col::PublicView)
    }
}

/// The columns a write sets after the id, in the order of [`write_values`]. The version is
/// set by each store its own way.
pub const WRITE: [Col; 25] = [
    Col::Kind,
    Col::Description,
    Col::LocationText,
    Col::Lon,
    Col::Lat,
    Col::Precision,
    Col::UncertaintyM,
    Col::Province,
    Col::Country,
    Col::ObservedFrom,
    Col::ObservedTo,
    Col::Sources,
    Col::SourceTypes,
    Col::Status,
    Col::Tags,
    Col::ReportedAt,
    Col::UpdatedAt,
    Col::LocationAmbiguous,
    Col::BorderDistanceM,
    Col::BorderCountry,
    Col::CoastDistanceM,
    Col::InSea,
    Col::PublicView,
    Col::EventReview,
    Col::SearchWords,
];

/// The columns [`report_from`] reads, in their select order: the id, then what a write sets
/// but the source types (derived from the sources) and the search words (from the
/// description).
pub const REPORT: [Col; 24] = report_columns();

const fn report_columns() -> [Col; 24] {
    let mut out = [Col::Id; 24];
    let (mut i, mut j) = (0, 1);
    while i < WRITE.len() {
        if !matches!(WRITE[i], Col::SourceTypes | Col::SearchWords) {
            out[j] = WRITE[i];
            j += 1;
        }
        i += 1;
    }
    out
}

/// The columns [`index_record_from`] reads, in their select order.
pub const INDEX: [Col; 21] = [
    Col::Id,
    Col::Version,
    Col::Lon,
    Col::Lat,
    Col::Kind,
    Col::Status,
    Col::SourceTypes,
    Col::ObservedFrom,
    Col::ObservedTo,
    Col::Tags,
    Col::UncertaintyM,
    Col::Province,
    Col::Country,
    Col::BorderDistanceM,
    Col::BorderCountry,
    Col::CoastDistanceM,
    Col::InSea,
    Col::Precision,
    Col::Sources,
    Col::EventReview,
    Col::PublicView,
];

/// The position of a column in a select list; [`at!`] evaluates it at compile time.
pub const fn position(list: &[Col], col: Col) -> usize {
    let mut i = 0;
    while i < list.len() {
        if list[i] as usize == col as usize {
            return i;
        }
        i += 1;
    }
    panic!("the column is not in the list")
}

/// The position of a column in a select list, as a constant: `at!(REPORT, Kind)`.
macro_rules! at {
    ($list:expr, $col:ident) => {
        const {
            $crate::engine::store::columns::position(
                &$list,
                $crate::engine::store::columns::Col::$col,
            )
        }
    };
}

/// A select list of columns, JSON columns followed by `json_cast` (`::text` for PostgreSQL,
/// nothing for SQLite, which stores JSON as text).
pub fn select_list(columns: &[Col], json_cast: &str) -> String {
    columns
        .iter()
        .map(|c| {
            if c.is_json() {
                format!("{}{json_cast}", c.name())
            } else {
                c.name().to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The names of columns, comma-separated.
pub fn names(columns: &[Col]) -> String {
    columns
        .iter()
        .map(|c| c.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One value a write binds, typed as both stores store it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    OptText(Option<&'a str>),
    /// Text made for the write (JSON).
    Owned(String),
    /// Text made for the write, or NULL.
    OptOwned(Option<String>),
    /// A real number.
    Real(f64),
    /// A real number or NULL.
    OptReal(Option<f64>),
    /// An integer (timestamps).
    Int(i64),
    /// A small bit set (PostgreSQL `integer`).
    Bits(u16),
    /// A boolean.
    Bool(bool),
}

/// The values of [`WRITE`] for a report, in its order.
pub fn write_values(r: &Report) -> Result<[Value<'_>; 25], StoreError> {
    fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
        serde_json::to_string(value)
            .map_err(|e| StoreError::internal(super::Failure::caused("", e)))
    }
    Ok([
        Value::Text(r.kind.as_str()),
        Value::Text(&r.description),
        Value::OptText(r.location.text.as_deref()),
        Value::Real(r.location.lon),
        Value::Real(r.location.lat),
        Value::Text(r.location.precision.as_str()),
        Value::Real(r.location.uncertainty_m),
        Value::OptText(r.location.province.as_deref()),
        Value::OptText(r.location.country.as_deref()),
        Value::Int(r.observed.from.0),
        Value::Int(r.observed.to.0),
        Value::Owned(json(&r.sources)?),
        Value::Bits(r.source_types().0),
        Value::Text(r.status.as_str()),
        Value::Owned(json(&r.tags)?),
        Value::Int(r.reported_at.0),
        Value::Int(r.updated_at.0),
        Value::Bool(r.location.ambiguous),
        Value::OptReal(r.relation.border_distance_m),
        Value::OptText(r.relation.border_country.as_deref()),
        Value::OptReal(r.relation.coast_distance_m),
        Value::Bool(r.relation.in_sea),
        Value::OptOwned(super::public_view_json(r)?),
        Value::Owned(r.event_review.as_text()),
        Value::Owned(crate::domain::text::searchable_words(&r.description)),
    ])
}

/// The search words among a report's [`write_values`], for a store's full-text index.
pub fn search_words<'a>(values: &'a [Value<'a>; WRITE.len()]) -> &'a str {
    match &values[const { position(&WRITE, Col::SearchWords) }] {
        Value::Owned(words) => words,
        _ => unreachable!("write_values gives the search words as owned text"),
    }
}

/// The [`StoredRow`] methods that a store's row answers with its own typed getter (`get` for
/// SQLite, `try_get` for PostgreSQL): `stored_cells!(get);` inside the impl.
macro_rules! stored_cells {
    ($get:ident) => {
        fn opt_string(&self, i: usize) -> Result<Option<String>, StoreError> {
            Ok(self.$get(i)?)
        }

        fn real(&self, i: usize) -> Result<f64, StoreError> {
            Ok(self.$get(i)?)
        }

        fn opt_real(&self, i: usize) -> Result<Option<f64>, StoreError> {
            Ok(self.$get(i)?)
        }

        fn int(&self, i: usize) -> Result<i64, StoreError> {
            Ok(self.$get(i)?)
        }

        fn boolean(&self, i: usize) -> Result<bool, StoreError> {
            Ok(self.$get(i)?)
        }
    };
}
pub(super) use stored_cells;

/// The cells of a row as both stores read them; a store implements it for its row type.
pub trait StoredRow {
    /// A report id.
    fn id(&self, i: usize) -> Result<ReportId, StoreError>;
    /// A text cell, borrowed.
    fn text(&self, i: usize) -> Result<&str, StoreError>;
    /// A text cell or NULL, owned.
    fn opt_string(&self, i: usize) -> Result<Option<String>, StoreError>;
    /// A text cell or NULL, borrowed.
    fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError>;
    /// A real number.
    fn real(&self, i: usize) -> Result<f64, StoreError>;
    /// A real number or NULL.
    fn opt_real(&self, i: usize) -> Result<Option<f64>, StoreError>;
    /// An integer.
    fn int(&self, i: usize) -> Result<i64, StoreError>;
    /// A small bit set.
    fn bits(&self, i: usize) -> Result<u16, StoreError>;
    /// A boolean.
    fn boolean(&self, i: usize) -> Result<bool, StoreError>;
}

fn word<T: std::str::FromStr>(text: &str, col: Col) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::corrupt(format!("{}: {e}", col.name())))
}

fn json<T: serde::de::DeserializeOwned>(text: &str, col: Col) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(format!("{}: {e}", col.name())))
}

fn tags(text: &str) -> Result<Vec<String>, StoreError> {
    if text == "[]" {
        Ok(Vec::new())
    } else {
        json(text, Col::Tags)
    }
}

fn event_review(text: &str) -> Result<EventReview, StoreError> {
    text.parse()
        .map_err(|e| StoreError::corrupt(format!("{}: {e}", Col::EventReview.name())))
}

/// The testimony of the stored sources, reading only what counts for origins (and the
/// outlets' names).
fn testimony(text: &str) -> Result<Testimony, StoreError> {
    /// A stored source, borrowed, without what origins do not need.
    #[derive(serde::Deserialize)]
    struct Keyed<'a> {
        #[serde(borrow)]
        name: std::borrow::Cow<'a, str>,
        #[serde(default, borrow)]
        via: Option<std::borrow::Cow<'a, str>>,
        #[serde(rename = "type")]
        source_type: SourceType,
        stance: Stance,
    }
    let sources: Vec<Keyed> = serde_json::from_str(text)
        .map_err(|e| StoreError::corrupt(super::Failure::caused(Col::Sources.name(), e)))?;
    Ok(Testimony::new(
        sources
            .iter()
            .map(|s| SourceKey {
                name: name_key(&s.name),
                via: s.via.as_deref().map_or(0, name_key),
                stance: s.stance,
                media: s.source_type == SourceType::Media,
            })
            .collect(),
        sources.iter().filter_map(|s| s.via.as_deref()),
    ))
}

fn public_view(text: Option<&str>) -> Result<Option<Box<PublicView>>, StoreError> {
    super::parse_public_view(text)
        .map_err(|e| StoreError::corrupt(super::Failure::caused("public_view", e)))
}

/// The relation to the borders and coast from a row, its four columns at `at`.
fn relation_from(row: &impl StoredRow, at: [usize; 4]) -> Result<Relation, StoreError> {
    Ok(Relation {
        border_distance_m: row.opt_real(at[0])?,
        border_country: row.opt_string(at[1])?,
        coast_distance_m: row.opt_real(at[2])?,
        in_sea: row.boolean(at[3])?,
    })
}

/// The positions of the relation's four columns in a select list, for [`relation_from`];
/// evaluated at compile time at each call, so a row read finds no column by search.
const fn relation_positions(list: &[Col]) -> [usize; 4] {
    [
        position(list, Col::BorderDistanceM),
        position(list, Col::BorderCountry),
        position(list, Col::CoastDistanceM),
        position(list, Col::InSea),
    ]
}

/// A report from a row of [`REPORT`].
pub fn report_from(row: &impl StoredRow) -> Result<Report, StoreError> {
    let public = public_view(row.opt_text(at!(REPORT, PublicView))?)?;
    Ok(Report {
        id: row.id(at!(REPORT, Id))?,
        kind: word(row.text(at!(REPORT, Kind))?, Col::Kind)?,
        description: row.text(at!(REPORT, Description))?.to_string(),
        location: Location {
            text: row.opt_string(at!(REPORT, LocationText))?,
            lon: row.real(at!(REPORT, Lon))?,
            lat: row.real(at!(REPORT, Lat))?,
            precision: word(row.text(at!(REPORT, Precision))?, Col::Precision)?,
            uncertainty_m: row.real(at!(REPORT, UncertaintyM))?,
            province: row.opt_string(at!(REPORT, Province))?,
            country: row.opt_string(at!(REPORT, Country))?,
            ambiguous: row.boolean(at!(REPORT, LocationAmbiguous))?,
            public_precision: public.as_ref().and_then(|p| p.location.public_precision),
            coarsened: false,
        },
        relation: relation_from(row, const { relation_positions(&REPORT) })?,
        observed: Interval {
            from: Timestamp(row.int(at!(REPORT, ObservedFrom))?),
            to: Timestamp(row.int(at!(REPORT, ObservedTo))?),
        },
        sources: json::<Vec<Source>>(row.text(at!(REPORT, Sources))?, Col::Sources)?,
        status: word(row.text(at!(REPORT, Status))?, Col::Status)?,
        tags: tags(row.text(at!(REPORT, Tags))?)?,
        reported_at: Timestamp(row.int(at!(REPORT, ReportedAt))?),
        updated_at: Timestamp(row.int(at!(REPORT, UpdatedAt))?),
        event_review: event_review(row.text(at!(REPORT, EventReview))?)?,
        public,
    })
}

/// An index record from a row of [`INDEX`] (placed where the public sees it, the exact
/// record beside it for a private location).
pub fn index_record_from(row: &impl StoredRow) -> Result<IndexRecord, StoreError> {
    let public = public_view(row.opt_text(at!(INDEX, PublicView))?)?;
    let exact = IndexRecord {
        id: row.id(at!(INDEX, Id))?,
        version: row.int(at!(INDEX, Version))?,
        lon: row.real(at!(INDEX, Lon))?,
        lat: row.real(at!(INDEX, Lat))?,
        uncertainty_m: row.real(at!(INDEX, UncertaintyM))?,
        precision: word(row.text(at!(INDEX, Precision))?, Col::Precision)?,
        province: row.opt_string(at!(INDEX, Province))?,
        country: row.opt_string(at!(INDEX, Country))?,
        relation: relation_from(row, const { relation_positions(&INDEX) })?,
        kind: word(row.text(at!(INDEX, Kind))?, Col::Kind)?,
        status: word(row.text(at!(INDEX, Status))?, Col::Status)?,
        source_types: WordSet(row.bits(at!(INDEX, SourceTypes))?),
        observed_from: Timestamp(row.int(at!(INDEX, ObservedFrom))?),
        observed_to: Timestamp(row.int(at!(INDEX, ObservedTo))?),
        tags: tags(row.text(at!(INDEX, Tags))?)?,
        testimony: testimony(row.text(at!(INDEX, Sources))?)?,
        event_review: event_review(row.text(at!(INDEX, EventReview))?)?,
        exact: None,
    };
    Ok(exact.with_public_view(public.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::fields;

    #[test]
    fn the_columns_are_those_the_table_of_report_fields_declares() {
        // Every column but `deleted_at`, which the stores set and test themselves.
        let mut declared: Vec<&str> = fields::store_columns()
            .filter(|c| *c != "deleted_at")
            .collect();
        // A write sets every column but the id and the version.
        let mut cols: Vec<&str> = [Col::Id, Col::Version]
            .iter()
            .chain(&WRITE)
            .map(|c| c.name())
            .collect();
        declared.sort_unstable();
        cols.sort_unstable();
        assert_eq!(cols, declared);
    }

    /// The report table of a new SQLite store has the declared columns and its row id.
    #[test]
    fn the_sqlite_schema_has_the_declared_columns() {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::engine::store::sqlite::SqliteStore::open(dir.path()).unwrap());
        let conn =
            rusqlite::Connection::open(dir.path().join(crate::engine::store::sqlite::DB_FILE))
                .unwrap();
        let mut statement = conn
            .prepare("SELECT name FROM pragma_table_info('reports')")
            .unwrap();
        let mut stored: Vec<String> = statement
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut declared: Vec<String> = fields::store_columns()
            .chain(["rowid"])
            .map(String::from)
            .collect();
        stored.sort_unstable();
        declared.sort_unstable();
        assert_eq!(stored, declared);
    }

    #[test]
    fn every_written_column_but_the_derived_ones_is_read_back() {
        for col in WRITE {
            assert!(
                REPORT.contains(&col) || matches!(col, Col::SourceTypes | Col::SearchWords),
                "{} is written but never read",
                col.name()
            );
        }
        assert_eq!(at!(REPORT, Id), 0);
        assert_eq!(at!(INDEX, PublicView), INDEX.len() - 1);
        assert_eq!(
            select_list(&[Col::Id, Col::Tags], "::text"),
            "id, tags::text"
        );
    }
}
