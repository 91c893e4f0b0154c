//! Events as every format shows them, from one list of an event's fields ([`EVENT_FIELDS`]):
//! `/api/events` as GeoJSON (lists as arrays, with the members' ids) and CSV (a row each, the
//! footprint as WKT, streamed by [`EventCsvWriter`]), and the OGC API's `events` collection
//! (flat properties for GIS, whose queryables are these fields). A new figure of an event is
//! added here once.

use crate::domain::messages::MessageCode;
use crate::domain::model::testimony::merely_relays;
use crate::domain::model::{Report, SourceKey, Timestamp};
use crate::engine::index::EventView;
use crate::engine::service::{PossibleDuplicate, ReportEvent};
use crate::formats::coords;
use crate::formats::export::ExtraColumn;
use crate::formats::fields::{FieldType, FieldValue};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// One field of an event.
pub struct EventField {
    /// Its name, in every format.
    pub name: &'static str,
    /// What it holds, in flat formats.
    pub kind: FieldType,
    value: fn(&EventView) -> EventValue<'_>,
}

/// An event field's value: a flat value, or a list that flat formats join.
enum EventValue<'a> {
    Flat(FieldValue<'a>),
    /// Items and the separator that flat formats join them with.
    List(Vec<Cow<'a, str>>, &'static str),
}

impl EventField {
    /// Its value for one event as a flat format writes it (a list joined).
    pub fn flat<'a>(&self, view: &'a EventView) -> FieldValue<'a> {
        match (self.value)(view) {
            EventValue::Flat(value) => value,
            EventValue::List(items, separator) => FieldValue::Text(items.join(separator).into()),
        }
    }

    /// Its value for one event as JSON (a list as an array).
    pub fn json(&self, view: &EventView) -> Value {
        match (self.value)(view) {
            EventValue::Flat(value) => flat_json(&value),
            EventValue::List(items, _) => json!(items),
        }
    }
}

/// A flat value as JSON: numbers as numbers, instants as RFC 3339 text.
fn flat_json(value: &FieldValue<'_>) -> Value {
    match value {
        FieldValue::Null => Value::Null,
        FieldValue::Text(text) => json!(text),
        FieldValue::Number(n) => json!(n),
        FieldValue::Integer(n) => json!(n),
        FieldValue::Bool(b) => json!(b),
        FieldValue::Time(t) => json!(t),
        FieldValue::Json(text) => json!(text),
    }
}

fn count(n: usize) -> EventValue<'static> {
    EventValue::Flat(FieldValue::Integer(n as i64))
}

/// An event field that is one of the summary's counts.
macro_rules! count_field {
    ($name:literal, $($count:ident).+) => {
        EventField {
            name: $name,
            kind: FieldType::Integer,
            value: |v| count(v.summary.$($count).+),
        }
    };
}
/// Every field of an event, in the order the CSV writes them.
pub const EVENT_FIELDS: &[EventField] = &[
    EventField {
        name: "id",
        kind: FieldType::Text,
        value: |v| EventValue::Flat(FieldValue::Text(v.id.to_string().into())),
    },
    EventField {
        name: "suggested_grade",
        kind: FieldType::Text,
        value: |v| EventValue::Flat(FieldValue::Text(v.summary.grade.as_str().into())),
    },
    EventField {
        name: "grade_reasons",
        kind: FieldType::Text,
        value: |v| {
            EventValue::List(
                v.summary
                    .reasons
                    .iter()
                    .map(|r| r.as_str().into())
                    .collect(),
                "; ",
            )
        },
    },
    count_field!("reports", reports),
    count_field!("core_reports", core_reports),
    count_field!("supporting_reports", supporting_reports),
    count_field!("private_reports", private_reports),
    count_field!("asserting_origins", origins.asserting),
    count_field!("core_asserting_origins", core_asserting),
    count_field!("denying_origins", origins.denying),
    count_field!("investigating_origins", origins.investigating),
    count_field!("outlets", origins.outlets),
    EventField {
        name: "observed_from",
        kind: FieldType::Time,
        value: |v| EventValue::Flat(FieldValue::Time(Timestamp(v.summary.from))),
    },
    EventField {
        name: "observed_to",
        kind: FieldType::Time,
        value: |v| EventValue::Flat(FieldValue::Time(Timestamp(v.summary.to))),
    },
    EventField {
        name: "kinds",
        kind: FieldType::Text,
        value: |v| {
            EventValue::List(
                v.summary.kinds.iter().map(|k| k.as_str().into()).collect(),
                ",",
            )
        },
    },
    EventField {
        name: "grade_note",
        kind: FieldType::Text,
        value: |_| EventValue::Flat(FieldValue::Text(MessageCode::GradeNote.template().into())),
    },
];

/// The columns an export adds to each report when asked for events (`events=true`): its
/// event, the event's suggested grade and its independent asserting origins.
pub const REPORT_EVENT_COLUMNS: &[ExtraColumn] = &[
    ("event_id", FieldType::Text),
    ("event_suggested_grade", FieldType::Text),
    ("event_asserting_origins", FieldType::Integer),
];

/// The values of [`REPORT_EVENT_COLUMNS`] for a report (empty if it is in no event).
pub fn report_event_values(event: Option<&ReportEvent>) -> Vec<FieldValue<'static>> {
    match event {
        Some(e) => vec![
            FieldValue::Text(e.id.to_string().into()),
            FieldValue::Text(e.grade.as_str().into()),
            FieldValue::Integer(e.asserting_origins as i64),
        ],
        None => vec![FieldValue::Null; REPORT_EVENT_COLUMNS.len()],
    }
}

