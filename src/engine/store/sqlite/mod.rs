//! The embedded default store: one SQLite database in WAL mode under the data directory.
//!
//! Durability: every write commits with `synchronous=FULL`, so the WAL is on disk before the
//! write is acknowledged; a `kill -9` (or a power cut) loses nothing acknowledged.
//!
//! Throughput: one writer thread owns the only writing connection and commits *groups* of
//! waiting writes in one transaction (group commit), each write in its own savepoint so one bad
//! write cannot spoil the others. Reads go through a small pool of read-only connections on
//! tokio's blocking threads; WAL lets them run while the writer writes.

use super::columns::{self, StoredRow, Value};
use super::{Change, Inserted, Revision, RevisionAction, Store, StoreError};
use crate::access::TokenRecord;
use crate::model::IndexRecord;
use crate::model::{Relation, Report, ReportId, Timestamp};
use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, mpsc};
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

/// The select list of [`columns::INDEX`].
static INDEX_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::INDEX, ""));
/// The select list of [`columns::REPORT`].
static REPORT_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::REPORT, ""));
/// An insert of a report at a version: id, version, then [`columns::WRITE`].
static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
    let placeholders: Vec<String> = (1..=columns::WRITE.len() + 2)
        .map(|i| format!("?{i}"))
        .collect();
    format!(
        "INSERT INTO reports (id, version, {}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        columns::names(&columns::WRITE),
        placeholders.join(", ")
    )
});
/// An update of every written column of the row `?1` to version `?2`.
static UPDATE_SQL: LazyLock<String> = LazyLock::new(|| {
    let sets: Vec<String> = columns::WRITE
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{} = ?{}", c.name(), i + 3))
        .collect();
    format!(
        "UPDATE reports SET version = ?2, {} WHERE rowid = ?1",
        sets.join(", ")
    )
});

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

/// What a write did.
enum WriteOutcome {
    /// Each report of an insert: new at a version, or already stored.
    Inserted(Vec<Inserted>),
    /// The version an update or delete wrote; `None` when the report is gone.
    Version(Option<i64>),
    /// Whether a token was revoked (false: unknown or revoked before).
    Revoked(bool),
    /// Done; nothing to report.
    Done,
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
        upgrade_schema(&conn)?;
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

fn upgrade_schema(conn: &Connection) -> Result<(), StoreError> {
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
    match op {
        WriteOp::Insert { reports, by } => insert_reports(conn, reports, by, next_version),
        WriteOp::Update {
            report,
            expected_version,
            by,
        } => update_report(conn, report, *expected_version, by, next_version),
        WriteOp::Delete { id, at, by } => delete_report(conn, id, *at, by, next_version),
        WriteOp::SetRelations(relations) => set_relations(conn, relations),
        WriteOp::AddToken(t) => add_token(conn, t),
        WriteOp::RevokeToken { id, at } => revoke_token(conn, id, *at),
    }
}

/// The parameters of [`INSERT_SQL`] or [`UPDATE_SQL`]: the key (id or rowid), the version,
/// then the report's [`columns::write_values`].
fn bind<'a>(
    key: &'a dyn rusqlite::ToSql,
    version: &'a i64,
    values: &'a [Value<'a>],
) -> Vec<&'a dyn rusqlite::ToSql> {
    let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(values.len() + 2);
    params.push(key);
    params.push(version);
    params.extend(values.iter().map(|v| v as &dyn rusqlite::ToSql));
    params
}

