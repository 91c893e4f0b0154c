//! `GET /api/export?format=…`: every report matching the `/api/reports` filters, as a file,
//! streamed a chunk at a time.

use super::as_of::Reading;
use super::extract::QueryPairs;
use super::problem::Problem;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sightmap_core::domain::model::privacy::Viewer;
use sightmap_core::domain::model::{FieldError, Report, ReportId, Timestamp};
use sightmap_core::engine::query::ReportQuery;
use sightmap_core::engine::service::ReportService;
use sightmap_core::formats::events::{REPORT_EVENT_COLUMNS, report_event_values};
use sightmap_core::formats::export::{ExportWriter, ExtraColumn, Format, SharedBuffer};
use std::sync::Arc;

/// Reports read from the store and written per chunk.
const CHUNK: usize = 2_000;
/// Chunks in flight between the writer and the connection: bounds memory when the client is
/// slower than the store.
const CHUNKS_IN_FLIGHT: usize = 4;

/// What an export is asked for.
struct ExportParams {
    format: Format,
    /// Exact locations of private reports (reviewers only).
    exact: bool,
    /// Each report's event, its suggested grade and independent asserting origins.
    events: bool,
    query: ReportQuery,
}

/// Reads a boolean parameter.
fn flag(key: &str, value: &str, errors: &mut Vec<FieldError>) -> bool {
    match value {
        "true" => true,
        "false" => false,
        _ => {
            errors.push(FieldError::not_a_boolean(key, value));
            false
        }
    }
}

/// Reads `format`, `exact_locations`, `events` and the report filters; the page (`limit`,
/// `offset`) does not apply.
fn read_params(pairs: &[(String, String)]) -> Result<ExportParams, Problem> {
    let mut format = Format::GeoJson;
    let mut exact = false;
    let mut events = false;
    let mut rest = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "format" => match Format::parse(value) {
                Some(f) => format = f,
                None => errors.push(FieldError::not_one_of("format", value, Format::NAMES)),
            },
            "exact_locations" => exact = flag(key, value, &mut errors),
            "events" => events = flag(key, value, &mut errors),
            // An export holds every matching report: it is not paged.
            "limit" | "offset" => errors.push(FieldError::not_applicable(key.clone())),
            _ => rest.push((key.clone(), value.clone())),
        }
    }
    let query = crate::http::params::report_query(&rest).map_err(|mut e| {
        errors.append(&mut e);
        Problem::invalid_query(std::mem::take(&mut errors))
    })?;
    if errors.is_empty() {
        Ok(ExportParams {
            format,
            exact,
            events,
            query,
        })
    } else {
        Err(Problem::invalid_query(errors))
    }
}

type Chunks = tokio::sync::mpsc::Receiver<
    Result<Vec<sightmap_core::domain::model::Report>, sightmap_core::engine::service::ServiceError>,
>;
/// Where a streamed download's bytes go, a chunk at a time.
pub(super) type Body = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;
/// Where a streamed download's bytes come from.
pub(super) type BodyChunks = tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>;

/// The writer of a streamed export: its bytes collect in a buffer sent a chunk at a time.
type StreamWriter = ExportWriter<std::io::BufWriter<SharedBuffer>>;

/// Writes each chunk as it comes with `write_chunk` (reports, or features serialised
/// already), each report followed by the `extra` columns, and sends its bytes.
async fn send_streamed<T>(
    format: Format,
    extra: &'static [ExtraColumn],
    mut chunks: tokio::sync::mpsc::Receiver<
        Result<Vec<T>, sightmap_core::engine::service::ServiceError>,
    >,
    tx: &Body,
    write_chunk: impl Fn(&mut StreamWriter, &[T]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let buffer = SharedBuffer::default();
    // Serialisers write many small pieces: buffer them before the shared buffer's lock.
    let out = std::io::BufWriter::with_capacity(1 << 16, buffer.clone());
    let mut writer = ExportWriter::with_columns(format, out, extra)?;
    while let Some(batch) = chunks.recv().await {
        write_chunk(&mut writer, &batch.map_err(std::io::Error::other)?)?;
        writer.flush()?;
        if tx.send(Ok(buffer.take().into())).await.is_err() {
            return Ok(()); // The client went away.
        }
    }
    writer.finish()?;
    let _ = tx.send(Ok(buffer.take().into())).await;
    Ok(())
}

/// Formats whose header needs the whole dataset (FlatGeobuf): written to a temporary file
/// first, then sent from it a megabyte at a time.
async fn send_spooled(
    mut chunks: Chunks,
    tx: &Body,
    events: Option<&EventColumns>,
) -> std::io::Result<()> {
    use std::io::Read;
    let path = std::env::temp_dir().join(format!("sightmap-export-{}.fgb", uuid::Uuid::now_v7()));
    let result = async {
        let file = std::fs::File::create(&path)?;
        let mut writer = ExportWriter::with_columns(
            Format::Fgb,
            std::io::BufWriter::new(file),
            extra_columns(events.is_some()),
        )?;
        while let Some(batch) = chunks.recv().await {
            let batch = batch.map_err(std::io::Error::other)?;
            write_batch(&mut writer, &batch, events)?;
        }
        writer.finish()?;
        let mut file = std::fs::File::open(&path)?;
        loop {
            let mut block = vec![0; 1 << 20];
            let n = file.read(&mut block)?;
            if n == 0 {
                return Ok(());
            }
            block.truncate(n);
            if tx.send(Ok(block.into())).await.is_err() {
                return Ok(());
            }
        }
    }
    .await;
    let _ = std::fs::remove_file(&path);
    result
}

/// The columns after a report's own: its event's, if asked for.
fn extra_columns(events: bool) -> &'static [ExtraColumn] {
    if events { REPORT_EVENT_COLUMNS } else { &[] }
}