/// An event's footprint as a GeoJSON geometry, its coordinates rounded.
fn geometry(view: &EventView) -> Value {
    serde_json::to_value(geojson::Geometry::from(&coords::geometry(&view.footprint)))
        .unwrap_or(Value::Null)
}

/// An event as `/api/events` answers: its footprint, every field (lists as arrays), the ids
/// of the members the viewer may see listed, and beside the sentences their messages of the
/// catalogue (`grade_reason_messages`, `grade_note_message`: code, parameters, English text).
pub fn feature(view: &EventView) -> Value {
    let mut properties: Map<String, Value> = EVENT_FIELDS
        .iter()
        .map(|f| (f.name.to_string(), f.json(view)))
        .collect();
    properties.insert("core".into(), json!(view.core));
    properties.insert("support".into(), json!(view.support));
    properties.insert("grade_reason_messages".into(), json!(view.summary.reasons));
    properties.insert(
        "grade_note_message".into(),
        json!(MessageCode::GradeNote.message()),
    );
    json!({
        "type": "Feature",
        "id": view.id,
        "geometry": geometry(view),
        "properties": properties,
    })
}

/// An event for GIS clients (the OGC API): its footprint and every field flat, as a
/// layer's attribute table wants them.
pub fn gis_feature(view: &EventView) -> Value {
    let properties: Map<String, Value> = EVENT_FIELDS
        .iter()
        .map(|f| (f.name.to_string(), flat_json(&f.flat(view))))
        .collect();
    json!({
        "type": "Feature",
        "id": view.id,
        "geometry": geometry(view),
        "properties": properties,
    })
}

/// A footprint as WKT, its coordinates rounded.
pub fn wkt(footprint: &geo::MultiPolygon<f64>) -> String {
    let ring = |r: &geo::LineString<f64>| {
        let points: Vec<String> = r
            .coords()
            .map(|c| format!("{} {}", coords::round(c.x), coords::round(c.y)))
            .collect();
        format!("({})", points.join(", "))
    };
    let polygons: Vec<String> = footprint
        .iter()
        .map(|p| {
            let rings: Vec<String> = std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect();
            format!("({})", rings.join(", "))
        })
        .collect();
    if polygons.is_empty() {
        "MULTIPOLYGON EMPTY".into()
    } else {
        format!("MULTIPOLYGON ({})", polygons.join(", "))
    }
}

/// Writes events as CSV a row at a time, so that a list of any length streams: a header,
/// then a row per event with every field and the footprint as WKT.
pub struct EventCsvWriter<W: std::io::Write> {
    out: csv::Writer<W>,
}

impl<W: std::io::Write> EventCsvWriter<W> {
    /// Starts the CSV: writes its header.
    pub fn new(out: W) -> Result<Self, csv::Error> {
        let mut out = csv::Writer::from_writer(out);
        out.write_record(EVENT_FIELDS.iter().map(|f| f.name).chain(["wkt"]))?;
        Ok(Self { out })
    }

    /// Writes one event's row.
    pub fn write(&mut self, view: &EventView) -> Result<(), csv::Error> {
        let mut row: Vec<String> = EVENT_FIELDS
            .iter()
            .map(|f| f.flat(view).to_text().into_owned())
            .collect();
        row.push(wkt(&view.footprint));
        self.out.write_record(&row)
    }

    /// Pushes the rows written so far to the output.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Ends the CSV and returns the output.
    pub fn finish(self) -> Result<W, csv::Error> {
        self.out
            .into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }
}

/// Events as CSV, a row each: every field, then the footprint as WKT.
pub fn csv(events: &[EventView]) -> Result<Vec<u8>, csv::Error> {
    let mut w = EventCsvWriter::new(Vec::new())?;
    for view in events {
        w.write(view)?;
    }
    w.finish()
}

/// The members' sources grouped by origin (folded name, as [`crate::domain::model::testimony`]
/// counts them), each with its stance and report; an outlet's statements in reports where it
/// only relays, with its stance, someone it carries in that same report are a group of their
/// own, marked `relays_only`.
pub fn origin_groups(reports: &[Report]) -> Value {
    let mut groups: Vec<(u64, bool, Vec<Value>, String)> = Vec::new();
    for report in reports {
        let keys: Vec<SourceKey> = report.sources.iter().map(SourceKey::of).collect();
        for (source, key) in report.sources.iter().zip(&keys) {
            let relays = merely_relays(key, &keys);
            let entry = json!({
                "report": report.id,
                "name": source.name,
                "type": source.source_type.as_str(),
                "stance": source.stance.as_str(),
                "via": source.via,
                "statement": source.statement,
                "url": source.url,
            });
            match groups.iter_mut().find(|g| g.0 == key.name && g.1 == relays) {
                Some(g) => g.2.push(entry),
                None => groups.push((key.name, relays, vec![entry], source.name.clone())),
            }
        }
    }
    groups
        .into_iter()
        .map(|(_, relays, sources, name)| {
            json!({"origin": name, "relays_only": relays, "sources": sources})
        })
        .collect()
}

/// Possible duplicates as JSON: each stored report in brief, with how far it is and whether
/// it shares an origin.
pub fn duplicates(list: &[PossibleDuplicate]) -> Value {
    list.iter()
        .map(|d| {
            let r = &d.report;
            json!({
                "id": r.id,
                "kind": r.kind.as_str(),
                "status": r.status.as_str(),
                "description": r.description,
                "location_text": r.location.text,
                "observed_from": r.observed.from,
                "observed_to": r.observed.to,
                "sources": r.sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
                "distance_km": crate::formats::feature::round_to(d.distance_m / 1000.0, 3),
                "shares_origin": d.shares_origin,
                "event_id": d.event,
            })
        })
        .collect()
}