fn insert_reports(
    conn: &Connection,
    reports: &[Report],
    by: &str,
    next_version: &mut i64,
) -> Result<WriteOutcome, StoreError> {
    let mut insert = conn.prepare_cached(&INSERT_SQL)?;
    let mut text =
        conn.prepare_cached("INSERT INTO report_text (rowid, description) VALUES (?1, ?2)")?;
    let mut results = Vec::with_capacity(reports.len());
    for r in reports {
        let version = *next_version;
        let values = columns::write_values(r)?;
        let id = r.id.0.as_bytes().as_slice();
        let changed = insert.execute(bind(&id, &version, &values).as_slice())?;
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

fn update_report(
    conn: &Connection,
    r: &Report,
    expected_version: i64,
    by: &str,
    next_version: &mut i64,
) -> Result<WriteOutcome, StoreError> {
    let rowid = match live_row(conn, &r.id)? {
        None => return Ok(WriteOutcome::Version(None)),
        Some((_, version)) if version != expected_version => {
            return Err(StoreError::Conflict(r.id));
        }
        Some((rowid, _)) => rowid,
    };
    let version = take_version(next_version);
    let values = columns::write_values(r)?;
    conn.prepare_cached(&UPDATE_SQL)?
        .execute(bind(&rowid, &version, &values).as_slice())?;
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

fn delete_report(
    conn: &Connection,
    id: &ReportId,
    at: Timestamp,
    by: &str,
    next_version: &mut i64,
) -> Result<WriteOutcome, StoreError> {
    let Some((rowid, _)) = live_row(conn, id)? else {
        return Ok(WriteOutcome::Version(None));
    };
    let version = take_version(next_version);
    conn.prepare_cached("UPDATE reports SET deleted_at = ?2, version = ?3 WHERE rowid = ?1")?
        .execute(params![rowid, at.0, version])?;
    conn.prepare_cached("DELETE FROM report_text WHERE rowid = ?1")?
        .execute([rowid])?;
    add_revision(conn, id, version, at, by, RevisionAction::Deleted, None)?;
    Ok(WriteOutcome::Version(Some(version)))
}

/// Derived data: the report's version stays, as its content did not change.
fn set_relations(
    conn: &Connection,
    relations: &[(ReportId, Relation)],
) -> Result<WriteOutcome, StoreError> {
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
    Ok(WriteOutcome::Done)
}

fn add_token(conn: &Connection, t: &TokenRecord) -> Result<WriteOutcome, StoreError> {
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
    Ok(WriteOutcome::Done)
}

fn revoke_token(
    conn: &Connection,
    id: &uuid::Uuid,
    at: Timestamp,
) -> Result<WriteOutcome, StoreError> {
    let changed = conn.execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id.as_bytes(), at.0],
    )?;
    Ok(WriteOutcome::Revoked(changed == 1))
}

/// The row id and version of a live report.
fn live_row(conn: &Connection, id: &ReportId) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT rowid, version FROM reports WHERE id = ?1 AND deleted_at IS NULL")?
        .query_row([id.0.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// The next version, taken.
fn take_version(next_version: &mut i64) -> i64 {
    let v = *next_version;
    *next_version += 1;
    v
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

/// A report from a row of [`REPORT_COLUMNS`], for rusqlite's row closures.
fn report_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    columns::report_from(row).map_err(|e| corrupt("report", e))
}

impl StoredRow for rusqlite::Row<'_> {
    columns::stored_cells!(get);

    fn id(&self, i: usize) -> Result<ReportId, StoreError> {
        Ok(id_at(self, i)?)
    }

    fn text(&self, i: usize) -> Result<&str, StoreError> {
        Ok(text_ref(self, i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        self.get_ref(i)?
            .as_str_or_null()
            .map_err(|e| StoreError::Corrupt(format!("column {i}: {e}")))
    }

    fn bits(&self, i: usize) -> Result<u16, StoreError> {
        Ok(self.get(i)?)
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Value::Text(v) => v.to_sql(),
            Value::OptText(v) => v.to_sql(),
            Value::Owned(v) => v.to_sql(),
            Value::OptOwned(v) => v.to_sql(),
            Value::Real(v) => v.to_sql(),
            Value::OptReal(v) => v.to_sql(),
            Value::Int(v) => v.to_sql(),
            Value::Bits(v) => v.to_sql(),
            Value::Bool(v) => v.to_sql(),
        }
    }
}

/// The index records of the live reports with `after < rowid <= upto`.
fn index_records_in(
    conn: &Connection,
    after: i64,
    upto: i64,
) -> Result<Vec<IndexRecord>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM reports WHERE rowid > ?1 AND rowid <= ?2 AND deleted_at IS NULL",
        *INDEX_COLUMNS
    ))?;
    let mut records = Vec::with_capacity((upto - after).clamp(0, 1 << 24) as usize);
    let mut rows = stmt.query(params![after, upto])?;
    while let Some(row) = rows.next()? {
        records.push(columns::index_record_from(row)?);
    }
    Ok(records)
}

/// Changes after `after`, oldest first, at most `limit`: each row's latest state.
fn changes_in(conn: &Connection, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {}, deleted_at IS NOT NULL FROM reports \
         WHERE version > ?1 ORDER BY version LIMIT ?2",
        *INDEX_COLUMNS
    ))?;
    let mut rows = stmt.query(params![after, super::sql_limit(limit)])?;
    let mut changes = Vec::new();
    while let Some(row) = rows.next()? {
        let deleted: bool = row.get(columns::INDEX.len())?;
        changes.push(match deleted {
            true => Change::Removed {
                id: id_at(row, 0)?,
                version: row.get(1)?,
            },
            false => Change::Upserted(columns::index_record_from(row)?),
        });
    }
    Ok(changes)
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        let by = by.to_string();
        match self.write(WriteOp::Insert { reports, by }).await? {
            WriteOutcome::Inserted(v) => Ok(v),
            _ => Err(StoreError::Internal("unexpected write outcome".into())),
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
            _ => Err(StoreError::Internal("unexpected write outcome".into())),
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
            _ => Err(StoreError::Internal("unexpected write outcome".into())),
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
                "SELECT {}, version FROM reports WHERE id = ?1 AND deleted_at IS NULL",
                *REPORT_COLUMNS
            );
            Ok(conn
                .prepare_cached(&sql)?
                .query_row([id.0.as_bytes()], |row| {
                    Ok((report_from_row(row)?, row.get(columns::REPORT.len())?))
                })
                .optional()?)
        })
    }

    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        let ids_len = ids.len();
        let read = move |conn: &Connection| {
            let sql = format!(
                "SELECT {} FROM reports WHERE id = ?1 AND deleted_at IS NULL",
                *REPORT_COLUMNS
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
                "SELECT {}, rowid FROM reports WHERE rowid > ?1 AND deleted_at IS NULL \
                 ORDER BY rowid LIMIT ?2",
                *REPORT_COLUMNS
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt
                .query_map(params![after, limit as i64], |row| {
                    Ok((row.get(columns::REPORT.len())?, report_from_row(row)?))
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
            WriteOutcome::Revoked(done) => Ok(done),
            _ => Err(StoreError::Internal("unexpected write outcome".into())),
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
