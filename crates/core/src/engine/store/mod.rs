//! Where reports live durably. Everything above this module talks to a [`Store`] trait object,
//! so the embedded SQLite store ([`sqlite`]) and a shared PostgreSQL store can stand in for
//! each other.
//!
//! A store numbers every change with an increasing *version*, which lets the in-memory index
//! apply changes in the order the store made them.

pub mod backup;
pub mod columns;
pub mod past;
pub mod postgres;
pub mod sqlite;

use crate::domain::access::TokenRecord;
use crate::domain::history::{Revision, RevisionAction};
use crate::domain::model::IndexRecord;
use crate::domain::model::{PublicView, Relation, Report, ReportId, Timestamp};
use std::collections::HashSet;

/// The file in the data directory where the index's snapshot is kept (see
/// [`crate::engine::index::ReportIndex::write_snapshot`]); a restore removes it, since it describes the
/// store as it was.
pub const SNAPSHOT_FILE: &str = "index.snapshot";

/// Why a store operation failed. Each kind carries a [`Failure`]: what was being done and the
/// underlying error, kept as the error's source (so logs and callers can walk the chain).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The disk or database is full; nothing was written.
    #[error("the store has no space left: {0}")]
    Full(#[source] Failure),
    /// The store cannot be reached or is shutting down; nothing was written.
    #[error("the store is unavailable: {0}")]
    Unavailable(#[source] Failure),
    /// An update expected a version that another write has replaced.
    #[error("report {0} was changed by another write meanwhile")]
    Conflict(ReportId),
    /// The store's files are damaged or from an unknown version.
    #[error("the store is damaged or incompatible: {0}")]
    Corrupt(#[source] Failure),
    /// Anything else (logged, never sent to clients).
    #[error("the store failed: {0}")]
    Internal(#[source] Failure),
}

impl StoreError {
    /// [`StoreError::Full`].
    pub fn full(failure: impl Into<Failure>) -> Self {
        StoreError::Full(failure.into())
    }

    /// [`StoreError::Unavailable`].
    pub fn unavailable(failure: impl Into<Failure>) -> Self {
        StoreError::Unavailable(failure.into())
    }

    /// [`StoreError::Corrupt`].
    pub fn corrupt(failure: impl Into<Failure>) -> Self {
        StoreError::Corrupt(failure.into())
    }

    /// [`StoreError::Internal`].
    pub fn internal(failure: impl Into<Failure>) -> Self {
        StoreError::Internal(failure.into())
    }

    /// The same error, saying which operation failed (`insert`, `reading the past`…).
    pub fn during(self, operation: &'static str) -> Self {
        let named = |f: Failure| Failure {
            operation: Some(operation),
            ..f
        };
        match self {
            StoreError::Full(f) => StoreError::Full(named(f)),
            StoreError::Unavailable(f) => StoreError::Unavailable(named(f)),
            StoreError::Corrupt(f) => StoreError::Corrupt(named(f)),
            StoreError::Internal(f) => StoreError::Internal(named(f)),
            conflict @ StoreError::Conflict(_) => conflict,
        }
    }
}

/// What failed in a store: the operation if known, a message, and the error underneath.
#[derive(Debug)]
pub struct Failure {
    operation: Option<&'static str>,
    message: String,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Failure {
    /// A failure described by `message` alone.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            operation: None,
            message: message.into(),
            cause: None,
        }
    }

    /// A failure of `what` (a column, a file, a step) caused by `cause`, which is kept as the
    /// source.
    pub fn caused(
        what: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            operation: None,
            message: what.into(),
            cause: Some(Box::new(cause)),
        }
    }

    /// The operation that failed, if the store named it.
    pub fn operation(&self) -> Option<&'static str> {
        self.operation
    }
}

impl std::fmt::Display for Failure {
    /// `operation: message: cause`, leaving out what is not known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(operation) = self.operation {
            write!(f, "{operation}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(cause) = &self.cause {
            if !self.message.is_empty() {
                f.write_str(": ")?;
            }
            write!(f, "{cause}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::new(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::new(message)
    }
}

/// What an insert did with one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    /// Stored, at this version.
    New(i64),
    /// A report with this id was already stored; nothing changed.
    AlreadyExists,
}

/// A row limit as SQL takes it (a signed 64-bit number).
pub(crate) fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// The revision action a stored name stands for; a name no sightmap writes is corruption.
pub(crate) fn revision_action(name: &str) -> Result<RevisionAction, StoreError> {
    RevisionAction::parse(name)
        .ok_or_else(|| StoreError::corrupt(format!("unknown revision action '{name}'")))
}

