//! The embedded default store: one SQLite database in WAL mode under the data directory.
//!
//! Durability: every write commits with `synchronous=FULL`, so the WAL is on disk before the
//! write is acknowledged; a `kill -9` (or a power cut) loses nothing acknowledged. A bulk
//! load (`sightmap import`) commits with `synchronous=NORMAL` instead and makes everything
//! durable when it ends, before the import reports success: see [`writes::set_bulk_load`].
//!
//! Throughput: one writer thread owns the only writing connection and commits *groups* of
//! waiting writes in one transaction (group commit), each write in its own savepoint so one bad
//! write cannot spoil the others. Reads go through a small pool of read-only connections on
//! tokio's blocking threads; WAL lets them run while the writer writes.

mod rows;
mod writes;

use rows::{corrupt, id_at, report_from_row, text_ref};
use writes::{WriteJob, WriteOp, WriteOutcome, Writer};

use super::columns;
use super::{
    Change, HistoryStore, Inserted, PastReport, ReportReader, ReportWriter, StoreError, TokenStore,
};
use crate::domain::access::TokenRecord;
use crate::domain::history::Revision;
use crate::domain::model::IndexRecord;
use crate::domain::model::{Relation, Report, ReportId, Timestamp};
use crate::domain::text;
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
pub(super) const SCHEMA_VERSION: i64 = 6;
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

/// Rows given their search words in one transaction while the schema is upgraded to 6.
const FILL_BATCH: usize = 10_000;

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
    public_view   TEXT,
    event_review  TEXT NOT NULL DEFAULT 'auto',
    search_words  TEXT NOT NULL DEFAULT ''
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
-- The live reports' search words (see domain::text::searchable_words), split on their spaces
-- only: the ASCII tokenizer takes every other character they hold for a word's.
CREATE VIRTUAL TABLE IF NOT EXISTS report_words
    USING fts5 (search_words, content = '', contentless_delete = 1, tokenize = 'ascii');
";

/// An index on a time no earlier than each report's newest revision, for the reports changed
/// since a past moment (`as_of`; a creation's revision is stamped with its report time, which
/// an import may give). Made on open, dropped while a bulk load runs and made again at its
/// end, in one sorted pass rather than a million inserts.
pub(super) const TOUCHED_INDEX: &str = "
CREATE INDEX IF NOT EXISTS reports_touched
    ON reports (max(reported_at, updated_at, coalesce(deleted_at, 0)));
";

