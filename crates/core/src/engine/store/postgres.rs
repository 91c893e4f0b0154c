//! The shared store: PostgreSQL with PostGIS, for several sightmap instances on one dataset.
//!
//! `open` creates and migrates the schema in the first schema of the connection's
//! `search_path` (PostGIS must be installed in the database, or creatable by the user):
//! `reports` holds the embedded store's columns, with the point also as a generated
//! `geography(Point,4326)` column `geog` under a GiST index (for SQL and GIS clients reading
//! the table), and a full-text index on the description; `sightmap_meta` holds the store's
//! identity and schema version; `sightmap_version` is a one-row counter of changes.
//!
//! **Versions.** Each write transaction takes its versions from the counter with
//! `UPDATE … RETURNING`; the row lock it takes is held until commit, so transactions commit in
//! version order and a reader that sees version v sees every version below it. That is what
//! lets instances follow each other through [`Store::changes_since`] without skipping a write
//! that committed late. Every write also sends `NOTIFY sightmap_changes`, so followers need
//! not wait for their next poll ([`PostgresStore::listen`]).
//!
//! **Durability.** A write is acknowledged once PostgreSQL has committed it (with the
//! server's `synchronous_commit`, on by default).

use super::columns::{self, StoredRow, Value};
use super::{Change, Inserted, PastReport, Store, StoreError, Subscription};
use crate::domain::access::TokenRecord;
use crate::domain::history::{Revision, RevisionAction};
use crate::domain::model::IndexRecord;
use crate::domain::model::{Relation, Report, ReportId, Timestamp};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::{StreamExt, TryStreamExt};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, NoTls, Row};

/// The schema this code writes; bumped with every migration.
const SCHEMA_VERSION: i64 = 3;

/// Connections per instance.
const POOL_SIZE: usize = 8;

/// How long a request waits for a connection, or for a new one to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The channel every write notifies.
pub const CHANNEL: &str = "sightmap_changes";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sightmap_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS sightmap_version (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    last bigint NOT NULL
);
INSERT INTO sightmap_version (one, last) VALUES (true, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS reports (
    seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            uuid PRIMARY KEY,
    version       bigint NOT NULL,
    kind          text NOT NULL,
    description   text NOT NULL,
    location_text text,
    lon           double precision NOT NULL,
    lat           double precision NOT NULL,
    geog          geography(Point, 4326)
                  GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED,
    precision     text NOT NULL,
    uncertainty_m double precision NOT NULL,
    province      text,
    country       text,
    location_ambiguous boolean NOT NULL DEFAULT false,
    border_distance_m double precision,
    border_country text,
    coast_distance_m double precision,
    in_sea        boolean NOT NULL DEFAULT false,
    observed_from bigint NOT NULL,
    observed_to   bigint NOT NULL,
    sources       jsonb NOT NULL,
    source_types  integer NOT NULL,
    status        text NOT NULL,
    tags          jsonb NOT NULL,
    reported_at   bigint NOT NULL,
    updated_at    bigint NOT NULL,
    deleted_at    bigint
);
-- Version 2: the public view of a private location.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS public_view jsonb;
-- Version 3: a reviewer's correction of the report's event.
ALTER TABLE reports ADD COLUMN IF NOT EXISTS event_review text NOT NULL DEFAULT 'auto';
CREATE TABLE IF NOT EXISTS sightmap_revisions (
    report_id uuid NOT NULL,
    version   bigint NOT NULL,
    at        bigint NOT NULL,
    by        text NOT NULL,
    action    text NOT NULL,
    report    jsonb,
    PRIMARY KEY (report_id, version)
);
CREATE TABLE IF NOT EXISTS sightmap_tokens (
    id         uuid PRIMARY KEY,
    name       text NOT NULL,
    role       text NOT NULL,
    hash       bytea NOT NULL UNIQUE,
    created_at bigint NOT NULL,
    revoked_at bigint
);
CREATE UNIQUE INDEX IF NOT EXISTS reports_version ON reports (version);
CREATE INDEX IF NOT EXISTS reports_geog ON reports USING gist (geog);
CREATE INDEX IF NOT EXISTS reports_text ON reports
    USING gin (to_tsvector('simple', description)) WHERE deleted_at IS NULL;
";

/// The select list of [`columns::REPORT`], JSON as text.
static REPORT_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::REPORT, "::text"));
/// The select list of [`columns::INDEX`], JSON as text.
static INDEX_COLUMNS: LazyLock<String> =
    LazyLock::new(|| columns::select_list(&columns::INDEX, "::text"));

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(c) if *c == SqlState::DISK_FULL || *c == SqlState::OUT_OF_MEMORY => {
                StoreError::Full(e.to_string())
            }
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || *c == SqlState::TOO_MANY_CONNECTIONS
                    || c.code().starts_with("08") =>
            {
                StoreError::Unavailable(e.to_string())
            }
            Some(c) if *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED => {
                StoreError::Corrupt(e.to_string())
            }
            Some(_) => StoreError::Internal(e.to_string()),
            // No SQL state: the connection failed or closed.
            None => StoreError::Unavailable(e.to_string()),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::Unavailable(format!("no database connection: {other}")),
        }
    }
}

