//! The writer: one thread owns the only writing connection and commits groups of waiting
//! writes in one transaction, each in its own savepoint; each operation is a function here.

use super::super::columns::{self, Value};
use super::super::{Inserted, StoreError};
use super::MAX_GROUP;
use crate::domain::access::TokenRecord;
use crate::domain::history::RevisionAction;
use crate::domain::model::{Relation, Report, ReportId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use std::sync::{LazyLock, mpsc};
use tokio::sync::oneshot;

/// An insert of a report at a version: id, version, then [`columns::WRITE`].
pub(super) static INSERT_SQL: LazyLock<String> = LazyLock::new(|| {
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
pub(super) static UPDATE_SQL: LazyLock<String> = LazyLock::new(|| {
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

/// Indexes a live row's search words for the full-text search.
const INSERT_WORDS_SQL: &str = "INSERT INTO report_words (rowid, search_words) VALUES (?1, ?2)";
/// Takes a row out of the full-text index.
const DELETE_WORDS_SQL: &str = "DELETE FROM report_words WHERE rowid = ?1";

pub(super) enum WriteOp {
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
    /// Begins or ends a bulk load: run between transactions, never inside one.
    BulkLoad(bool),
    AddToken(TokenRecord),
    RevokeToken {
        id: uuid::Uuid,
        at: Timestamp,
    },
}

/// What a write did.
pub(super) enum WriteOutcome {
    /// Each report of an insert: new at a version, or already stored.
    Inserted(Vec<Inserted>),
    /// The version an update or delete wrote; `None` when the report is gone.
    Version(Option<i64>),
    /// Whether a token was revoked (false: unknown or revoked before).
    Revoked(bool),
    /// Done; nothing to report.
    Done,
}

pub(super) struct WriteJob {
    pub(super) op: WriteOp,
    pub(super) reply: oneshot::Sender<Result<WriteOutcome, StoreError>>,
}

pub(super) struct Writer {
    pub(super) conn: Connection,
    pub(super) next_version: i64,
}

impl Writer {
    pub(super) fn run(mut self, jobs: mpsc::Receiver<WriteJob>) {
        while let Ok(first) = jobs.recv() {
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            // A change of settings runs between the writes before it and those after it,
            // each side in its own transaction.
            while let Some(at) = group
                .iter()
                .position(|job| matches!(job.op, WriteOp::BulkLoad(_)))
            {
                let mut rest = group.split_off(at);
                let setting = rest.remove(0);
                if !group.is_empty() {
                    self.commit_and_reply(group);
                }
                let WriteOp::BulkLoad(on) = setting.op else {
                    unreachable!("found as a bulk load")
                };
                let _ = setting
                    .reply
                    .send(set_bulk_load(&self.conn, on).map(|()| WriteOutcome::Done));
                group = rest;
            }
            if !group.is_empty() {
                self.commit_and_reply(group);
            }
        }
    }

    /// Commits a group of writes in one transaction and answers each.
    fn commit_and_reply(&mut self, group: Vec<WriteJob>) {
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
                        StoreError::Full(_) => StoreError::full(message.clone()),
                        StoreError::Corrupt(_) => StoreError::corrupt(message.clone()),
                        _ => StoreError::unavailable(message.clone()),
                    }));
                }
            }
        }
    }

    pub(super) fn commit_group(
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

pub(super) fn apply(
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
        WriteOp::BulkLoad(_) => Err(StoreError::internal(
            "a bulk load's setting cannot be part of a transaction",
        )),
        WriteOp::AddToken(t) => add_token(conn, t),
        WriteOp::RevokeToken { id, at } => revoke_token(conn, id, *at),
    }
}

/// The parameters of [`INSERT_SQL`] or [`UPDATE_SQL`]: the key (id or rowid), the version,
/// then the report's [`columns::write_values`].
pub(super) fn bind<'a>(
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