/// The select list of [`columns::INDEX`].
static INDEX_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::INDEX, ""));
/// The select list of [`columns::REPORT`].
static REPORT_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::REPORT, ""));
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match e.sqlite_error_code() {
            Some(ErrorCode::DiskFull) => StoreError::full(super::Failure::caused("", e)),
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                StoreError::corrupt(super::Failure::caused("", e))
            }
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen) => {
                StoreError::unavailable(super::Failure::caused("", e))
            }
            _ => StoreError::internal(super::Failure::caused("", e)),
        }
    }
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
        StoreError::unavailable(format!(
            "cannot create lock file in {}: {e}",
            data_dir.display()
        ))
    })?;
    lock.try_lock().map_err(|_| {
        StoreError::unavailable(format!(
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
            StoreError::unavailable(format!(
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
            .map_err(|e| {
                StoreError::internal(super::Failure::caused("cannot start writer thread", e))
            })?;
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
        let sender = sender.ok_or_else(|| StoreError::unavailable("the store is closed"))?;
        sender
            .send(WriteJob { op, reply })
            .map_err(|_| StoreError::unavailable("the writer has stopped"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("the writer has stopped"))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || pool.with(f))
            .await
            .map_err(|e| StoreError::internal(super::Failure::caused("read task failed", e)))?
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
        return Err(StoreError::corrupt(format!(
            "the store has schema version {version}, newer than this sightmap ({SCHEMA_VERSION}); upgrade sightmap"
        )));
    }
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(TOUCHED_INDEX)?;
    // Version 2: reports whose place text was ambiguous are marked. Version 3: each report's
    // relation to the borders and coast (filled in by the service for older rows). Version 4:
    // the public view of a private location. Version 5: a reviewer's correction of the
    // report's event. Version 6: the search words, filled in below.
    for (column, definition) in [
        ("location_ambiguous", "INTEGER NOT NULL DEFAULT 0"),
        ("border_distance_m", "REAL"),
        ("border_country", "TEXT"),
        ("coast_distance_m", "REAL"),
        ("in_sea", "INTEGER NOT NULL DEFAULT 0"),
        ("public_view", "TEXT"),
        ("event_review", "TEXT NOT NULL DEFAULT 'auto'"),
        ("search_words", "TEXT NOT NULL DEFAULT ''"),
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
    if version < 6 {
        fill_search_words(conn)?;
    }
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    Ok(())
}

/// Version 6: gives every row its search words, written from its description here as every
/// write writes them, a batch of rows to a transaction (an interrupted upgrade starts again
/// at the next open); then indexes the live rows' words in place of the descriptions.
fn fill_search_words(conn: &Connection) -> Result<(), StoreError> {
    let mut read = conn.prepare(
        "SELECT rowid, description FROM reports WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
    )?;
    let mut write = conn.prepare("UPDATE reports SET search_words = ?2 WHERE rowid = ?1")?;
    let mut after = i64::MIN;
    loop {
        let tx = conn.unchecked_transaction()?;
        let mut rows = read.query(params![after, FILL_BATCH as i64])?;
        let mut words = Vec::with_capacity(FILL_BATCH);
        while let Some(row) = rows.next()? {
            words.push((
                row.get::<_, i64>(0)?,
                text::searchable_words(text_ref(row, 1)?),
            ));
        }
        drop(rows);
        for (rowid, words) in &words {
            write.execute(params![rowid, words])?;
        }
        tx.commit()?;
        match words.last() {
            Some(&(last, _)) if words.len() == FILL_BATCH => after = last,
            _ => break,
        }
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(
        "DROP TABLE IF EXISTS report_text;
         INSERT INTO report_words (report_words) VALUES ('delete-all');
         INSERT INTO report_words (rowid, search_words)
             SELECT rowid, search_words FROM reports WHERE deleted_at IS NULL;",
    )?;
    tx.commit()?;
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
impl ReportReader for SqliteStore {
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
        // Each phrase of the query's search words quoted (they hold letters and digits only,
        // so FTS5 reads them as words, never as query syntax); phrases side by side must all
        // match. The index holds the same words: see `text::matches`.
        let phrases = text::query_phrases(&words);
        if phrases.is_empty() {
            return Ok(HashSet::new());
        }
        let expr = phrases
            .iter()
            .map(|phrase| format!("\"{}\"", phrase.join(" ").replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ");
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT r.id FROM report_words t JOIN reports r ON r.rowid = t.rowid \
                 WHERE report_words MATCH ?1 AND r.deleted_at IS NULL",
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

#[async_trait::async_trait]
impl ReportWriter for SqliteStore {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        let by = by.to_string();
        match self.write(WriteOp::Insert { reports, by }).await? {
            WriteOutcome::Inserted(v) => Ok(v),
            _ => Err(StoreError::internal("unexpected write outcome")),
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
            _ => Err(StoreError::internal("unexpected write outcome")),
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
            _ => Err(StoreError::internal("unexpected write outcome")),
        }
    }

    async fn set_relations(&self, relations: Vec<(ReportId, Relation)>) -> Result<(), StoreError> {
        self.write(WriteOp::SetRelations(relations)).await?;
        Ok(())
    }

    async fn bulk_load(&self, on: bool) -> Result<(), StoreError> {
        self.write(WriteOp::BulkLoad(on)).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl HistoryStore for SqliteStore {
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
                    action: super::revision_action(text_ref(row, 3)?)?,
                    report: report
                        .map(|r| serde_json::from_str(&r))
                        .transpose()
                        .map_err(|e| StoreError::corrupt(super::Failure::caused("revision", e)))?,
                });
            }
            Ok(revisions)
        })
        .await
    }

    async fn changed_since(&self, at: Timestamp) -> Result<Vec<ReportId>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id FROM reports \
                 WHERE max(reported_at, updated_at, coalesce(deleted_at, 0)) > ?1",
            )?;
            let mut rows = stmt.query([at.0])?;
            let mut ids = Vec::new();
            while let Some(row) = rows.next()? {
                let id = row.get_ref(0)?.as_blob().map_err(|e| corrupt("id", e))?;
                ids.push(ReportId(
                    uuid::Uuid::from_slice(id).map_err(|e| corrupt("id", e))?,
                ));
            }
            Ok(ids)
        })
        .await
    }

    async fn reports_as_of(&self, at: Timestamp) -> Result<Vec<PastReport>, StoreError> {
        self.read(move |conn| {
            // One pass over every revision in key order (report, then version), which reads
            // the table as it lies: faster than grouping by report through an index and then
            // looking each last revision up. A report's JSON is copied only while it is the
            // one to keep.
            let mut stmt = conn.prepare_cached(
                "SELECT report_id, version, at, report FROM revisions ORDER BY report_id, version",
            )?;
            let mut rows = stmt.query([])?;
            let mut raw = Vec::new();
            let mut report_id: Vec<u8> = Vec::new();
            let mut kept: Option<(i64, String, Option<String>)> = None;
            while let Some(row) = rows.next()? {
                let id = row
                    .get_ref(0)?
                    .as_blob()
                    .map_err(|e| corrupt("report_id", e))?;
                if id != report_id.as_slice() {
                    raw.extend(kept.take());
                    report_id = id.to_vec();
                }
                let version: i64 = row.get(1)?;
                let revised: i64 = row.get(2)?;
                let report = row
                    .get_ref(3)?
                    .as_str_or_null()
                    .map_err(|e| corrupt("report", e))?;
                if revised <= at.0 {
                    kept = report.map(|r| (version, r.to_string(), None));
                } else if let (Some(kept), Some(later)) = (&mut kept, report)
                    && later.contains("\"public\":")
                {
                    // The newest later revision that may carry a public view.
                    kept.2 = Some(later.to_string());
                }
            }
            raw.extend(kept);
            super::past_reports(raw)
        })
        .await
    }
}

#[async_trait::async_trait]
impl TokenStore for SqliteStore {
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
            _ => Err(StoreError::internal("unexpected write outcome")),
        }
    }
}
