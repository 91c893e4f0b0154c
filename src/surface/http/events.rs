//! `/api/events`: groups of reports that may describe one occurrence, with their suggested
//! grades (see [`crate::events`]).

use super::AppState;
use super::extract::{JsonBody, QueryPairs};
use super::problem::Problem;
use super::reports::{GEO_JSON, geojson_response};
use crate::events::summary::{GRADE_NOTE, Grade};
use crate::feature::ReportFeature;
use crate::model::privacy::Viewer;
use crate::model::testimony::merely_relays;
use crate::model::{EventId, FieldError, Report, SourceKey, Timestamp, input_from_json};
use crate::query::ReportQuery;
use crate::service::{EventFilter, EventView, PossibleDuplicate};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The largest `min_origins` taken.
pub const MAX_MIN_ORIGINS: usize = 1_000_000;

/// The parameters `/api/events` takes beyond the report filters.
pub const EVENT_PARAMS: &[&str] = &["grade", "min_origins", "format"];

/// How `/api/events` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventFormat {
    /// A GeoJSON FeatureCollection (the default).
    GeoJson,
    /// CSV, a row per event, its footprint as WKT.
    Csv,
}

/// URL parameters as pairs.
type Pairs = Vec<(String, String)>;

/// Splits the event parameters from the report filters.
fn event_filter(
    pairs: &[(String, String)],
) -> Result<(EventFilter, EventFormat, Pairs), Vec<FieldError>> {
    let mut filter = EventFilter::default();
    let mut format = EventFormat::GeoJson;
    let mut errors = Vec::new();
    let mut rest = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "grade" => {
                let mut grades = Vec::new();
                for word in value.split(',') {
                    match Grade::parse(word) {
                        Some(g) => grades.push(g),
                        None => errors.push(FieldError::new(
                            "grade",
                            format!(
                                "unknown grade '{word}'; one or more of: {}",
                                Grade::ALL.map(Grade::as_str).join(", ")
                            ),
                        )),
                    }
                }
                filter.grades = Some(grades);
            }
            "min_origins" => match value.trim().parse::<usize>() {
                Ok(n) if n <= MAX_MIN_ORIGINS => filter.min_origins = Some(n),
                _ => errors.push(FieldError::new(
                    "min_origins",
                    format!("min_origins is a whole number of independent asserting origins from 0 to {MAX_MIN_ORIGINS}, not '{value}'"),
                )),
            },
            "format" => match value.trim() {
                "geojson" => format = EventFormat::GeoJson,
                "csv" => format = EventFormat::Csv,
                _ => errors.push(FieldError::new(
                    "format",
                    format!("format is geojson or csv, not '{value}'"),
                )),
            },
            _ => rest.push((key.clone(), value.clone())),
        }
    }
    if errors.is_empty() {
        Ok((filter, format, rest))
    } else {
        Err(errors)
    }
}

/// An event's properties, as every answer shows them.
fn properties(view: &EventView) -> Value {
    let s = &view.summary;
    json!({
        "id": view.id,
        "suggested_grade": s.grade.as_str(),
        "grade_reasons": s.reasons,
        "grade_note": GRADE_NOTE,
        "reports": s.reports,
        "core_reports": s.core_reports,
        "supporting_reports": s.supporting_reports,
        "private_reports": s.private_reports,
        "asserting_origins": s.origins.asserting,
        "core_asserting_origins": s.core_asserting,
        "denying_origins": s.origins.denying,
        "investigating_origins": s.origins.investigating,
        "outlets": s.origins.outlets,
        "observed_from": Timestamp(s.from),
        "observed_to": Timestamp(s.to),
        "kinds": s.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        "core": view.core,
        "support": view.support,
    })
}

fn geometry(view: &EventView) -> Value {
    serde_json::to_value(geojson::Geometry::from(&view.footprint)).unwrap_or(Value::Null)
}

/// The columns of the events' CSV.
const CSV_COLUMNS: &[&str] = &[
    "id",
    "suggested_grade",
    "grade_reasons",
    "reports",
    "core_reports",
    "supporting_reports",
    "private_reports",
    "asserting_origins",
    "core_asserting_origins",
    "denying_origins",
    "investigating_origins",
    "outlets",
    "observed_from",
    "observed_to",
    "kinds",
    "wkt",
    "grade_note",
];