pub(super) fn insert_reports(
    conn: &Connection,
    reports: &[Report],
    by: &str,
    next_version: &mut i64,
) -> Result<WriteOutcome, StoreError> {
    let mut insert = conn.prepare_cached(&INSERT_SQL)?;
    let mut text = conn.prepare_cached(INSERT_WORDS_SQL)?;
    let mut results = Vec::with_capacity(reports.len());
    for r in reports {
        let version = *next_version;
        let values = columns::write_values(r)?;
        let id = r.id.0.as_bytes().as_slice();
        let changed = insert.execute(bind(&id, &version, &values).as_slice())?;
        if changed == 1 {
            *next_version += 1;
            text.execute(params![
                conn.last_insert_rowid(),
                columns::search_words(&values)
            ])?;
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

pub(super) fn update_report(
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
    conn.prepare_cached(DELETE_WORDS_SQL)?.execute([rowid])?;
    conn.prepare_cached(INSERT_WORDS_SQL)?
        .execute(params![rowid, columns::search_words(&values)])?;
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

pub(super) fn delete_report(
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
    conn.prepare_cached(DELETE_WORDS_SQL)?.execute([rowid])?;
    add_revision(conn, id, version, at, by, RevisionAction::Deleted, None)?;
    Ok(WriteOutcome::Version(Some(version)))
}

/// The writer's page cache during a bulk load, KiB: the B-trees' pages the load keeps
/// returning to (the right edges of the tables and indexes, the full-text index's) stay in
/// memory instead of being read back from the file (SQLite's default is 2 MiB).
const BULK_CACHE_KIB: i64 = 64 * 1024;

/// The WAL's size, in pages, at which a bulk load's commit copies it into the database
/// (SQLite's default is 1,000, some 4 MB: a checkpoint, with its two syncs, after every
/// batch of an import).
const BULK_CHECKPOINT_PAGES: i64 = 64 * 1024;

/// Begins or ends a bulk load on the writer's connection, outside any transaction.
///
/// Begun: commits no longer wait for the WAL to reach the disk (`synchronous=NORMAL`), and
/// the WAL is copied into the database every [`BULK_CHECKPOINT_PAGES`] pages rather than
/// every 1,000 (a checkpoint syncs the WAL and then the database, even at `NORMAL`). In WAL
/// mode that keeps the database consistent through a crash of the process (the WAL is in the
/// operating system's hands at each commit) and through a power cut (the WAL's checksums stop
/// recovery at the last whole commit); a power cut can lose the last commits, which nobody was
/// told of: `sightmap import` reports nothing as stored until the load has ended.
///
/// Ended: `synchronous=FULL` again, then a full checkpoint, which syncs the WAL, copies it
/// into the database and syncs that; should a reader keep it from finishing, the WAL is
/// synced directly. Either way every commit is on the disk when this returns.
pub(super) fn set_bulk_load(conn: &Connection, on: bool) -> Result<(), StoreError> {
    if on {
        conn.execute_batch("DROP INDEX IF EXISTS reports_touched")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", BULK_CHECKPOINT_PAGES)?;
        conn.pragma_update(None, "cache_size", -BULK_CACHE_KIB)?;
        return Ok(());
    }
    conn.execute_batch(super::TOUCHED_INDEX)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
    conn.pragma_update(None, "cache_size", -2000)?;
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    if busy != 0 {
        let wal = conn
            .path()
            .map(|db| format!("{db}-wal"))
            .ok_or_else(|| StoreError::internal("the database has no file"))?;
        std::fs::File::open(&wal)
            .and_then(|f| f.sync_all())
            .map_err(|e| StoreError::unavailable(format!("cannot sync {wal}: {e}")))?;
    }
    Ok(())
}

/// Derived data: the report's version stays, as its content did not change.
pub(super) fn set_relations(
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

pub(super) fn add_token(conn: &Connection, t: &TokenRecord) -> Result<WriteOutcome, StoreError> {
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

pub(super) fn revoke_token(
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
pub(super) fn live_row(conn: &Connection, id: &ReportId) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT rowid, version FROM reports WHERE id = ?1 AND deleted_at IS NULL")?
        .query_row([id.0.as_bytes()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// The next version, taken.
pub(super) fn take_version(next_version: &mut i64) -> i64 {
    let v = *next_version;
    *next_version += 1;
    v
}

/// Keeps one revision of a report, in the write's transaction.
pub(super) fn add_revision(
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

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::internal(super::super::Failure::caused("", e)))
}