/// A report as it stood at a past moment, as [`Store::reports_as_of`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct PastReport {
    /// The version of its last revision at or before that moment.
    pub version: i64,
    /// The report after that revision.
    pub report: Report,
    /// The public view of its newest later revision that has one: a report made private
    /// since must stay coarsened for the public in any past answer too.
    pub later_public: Option<Box<PublicView>>,
}

/// One change to the live reports, as [`Store::changes_since`] lists them.
#[derive(Debug, Clone, PartialEq)]
// Nearly every change is an upsert: boxing it would cost an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    /// A report was created or edited; this is its latest state.
    Upserted(IndexRecord),
    /// A report was deleted at this version.
    Removed {
        /// The report.
        id: ReportId,
        /// The version of the deletion.
        version: i64,
    },
}

impl Change {
    /// The report changed.
    pub fn id(&self) -> &ReportId {
        match self {
            Change::Upserted(record) => &record.id,
            Change::Removed { id, .. } => id,
        }
    }

    /// The version of the change.
    pub fn version(&self) -> i64 {
        match self {
            Change::Upserted(record) => record.version,
            Change::Removed { version, .. } => *version,
        }
    }
}

/// Notices of changes made by other writers to a shared store: each is a version committed.
/// The notices stop (`recv` gives `None`) when the store's connection for them fails.
pub struct Subscription {
    /// Versions as they are committed. Some may be missed: a follower treats a notice as a
    /// hint to read [`Store::changes_since`], and reads it every so often anyway.
    pub notices: tokio::sync::mpsc::Receiver<i64>,
    /// Whatever must stay alive for the notices to come.
    pub connection: Box<dyn std::any::Any + Send + Sync>,
}

/// Durable storage of reports, split by role: [`ReportReader`], [`ReportWriter`],
/// [`HistoryStore`] and [`TokenStore`]. A store that plays every role is a [`Store`]; a part
/// that needs only one role (a past view reads, a delivery queue for webhooks would be a role
/// of its own) implements or takes only that one.
///
/// Every method that writes returns only once the change is durable: acknowledged writes
/// survive a crash of the process.
pub trait Store: ReportReader + ReportWriter + HistoryStore + TokenStore {}

impl<T: ReportReader + ReportWriter + HistoryStore + TokenStore> Store for T {}

/// Reading live reports, what the index needs of them, and the store's changes since a version: all a past view or a read-only copy needs.
#[async_trait::async_trait]
pub trait ReportReader: Send + Sync + 'static {
    /// One live report with its version.
    async fn get(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError>;

    /// Live reports by id, in the order asked; ids not found are left out.
    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError>;

    /// Up to `limit` live reports in storage order after scan position `after` (0 to start),
    /// each with its position: for streaming exports a chunk at a time.
    async fn scan(&self, after: i64, limit: usize) -> Result<Vec<(i64, Report)>, StoreError>;

    /// Ids of live reports whose description holds every phrase of the query `words`, as
    /// [`crate::domain::text::matches`] decides on the description's search words: one
    /// definition for every store.
    async fn text_matches(&self, words: String) -> Result<HashSet<ReportId>, StoreError>;

    /// What the index needs of every live report, to rebuild it at start-up.
    async fn index_records(&self) -> Result<Vec<IndexRecord>, StoreError>;

    /// A name made when the store was created, kept for its life: an index snapshot taken of
    /// another store (or of a copy that has since diverged) is never applied to this one.
    fn identity(&self) -> &str;

    /// The newest version of any change (0 for none).
    async fn last_version(&self) -> Result<i64, StoreError>;

    /// Changes with versions above `after`, oldest first, at most `limit`: each changed
    /// report's latest state (a report changed twice since `after` is listed once, at its
    /// newest version). Replaying them brings an index built at `after` up to date.
    async fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError>;

    /// How many live reports are stored.
    async fn count(&self) -> Result<u64, StoreError>;

    /// A short name for logs: the engine and where it keeps its data.
    fn describe(&self) -> String;

    /// Notices of other writers' changes, for a store that several instances share; `None`
    /// for a store only this process writes.
    async fn subscribe(&self) -> Result<Option<Subscription>, StoreError> {
        Ok(None)
    }
}