/// A footprint as WKT.
fn wkt(footprint: &geo::MultiPolygon<f64>) -> String {
    let ring = |r: &geo::LineString<f64>| {
        let points: Vec<String> = r.coords().map(|c| format!("{} {}", c.x, c.y)).collect();
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

/// Events as CSV, a row each, with the same figures as the GeoJSON properties.
fn events_csv(events: &[EventView]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for view in events {
        let s = &view.summary;
        let kinds: Vec<&str> = s.kinds.iter().map(|k| k.as_str()).collect();
        w.write_record([
            view.id.to_string(),
            s.grade.as_str().to_string(),
            s.reasons.join("; "),
            s.reports.to_string(),
            s.core_reports.to_string(),
            s.supporting_reports.to_string(),
            s.private_reports.to_string(),
            s.origins.asserting.to_string(),
            s.core_asserting.to_string(),
            s.origins.denying.to_string(),
            s.origins.investigating.to_string(),
            s.origins.outlets.to_string(),
            Timestamp(s.from).to_string(),
            Timestamp(s.to).to_string(),
            kinds.join(","),
            wkt(&view.footprint),
            GRADE_NOTE.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// An event as a GeoJSON Feature: its footprint and properties.
fn event_feature(view: &EventView) -> Value {
    json!({
        "type": "Feature",
        "id": view.id,
        "geometry": geometry(view),
        "properties": properties(view),
    })
}

/// `GET /api/events`: the events with a member matching the report filters (place, time,
/// kind, status…), filtered by `grade` and `min_origins`, newest first, paged.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    uri: Uri,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let (filter, format, rest) = event_filter(&pairs).map_err(Problem::invalid_query)?;
    let query = ReportQuery::from_pairs(&rest).map_err(|errors| {
        Problem::invalid_query(
            errors
                .into_iter()
                .map(|mut e| {
                    if e.detail.starts_with("unknown parameter") {
                        e.detail.push_str(&format!(", {}", EVENT_PARAMS.join(", ")));
                    }
                    e
                })
                .collect(),
        )
    })?;
    let page = state.reports.events(&query, &filter, viewer).await?;
    if format == EventFormat::Csv {
        let body = events_csv(&page.events).map_err(Problem::internal)?;
        let mut response = (StatusCode::OK, body).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        response.headers_mut().insert(
            axum::http::header::CONTENT_DISPOSITION,
            axum::http::HeaderValue::from_static("attachment; filename=\"sightmap-events.csv\""),
        );
        return Ok(response);
    }
    let base = super::base_url(&headers);
    let mut links = vec![json!({"href": format!("{base}{uri}"), "rel": "self", "type": GEO_JSON})];
    let next = query.page.offset + query.page.limit;
    if next < page.matched {
        links.push(json!({
            "href": format!("{base}{}", super::reports::with_offset(&uri, &pairs, next)),
            "rel": "next",
            "type": GEO_JSON,
        }));
    }
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.events.len(),
        "grade_note": GRADE_NOTE,
        "links": links,
        "features": page.events.iter().map(event_feature).collect::<Vec<_>>(),
    });
    Ok(geojson_response(
        StatusCode::OK,
        serde_json::to_vec(&body).map_err(Problem::internal)?,
    ))
}

/// The members' sources grouped by origin (folded name, as [`crate::model::testimony`]
/// counts them), each with its stance and report; an outlet that only relays what it relays
/// through others is a group of its own, marked `relays_only`.
fn origin_groups(reports: &[Report]) -> Value {
    let keys: Vec<SourceKey> = reports
        .iter()
        .flat_map(|r| r.sources.iter().map(SourceKey::of))
        .collect();
    let mut groups: Vec<(u64, bool, Vec<Value>, String)> = Vec::new();
    for report in reports {
        for source in &report.sources {
            let key = SourceKey::of(source);
            let relays = merely_relays(&key, &keys);
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

/// `GET /api/events/{id}`: one event, its members as Features (core first) with each
/// source and its stance.
pub async fn get(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let not_found = || Problem::not_found(format!("no event has id '{id}'"));
    let event: EventId = id
        .parse()
        .map_err(|e: String| Problem::not_found(format!("{e}; no such event")))?;
    let (view, reports) = state
        .reports
        .event(event, viewer)
        .await?
        .ok_or_else(not_found)?;
    let member = |r: &Report| {
        let mut feature = serde_json::to_value(ReportFeature::plain(r)).unwrap_or(Value::Null);
        let role = if view.core.contains(&r.id) {
            "core"
        } else {
            "support"
        };
        feature["properties"]["event_role"] = json!(role);
        feature
    };
    let mut body = event_feature(&view);
    body["properties"]["origins"] = origin_groups(&reports);
    body["properties"]["members"] = json!({
        "type": "FeatureCollection",
        "features": reports.iter().map(member).collect::<Vec<_>>(),
    });
    Ok(geojson_response(
        StatusCode::OK,
        serde_json::to_vec(&body).map_err(Problem::internal)?,
    ))
}

/// Possible duplicates as JSON: each stored report in brief, with how far it is and whether
/// it shares an origin.
pub(super) fn duplicates_json(list: &[PossibleDuplicate]) -> Value {
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
                "distance_km": crate::feature::round_to(d.distance_m / 1000.0, 3),
                "shares_origin": d.shares_origin,
                "event_id": d.event,
            })
        })
        .collect()
}

/// `POST /api/possible-duplicates`: the stored reports that a report, sent as to `POST
/// /api/reports`, may duplicate; nothing is stored. The add form shows them before the
/// reporter sends.
pub async fn possible_duplicates(
    State(state): State<AppState>,
    viewer: Viewer,
    JsonBody(body): JsonBody<Value>,
) -> Result<Response, Problem> {
    let input = input_from_json(body).map_err(Problem::invalid_report)?;
    let report = state.reports.check(input)?;
    let found = state.reports.possible_duplicates(&report, viewer).await?;
    let body = json!({
        "note": "These stored reports overlap the new one in place and time and may be the same report; sending it is still allowed.",
        "possible_duplicates": duplicates_json(&found),
    });
    Ok(axum::Json(body).into_response())
}
