//! Online backups of the embedded store, and restoring one.
//!
//! `backup` copies the database with SQLite's `VACUUM INTO` on a read-only connection: one
//! read transaction, so the copy is consistent (every acknowledged write up to its start, no
//! write half-made) while the server keeps reading and writing. The copy is checked with
//! `PRAGMA integrity_check` before it is renamed into place.
//!
//! `restore` checks a backup the same way, then, with the data directory's lock held (the
//! server must be stopped), moves the current database aside (nothing is deleted), puts the
//! backup in its place with a new store identity, and drops the index snapshot, so the next
//! start rebuilds the index from what was restored. A backup of an older schema is restored as
//! it is and upgraded by that start like any store (the search words of schema 6 are written
//! then, from the descriptions).
//!
//! For PostgreSQL, use its own tools (`pg_dump`, `pg_basebackup`).

use super::StoreError;
use super::sqlite::{DB_FILE, SCHEMA_VERSION};
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};

/// What a backup or restore holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copied {
    /// Live reports in it.
    pub reports: u64,
}

fn unavailable(
    what: &str,
    path: &Path,
    e: impl std::error::Error + Send + Sync + 'static,
) -> StoreError {
    StoreError::unavailable(super::Failure::caused(
        format!("{what} {}", path.display()),
        e,
    ))
}

/// Checks a database file: readable, intact, a sightmap store this version can use. Returns
/// its live reports.
pub fn check(path: &Path) -> Result<Copied, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| unavailable("cannot open", path, e))?;
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| StoreError::corrupt(super::Failure::caused(path.display().to_string(), e)))?;
    if verdict != "ok" {
        return Err(StoreError::corrupt(format!(
            "{} fails SQLite's integrity check: {verdict}",
            path.display()
        )));
    }
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version == 0 || version > SCHEMA_VERSION {
        return Err(StoreError::corrupt(format!(
            "{} is not a sightmap store this version can read (schema version {version})",
            path.display()
        )));
    }
    let reports: i64 = conn.query_row(
        "SELECT COUNT(*) FROM reports WHERE deleted_at IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(Copied {
        reports: reports as u64,
    })
}

/// Writes a consistent copy of the store in `data_dir` to `out` (which must not exist), while
/// a server may be using the store.
pub fn backup(data_dir: &Path, out: &Path) -> Result<Copied, StoreError> {
    let db = data_dir.join(DB_FILE);
    if !db.exists() {
        return Err(StoreError::unavailable(format!(
            "no store at {}",
            data_dir.display()
        )));
    }
    if out.exists() {
        return Err(StoreError::unavailable(format!(
            "{} exists already; choose a new file",
            out.display()
        )));
    }
    let temporary = with_suffix(out, ".partial");
    let _ = std::fs::remove_file(&temporary);
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| unavailable("cannot open", &db, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = temporary
        .to_str()
        .ok_or_else(|| StoreError::unavailable("the backup path is not UTF-8"))?;
    conn.execute("VACUUM INTO ?1", [target])?;
    drop(conn);
    let copied = check(&temporary)?;
    File::open(&temporary)
        .and_then(|f| f.sync_all())
        .map_err(|e| unavailable("cannot sync", &temporary, e))?;
    std::fs::rename(&temporary, out).map_err(|e| unavailable("cannot rename to", out, e))?;
    Ok(copied)
}

/// Replaces the store in `data_dir` with the backup at `from`. The current database, if any,
/// is kept beside it as `sightmap.db.before-restore-<unix time>`; returns that path too.
pub fn restore(from: &Path, data_dir: &Path) -> Result<(Copied, Option<PathBuf>), StoreError> {
    let copied = check(from)?;
    std::fs::create_dir_all(data_dir).map_err(|e| unavailable("cannot create", data_dir, e))?;
    let _lock = super::sqlite::lock_data_dir(data_dir)?;
    let db = data_dir.join(DB_FILE);
    let incoming = with_suffix(&db, ".restoring");
    std::fs::copy(from, &incoming).map_err(|e| unavailable("cannot copy to", &incoming, e))?;
    {
        let conn = Connection::open(&incoming)?;
        conn.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'store_id'",
            [uuid::Uuid::now_v7().to_string()],
        )?;
    }
    File::open(&incoming)
        .and_then(|f| f.sync_all())
        .map_err(|e| unavailable("cannot sync", &incoming, e))?;
    let kept = if db.exists() {
        // Checkpoint the old database's WAL into it first, so the kept file is whole.
        Connection::open(&db)?.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let aside = with_suffix(
            &db,
            &format!(
                ".before-restore-{}",
                crate::domain::model::Timestamp::now().0
            ),
        );
        std::fs::rename(&db, &aside).map_err(|e| unavailable("cannot move aside", &db, e))?;
        Some(aside)
    } else {
        None
    };
    for leftover in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&db, leftover));
    }
    let _ = std::fs::remove_file(data_dir.join(super::SNAPSHOT_FILE));
    std::fs::rename(&incoming, &db).map_err(|e| unavailable("cannot rename to", &db, e))?;
    Ok((copied, kept))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}
