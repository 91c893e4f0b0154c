//! The shared store: PostgreSQL with PostGIS, for several sightmap instances on one dataset.
//!
//! `open` creates and migrates the schema in the first schema of the connection's
//! `search_path` (PostGIS must be installed in the database, or creatable by the user):
//! `reports` holds the embedded store's columns, with the point also as a generated
//! `geography(Point,4326)` column `geog` under a GiST index (for SQL and GIS clients reading
//! the table), and a full-text index on the search words sightmap writes beside the
//! description; `sightmap_meta` holds the store's identity and schema version;
//! `sightmap_version` is a one-row counter of changes.
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
mod history;
mod reads;
mod schema;
mod sql;
mod writes;

use super::{
    Change, HistoryStore, Inserted, PastReport, ReportReader, ReportWriter, StoreError,
    Subscription, TokenStore,
};
use crate::domain::access::TokenRecord;
use crate::domain::history::{Revision, RevisionAction};
use crate::domain::model::IndexRecord;
use crate::domain::model::{Relation, Report, ReportId, Timestamp};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::{StreamExt, TryStreamExt};
use schema::*;
use sql::*;
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{AsyncMessage, NoTls, Row};

/// Connections per instance.
const POOL_SIZE: usize = 8;

/// How long a request waits for a connection, or for a new one to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The channel every write notifies.
pub const CHANNEL: &str = "sightmap_changes";

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.code() {
            Some(c) if *c == SqlState::DISK_FULL || *c == SqlState::OUT_OF_MEMORY => {
                StoreError::full(super::Failure::caused("", e))
            }
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || *c == SqlState::TOO_MANY_CONNECTIONS
                    || c.code().starts_with("08") =>
            {
                StoreError::unavailable(super::Failure::caused("", e))
            }
            Some(c) if *c == SqlState::DATA_CORRUPTED || *c == SqlState::INDEX_CORRUPTED => {
                StoreError::corrupt(super::Failure::caused("", e))
            }
            Some(_) => StoreError::internal(super::Failure::caused("", e)),
            // No SQL state: the connection failed or closed.
            None => StoreError::unavailable(super::Failure::caused("", e)),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            other => StoreError::unavailable(format!("no database connection: {other}")),
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
        let config: tokio_postgres::Config = url.parse().map_err(|e| {
            StoreError::unavailable(super::Failure::caused("bad PostgreSQL URL", e))
        })?;
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
            .map_err(|e| {
                StoreError::internal(super::Failure::caused(
                    "cannot build the connection pool",
                    e,
                ))
            })?;
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
                .map_err(|_| StoreError::unavailable("connecting to listen timed out"))??;
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

    /// The rows of a statement that reads on from a position: `$1` is the position to read
    /// after, `$2` the most rows.
    async fn rows_after(
        &self,
        sql: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.client().await?;
        let statement = client.prepare_cached(sql).await?;
        Ok(client
            .query(&statement, &[&after, &super::sql_limit(limit)])
            .await?)
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
