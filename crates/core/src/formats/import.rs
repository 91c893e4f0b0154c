//! Reading reports from files: a GeoJSON FeatureCollection, GeoJSON Lines, or CSV with `lat`
//! and `lon` columns. Every record is validated like a POST; each bad one is reported with its
//! feature, line or row number, and the good ones are stored in batched transactions.
//!
//! Files are streamed through a pipeline that uses every core and keeps the file's order:
//!
//! 1. a reader thread splits the file into records (lines of GeoJSON Lines are not parsed
//!    here) and hands them on in numbered chunks;
//! 2. worker threads, one per core but one (left to the store's writer), parse, validate,
//!    geocode and relate each chunk to the borders and coast;
//! 3. the chunks are put back in file order and gathered into batches of `batch_size`;
//! 4. a writer task stores each batch in one transaction while the next is being checked.
//!
//! Every channel between them is bounded, so memory stays bounded by a few chunks and two
//! batches, whatever the file's size.

use crate::domain::model::{
    FieldError, Gazetteer, Origin, Report, ReportInput, Timestamp, feature_input_from_text,
    input_from_json,
};
use crate::engine::store::{Inserted, Store, StoreError};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

/// Who the first revision of an imported report names.
pub const IMPORT_AUTHOR: &str = "import";

/// At most this many rejected records are kept in a summary (all are counted and reported).
const MAX_KEPT_REJECTIONS: usize = 10_000;

/// The file formats `import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One GeoJSON FeatureCollection (or a single Feature).
    FeatureCollection,
    /// One GeoJSON Feature per line (RFC 8142 text sequences are read too).
    GeoJsonLines,
    /// CSV with a header row.
    Csv,
}

impl Format {
    /// The format a file's name implies, if any.
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "geojson" | "json" => Some(Self::FeatureCollection),
            "geojsonl" | "geojsons" | "geojsonseq" | "ndjson" | "jsonl" => Some(Self::GeoJsonLines),
            "csv" => Some(Self::Csv),
            _ => None,
        }
    }
}

/// Why a whole import stopped (as opposed to one record being rejected).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The file's structure is broken beyond one record (such as invalid JSON).
    #[error("the file is malformed: {0}")]
    Malformed(String),
    /// The store failed; batches already committed stay.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Where it is in the file: "feature 3", "line 5" or "row 7".
    pub position: String,
    /// Every field at fault.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let problems: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.detail))
            .collect();
        write!(f, "{}: {}", self.position, problems.join("; "))
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Records read.
    pub read: usize,
    /// Records stored (0 on a dry run).
    pub imported: usize,
    /// Valid records whose id was stored already.
    pub already_stored: usize,
    /// Records rejected in all.
    pub rejected_count: usize,
    /// The first rejected records.
    pub rejected: Vec<Rejected>,
}

/// How to import.
pub struct Options {
    /// Reports per transaction.
    pub batch_size: usize,
    /// Called with each rejected record as it is found.
    pub on_reject: Box<dyn Fn(&Rejected) + Send>,
    /// Called with the number of bytes read so far.
    pub on_progress: Box<dyn Fn(u64) + Send>,
    /// Geocodes records that give place text without coordinates.
    pub gazetteer: Option<Arc<dyn Gazetteer>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            batch_size: 10_000,
            on_reject: Box::new(|_| {}),
            on_progress: Box::new(|_| {}),
            gazetteer: None,
        }
    }
}

/// Where imported reports go: the store itself, or a [`crate::engine::service::ReportService`] that
/// keeps its index in step (so that `import` can write the index snapshot when it is done).
#[async_trait::async_trait]
pub trait Destination: Send + Sync {
    /// Stores reports checked already, in one transaction; ids stored already are skipped.
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError>;

    /// The time imported reports are stamped with: the destination's clock.
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

#[async_trait::async_trait]
impl Destination for Arc<dyn Store> {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        crate::engine::store::ReportWriter::insert(self.as_ref(), reports, by).await
    }
}

#[async_trait::async_trait]
impl Destination for crate::engine::service::ReportService {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        self.insert_batch(reports, by).await
    }

    fn now(&self) -> Timestamp {
        crate::engine::service::ReportService::now(self)
    }
}

/// Records a worker checks at a time.
const CHUNK: usize = 256;

/// A numbered chunk of records as read.
type RawChunk = (u64, Vec<(String, Record)>);
/// A numbered chunk of records as checked.
type CheckedChunk = (u64, Vec<Result<Report, Rejected>>);