/// Where an export reads each report's event, and as whom.
struct EventColumns {
    reports: Arc<ReportService>,
    viewer: Viewer,
}

/// Writes a batch of reports, each with its event's columns if `events` is given.
fn write_batch<W: std::io::Write>(
    writer: &mut ExportWriter<W>,
    batch: &[Report],
    events: Option<&EventColumns>,
) -> std::io::Result<()> {
    let Some(events) = events else {
        return batch.iter().try_for_each(|r| writer.write(r));
    };
    let ids: Vec<ReportId> = batch.iter().map(|r| r.id).collect();
    let found = events.reports.events_of(&ids, events.viewer);
    for (report, event) in batch.iter().zip(found) {
        writer.write_with(report, &report_event_values(event.as_ref()))?;
    }
    Ok(())
}

/// `GET /api/export`. An export holds what the public sees: private locations coarsened
/// (see [`sightmap_core::domain::model::privacy`]), unless `exact_locations=true` is asked with a reviewer or admin
/// token.
pub async fn export(
    Reading(state): Reading,
    parts: axum::http::request::Parts,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let ExportParams {
        format,
        exact,
        events,
        query,
    } = read_params(&pairs)?;
    let viewer = match exact {
        true => {
            state.auth.require(
                &parts,
                sightmap_core::domain::access::Role::Reviewer,
                "exporting exact locations",
            )?;
            Viewer::Exact
        }
        false => Viewer::Public,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    let reports = state.reports.clone();
    let events = events.then(|| EventColumns {
        reports: reports.clone(),
        viewer,
    });
    let extra = extra_columns(events.is_some());
    // A server whose feature cache holds the reports sends GeoJSON from it (without events).
    let cached = match format {
        Format::GeoJson | Format::GeoJsonSeq if events.is_none() => {
            reports
                .export_features_stream(
                    query.clone(),
                    CHUNK,
                    2,
                    viewer,
                    sightmap_core::formats::feature::packed_json,
                )
                .await?
        }
        _ => None,
    };
    tokio::spawn(async move {
        let outcome = match (cached, format) {
            (Some(features), _) => {
                send_streamed(format, extra, features, &tx, |w, chunk| {
                    chunk.iter().try_for_each(|f| w.write_feature_json(f))
                })
                .await
            }
            (None, Format::Fgb) => {
                let chunks = reports.export_stream(query, CHUNK, 2, viewer);
                send_spooled(chunks, &tx, events.as_ref()).await
            }
            (None, _) => {
                let chunks = reports.export_stream(query, CHUNK, 2, viewer);
                send_streamed(format, extra, chunks, &tx, |w, chunk| {
                    write_batch(w, chunk, events.as_ref())
                })
                .await
            }
        };
        // An error ends the body early, so the client sees a broken transfer, not a short file.
        if let Err(e) = outcome {
            let _ = tx.send(Err(e)).await;
        }
    });
    let file_name = format!(
        "sightmap-reports-{}.{}",
        Timestamp::now().to_string().get(..10).unwrap_or("export"),
        format.extension()
    );
    download(rx, format.media_type(), &file_name)
}

/// A file download (`Content-Disposition: attachment`) of `media_type` named `file_name`,
/// whose body is the chunks `rx` receives, sent as they come. A writer that fails sends the
/// error, which ends the body early: the client sees a broken transfer, not a short file.
pub(super) fn download(
    rx: BodyChunks,
    media_type: &'static str,
    file_name: &str,
) -> Result<Response, Problem> {
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
            .map_err(Problem::internal)?,
    );
    Ok(response)
}
