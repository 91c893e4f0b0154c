//! `GET /api/export?format=…`: every report matching the `/api/reports` filters, as a file,
//! streamed a chunk at a time.

use super::AppState;
use super::extract::QueryPairs;
use super::problem::Problem;
use crate::export::{ExportWriter, Format, SharedBuffer};
use crate::model::privacy::Viewer;
use crate::model::{FieldError, Timestamp};
use crate::query::ReportQuery;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Reports read from the store and written per chunk.
const CHUNK: usize = 2_000;
/// Chunks in flight between the writer and the connection: bounds memory when the client is
/// slower than the store.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Reads `format`, `exact_locations` and the report filters; the page (`limit`, `offset`)
/// does not apply.
fn read_params(pairs: &[(String, String)]) -> Result<(Format, bool, ReportQuery), Problem> {
    let mut format = Format::GeoJson;
    let mut exact = false;
    let mut rest = Vec::new();
    let mut errors = Vec::new();
    for (key, value) in pairs {
        match key.as_str() {
            "format" => match Format::parse(value) {
                Some(f) => format = f,
                None => errors.push(FieldError::new(
                    "format",
                    format!(
                        "format must be one of {}, not '{value}'",
                        Format::NAMES.join(", ")
                    ),
                )),
            },
            "exact_locations" => match value.as_str() {
                "true" => exact = true,
                "false" => exact = false,
                _ => errors.push(FieldError::new(
                    "exact_locations",
                    format!("exact_locations must be true or false, not '{value}'"),
                )),
            },
            "limit" | "offset" => errors.push(FieldError::new(
                key.clone(),
                format!("an export holds every matching report: leave out '{key}'"),
            )),
            _ => rest.push((key.clone(), value.clone())),
        }
    }
    let query = ReportQuery::from_pairs(&rest).map_err(|mut e| {
        errors.append(&mut e);
        Problem::invalid_query(std::mem::take(&mut errors))
    })?;
    if errors.is_empty() {
        Ok((format, exact, query))
    } else {
        Err(Problem::invalid_query(errors))
    }
}

type Chunks =
    tokio::sync::mpsc::Receiver<Result<Vec<crate::model::Report>, crate::service::ServiceError>>;
type Body = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// The writer of a streamed export: its bytes collect in a buffer sent a chunk at a time.
type StreamWriter = ExportWriter<std::io::BufWriter<SharedBuffer>>;

/// Writes each chunk as it comes, an item at a time with `write_one` (reports, or features
/// serialised already), and sends its bytes.
async fn send_streamed<T>(
    format: Format,
    mut chunks: tokio::sync::mpsc::Receiver<Result<Vec<T>, crate::service::ServiceError>>,
    tx: &Body,
    write_one: impl Fn(&mut StreamWriter, &T) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let buffer = SharedBuffer::default();
    // Serialisers write many small pieces: buffer them before the shared buffer's lock.
    let out = std::io::BufWriter::with_capacity(1 << 16, buffer.clone());
    let mut writer = ExportWriter::new(format, out)?;
    while let Some(batch) = chunks.recv().await {
        for item in &batch.map_err(std::io::Error::other)? {
            write_one(&mut writer, item)?;
        }
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
async fn send_spooled(mut chunks: Chunks, tx: &Body) -> std::io::Result<()> {
    use std::io::Read;
    let path = std::env::temp_dir().join(format!("sightmap-export-{}.fgb", uuid::Uuid::now_v7()));
    let result = async {
        let file = std::fs::File::create(&path)?;
        let mut writer = ExportWriter::new(Format::Fgb, std::io::BufWriter::new(file))?;
        while let Some(batch) = chunks.recv().await {
            for report in &batch.map_err(std::io::Error::other)? {
                writer.write(report)?;
            }
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

/// `GET /api/export`. An export holds what the public sees: private locations coarsened
/// (see [`crate::model::privacy`]), unless `exact_locations=true` is asked with a reviewer or admin
/// token.
pub async fn export(
    State(state): State<AppState>,
    parts: axum::http::request::Parts,
    QueryPairs(pairs): QueryPairs,
) -> Result<Response, Problem> {
    let (format, exact, query) = read_params(&pairs)?;
    let viewer = match exact {
        true => {
            state.auth.require(
                &parts,
                crate::access::Role::Reviewer,
                "exporting exact locations",
            )?;
            Viewer::Exact
        }
        false => Viewer::Public,
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(CHUNKS_IN_FLIGHT);
    let reports = state.reports.clone();
    // A server whose feature cache holds the reports sends GeoJSON from it.
    let cached = match format {
        Format::GeoJson | Format::GeoJsonSeq => {
            reports
                .export_features_stream(query.clone(), CHUNK, 2, viewer)
                .await?
        }
        _ => None,
    };
    tokio::spawn(async move {
        let outcome = match (cached, format) {
            (Some(features), _) => {
                send_streamed(format, features, &tx, |w, f| w.write_feature_json(f)).await
            }
            (None, Format::Fgb) => {
                send_spooled(reports.export_stream(query, CHUNK, 2, viewer), &tx).await
            }
            (None, _) => {
                let chunks = reports.export_stream(query, CHUNK, 2, viewer);
                send_streamed(format, chunks, &tx, |w, r| w.write(r)).await
            }
        };
        // An error ends the body early, so the client sees a broken transfer, not a short file.
        if let Err(e) = outcome {
            let _ = tx.send(Err(e)).await;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let file_name = format!(
        "sightmap-reports-{}.{}",
        Timestamp::now().to_string().get(..10).unwrap_or("export"),
        format.extension()
    );
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
            .map_err(Problem::internal)?,
    );
    Ok(response)
}