/// Imports every valid record of `reader` into `to`; with none (a dry run), only validates
/// them.
pub async fn import(
    to: Option<Arc<dyn Destination>>,
    reader: impl BufRead + Send + 'static,
    format: Format,
    options: Options,
) -> Result<Summary, ImportError> {
    // One core is left to the store's writer thread, which every batch waits for: with a
    // worker on every core, the writer got two thirds of a core on two (200k reports: 55-58k
    // a second, against 63-66k with one worker).
    let workers = std::thread::available_parallelism().map_or(1, |n| (n.get() - 1).clamp(1, 8));
    let batch_size = options.batch_size.max(1);

    // 1. The reader. It may have at most `window` chunks out that have not been put back in
    // order yet (a credit each, returned as each is), so a slow chunk cannot let the others
    // pile up without bound.
    let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<RawChunk>(workers * 2);
    let window = workers * 4 + 2;
    let (credit_tx, credit_rx) = std::sync::mpsc::sync_channel::<()>(window);
    for _ in 0..window {
        let _ = credit_tx.try_send(());
    }
    let on_progress = options.on_progress;
    let reader = tokio::task::spawn_blocking(move || {
        let mut counted = CountingReader {
            inner: reader,
            bytes: 0,
            on_progress,
        };
        let (mut read, mut seq) = (0usize, 0u64);
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut sent = true;
        let result = read_raw(&mut counted, format, &mut |position, record| {
            read += 1;
            chunk.push((position, record));
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                sent = credit_rx.recv().is_ok() && raw_tx.send((seq, full)).is_ok();
                seq += 1;
            }
            sent
        });
        if sent && !chunk.is_empty() && credit_rx.recv().is_ok() {
            let _ = raw_tx.send((seq, chunk));
        }
        result.map(|()| read)
    });

    // 2. The workers.
    let raw_rx = Arc::new(parking_lot::Mutex::new(raw_rx));
    let (checked_tx, mut checked_rx) = tokio::sync::mpsc::channel::<CheckedChunk>(workers * 2);
    let now = to.as_ref().map_or_else(Timestamp::now, |to| to.now());
    for _ in 0..workers {
        let (raw_rx, checked_tx) = (raw_rx.clone(), checked_tx.clone());
        let gazetteer = options.gazetteer.clone();
        std::thread::Builder::new()
            .name("sightmap-import".into())
            .spawn(move || {
                loop {
                    let next = raw_rx.lock().recv();
                    let Ok((seq, chunk)) = next else { break };
                    let checked = chunk
                        .into_iter()
                        .map(|(position, record)| {
                            check(position, record, now, gazetteer.as_deref())
                        })
                        .collect();
                    if checked_tx.blocking_send((seq, checked)).is_err() {
                        break;
                    }
                }
            })?;
    }
    drop(checked_tx);

    // 4. The writer.
    let (batch_tx, mut batch_rx) = tokio::sync::mpsc::channel::<Vec<Report>>(1);
    let writer = tokio::spawn(async move {
        let (mut imported, mut already_stored) = (0, 0);
        while let Some(batch) = batch_rx.recv().await {
            let Some(to) = &to else { continue };
            for outcome in to.insert(batch, IMPORT_AUTHOR).await? {
                match outcome {
                    Inserted::New(_) => imported += 1,
                    Inserted::AlreadyExists => already_stored += 1,
                }
            }
        }
        Ok::<_, StoreError>((imported, already_stored))
    });

    // 3. Back in file order, in batches.
    let mut summary = Summary::default();
    let mut pending = std::collections::BTreeMap::new();
    let (mut next, mut batch) = (0u64, Vec::with_capacity(batch_size));
    'chunks: while let Some((seq, checked)) = checked_rx.recv().await {
        pending.insert(seq, checked);
        while let Some(checked) = pending.remove(&next) {
            next += 1;
            let _ = credit_tx.try_send(());
            for record in checked {
                match record {
                    Ok(report) => batch.push(report),
                    Err(rejected) => {
                        (options.on_reject)(&rejected);
                        summary.rejected_count += 1;
                        if summary.rejected.len() < MAX_KEPT_REJECTIONS {
                            summary.rejected.push(rejected);
                        }
                    }
                }
                if batch.len() >= batch_size {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                    if batch_tx.send(full).await.is_err() {
                        // The writer stopped on an error, which it returns below.
                        break 'chunks;
                    }
                }
            }
        }
    }
    // Stops the workers and the reader early if the writer failed.
    drop(checked_rx);
    drop(credit_tx);
    if !batch.is_empty() {
        let _ = batch_tx.send(batch).await;
    }
    drop(batch_tx);
    let stored = writer
        .await
        .map_err(|e| ImportError::Malformed(format!("the writer stopped: {e}")))?;
    (summary.imported, summary.already_stored) = stored?;
    summary.read = reader
        .await
        .map_err(|e| ImportError::Malformed(format!("the reader stopped: {e}")))??;
    if !pending.is_empty() {
        return Err(ImportError::Malformed(format!(
            "{} chunks of records were checked but not stored (a worker stopped); \
             what was stored stays, and importing the file again skips it",
            pending.len()
        )));
    }
    Ok(summary)
}

