//! The embedded default store: one SQLite database in WAL mode under the data directory.
//!
//! Durability: every write commits with `synchronous=FULL`, so the WAL is on disk before the
//! write is acknowledged; a `kill -9` (or a power cut) loses nothing acknowledged.
//!
//! Throughput: one writer thread owns the only writing connection and commits *groups* of
//! waiting writes in one transaction (group commit), each write in its own savepoint so one bad
//! write cannot spoil the others. Reads go through a small pool of read-only connections on
//! tokio's blocking threads; WAL lets them run while the writer writes.

use super::{Change, Inserted, Revision, RevisionAction, Store, StoreError};
use crate::access::TokenRecord;
use crate::model::IndexRecord;
use crate::model::{
    Interval, Kind, Location, Precision, Relation, Report, ReportId, Source, Status, Timestamp,
    WordSet,
};
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use tokio::sync::oneshot;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "sightmap.db";
const LOCK_FILE: &str = "sightmap.lock";
/// The schema this code writes; bumped with every migration.
pub(super) const SCHEMA_VERSION: i64 = 4;
/// How much of the database file each reader maps into memory (SQLite caps it at its
/// compile-time maximum, 2 GiB in the bundled build).
const READER_MMAP_BYTES: i64 = 1 << 40;

/// Each reader's page cache, KiB: decoded B-tree pages, so that lookups of a page of reports
/// do not re-read and re-check the same inner pages (SQLite's default is 2 MiB).
const READER_CACHE_KIB: i64 = 32 * 1024;

/// Reads of at most this many reports by id run on the caller's thread (see `read_now`).
const SHORT_READ_IDS: usize = 2_000;

/// Most writes committed in one group.
const MAX_GROUP: usize = 512;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS reports (
    rowid         INTEGER PRIMARY KEY,
    id            BLOB NOT NULL UNIQUE,
    version       INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    description   TEXT NOT NULL,
    location_text TEXT,
    lon           REAL NOT NULL,
    lat           REAL NOT NULL,
    precision     TEXT NOT NULL,
    uncertainty_m REAL NOT NULL,
    province      TEXT,
    country       TEXT,
    location_ambiguous INTEGER NOT NULL DEFAULT 0,
    border_distance_m REAL,
    border_country TEXT,
    coast_distance_m REAL,
    in_sea        INTEGER NOT NULL DEFAULT 0,
    observed_from INTEGER NOT NULL,
    observed_to   INTEGER NOT NULL,
    sources       TEXT NOT NULL,
    source_types  INTEGER NOT NULL,
    status        TEXT NOT NULL,
    tags          TEXT NOT NULL,
    reported_at   INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER,
    public_view   TEXT
);
CREATE INDEX IF NOT EXISTS reports_version ON reports (version);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revisions (
    report_id BLOB NOT NULL,
    version   INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    by        TEXT NOT NULL,
    action    TEXT NOT NULL,
    report    TEXT,
    PRIMARY KEY (report_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    hash       BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE VIRTUAL TABLE IF NOT EXISTS report_text USING fts5 (description, content = '', contentless_delete = 1);
";

/// The columns [`index_record_at`] reads, in its order.
const INDEX_COLUMNS: &str = "id, version, lon, lat, kind, status, source_types, observed_from, observed_to, tags, \
     uncertainty_m, province, country, border_distance_m, border_country, coast_distance_m, in_sea, \
     precision, public_view";

const REPORT_COLUMNS: &str = "id, kind, description, location_text, lon, lat, precision, uncertainty_m, \
     province, country, observed_from, observed_to, sources, status, tags, reported_at, updated_at, \
     location_ambiguous, border_distance_m, border_country, coast_distance_m, in_sea, public_view";

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::Full(e.to_string()),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::Corrupt(e.to_string())
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Internal(e.to_string()),
        }
    }
}

enum WriteOp {
    Insert {
        reports: Vec<Report>,
        by: String,
    },
    Update {
        report: Box<Report>,
        expected_version: i64,
        by: String,
    },
    Delete {
        id: ReportId,
        at: Timestamp,
        by: String,
    },
    SetRelations(Vec<(ReportId, Relation)>),
    AddToken(TokenRecord),
    RevokeToken {
        id: uuid::Uuid,
        at: Timestamp,
    },
}

enum WriteOutcome {
    Inserted(Vec<Inserted>),
    Version(Option<i64>),
}