/// Writing reports. Every method returns only once the change is durable: acknowledged writes survive a crash of the process.
#[async_trait::async_trait]
pub trait ReportWriter: Send + Sync + 'static {
    /// Stores new reports in one transaction, each with its first revision made `by` someone.
    /// Reports whose id exists already are left alone.
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError>;

    /// Replaces a live report if it is still at `expected_version`; returns the new version.
    /// `Ok(None)` when no live report has the id.
    async fn update(
        &self,
        report: Report,
        expected_version: i64,
        by: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// Hides a report from every query, keeping its row. Returns the version of the deletion,
    /// or `None` when no live report had the id.
    async fn delete(
        &self,
        id: ReportId,
        at: Timestamp,
        by: &str,
    ) -> Result<Option<i64>, StoreError>;

    /// Replaces the server-computed relation of reports to the borders and coast (for rows
    /// stored before it was computed, or after the region's data changed), keeping their
    /// versions.
    async fn set_relations(&self, relations: Vec<(ReportId, Relation)>) -> Result<(), StoreError>;

    /// Begins (`true`) or ends (`false`) a bulk load. While one runs, a store may leave its
    /// commits to the operating system rather than wait for each to reach the disk, as long
    /// as a crash leaves it consistent (losing at most the last commits); ending it makes
    /// every commit durable before it returns, so the caller reports success only after.
    /// Stores that have no such setting do nothing.
    async fn bulk_load(&self, _on: bool) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Each report's revisions, and every report as it stood at a past moment.
#[async_trait::async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    /// Every revision of a report, deleted or not, oldest first (empty for an unknown id).
    async fn history(&self, id: ReportId) -> Result<Vec<Revision>, StoreError>;

    /// Every report as it stood at `at`, from the revision history: each report with a
    /// revision at or before `at`, after the last such revision, unless that deleted it; in
    /// no particular order.
    async fn reports_as_of(&self, at: Timestamp) -> Result<Vec<PastReport>, StoreError>;

    /// Every report created, revised or deleted after `at` (a revision of it is later), and
    /// perhaps a few more (an import may date a report's times apart): every report whose
    /// live state may not be the one it had then, found through an index so that the cost
    /// follows the changes, not the store. In no particular order.
    async fn changed_since(&self, at: Timestamp) -> Result<Vec<ReportId>, StoreError>;
}

/// A report as it stood at `at`, from its revisions (oldest first): after its last revision
/// at or before `at`, unless that deleted it or it had none; with the public view of its
/// newest later revision that has one, as [`HistoryStore::reports_as_of`] reads it.
pub fn past_of(revisions: Vec<Revision>, at: Timestamp) -> Option<PastReport> {
    let mut kept: Option<PastReport> = None;
    for revision in revisions {
        if revision.at <= at {
            kept = revision.report.map(|report| PastReport {
                version: revision.version,
                report,
                later_public: None,
            });
        } else if let (Some(kept), Some(later)) = (&mut kept, revision.report)
            && later.public.is_some()
        {
            kept.later_public = later.public;
        }
    }
    kept
}

/// Access tokens (see [`crate::domain::access`]).
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync + 'static {
    /// Every access token, revoked ones too (see [`crate::domain::access`]).
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// Stores a new access token.
    async fn add_token(&self, token: TokenRecord) -> Result<(), StoreError>;

    /// Marks a live token revoked; `false` when no live token has the id.
    async fn revoke_token(&self, id: uuid::Uuid, at: Timestamp) -> Result<bool, StoreError>;
}

/// A report's public view as both stores keep it: JSON text, or NULL for a report whose
/// location is not private.
pub(crate) fn public_view_json(report: &Report) -> Result<Option<String>, StoreError> {
    report
        .public
        .as_deref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::internal(Failure::caused("", e)))
}

/// A public view read back from [`public_view_json`]'s text.
pub(crate) fn parse_public_view(
    text: Option<&str>,
) -> Result<Option<Box<PublicView>>, serde_json::Error> {
    text.map(|t| serde_json::from_str(t).map(Box::new))
        .transpose()
}

/// Past reports read from their revisions' JSON: each its version, its report then and the
/// report of a later revision that may be private; half on each of two cores.
pub(crate) fn past_reports(
    mut raw: Vec<(i64, String, Option<String>)>,
) -> Result<Vec<PastReport>, StoreError> {
    let second = raw.split_off(raw.len() / 2);
    let parse = |rows: Vec<(i64, String, Option<String>)>| {
        rows.iter()
            .map(|(version, report, later)| past_report(*version, report, later.as_deref()))
            .collect::<Result<Vec<_>, _>>()
    };
    let (first, second) = crate::engine::parallel::side_by_side(|| parse(raw), || parse(second));
    let mut first = first?;
    first.extend(second?);
    Ok(first)
}

/// A past report read from a revision's JSON, with the public view of a later revision's.
fn past_report(version: i64, report: &str, later: Option<&str>) -> Result<PastReport, StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::corrupt(Failure::caused("revision", e));
    let later: Option<Report> = later
        .map(serde_json::from_str)
        .transpose()
        .map_err(corrupt)?;
    Ok(PastReport {
        version,
        report: serde_json::from_str(report).map_err(corrupt)?,
        later_public: later.and_then(|r| r.public),
    })
}