/// Checks one record: parsed, validated, geocoded and related, or rejected with every
/// field at fault. A panic while checking it (a fault of sightmap's, never of the record)
/// rejects the record and is logged, rather than stopping its worker.
fn check(
    position: String,
    record: Record,
    now: Timestamp,
    gazetteer: Option<&dyn Gazetteer>,
) -> Result<Report, Rejected> {
    let checked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        record
            .input()
            .and_then(|input| input.into_report(Origin::Import, None, now, gazetteer))
    }));
    match checked {
        Ok(report) => report.map_err(|errors| Rejected { position, errors }),
        Err(_) => {
            tracing::error!(%position, "checking this record panicked; it is rejected");
            Err(Rejected {
                position,
                errors: vec![FieldError::internal("record")],
            })
        }
    }
}

struct CountingReader<R> {
    inner: R,
    bytes: u64,
    on_progress: Box<dyn Fn(u64) + Send>,
}

impl<R> CountingReader<R> {
    /// Counts bytes, telling `on_progress` once per MiB (the JSON parser reads byte by byte).
    fn advance(&mut self, n: usize) {
        let before = self.bytes;
        self.bytes += n as u64;
        if before >> 20 != self.bytes >> 20 {
            (self.on_progress)(self.bytes);
        }
    }
}

impl<R: BufRead> std::io::Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.advance(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.advance(amt);
        self.inner.consume(amt);
    }
}

/// One record as read: its JSON, or why it could not be read as a record, or a line of JSON
/// text left for a worker to parse.
enum Record {
    /// Read already.
    Read(Result<Value, Vec<FieldError>>),
    /// A line of JSON text.
    JsonText(String),
}

impl Record {
    /// The record's fields. A line that is a plain Feature is read straight into them
    /// (a quarter of the parsing's time, against building its JSON first); any other, and
    /// every record at fault, is read through its JSON, which names each field at fault.
    fn input(self) -> Result<ReportInput, Vec<FieldError>> {
        if let Record::JsonText(text) = &self
            && let Some(input) = feature_input_from_text(text)
        {
            return Ok(input);
        }
        self.parse().and_then(input_from_json)
    }

    /// The record's JSON.
    fn parse(self) -> Result<Value, Vec<FieldError>> {
        match self {
            Record::Read(value) => value,
            Record::JsonText(text) => serde_json::from_str::<Value>(&text).map_err(|e| {
                vec![FieldError::unreadable(
                    "line",
                    format!("not valid JSON: {e}"),
                )]
            }),
        }
    }
}

/// A record's position and the record.
type RecordSink<'a> = dyn FnMut(String, Record) -> bool + 'a;

/// Reads records one at a time, calling `sink` with each (parsed) until it returns false.
pub fn read_records(
    reader: impl BufRead,
    format: Format,
    sink: &mut dyn FnMut(String, Result<Value, Vec<FieldError>>) -> bool,
) -> Result<(), ImportError> {
    read_raw(reader, format, &mut |position, record| {
        sink(position, record.parse())
    })
}

/// Reads records one at a time, calling `sink` with each until it returns false.
fn read_raw(
    reader: impl BufRead,
    format: Format,
    sink: &mut RecordSink<'_>,
) -> Result<(), ImportError> {
    match format {
        Format::FeatureCollection => read_collection(reader, sink),
        Format::GeoJsonLines => read_lines(reader, sink),
        Format::Csv => read_csv(reader, sink),
    }
}

fn read_collection(reader: impl BufRead, sink: &mut RecordSink<'_>) -> Result<(), ImportError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = CollectionState {
        sink,
        count: 0,
        single: None,
        stopped: false,
    };
    CollectionSeed(&mut state)
        .deserialize(&mut de)
        .map_err(|e| ImportError::Malformed(format!("not a GeoJSON FeatureCollection: {e}")))?;
    if let Some(feature) = state.single.take() {
        (state.sink)("feature 1".into(), Record::Read(Ok(Value::Object(feature))));
    }
    if !state.stopped {
        de.end().map_err(|e| {
            ImportError::Malformed(format!("data after the FeatureCollection: {e}"))
        })?;
    }
    Ok(())
}

struct CollectionState<'s, 'a> {
    sink: &'s mut RecordSink<'a>,
    count: usize,
    /// Members of a top-level object that turned out to be one Feature.
    single: Option<Map<String, Value>>,
    stopped: bool,
}

struct CollectionSeed<'x, 's, 'a>(&'x mut CollectionState<'s, 'a>);