/// The PostgreSQL/PostGIS store.
pub struct PostgresStore {
    pool: Pool,
    config: tokio_postgres::Config,
    identity: String,
    description: String,
    /// Whether `open` created the schema.
    created: bool,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user@host:port/db`, with libpq's
    /// options such as `options=-csearch_path%3Dsightmap`), creating or migrating the schema.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?;
        let manager = Manager::from_config(
            config.clone(),
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Verified,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(CONNECT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .recycle_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| StoreError::Internal(format!("cannot build the connection pool: {e}")))?;
        let mut client = pool.get().await?;
        let (identity, created) = upgrade_schema(&mut client).await?;
        drop(client);
        Ok(Self {
            pool,
            description: describe(&config),
            config,
            identity,
            created,
        })
    }

    /// A connection of its own that listens on [`CHANNEL`]: each notification's payload is
    /// the version a writer committed.
    async fn listen(&self) -> Result<Subscription, StoreError> {
        let (client, mut connection) =
            tokio::time::timeout(CONNECT_TIMEOUT, self.config.connect(NoTls))
                .await
                .map_err(|_| StoreError::Unavailable("connecting to listen timed out".into()))??;
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(Ok(message)) = messages.next().await {
                if let AsyncMessage::Notification(n) = message {
                    // A full channel means the follower has catching up to do anyway.
                    let _ = tx.try_send(n.payload().parse().unwrap_or(0));
                }
            }
            // Dropping the sender tells the follower the connection is gone.
        });
        client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
        Ok(Subscription {
            notices: rx,
            connection: Box::new(client),
        })
    }

    /// Whether opening the store created it (so it has never held a report).
    pub fn is_new(&self) -> bool {
        self.created
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.pool.get().await?)
    }
}

/// "PostgreSQL at host:port/db", without the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("(default)");
    format!("PostgreSQL/PostGIS at {host}:{port}/{db}")
}

/// Creates or upgrades the schema under an advisory lock (instances may start together);
/// returns the store's identity and whether the schema was created now.
async fn upgrade_schema(
    client: &mut deadpool_postgres::Object,
) -> Result<(String, bool), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock(7235926101)", &[])
        .await?;
    let has_postgis: bool = tx
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')",
            &[],
        )
        .await?
        .get(0);
    if !has_postgis {
        tx.batch_execute("CREATE EXTENSION IF NOT EXISTS postgis")
            .await
            .map_err(|e| {
                StoreError::Unavailable(format!(
                    "PostGIS is not installed in this database and cannot be created here ({e}); \
                     run CREATE EXTENSION postgis as its owner"
                ))
            })?;
    }
    let has_meta: bool = tx
        .query_one("SELECT to_regclass('sightmap_meta') IS NOT NULL", &[])
        .await?
        .get(0);
    let existing: Option<String> = match has_meta {
        true => tx
            .query_opt(
                "SELECT value FROM sightmap_meta WHERE key = 'schema_version'",
                &[],
            )
            .await?
            .map(|r| r.get(0)),
        false => None,
    };
    if let Some(v) = existing.and_then(|v| v.parse::<i64>().ok())
        && v > SCHEMA_VERSION
    {
        return Err(StoreError::Corrupt(format!(
            "the database has sightmap schema version {v}, newer than this sightmap ({SCHEMA_VERSION}); upgrade sightmap"
        )));
    }
    tx.batch_execute(SCHEMA).await?;
    tx.execute(
        "INSERT INTO sightmap_meta (key, value) VALUES ('schema_version', $1) \
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&SCHEMA_VERSION.to_string()],
    )
    .await?;
    let created = tx
        .execute(
            "INSERT INTO sightmap_meta (key, value) VALUES ('store_id', $1) ON CONFLICT DO NOTHING",
            &[&uuid::Uuid::now_v7().to_string()],
        )
        .await?
        == 1;
    let identity = tx
        .query_one(
            "SELECT value FROM sightmap_meta WHERE key = 'store_id'",
            &[],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok((identity, created))
}

/// Takes `n` versions in the transaction; returns the first. Holds the counter's row lock
/// until the transaction ends, so commits happen in version order.
async fn take_versions(tx: &tokio_postgres::Transaction<'_>, n: i64) -> Result<i64, StoreError> {
    let last: i64 = tx
        .query_one(
            "UPDATE sightmap_version SET last = last + $1 RETURNING last",
            &[&n],
        )
        .await?
        .get(0);
    Ok(last - n + 1)
}

async fn notify(tx: &tokio_postgres::Transaction<'_>, version: i64) -> Result<(), StoreError> {
    tx.execute(
        "SELECT pg_notify($1, $2)",
        &[&CHANNEL, &version.to_string()],
    )
    .await?;
    Ok(())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(e.to_string()))
}

/// The parameters of a report's [`columns::WRITE`], in order.
fn report_params<'a>(
    values: &'a [Value<'a>],
) -> impl Iterator<Item = &'a (dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
}

impl Value<'_> {
    /// Calls `f` with the value as the Rust type PostgreSQL binds (the bit set as `integer`).
    fn bound<R>(&self, f: impl FnOnce(&(dyn tokio_postgres::types::ToSql + Sync)) -> R) -> R {
        match self {
            Value::Text(v) => f(v),
            Value::OptText(v) => f(v),
            Value::Owned(v) => f(v),
            Value::OptOwned(v) => f(v),
            Value::Real(v) => f(v),
            Value::OptReal(v) => f(v),
            Value::Int(v) => f(v),
            Value::Bits(v) => f(&i32::from(*v)),
            Value::Bool(v) => f(v),
        }
    }
}

impl tokio_postgres::types::ToSql for Value<'_> {
    /// As [`Self::to_sql_checked`]: the inner value checks its own type.
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.to_sql_checked(ty, out)
    }

    /// Each variant's own type decides (see [`Self::to_sql_checked`]).
    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    /// Checks the parameter's type against the variant's Rust type, as the inner value would.
    fn to_sql_checked(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.bound(|v| v.to_sql_checked(ty, out))
    }
}

/// A placeholder for each of [`columns::WRITE`], numbered from `$2` (`$1` is the id), JSON
/// columns cast.
fn write_placeholders() -> Vec<String> {
    columns::WRITE
        .iter()
        .enumerate()
        .map(|(i, c)| match c.is_json() {
            true => format!("${}::text::jsonb", i + 2),
            false => format!("${}", i + 2),
        })
        .collect()
}

/// The parameter after the id and the columns.
const NEXT_PARAM: usize = columns::WRITE.len() + 2;

/// Takes the next version in the statement: the counter's row lock lasts until commit.
const NEXT_VERSION: &str = "WITH v AS (UPDATE sightmap_version SET last = last + 1 RETURNING last)";

/// Selects the changed row's version from CTE `changed`, and notifies followers of it.
const RETURN_AND_NOTIFY: &str =
    "SELECT version, pg_notify('sightmap_changes', version::text)::text FROM changed";

/// A CTE that keeps the revision of each row in `changed`: `at`, `by` and the report's JSON
/// are the parameters numbered from `first`.
fn revision_cte(action: RevisionAction, first: usize) -> String {
    format!(
        "rev AS (INSERT INTO sightmap_revisions (report_id, version, at, by, action, report) \
         SELECT id, version, ${first}, ${}, '{}', ${}::text::jsonb FROM changed)",
        first + 1,
        action.as_str(),
        first + 2
    )
}

/// One insert with its version as the last parameter, for a batch in a transaction.
fn insert_sql() -> String {
    format!(
        "INSERT INTO reports (id, {}, version) VALUES ($1, {}, ${NEXT_PARAM}) ON CONFLICT (id) DO NOTHING",
        columns::names(&columns::WRITE),
        write_placeholders().join(", ")
    )
}

/// One insert that takes its own version and notifies, in one statement (one round trip).
fn insert_one_sql() -> String {
    format!(
        "{NEXT_VERSION}, changed AS (INSERT INTO reports (id, {}, version) \
         VALUES ($1, {}, (SELECT last FROM v)) ON CONFLICT (id) DO NOTHING RETURNING id, version), \
         {} {RETURN_AND_NOTIFY}",
        columns::names(&columns::WRITE),
        write_placeholders().join(", "),
        revision_cte(RevisionAction::Created, NEXT_PARAM)
    )
}

/// An update of the report at the expected version (the first parameter after the columns),
/// in one statement, keeping its revision.
fn update_sql() -> String {
    let sets: Vec<String> = columns::WRITE
        .iter()
        .zip(write_placeholders())
        .map(|(c, p)| format!("{} = {p}", c.name()))
        .collect();
    format!(
        "{NEXT_VERSION}, changed AS (UPDATE reports SET {}, version = (SELECT last FROM v) \
         WHERE id = $1 AND version = ${NEXT_PARAM} AND deleted_at IS NULL RETURNING id, version), \
         {} {RETURN_AND_NOTIFY}",
        sets.join(", "),
        revision_cte(RevisionAction::Edited, NEXT_PARAM + 1)
    )
}

fn parse_word<T: std::str::FromStr>(text: &str, column: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

fn parse_json<T: serde::de::DeserializeOwned>(text: &str, column: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

impl StoredRow for Row {
    columns::stored_cells!(try_get);

    fn id(&self, i: usize) -> Result<ReportId, StoreError> {
        Ok(ReportId(self.try_get(i)?))
    }

    fn text(&self, i: usize) -> Result<&str, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<&str>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn bits(&self, i: usize) -> Result<u16, StoreError> {
        let bits: i32 = self.try_get(i)?;
        u16::try_from(bits).map_err(|e| StoreError::Corrupt(format!("source_types: {e}")))
    }
}

#[async_trait::async_trait]
impl Store for PostgresStore {
    async fn insert(&self, reports: Vec<Report>, by: &str) -> Result<Vec<Inserted>, StoreError> {
        if reports.is_empty() {
            return Ok(Vec::new());
        }
        let values = reports
            .iter()
            .map(columns::write_values)
            .collect::<Result<Vec<_>, _>>()?;
        let kept = reports.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
        let mut client = self.client().await?;
        if let ([report], [values], [kept]) =
            (reports.as_slice(), values.as_slice(), kept.as_slice())
        {
            let statement = client.prepare_cached(&insert_one_sql()).await?;
            let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&report.id.0];
            params.extend(report_params(values));
            params.extend([
                &report.reported_at.0 as &(dyn tokio_postgres::types::ToSql + Sync),
                &by,
                kept,
            ]);
            return Ok(vec![match client.query_opt(&statement, &params).await? {
                Some(row) => Inserted::New(row.try_get(0)?),
                None => Inserted::AlreadyExists,
            }]);
        }
        let statement = client.prepare_cached(&insert_sql()).await?;
        let tx = client.transaction().await?;
        let first = take_versions(&tx, reports.len() as i64).await?;
        let versions: Vec<i64> = (first..first + reports.len() as i64).collect();
        // Sent together: tokio-postgres pipelines the statements on the connection.
        let inserted =
            futures_util::future::try_join_all(reports.iter().zip(&values).zip(&versions).map(
                |((r, v), version)| {
                    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&r.id.0];
                    params.extend(report_params(v));
                    params.push(version);
                    let statement = &statement;
                    let tx = &tx;
                    async move { tx.execute(statement, &params).await }
                },
            ))
            .await?;
        let revision = tx
            .prepare_cached(
                "INSERT INTO sightmap_revisions (report_id, version, at, by, action, report) \
                 VALUES ($1, $2, $3, $4, 'created', $5::text::jsonb)",
            )
            .await?;
        futures_util::future::try_join_all(
            reports
                .iter()
                .zip(&kept)
                .zip(&versions)
                .zip(&inserted)
                .filter(|(_, n)| **n == 1)
                .map(|(((r, json), version), _)| {
                    let (tx, revision) = (&tx, &revision);
                    async move {
                        tx.execute(revision, &[&r.id.0, version, &r.reported_at.0, &by, json])
                            .await
                    }
                }),
        )
        .await?;
        notify(&tx, first + reports.len() as i64 - 1).await?;
        tx.commit().await?;
        Ok(inserted
            .iter()
            .zip(versions)
            .map(|(&n, version)| match n {
                1 => Inserted::New(version),
                _ => Inserted::AlreadyExists,
            })
            .collect())
    }

    async fn update(
        &self,
        report: Report,
        expected_version: i64,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        let values = columns::write_values(&report)?;
        let kept = to_json(&report)?;
        let client = self.client().await?;
        let statement = client.prepare_cached(&update_sql()).await?;
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&report.id.0];
        params.extend(report_params(&values));
        params.extend([
            &expected_version as &(dyn tokio_postgres::types::ToSql + Sync),
            &report.updated_at.0,
            &by,
            &kept,
        ]);
        if let Some(row) = client.query_opt(&statement, &params).await? {
            return Ok(Some(row.try_get(0)?));
        }
        let live: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM reports WHERE id = $1 AND deleted_at IS NULL)",
                &[&report.id.0],
            )
            .await?
            .get(0);
        match live {
            true => Err(StoreError::Conflict(report.id)),
            false => Ok(None),
        }
    }

    async fn delete(
        &self,
        id: ReportId,
        at: Timestamp,
        by: &str,
    ) -> Result<Option<i64>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "{NEXT_VERSION}, changed AS (UPDATE reports SET deleted_at = $2, \
                 version = (SELECT last FROM v) WHERE id = $1 AND deleted_at IS NULL RETURNING id, version), \
                 rev AS (INSERT INTO sightmap_revisions (report_id, version, at, by, action) \
                 SELECT id, version, $2, $3, 'deleted' FROM changed) {RETURN_AND_NOTIFY}"
            ))
            .await?;
        match client.query_opt(&statement, &[&id.0, &at.0, &by]).await? {
            Some(row) => Ok(Some(row.try_get(0)?)),
            None => Ok(None),
        }
    }

    async fn reports_as_of(&self, at: Timestamp) -> Result<Vec<PastReport>, StoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT r.version, r.report::text, \
                   (SELECT l.report::text FROM sightmap_revisions l \
                     WHERE l.report_id = r.report_id AND l.version > r.version \
                       AND l.report->'public' IS NOT NULL \
                     ORDER BY l.version DESC LIMIT 1) \
                 FROM (SELECT DISTINCT ON (report_id) report_id, version, report \
                       FROM sightmap_revisions WHERE at <= $1 \
                       ORDER BY report_id, version DESC) AS r \
                 WHERE r.report IS NOT NULL",
                &[&at.0],
            )
            .await?;
        let raw = rows
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        // Parsed as SQLite's are, on two cores, off the async threads.
        tokio::task::spawn_blocking(move || super::past_reports(raw))
            .await
            .map_err(|e| StoreError::Internal(format!("reading the past failed: {e}")))?
    }

    async fn history(&self, id: ReportId) -> Result<Vec<Revision>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT version, at, by, action, report::text FROM sightmap_revisions \
                 WHERE report_id = $1 ORDER BY version",
                &[&id.0],
            )
            .await?
            .iter()
            .map(|row| {
                let report: Option<&str> = row.try_get(4)?;
                Ok(Revision {
                    version: row.try_get(0)?,
                    at: Timestamp(row.try_get(1)?),
                    by: row.try_get(2)?,
                    action: super::revision_action(row.try_get(3)?)?,
                    report: report.map(|r| parse_json(r, "revision")).transpose()?,
                })
            })
            .collect()
    }

    async fn get(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {}, version FROM reports WHERE id = $1 AND deleted_at IS NULL",
                *REPORT_COLUMNS
            ))
            .await?;
        match client.query_opt(&statement, &[&id.0]).await? {
            Some(row) => Ok(Some((
                columns::report_from(&row)?,
                row.try_get(columns::REPORT.len())?,
            ))),
            None => Ok(None),
        }
    }

    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {} FROM reports WHERE id = ANY($1) AND deleted_at IS NULL",
                *REPORT_COLUMNS
            ))
            .await?;
        let wanted: Vec<uuid::Uuid> = ids.iter().map(|id| id.0).collect();
        let mut found: HashMap<ReportId, Report> = client
            .query(&statement, &[&wanted])
            .await?
            .iter()
            .map(|row| columns::report_from(row).map(|r| (r.id, r)))
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    async fn scan(&self, after: i64, limit: usize) -> Result<Vec<(i64, Report)>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {}, seq FROM reports WHERE seq > $1 AND deleted_at IS NULL \
                 ORDER BY seq LIMIT $2",
                *REPORT_COLUMNS
            ))
            .await?;
        client
            .query(&statement, &[&after, &super::sql_limit(limit)])
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get(columns::REPORT.len())?,
                    columns::report_from(row)?,
                ))
            })
            .collect()
    }

    async fn text_matches(&self, words: String) -> Result<HashSet<ReportId>, StoreError> {
        // Each word must appear (as a phrase of its own tokens), as with the embedded store.
        let words: Vec<&str> = words.split_whitespace().collect();
        if words.is_empty() {
            return Ok(HashSet::new());
        }
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT id FROM reports WHERE deleted_at IS NULL AND to_tsvector('simple', description) @@ \
                 ALL (SELECT phraseto_tsquery('simple', w) FROM unnest($1::text[]) AS w)",
                &[&words],
            )
            .await?;
        rows.iter()
            .map(|row| Ok(ReportId(row.try_get(0)?)))
            .collect()
    }

    async fn index_records(&self) -> Result<Vec<IndexRecord>, StoreError> {
        let client = self.client().await?;
        let count: i64 = client
            .query_one("SELECT count(*) FROM reports WHERE deleted_at IS NULL", &[])
            .await?
            .get(0);
        let rows = client
            .query_raw(
                &format!(
                    "SELECT {} FROM reports WHERE deleted_at IS NULL ORDER BY seq",
                    *INDEX_COLUMNS
                ),
                std::iter::empty::<i64>(),
            )
            .await?;
        let mut records = Vec::with_capacity(count.clamp(0, 1 << 24) as usize);
        let mut rows = std::pin::pin!(rows);
        while let Some(row) = rows.try_next().await? {
            records.push(columns::index_record_from(&row)?);
        }
        Ok(records)
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    async fn last_version(&self) -> Result<i64, StoreError> {
        let client = self.client().await?;
        Ok(client
            .query_one("SELECT last FROM sightmap_version", &[])
            .await?
            .get(0))
    }

    async fn changes_since(&self, after: i64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let client = self.client().await?;
        let statement = client
            .prepare_cached(&format!(
                "SELECT {}, deleted_at IS NOT NULL FROM reports WHERE version > $1 \
                 ORDER BY version LIMIT $2",
                *INDEX_COLUMNS
            ))
            .await?;
        client
            .query(&statement, &[&after, &super::sql_limit(limit)])
            .await?
            .iter()
            .map(|row| {
                Ok(match row.try_get::<_, bool>(columns::INDEX.len())? {
                    true => Change::Removed {
                        id: ReportId(row.try_get(0)?),
                        version: row.try_get(1)?,
                    },
                    false => Change::Upserted(columns::index_record_from(row)?),
                })
            })
            .collect()
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let client = self.client().await?;
        client
            .query(
                "SELECT id, name, role, hash, created_at, revoked_at FROM sightmap_tokens \
                 ORDER BY created_at, id",
                &[],
            )
            .await?
            .iter()
            .map(|row| {
                let hash: Vec<u8> = row.try_get(3)?;
                Ok(TokenRecord {
                    id: row.try_get(0)?,
                    name: row.try_get(1)?,
                    role: parse_word(row.try_get(2)?, "role")?,
                    hash: hash
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("token hash is not 32 bytes".into()))?,
                    created_at: Timestamp(row.try_get(4)?),
                    revoked_at: row.try_get::<_, Option<i64>>(5)?.map(Timestamp),
                })
            })
            .collect()
    }

    async fn add_token(&self, token: TokenRecord) -> Result<(), StoreError> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO sightmap_tokens (id, name, role, hash, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &token.id,
                    &token.name,
                    &token.role.as_str(),
                    &token.hash.as_slice(),
                    &token.created_at.0,
                    &token.revoked_at.map(|r| r.0),
                ],
            )
            .await?;
        Ok(())
    }

    async fn revoke_token(&self, id: uuid::Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "UPDATE sightmap_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
                &[&id, &at.0],
            )
            .await?
            == 1)
    }

    async fn set_relations(&self, relations: Vec<(ReportId, Relation)>) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let statement = tx
            .prepare(
                "UPDATE reports SET border_distance_m = $2, border_country = $3, coast_distance_m = $4, \
                 in_sea = $5 WHERE id = $1",
            )
            .await?;
        for (id, r) in &relations {
            tx.execute(
                &statement,
                &[
                    &id.0,
                    &r.border_distance_m,
                    &r.border_country,
                    &r.coast_distance_m,
                    &r.in_sea,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let client = self.client().await?;
        let n: i64 = client
            .query_one("SELECT count(*) FROM reports WHERE deleted_at IS NULL", &[])
            .await?
            .get(0);
        Ok(n as u64)
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    async fn subscribe(&self) -> Result<Option<Subscription>, StoreError> {
        self.listen().await.map(Some)
    }
}