struct WriteJob {
    op: WriteOp,
    reply: oneshot::Sender<Result<WriteOutcome, StoreError>>,
}

/// The embedded SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Option<mpsc::Sender<WriteJob>>>,
    readers: Arc<ReaderPool>,
    /// Made when the store was created (see [`Store::identity`]).
    identity: String,
    /// Held for the store's life so that no second process opens the same data directory.
    _lock: File,
}

/// Takes the data directory's lock, held as long as the returned file is open, so that no
/// second process opens the same store.
pub(super) fn lock_data_dir(data_dir: &Path) -> Result<File, StoreError> {
    let lock = File::create(data_dir.join(LOCK_FILE)).map_err(|e| {
        StoreError::Unavailable(format!(
            "cannot create lock file in {}: {e}",
            data_dir.display()
        ))
    })?;
    lock.try_lock().map_err(|_| {
        StoreError::Unavailable(format!(
            "{} is in use by another sightmap process; stop it or choose another --data-dir",
            data_dir.display()
        ))
    })?;
    Ok(lock)
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir`, migrating its schema.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Unavailable(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let lock = lock_data_dir(data_dir)?;
        let path = data_dir.join(DB_FILE);
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&conn)?;
        let identity = store_identity(&conn)?;
        let next_version: i64 = conn.query_row(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM reports",
            [],
            |r| r.get(0),
        )?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("sightmap-sqlite-writer".into())
            .spawn(move || Writer { conn, next_version }.run(rx))
            .map_err(|e| StoreError::Internal(format!("cannot start writer thread: {e}")))?;
        Ok(Self {
            readers: Arc::new(ReaderPool {
                path: path.clone(),
                idle: Mutex::new(Vec::new()),
            }),
            path,
            identity,
            writer: Mutex::new(Some(tx)),
            _lock: lock,
        })
    }

    async fn write(&self, op: WriteOp) -> Result<WriteOutcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        let sender = self.writer.lock().clone();
        let sender = sender.ok_or_else(|| StoreError::Unavailable("the store is closed".into()))?;
        sender
            .send(WriteJob { op, reply })
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }

    /// Runs a short read (a few point lookups) on the calling thread. Such reads are
    /// CPU-bound (the file is memory-mapped and its pages cached), and waking a blocking-pool
    /// thread for one cost more than the read itself: 14 % of a radius query's CPU went to
    /// that wake-up in the profile.
    fn read_now<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.readers.with(f)
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel lets the writer finish what is queued and exit.
        self.writer.lock().take();
    }
}

fn migrate(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "the store has schema version {version}, newer than this sightmap ({SCHEMA_VERSION}); upgrade sightmap"
        )));
    }
    conn.execute_batch(SCHEMA)?;
    // Version 2: reports whose place text was ambiguous are marked. Version 3: each report's
    // relation to the borders and coast (filled in by the service for older rows). Version 4:
    // the public view of a private location.
    for (column, definition) in [
        ("location_ambiguous", "INTEGER NOT NULL DEFAULT 0"),
        ("border_distance_m", "REAL"),
        ("border_country", "TEXT"),
        ("coast_distance_m", "REAL"),
        ("in_sea", "INTEGER NOT NULL DEFAULT 0"),
        ("public_view", "TEXT"),
    ] {
        let exists: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM pragma_table_info('reports') WHERE name = ?1)",
            [column],
            |r| r.get(0),
        )?;
        if !exists {
            conn.execute_batch(&format!(
                "ALTER TABLE reports ADD COLUMN {column} {definition}"
            ))?;
        }
    }
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// The store's identity, made once when the store is created.
fn store_identity(conn: &Connection) -> Result<String, StoreError> {
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?1)",
        [uuid::Uuid::now_v7().to_string()],
    )?;
    Ok(
        conn.query_row("SELECT value FROM meta WHERE key = 'store_id'", [], |r| {
            r.get(0)
        })?,
    )
}

struct ReaderPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl ReaderPool {
    fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self.idle.lock().pop() {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                // Read pages through a memory map: a page already in the OS cache costs no
                // system call and no copy (reads were a tenth of a query's time in pread).
                c.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
                c.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
                c
            }
        };
        let result = f(&conn);
        self.idle.lock().push(conn);
        result
    }
}

struct Writer {
    conn: Connection,
    next_version: i64,
}

impl Writer {
    fn run(mut self, jobs: mpsc::Receiver<WriteJob>) {
        while let Ok(first) = jobs.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            let start_version = self.next_version;
            match self.commit_group(&group) {
                Ok(outcomes) => {
                    for (job, outcome) in group.into_iter().zip(outcomes) {
                        let _ = job.reply.send(outcome);
                    }
                }
                Err(e) => {
                    self.next_version = start_version;
                    tracing::error!(error = %e, "commit failed");
                    let message = e.to_string();
                    for job in group {
                        let _ = job.reply.send(Err(match &e {
                            StoreError::Full(_) => StoreError::Full(message.clone()),
                            StoreError::Corrupt(_) => StoreError::Corrupt(message.clone()),
                            _ => StoreError::Unavailable(message.clone()),
                        }));
                    }
                }
            }
        }
    }

    fn commit_group(
        &mut self,
        group: &[WriteJob],
    ) -> Result<Vec<Result<WriteOutcome, StoreError>>, StoreError> {
        let mut tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut outcomes = Vec::with_capacity(group.len());
        for job in group {
            let sp = tx.savepoint()?;
            let version_before = self.next_version;
            let outcome = apply(&sp, &job.op, &mut self.next_version);
            match outcome {
                Ok(o) => {
                    sp.commit()?;
                    outcomes.push(Ok(o));
                }
                Err(e) => {
                    drop(sp); // rolls back this write only
                    self.next_version = version_before;
                    outcomes.push(Err(e));
                }
            }
        }
        tx.commit()?;
        Ok(outcomes)
    }
}

fn apply(
    conn: &Connection,
    op: &WriteOp,
    next_version: &mut i64,
) -> Result<WriteOutcome, StoreError> {
    let mut take_version = || {
        let v = *next_version;
        *next_version += 1;
        v
    };
    match op {
        WriteOp::Insert { reports, by } => {
            let mut insert = conn.prepare_cached(
                "INSERT INTO reports (id, version, kind, description, location_text, lon, lat, precision, \
                 uncertainty_m, province, country, observed_from, observed_to, sources, source_types, status, \
                 tags, reported_at, updated_at, location_ambiguous, border_distance_m, border_country, \
                 coast_distance_m, in_sea, public_view) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
                 ?21, ?22, ?23, ?24, ?25) \
                 ON CONFLICT (id) DO NOTHING",
            )?;
            let mut text = conn
                .prepare_cached("INSERT INTO report_text (rowid, description) VALUES (?1, ?2)")?;
            let mut results = Vec::with_capacity(reports.len());
            for r in reports {
                let version = *next_version;
                let changed = insert.execute(params![
                    r.id.0.as_bytes(),
                    version,
                    r.kind.as_str(),
                    r.description,
                    r.location.text,
                    r.location.lon,
                    r.location.lat,
                    r.location.precision.as_str(),
                    r.location.uncertainty_m,
                    r.location.province,
                    r.location.country,
                    r.observed.from.0,
                    r.observed.to.0,
                    to_json(&r.sources)?,
                    r.source_types().0,
                    r.status.as_str(),
                    to_json(&r.tags)?,
                    r.reported_at.0,
                    r.updated_at.0,
                    r.location.ambiguous,
                    r.relation.border_distance_m,
                    r.relation.border_country,
                    r.relation.coast_distance_m,
                    r.relation.in_sea,
                    super::public_view_json(r)?,
                ])?;
                if changed == 1 {
                    *next_version += 1;
                    text.execute(params![conn.last_insert_rowid(), r.description])?;
                    add_revision(
                        conn,
                        &r.id,
                        version,
                        r.reported_at,
                        by,
                        RevisionAction::Created,
                        Some(r),
                    )?;
                    results.push(Inserted::New(version));
                } else {
                    results.push(Inserted::AlreadyExists);
                }
            }
            Ok(WriteOutcome::Inserted(results))
        }
        WriteOp::Update {
            report: r,
            expected_version,
            by,
        } => {
            let rowid: Option<i64> = conn
                .prepare_cached("SELECT rowid FROM reports WHERE id = ?1 AND version = ?2 AND deleted_at IS NULL")?
                .query_row(params![r.id.0.as_bytes(), expected_version], |row| row.get(0))
                .optional()?;
            let Some(rowid) = rowid else {
                let live: bool = conn
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM reports WHERE id = ?1 AND deleted_at IS NULL)")?
                    .query_row([r.id.0.as_bytes()], |row| row.get(0))?;
                return if live {
                    Err(StoreError::Conflict(r.id))
                } else {
                    Ok(WriteOutcome::Version(None))
                };
            };
            let version = take_version();
            conn.prepare_cached(
                "UPDATE reports SET version = ?2, kind = ?3, description = ?4, location_text = ?5, lon = ?6, \
                 lat = ?7, precision = ?8, uncertainty_m = ?9, province = ?10, country = ?11, observed_from = ?12, \
                 observed_to = ?13, sources = ?14, source_types = ?15, status = ?16, tags = ?17, updated_at = ?18, \
                 location_ambiguous = ?19, border_distance_m = ?20, border_country = ?21, \
                 coast_distance_m = ?22, in_sea = ?23, public_view = ?24 WHERE rowid = ?1",
            )?
            .execute(params![
                rowid,
                version,
                r.kind.as_str(),
                r.description,
                r.location.text,
                r.location.lon,
                r.location.lat,
                r.location.precision.as_str(),
                r.location.uncertainty_m,
                r.location.province,
                r.location.country,
                r.observed.from.0,
                r.observed.to.0,
                to_json(&r.sources)?,
                r.source_types().0,
                r.status.as_str(),
                to_json(&r.tags)?,
                r.updated_at.0,
                r.location.ambiguous,
                r.relation.border_distance_m,
                r.relation.border_country,
                r.relation.coast_distance_m,
                r.relation.in_sea,
                super::public_view_json(r)?,
            ])?;
            conn.prepare_cached("DELETE FROM report_text WHERE rowid = ?1")?
                .execute([rowid])?;
            conn.prepare_cached("INSERT INTO report_text (rowid, description) VALUES (?1, ?2)")?
                .execute(params![rowid, r.description])?;
            add_revision(
                conn,
                &r.id,
                version,
                r.updated_at,
                by,
                RevisionAction::Edited,
                Some(r),
            )?;
            Ok(WriteOutcome::Version(Some(version)))
        }
        WriteOp::Delete { id, at, by } => {
            let rowid: Option<i64> = conn
                .prepare_cached("SELECT rowid FROM reports WHERE id = ?1 AND deleted_at IS NULL")?
                .query_row([id.0.as_bytes()], |row| row.get(0))
                .optional()?;
            let Some(rowid) = rowid else {
                return Ok(WriteOutcome::Version(None));
            };
            let version = take_version();
            conn.prepare_cached(
                "UPDATE reports SET deleted_at = ?2, version = ?3 WHERE rowid = ?1",
            )?
            .execute(params![rowid, at.0, version])?;
            conn.prepare_cached("DELETE FROM report_text WHERE rowid = ?1")?
                .execute([rowid])?;
            add_revision(conn, id, version, *at, by, RevisionAction::Deleted, None)?;
            Ok(WriteOutcome::Version(Some(version)))
        }
        WriteOp::SetRelations(relations) => {
            // Derived data: the report's version stays, as its content did not change.
            let mut set = conn.prepare_cached(
                "UPDATE reports SET border_distance_m = ?2, border_country = ?3, coast_distance_m = ?4, \
                 in_sea = ?5 WHERE id = ?1",
            )?;
            for (id, r) in relations {
                set.execute(params![
                    id.0.as_bytes(),
                    r.border_distance_m,
                    r.border_country,
                    r.coast_distance_m,
                    r.in_sea,
                ])?;
            }
            Ok(WriteOutcome::Version(None))
        }
        WriteOp::AddToken(t) => {
            conn.execute(
                "INSERT INTO tokens (id, name, role, hash, created_at, revoked_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    t.id.as_bytes(),
                    t.name,
                    t.role.as_str(),
                    t.hash.as_slice(),
                    t.created_at.0,
                    t.revoked_at.map(|r| r.0),
                ],
            )?;
            Ok(WriteOutcome::Version(None))
        }
        WriteOp::RevokeToken { id, at } => {
            let changed = conn.execute(
                "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id.as_bytes(), at.0],
            )?;
            Ok(WriteOutcome::Version((changed == 1).then_some(0)))
        }
    }
}

/// Keeps one revision of a report, in the write's transaction.
fn add_revision(
    conn: &Connection,
    id: &ReportId,
    version: i64,
    at: Timestamp,
    by: &str,
    action: RevisionAction,
    report: Option<&Report>,
) -> Result<(), StoreError> {
    let report = report.map(to_json).transpose()?;
    conn.prepare_cached(
        "INSERT INTO revisions (report_id, version, at, by, action, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![id.0.as_bytes(), version, at.0, by, action.as_str(), report])?;
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(e.to_string()))
}

fn corrupt(column: &str, e: impl std::fmt::Display) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("{column}: {e}").into(),
    )
}

/// A report id from a blob column, read without allocating.
fn id_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<ReportId> {
    let bytes = row.get_ref(index)?.as_blob().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Blob, e.into())
    })?;
    uuid::Uuid::from_slice(bytes)
        .map(ReportId)
        .map_err(|e| corrupt("id", e))
}

/// A text column, borrowed from the row (no allocation).
fn text_ref<'r>(row: &'r rusqlite::Row<'_>, index: usize) -> rusqlite::Result<&'r str> {
    row.get_ref(index)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
    })
}

/// A vocabulary word from a text column, read without allocating.
fn word_at<T: std::str::FromStr>(
    row: &rusqlite::Row<'_>,
    index: usize,
    column: &str,
) -> rusqlite::Result<T>
where
    T::Err: std::fmt::Display,
{
    text_ref(row, index)?
        .parse()
        .map_err(|e| corrupt(column, e))
}

/// A report's public view from its `public_view` column (NULL for none).
fn public_view_at(
    row: &rusqlite::Row<'_>,
    index: usize,
) -> rusqlite::Result<Option<Box<crate::model::PublicView>>> {
    let text = row
        .get_ref(index)?
        .as_str_or_null()
        .map_err(|e| corrupt("public_view", e))?;
    super::parse_public_view(text).map_err(|e| corrupt("public_view", e))
}

fn report_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    let sources = text_ref(row, 12)?;
    let tags = text_ref(row, 14)?;
    let public = public_view_at(row, 22)?;
    Ok(Report {
        id: id_at(row, 0)?,
        kind: word_at::<Kind>(row, 1, "kind")?,
        description: row.get(2)?,
        location: Location {
            text: row.get(3)?,
            lon: row.get(4)?,
            lat: row.get(5)?,
            precision: word_at::<Precision>(row, 6, "precision")?,
            uncertainty_m: row.get(7)?,
            province: row.get(8)?,
            country: row.get(9)?,
            ambiguous: row.get(17)?,
            public_precision: public.as_ref().and_then(|p| p.location.public_precision),
            coarsened: false,
        },
        relation: Relation {
            border_distance_m: row.get(18)?,
            border_country: row.get(19)?,
            coast_distance_m: row.get(20)?,
            in_sea: row.get(21)?,
        },
        observed: Interval {
            from: Timestamp(row.get(10)?),
            to: Timestamp(row.get(11)?),
        },
        sources: serde_json::from_str::<Vec<Source>>(sources).map_err(|e| corrupt("sources", e))?,
        status: word_at::<Status>(row, 13, "status")?,
        tags: if tags == "[]" {
            Vec::new()
        } else {
            serde_json::from_str(tags).map_err(|e| corrupt("tags", e))?
        },
        reported_at: Timestamp(row.get(15)?),
        updated_at: Timestamp(row.get(16)?),
        public,
    })
}

/// The index records of the live reports with `after < rowid <= upto`.
fn index_records_in(
    conn: &Connection,
    after: i64,
    upto: i64,
) -> Result<Vec<IndexRecord>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {INDEX_COLUMNS} FROM reports WHERE rowid > ?1 AND rowid <= ?2 AND deleted_at IS NULL"
    ))?;
    let mut records = Vec::with_capacity((upto - after).clamp(0, 1 << 24) as usize);
    let mut rows = stmt.query(params![after, upto])?;
    while let Some(row) = rows.next()? {
        records.push(index_record_at(row)?);
    }
    Ok(records)
}

/// Changes after `after`, oldest first, at most `limit`: each row's latest state.
fn changes_in(conn: &Connection, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {INDEX_COLUMNS}, deleted_at IS NOT NULL FROM reports \
         WHERE version > ?1 ORDER BY version LIMIT ?2"
    ))?;
    let mut rows = stmt.query(params![after, super::sql_limit(limit)])?;
    let mut changes = Vec::new();
    while let Some(row) = rows.next()? {
        let deleted: bool = row.get(19)?;
        changes.push(match deleted {
            true => Change::Removed {
                id: id_at(row, 0)?,
                version: row.get(1)?,
            },
            false => Change::Upserted(index_record_at(row)?),
        });
    }
    Ok(changes)
}

/// An index record from a row of [`INDEX_COLUMNS`].
fn index_record_at(row: &rusqlite::Row<'_>) -> Result<IndexRecord, StoreError> {
    let tags = text_ref(row, 9)?;
    let public = public_view_at(row, 18)?;
    let exact = IndexRecord {
        id: id_at(row, 0)?,
        version: row.get(1)?,
        lon: row.get(2)?,
        lat: row.get(3)?,
        uncertainty_m: row.get(10)?,
        precision: word_at(row, 17, "precision")?,
        province: row.get(11)?,
        country: row.get(12)?,
        relation: Relation {
            border_distance_m: row.get(13)?,
            border_country: row.get(14)?,
            coast_distance_m: row.get(15)?,
            in_sea: row.get(16)?,
        },
        kind: word_at(row, 4, "kind")?,
        status: word_at(row, 5, "status")?,
        source_types: WordSet(row.get(6)?),
        observed_from: Timestamp(row.get(7)?),
        observed_to: Timestamp(row.get(8)?),
        tags: if tags == "[]" {
            Vec::new()
        } else {
            serde_json::from_str(tags).map_err(|e| corrupt("tags", e))?
        },
        exact: None,
    };
    Ok(exact.with_public_view(public.as_deref()))
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        let by = by.to_string();
        match self.write(WriteOp::Insert { reports, by }).await? {
            WriteOutcome::Inserted(v) => Ok(v),
            WriteOutcome::Version(_) => {
                Err(StoreError::Internal("unexpected write outcome".into()))
            }
        }
    }

    async fn update(
        &self,
        report: Report,
        expected_version: i64,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        match self
            .write(WriteOp::Update {
                report: Box::new(report),
                expected_version,
                by: by.to_string(),
            })
            .await?
        {
            WriteOutcome::Version(v) => Ok(v),
            WriteOutcome::Inserted(_) => {
                Err(StoreError::Internal("unexpected write outcome".into()))
            }
        }
    }

    async fn delete(
        &self,
        id: ReportId,
        at: Timestamp,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        let by = by.to_string();
        match self.write(WriteOp::Delete { id, at, by }).await? {
            WriteOutcome::Version(v) => Ok(v),
            WriteOutcome::Inserted(_) => {
                Err(StoreError::Internal("unexpected write outcome".into()))
            }
        }
    }

    async fn history(&self, id: ReportId) -> Result<Vec<Revision>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT version, at, by, action, report FROM revisions WHERE report_id = ?1 ORDER BY version",
            )?;
            let mut rows = stmt.query([id.0.as_bytes()])?;
            let mut revisions = Vec::new();
            while let Some(row) = rows.next()? {
                let report: Option<String> = row.get(4)?;
                revisions.push(Revision {
                    version: row.get(0)?,
                    at: Timestamp(row.get(1)?),
                    by: row.get(2)?,
                    action: RevisionAction::parse(text_ref(row, 3)?)?,
                    report: report
                        .map(|r| serde_json::from_str(&r))
                        .transpose()
                        .map_err(|e| StoreError::Corrupt(format!("revision: {e}")))?,
                });
            }
            Ok(revisions)
        })
        .await
    }

    async fn get(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError> {
        self.read_now(move |conn| {
            let sql = format!(
                "SELECT {REPORT_COLUMNS}, version FROM reports WHERE id = ?1 AND deleted_at IS NULL"
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id.0.as_bytes()], |row| {
                    Ok((report_from_row(row)?, row.get(23)?))
                })
                .optional()?)
        })
    }

    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        let ids_len = ids.len();
        let read = move |conn: &Connection| {
            let sql = format!(
                "SELECT {REPORT_COLUMNS} FROM reports WHERE id = ?1 AND deleted_at IS NULL"
            );
            // One read transaction for every lookup: one snapshot for the whole page, and the
            // WAL's shared lock is taken once (per lookup, it was a fifth of a query's CPU).
            let snapshot = conn.unchecked_transaction()?;
            let mut stmt = snapshot.prepare_cached(&sql)?;
            // Look up in id order, so that consecutive lookups share B-tree pages (ids are
            // time-ordered UUIDs, stored in about that order); answer in the order asked.
            let mut order: Vec<(ReportId, usize)> =
                ids.iter().enumerate().map(|(at, id)| (*id, at)).collect();
            order.sort_unstable();
            let mut found: Vec<Option<Report>> = Vec::new();
            found.resize_with(ids.len(), || None);
            for (id, at) in order {
                found[at] = stmt
                    .query_row([id.0.as_bytes()], report_from_row)
                    .optional()?;
            }
            drop(stmt);
            snapshot.finish()?;
            Ok(found.into_iter().flatten().collect())
        };
        if ids_len <= SHORT_READ_IDS {
            self.read_now(read)
        } else {
            self.read(read).await
        }
    }

    async fn scan(&self, after: i64, limit: usize) -> Result<Vec<(i64, Report)>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {REPORT_COLUMNS}, rowid FROM reports WHERE rowid > ?1 AND deleted_at IS NULL \
                 ORDER BY rowid LIMIT ?2"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![after, limit as i64], |row| {
                    Ok((row.get(23)?, report_from_row(row)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
    }

    async fn text_matches(&self, words: String) -> Result<HashSet<ReportId>, StoreError> {
        // Each word is quoted, so FTS5 reads the user's text as words, never as query syntax.
        let expr = words
            .split_whitespace()
            .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ");
        if expr.is_empty() {
            return Ok(HashSet::new());
        }
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.id FROM report_text t JOIN reports r ON r.rowid = t.rowid \
                 WHERE report_text MATCH ?1 AND r.deleted_at IS NULL",
            )?;
            let ids = stmt
                .query_map([expr], |row| id_at(row, 0))?
                .collect::<rusqlite::Result<HashSet<_>>>()?;
            Ok(ids)
        })
        .await
    }

    async fn index_records(&self) -> Result<Vec<IndexRecord>, StoreError> {
        self.read(|conn| {
            let (first, last): (i64, i64) = conn.query_row(
                "SELECT COALESCE(MIN(rowid), 0), COALESCE(MAX(rowid), 0) FROM reports",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            index_records_in(conn, first - 1, last)
        })
        .await
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    async fn last_version(&self) -> Result<i64, StoreError> {
        self.read_now(|conn| {
            Ok(
                conn.query_row("SELECT COALESCE(MAX(version), 0) FROM reports", [], |r| {
                    r.get(0)
                })?,
            )
        })
    }

    async fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        self.read(move |conn| changes_in(conn, after, limit)).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id, name, role, hash, created_at, revoked_at FROM tokens ORDER BY created_at, id",
            )?;
            let mut rows = stmt.query([])?;
            let mut tokens = Vec::new();
            while let Some(row) = rows.next()? {
                let id: Vec<u8> = row.get(0)?;
                let hash: Vec<u8> = row.get(3)?;
                tokens.push(TokenRecord {
                    id: uuid::Uuid::from_slice(&id).map_err(|e| corrupt("tokens.id", e))?,
                    name: row.get(1)?,
                    role: text_ref(row, 2)?
                        .parse()
                        .map_err(|e| corrupt("tokens.role", e))?,
                    hash: hash
                        .try_into()
                        .map_err(|_| corrupt("tokens.hash", "not 32 bytes"))?,
                    created_at: Timestamp(row.get(4)?),
                    revoked_at: row.get::<_, Option<i64>>(5)?.map(Timestamp),
                });
            }
            Ok(tokens)
        })
        .await
    }

    async fn add_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        self.write(WriteOp::AddToken(token)).await?;
        Ok(())
    }

    async fn revoke_token(&self, id: uuid::Uuid, at: Timestamp) -> Result<bool, StoreError> {
        match self.write(WriteOp::RevokeToken { id, at }).await? {
            WriteOutcome::Version(v) => Ok(v.is_some()),
            WriteOutcome::Inserted(_) => {
                Err(StoreError::Internal("unexpected write outcome".into()))
            }
        }
    }

    async fn set_relations(&self, relations: Vec<(ReportId, Relation)>) -> Result<(), StoreError> {
        self.write(WriteOp::SetRelations(relations)).await?;
        Ok(())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.read(|conn| {
            Ok(conn.query_row(
                "SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL",
                [],
                |r| r.get::<_, i64>(0),
            )? as u64)
        })
        .await
    }

    fn describe(&self) -> String {
        format!("SQLite (WAL) at {}", self.path.display())
    }
}