impl<'de> DeserializeSeed<'de> for CollectionSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for CollectionSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON FeatureCollection object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut others = Map::new();
        let mut saw_features = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "features" {
                saw_features = true;
                map.next_value_seed(FeaturesSeed(&mut *self.0))?;
            } else if key == "type" || key == "geometry" || key == "properties" || key == "id" {
                others.insert(key, map.next_value()?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        match others.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") if saw_features => Ok(()),
            Some("Feature") if !saw_features => {
                self.0.single = Some(others);
                Ok(())
            }
            _ => Err(serde::de::Error::custom(
                "expected \"type\": \"FeatureCollection\" with a \"features\" array",
            )),
        }
    }
}

struct FeaturesSeed<'x, 's, 'a>(&'x mut CollectionState<'s, 'a>);

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of GeoJSON Features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(feature) = seq.next_element::<Value>()? {
            if self.0.stopped {
                continue;
            }
            self.0.count += 1;
            let position = format!("feature {}", self.0.count);
            if !(self.0.sink)(position, Record::Read(Ok(feature))) {
                self.0.stopped = true;
            }
        }
        Ok(())
    }
}

fn read_lines(reader: impl BufRead, sink: &mut RecordSink<'_>) -> Result<(), ImportError> {
    for (i, line) in reader.lines().enumerate() {
        let line = line?;
        // RFC 8142 puts an RS (0x1E) before each record.
        let text = line.trim_start_matches('\u{1e}').trim();
        if text.is_empty() {
            continue;
        }
        let position = format!("line {}", i + 1);
        if !sink(position, Record::JsonText(text.to_string())) {
            break;
        }
    }
    Ok(())
}

/// CSV columns that hold numbers.
const NUMBER_COLUMNS: &[&str] = &["lat", "lon", "uncertainty_m"];
/// CSV columns that hold `true` or `false`.
const BOOL_COLUMNS: &[&str] = &["location_ambiguous", "location_coarsened", "in_sea"];
/// CSV columns written by exports that import ignores (summaries of `sources_json`, and the
/// point again as WKT).
const IGNORED_COLUMNS: &[&str] = &[
    "wkt",
    "geometry",
    "distance_km",
    "source_count",
    "source_names",
    "stances",
];

fn read_csv(reader: impl BufRead, sink: &mut RecordSink<'_>) -> Result<(), ImportError> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| ImportError::Malformed(format!("cannot read the CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for needed in ["lat", "lon"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(ImportError::Malformed(format!(
                "the CSV header has no '{needed}' column"
            )));
        }
    }
    for (i, record) in csv.records().enumerate() {
        let line = i + 2;
        let position = format!("row {} (line {line})", i + 1);
        let value = match record {
            Ok(record) => csv_row(&headers, &record),
            Err(e) => Err(vec![FieldError::unreadable("row", e)]),
        };
        if !sink(position, Record::Read(value)) {
            break;
        }
    }
    Ok(())
}

/// One CSV row as the JSON object a client would send. Sources come as a JSON array in a
/// `sources` column, or as one source in `source_name`, `source_url`, `source_type`,
/// `source_stance`; tags as a `;`-separated list.
fn csv_row(headers: &[String], record: &csv::StringRecord) -> Result<Value, Vec<FieldError>> {
    let mut object = Map::new();
    let mut source = Map::new();
    let mut errors = Vec::new();
    for (header, cell) in headers.iter().zip(record.iter()) {
        if cell.is_empty() || IGNORED_COLUMNS.contains(&header.as_str()) {
            continue;
        }
        if let Some(field) = header.strip_prefix("source_") {
            let key = if field == "type" { "type" } else { field };
            source.insert(key.to_string(), Value::String(cell.to_string()));
            continue;
        }
        // An export's sources, in full.
        let header = match header.as_str() {
            "sources_json" => "sources",
            other => other,
        };
        let value = if BOOL_COLUMNS.contains(&header) {
            match cell {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    errors.push(FieldError::not_a_boolean(header, cell));
                    continue;
                }
            }
        } else if NUMBER_COLUMNS.contains(&header) {
            match cell.parse::<f64>() {
                Ok(n) if n.is_finite() => Value::from(n),
                _ => {
                    errors.push(FieldError::not_a_number(header, cell));
                    continue;
                }
            }
        } else if header == "sources" {
            match serde_json::from_str(cell) {
                Ok(v) => v,
                Err(e) => {
                    errors.push(FieldError::unreadable("sources", e));
                    continue;
                }
            }
        } else if header == "tags" {
            Value::Array(
                cell.split(';')
                    .map(|t| Value::String(t.trim().to_string()))
                    .filter(|t| t != "")
                    .collect(),
            )
        } else {
            Value::String(cell.to_string())
        };
        object.insert(header.to_string(), value);
    }
    if !source.is_empty() {
        if object.contains_key("sources") {
            errors.push(FieldError::conflict("sources", &["source_*"]));
        }
        object.insert("sources".into(), Value::Array(vec![Value::Object(source)]));
    }
    if errors.is_empty() {
        Ok(Value::Object(object))
    } else {
        Err(errors)
    }
}
