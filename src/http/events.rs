//! `/api/events`: groups of reports that may describe one occurrence, with their suggested
//! grades (see [`sightmap_core::engine::events`]).

use super::AppState;
use super::as_of::Reading;
use super::export::{Body, download};
use super::extract::{JsonBody, QueryPairs};
use super::problem::Problem;
use super::reports::geojson_response;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sightmap_core::domain::messages::MessageCode;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{EventId, FieldError, Report, input_from_json};
use sightmap_core::engine::events::summary::{Grade, grade_note};
use sightmap_core::engine::service::{EventFilter, EventView};
use sightmap_core::formats::events as formats;
use sightmap_core::formats::export::SharedBuffer;
use sightmap_core::formats::feature::ReportFeature;

/// The largest `min_origins` taken.
pub const MAX_MIN_ORIGINS: usize = 1_000_000;

/// The parameters `/api/events` takes beyond the report filters.
pub const EVENT_PARAMS: &[&str] = &["grade", "min_origins", "format"];

/// How `/api/events` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EventFormat {
    /// A GeoJSON FeatureCollection (the default).
    GeoJson,
    /// CSV, a row per event, its footprint as WKT.
    Csv,
}

/// URL parameters as pairs.
type Pairs = Vec<(String, String)>;

/// Splits the event parameters from the report filters.
pub(super) fn event_filter(
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
                        None => errors.push(FieldError::not_one_of(
                            "grade",
                            word,
                            &Grade::ALL.map(Grade::as_str),
                        )),
                    }
                }
                filter.grades = Some(grades);
            }
            "min_origins" => match value.trim().parse::<usize>() {
                Ok(n) if n <= MAX_MIN_ORIGINS => filter.min_origins = Some(n),
                _ => errors.push(FieldError::whole_number(
                    "min_origins",
                    value,
                    0,
                    MAX_MIN_ORIGINS,
                )),
            },
            "format" => match value.trim() {
                "geojson" => format = EventFormat::GeoJson,
                "csv" => format = EventFormat::Csv,
                _ => errors.push(FieldError::not_one_of("format", value, &["geojson", "csv"])),
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

/// Events per chunk of a CSV download.
const CSV_CHUNK: usize = 500;
/// Chunks of CSV in flight between the writer and the connection: bounds memory when the
/// client is slower than the index.
const CSV_CHUNKS_IN_FLIGHT: usize = 4;

/// Writes the events as CSV as their chunks come, and sends each chunk's bytes.
async fn send_csv(
    mut chunks: tokio::sync::mpsc::Receiver<
        Result<Vec<EventView>, sightmap_core::engine::service::ServiceError>,
    >,
    tx: &Body,
) -> std::io::Result<()> {
    use std::io::Write;
    let buffer = SharedBuffer::default();
    let out = std::io::BufWriter::with_capacity(1 << 16, buffer.clone());
    let mut writer = formats::EventCsvWriter::new(out).map_err(std::io::Error::other)?;
    while let Some(batch) = chunks.recv().await {
        for view in &batch.map_err(std::io::Error::other)? {
            writer.write(view).map_err(std::io::Error::other)?;
        }
        writer.flush()?;
        if tx.send(Ok(buffer.take().into())).await.is_err() {
            return Ok(()); // The client went away.
        }
    }
    writer.finish().map_err(std::io::Error::other)?.flush()?;
    let _ = tx.send(Ok(buffer.take().into())).await;
    Ok(())
}

/// `GET /api/events`: the events with a member matching the report filters (place, time,
/// kind, status…), filtered by `grade` and `min_origins`, newest first: paged as GeoJSON,
/// every one of them as CSV (`format=csv`, streamed a chunk at a time, so memory stays
/// bounded whatever their number).
pub async fn list(
    Reading(state): Reading,
    viewer: Viewer,
    uri: Uri,
    headers: HeaderMap,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let (filter, format, rest) = event_filter(&pairs).map_err(Problem::invalid_query)?;
    if format == EventFormat::Csv {
        // A CSV holds every matching event: a page of it would be a file cut short unseen.
        let paged: Vec<FieldError> = rest
            .iter()
            .filter(|(key, _)| key == "limit" || key == "offset")
            .map(|(key, _)| FieldError::not_applicable(key.clone()))
            .collect();
        if !paged.is_empty() {
            return Err(Problem::invalid_query(paged));
        }
    }
    let query = crate::http::params::report_query(&rest).map_err(|errors| {
        Problem::invalid_query(crate::http::params::also_known(errors, EVENT_PARAMS))
    })?;
    if format == EventFormat::Csv {
        let chunks = state
            .reports
            .events_stream(query, filter, CSV_CHUNK, 2, viewer);
        let (tx, rx) = tokio::sync::mpsc::channel(CSV_CHUNKS_IN_FLIGHT);
        tokio::spawn(async move {
            if let Err(e) = send_csv(chunks, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        return download(rx, "text/csv; charset=utf-8", "sightmap-events.csv");
    }
    let page = state.reports.events(&query, &filter, viewer).await?;
    let links = super::paging::links(
        &super::base_url(&headers),
        &uri,
        &pairs,
        query.page,
        page.matched,
    );
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": page.matched,
        "numberReturned": page.events.len(),
        "grade_note": grade_note().text,
        "grade_note_message": grade_note(),
        "links": links,
        "features": page.events.iter().map(formats::feature).collect::<Vec<_>>(),
    });
    Ok(geojson_response(
        StatusCode::OK,
        serde_json::to_vec(&body).map_err(Problem::internal)?,
    ))
}

/// `GET /api/events/{id}`: one event, its members as Features (core first) with each
/// source and its stance.
pub async fn get(
    Reading(state): Reading,
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
    let mut body = formats::feature(&view);
    body["properties"]["origins"] = formats::origin_groups(&reports);
    body["properties"]["members"] = json!({
        "type": "FeatureCollection",
        "features": reports.iter().map(member).collect::<Vec<_>>(),
    });
    Ok(geojson_response(
        StatusCode::OK,
        serde_json::to_vec(&body).map_err(Problem::internal)?,
    ))
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
        "note": MessageCode::PossibleDuplicatesNote.text(),
        "note_message": MessageCode::PossibleDuplicatesNote.message(),
        "possible_duplicates": formats::duplicates(&found),
    });
    Ok(axum::Json(body).into_response())
}
