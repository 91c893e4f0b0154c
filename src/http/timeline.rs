//! `/api/timeline`: how many matching reports (by status) or events (by suggested grade)
//! were observed in each bin of time, counted by the server from the index (see
//! [`sightmap_core::engine::timeline`]).

use super::as_of::Reading;
use super::events::event_filter;
use super::extract::QueryPairs;
use super::problem::Problem;
use axum::Json;
use serde_json::{Map, Value, json};
use sightmap_core::domain::messages::MessageCode;
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{FieldError, Status};
use sightmap_core::engine::events::summary::{Grade, grade_note};
use sightmap_core::engine::query::ReportQuery;
use sightmap_core::engine::service::TimelineOf;
use sightmap_core::engine::timeline::{BinWidth, Bins, Histogram, MAX_BINS, UtcOffset, span};

/// The parameters `/api/timeline` takes beyond the report filters.
pub const TIMELINE_PARAMS: &[&str] = &["of", "bin", "utc_offset", "grade", "min_origins"];

/// A timeline request, read from the URL.
struct TimelineRequest {
    of: TimelineOf,
    bin: Option<BinWidth>,
    offset: UtcOffset,
    query: ReportQuery,
}

fn read_request(pairs: &[(String, String)]) -> Result<TimelineRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut of = None;
    let mut bin = None;
    let mut offset = UtcOffset::default();
    let mut rest = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "of" => match value.as_str() {
                "reports" | "events" => of = Some(value.as_str()),
                _ => errors.push(FieldError::not_one_of("of", value, &["reports", "events"])),
            },
            "bin" => match value.as_str() {
                "auto" => bin = None,
                text => match BinWidth::parse(text) {
                    Some(width) => bin = Some(width),
                    None => {
                        let mut allowed = vec!["auto"];
                        allowed.extend(BinWidth::ALL.map(BinWidth::as_str));
                        errors.push(FieldError::not_one_of("bin", value, &allowed));
                    }
                },
            },
            "utc_offset" => match UtcOffset::parse(value) {
                Some(o) => offset = o,
                None => errors.push(FieldError::not_a_utc_offset("utc_offset", value)),
            },
            // A timeline is JSON only, and counts every match: it is not paged.
            "format" | "limit" | "offset" => errors.push(FieldError::not_applicable(key.clone())),
            _ => rest.push((key.clone(), value.clone())),
        }
    }
    let events = of == Some("events");
    let (filter, _, rest) = match event_filter(&rest) {
        Ok(split) => split,
        Err(mut more) => {
            errors.append(&mut more);
            return Err(errors);
        }
    };
    if !events && (filter.grades.is_some() || filter.min_origins.is_some()) {
        // grade and min_origins filter events.
        errors.push(FieldError::requires(
            if filter.grades.is_some() {
                "grade"
            } else {
                "min_origins"
            },
            &["of=events"],
        ));
    }
    let query = crate::http::params::report_query(&rest)
        .map_err(|more| crate::http::params::also_known(more, TIMELINE_PARAMS));
    let query = match query {
        Ok(q) if errors.is_empty() => q,
        Ok(_) => return Err(errors),
        Err(mut more) => {
            errors.append(&mut more);
            return Err(errors);
        }
    };
    Ok(TimelineRequest {
        of: if events {
            TimelineOf::Events(filter)
        } else {
            TimelineOf::Reports
        },
        bin,
        offset,
        query,
    })
}

/// A count as JSON shows it: to a millionth, which is finer than any share that matters.
fn rounded(x: f64) -> f64 {
    ((x * 1e6).round() / 1e6).max(0.0)
}

/// `GET /api/timeline`: bins of observation time with the matching reports' counts by
/// status (or events' by suggested grade), for the report filters and the view's box.
pub async fn timeline(
    Reading(state): Reading,
    viewer: Viewer,
    QueryPairs(pairs): QueryPairs,
) -> Result<Json<Value>, Problem> {
    let request = read_request(&pairs).map_err(Problem::invalid_query)?;
    let items = state
        .reports
        .observed(&request.query, &request.of, viewer)
        .await?;
    let (field, categories): (&str, Vec<&str>) = match request.of {
        TimelineOf::Reports => ("status", Status::ALL.iter().map(|s| s.as_str()).collect()),
        TimelineOf::Events(_) => ("suggested_grade", Grade::ALL.map(Grade::as_str).to_vec()),
    };
    let filter = &request.query.filter;
    let span = span(&items, filter.since.map(|t| t.0), filter.until.map(|t| t.0));
    let histogram = match span {
        None => None,
        Some((from, to)) => {
            let bins = match request.bin {
                Some(width) => Bins::covering(from, to, width, request.offset),
                None => Bins::auto(from, to, request.offset),
            }
            .map_err(|e| {
                Problem::invalid_query(vec![FieldError::too_many_bins(
                    "bin",
                    e.needed,
                    e.width.as_str(),
                    MAX_BINS,
                )])
            })?;
            Some(Histogram::of(&items, bins, (from, to), categories.len()))
        }
    };
    let bins: Vec<Value> = histogram
        .as_ref()
        .map(|h| {
            (0..h.bins.count)
                .map(|i| {
                    let counts = h.bin(i);
                    let by: Map<String, Value> = categories
                        .iter()
                        .zip(counts)
                        .map(|(name, n)| (name.to_string(), json!(rounded(*n))))
                        .collect();
                    json!({
                        "start": h.bins.offset.format(h.bins.start(i)),
                        "end": h.bins.offset.format(h.bins.start(i + 1)),
                        "total": rounded(counts.iter().sum()),
                        "counts": by,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let mut body = json!({
        "of": if field == "status" { "reports" } else { "events" },
        "bin": histogram.as_ref().map(|h| h.bins.width.as_str()),
        "bin_seconds": histogram.as_ref().map(|h| h.bins.width.seconds()),
        "utc_offset": request.offset.to_rfc3339(),
        "start": histogram.as_ref().map(|h| h.bins.offset.format(h.bins.first)),
        "end": histogram.as_ref().map(|h| h.bins.offset.format(h.bins.end())),
        "matched": items.len(),
        "category_field": field,
        "categories": categories,
        "weight_note": MessageCode::TimelineWeightingNote.text(),
        "weight_note_message": MessageCode::TimelineWeightingNote.message(),
        "bins": bins,
    });
    if field == "suggested_grade" {
        body["grade_note"] = json!(grade_note().text);
        body["grade_note_message"] = json!(grade_note());
    }
    Ok(Json(body))
}
