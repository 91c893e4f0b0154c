//! The report service: the one place that keeps the durable store and the in-memory index in
//! step. HTTP handlers and the CLI call it; neither touches the store or the index directly.
//!
//! Here: the service, how it opens and what it holds. `reports` reads and writes reports,
//! `queries` answers queries, `export` streams exports, `lifecycle` keeps the index beside the
//! store (snapshots, catching up, following, bulk loads), and `apply` is the one step through
//! which every change reaches the index.
//!
//! # One apply step, one change feed
//!
//! Every change to the live state goes through one step (`apply.rs`): a create, an edit (an event review,
//! `event_review`, is an edit), a delete, an import's batch (into the index, or kept aside
//! during a bulk load), and another instance's write, which a catch-up
//! ([`ReportService::catch_up`], run by [`ReportService::follow`]) reads from the store's
//! change list. The step applies a batch to the index and the events under the index lock,
//! tells the feature cache which reports to forget, and publishes one [`FeedChange`] per store
//! version on a bounded broadcast channel ([`ReportService::subscribe`]).
//!
//! - **Order and once.** The step holds the last version applied behind one lock and applies
//!   a batch only when its versions follow it; a batch that would leave a gap first reads the
//!   store's change list from that version (the store commits in version order, so the list
//!   holds the missing versions and the batch's own). A version applied by a catch-up is not
//!   applied again by the write that made it, nor the other way round. So the index changes
//!   and the feed publishes in increasing version order, each version once. A subscriber gets
//!   every change after the version [`ReportService::subscribe`] returns with it.
//! - **What a change holds.** Its version and report; the report before and after as the
//!   public sees it (a private report at its coarsened point) and as a reviewer does, both
//!   read from the index, never the store; and the [`crate::engine::events::EventChanges`] the
//!   write made. [`FeedChange::seen_by`] gives the public's part only: no exact point, and no
//!   private report's move between events.
//! - **What the feed may fold.** The store's change list holds each report's latest state, so
//!   another instance's report written twice between two catch-ups arrives once, at its later
//!   version. A change applied while the store could not be read (a write whose predecessors
//!   could not be fetched) is applied at once and published by the next catch-up.
//! - **Cost.** With no subscriber, nothing is described: the step applies the records as
//!   before and moves a counter; a bulk load stays one pass. A lagging subscriber learns it
//!   lagged ([`tokio::sync::broadcast::error::RecvError::Lagged`]) and must read again.
//! - **Who follows it.** The feature cache forgets each changed report in the step; the kept
//!   past states follow the index's count of private writes; live streams, webhooks and
//!   layer ETags can subscribe.
//! - **Not through it.** Building the index (at start, from the store or a snapshot with its
//!   replay) happens before the service exists, when nobody can subscribe; `restore` works on
//!   a stopped server's files, whose next start rebuilds.
//!
//! # Time
//!
//! The service reads the time from its [`crate::engine::clock::Clock`] (the system's unless
//! [`ReportService::with_clock`] sets another): writes are stamped with it, and `as_of` is
//! checked against it, so tests move a [`crate::engine::clock::ManualClock`] instead of
//! sleeping.

mod apply;
mod as_of;
mod backing;
mod events;
mod export;
mod lifecycle;
mod past_rebuilds;
mod queries;
mod reports;
mod through;
mod timeline;

pub use crate::engine::index::{EventFilter, EventPage, EventView};
pub use apply::{FEED_CAPACITY, FeedChange};
pub use as_of::DEFAULT_PAST_STATES_BYTES;
pub use events::{MAX_DUPLICATES, PossibleDuplicate, ReportEvent};
pub use export::{ExportCursor, FeatureChunks};
pub use lifecycle::FOLLOW_EVERY;
use lifecycle::{CATCH_UP_BATCH, NO_SNAPSHOT, build_from_store, load_snapshot};
pub use past_rebuilds::{DEFAULT_PAST_REBUILD_QUEUE, DEFAULT_PAST_REBUILDS, PastRebuilds};
pub use timeline::TimelineOf;

use crate::domain::history::Revision;
use crate::domain::model::privacy::Viewer;
use crate::domain::model::{
    EventId, FieldError, Gazetteer, Origin, Relation, Report, ReportId, ReportInput, Timestamp,
    merge_patch,
};
use crate::engine::clock::{Clock, SystemClock};
use crate::engine::events::EventSettings;
use crate::engine::feature_cache::FeatureCache;
use crate::engine::index::{IndexRead, IndexRecord, MapPoint, Snapshot, SnapshotStamp, ViewIndex};
use crate::engine::query::ReportQuery;
use crate::engine::store::{Change, Inserted, Store, StoreError};
use parking_lot::RwLock;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// How many times a PATCH is retried when another write changed the report meanwhile.
const UPDATE_ATTEMPTS: usize = 5;

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The input is wrong; each error names its field.
    #[error("invalid report")]
    Invalid(Vec<FieldError>),
    /// No live report has this id.
    #[error("no report has id {0}")]
    NotFound(ReportId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A past state (`as_of`) would need a rebuild and every place for one is taken (see
    /// [`ReportService::with_past_rebuilds`]); a place may be free after `retry_after`.
    #[error("every place for rebuilding a past state is taken")]
    PastBusy {
        /// When a place may be free: the rebuilds ahead at the last one's pace.
        retry_after: std::time::Duration,
    },
}

/// One report in a query's page, with its distance from the query's centre if it has one.
#[derive(Debug, Clone)]
pub struct RankedReport {
    /// The report.
    pub report: Report,
    /// Geodesic distance in metres, for radius and nearest queries.
    pub distance_m: Option<f64>,
}

/// One page of a query's answer.
#[derive(Debug, Clone)]
pub struct ReportPage {
    /// Matches across all pages.
    pub matched: usize,
    /// This page's reports, in order.
    pub reports: Vec<RankedReport>,
}

/// Runs CPU-bound work (an index build, a snapshot read, a past rebuilt) on the blocking
/// pool; a panic in it is a store error that says what was being done.
async fn off_the_runtime<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::internal(crate::engine::store::Failure::caused(what, e)))
}

/// Computes the relation of records stored without one (by an older sightmap); returns what
/// to store.
fn fill_missing_relations(
    records: &mut [IndexRecord],
    gazetteer: &dyn Gazetteer,
) -> Vec<(ReportId, Relation)> {
    let unknown = Relation::default();
    records
        .iter_mut()
        .filter(|r| r.relation == unknown)
        .filter_map(|r| {
            let relation = gazetteer.relate(r.lon, r.lat);
            (relation != unknown).then(|| {
                r.relation = relation.clone();
                (r.id, relation)
            })
        })
        .collect()
}

/// Reports as `viewer` may see them.
fn seen_by(reports: Vec<Report>, viewer: Viewer) -> Vec<Report> {
    reports
        .into_iter()
        .map(|r| r.into_seen_by(viewer))
        .collect()
}

/// Reports: stored durably, indexed in memory.
pub struct ReportService {
    store: backing::Backing,
    gazetteer: Option<Arc<dyn Gazetteer>>,
    index: Arc<RwLock<ViewIndex>>,
    /// For a past moment read through the live index, what it reads through (its own
    /// `index` then stays empty).
    through: Option<Arc<through::Through>>,
    /// Serialised features of recently read reports (never of a private report, whose
    /// features differ by viewer); every write forgets its report's.
    features: FeatureCache,
    /// Held shared by each write from its store call until the index has it, and exclusively
    /// while a snapshot is written: then everything up to the store's last version is in the
    /// index.
    writes: Arc<tokio::sync::RwLock<()>>,
    /// The store version of the snapshot last loaded or written ([`NO_SNAPSHOT`] for none).
    snapshot_version: AtomicI64,
    /// The last store version applied and published, for readers that cannot wait on the
    /// feed's lock (it follows `feed`'s counter).
    applied: AtomicI64,
    /// The one apply step's order and the change feed (see the module doc).
    feed: apply::Feed,
    /// Where the service reads the time (see [`crate::engine::clock`]).
    clock: Arc<dyn Clock>,
    /// During a bulk load into an empty index, the records of the reports inserted so far,
    /// built into the index in one pass when it ends (see [`ReportService::begin_bulk_load`]).
    bulk: parking_lot::Mutex<Option<Vec<IndexRecord>>>,
    /// The reports as they stood at past moments, kept for `as_of` reads.
    past: Arc<as_of::PastStates>,
}

/// The feature cache's budget unless [`ReportService::with_feature_cache`] sets another.
pub const DEFAULT_FEATURE_CACHE_BYTES: usize = 512 << 20;

/// How a report is serialised as a feature (the formats' `packed_json`): the service caches
/// what it writes, and the cache's budget counts its bytes. Every caller passes the same one (the engine does not depend on the
/// formats, which encode what it holds).
pub type FeatureEncoder = fn(&Report) -> Vec<u8>;

/// A serialised feature (see [`FeatureEncoder`]) with its distance in metres from
/// the query's centre and its event as the viewer may know it.
pub type FeatureInContext = (Arc<[u8]>, Option<f64>, Option<EventId>);

/// One page of a query's answer as serialised features, in order, each with its distance
/// from the query's centre if it has one.
pub struct JsonFeaturePage {
    /// Matches across all pages.
    pub matched: usize,
    /// This page's features (see [`FeatureEncoder`]) with their distances in metres
    /// and their events as the viewer may know them.
    pub features: Vec<FeatureInContext>,
}

impl ReportService {
    /// Opens the service on a store, building the index from every live report in it.
    /// `gazetteer` geocodes place text sent without coordinates.
    pub async fn open(
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
    ) -> Result<Self, StoreError> {
        Self::open_grouped_by(store, gazetteer, EventSettings::default()).await
    }

    /// Opens the service as [`ReportService::open`] does, grouping events by `events`.
    async fn open_grouped_by(
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
        events: EventSettings,
    ) -> Result<Self, StoreError> {
        // Read first: changes made while the records are read are replayed by catch_up.
        let applied = store.last_version().await?;
        let index = build_from_store(&store, gazetteer.clone(), events).await?;
        Ok(Self::with_index(
            backing::Backing::Live(store),
            gazetteer,
            index,
            NO_SNAPSHOT,
            applied,
        ))
    }

    /// Opens the service from the index snapshot at `snapshot` if it is one of this store,
    /// replaying the store's changes since; otherwise as [`ReportService::open`] does. Events
    /// are grouped by `events` (restored from the snapshot if it was grouped by them). See
    /// [`ReportService::save_snapshot`].
    pub async fn open_with_snapshot(
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
        snapshot: &Path,
        events: EventSettings,
    ) -> Result<Self, StoreError> {
        Self::open_with_snapshot_while(store, std::future::ready(gazetteer), snapshot, events).await
    }

    /// As [`ReportService::open_with_snapshot`], reading the snapshot while `gazetteer`
    /// loads (a region's places take a few hundred milliseconds, on another core).
    pub async fn open_with_snapshot_while(
        store: Arc<dyn Store>,
        gazetteer: impl std::future::Future<Output = Option<Arc<dyn Gazetteer>>>,
        snapshot: &Path,
        events: EventSettings,
    ) -> Result<Self, StoreError> {
        let (loaded, gazetteer) = tokio::join!(load_snapshot(&store, snapshot, events), gazetteer);
        match loaded? {
            Some((index, version, applied)) => Ok(Self::with_index(
                backing::Backing::Live(store),
                gazetteer,
                index,
                version,
                applied,
            )),
            None => Self::open_grouped_by(store, gazetteer, events).await,
        }
    }

    fn with_index(
        store: backing::Backing,
        gazetteer: Option<Arc<dyn Gazetteer>>,
        index: ViewIndex,
        snapshot_version: i64,
        applied: i64,
    ) -> Self {
        Self {
            store,
            gazetteer,
            index: Arc::new(RwLock::new(index)),
            through: None,
            features: FeatureCache::new(DEFAULT_FEATURE_CACHE_BYTES),
            writes: Default::default(),
            snapshot_version: AtomicI64::new(snapshot_version),
            applied: AtomicI64::new(applied),
            feed: apply::Feed::new(applied),
            clock: Arc::new(SystemClock),
            bulk: Default::default(),
            past: Arc::new(as_of::PastStates::new(
                DEFAULT_PAST_STATES_BYTES,
                past_rebuilds::Rebuilds::new(DEFAULT_PAST_REBUILDS, DEFAULT_PAST_REBUILD_QUEUE),
            )),
        }
    }

    /// Sets the feature cache's budget in bytes (0 keeps none).
    pub fn with_feature_cache(mut self, budget_bytes: usize) -> Self {
        self.features = FeatureCache::new(budget_bytes);
        self
    }

    /// Sets the clock the service reads (the system's unless set): tests set a
    /// [`crate::engine::clock::ManualClock`] and advance it instead of sleeping.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current time as the service reads it: what writes are stamped with, and what an
    /// `as_of` may not be after.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The live store underneath (its tokens, logs); a past view has none.
    pub fn store(&self) -> Result<&Arc<dyn Store>, StoreError> {
        self.store.live()
    }

    /// How many live reports there are.
    pub fn len(&self) -> usize {
        self.read_index_now(|index| index.len())
    }

    /// The extent of every live report in space and time, if there are any.
    pub fn extent(&self) -> Option<crate::engine::index::Extent> {
        self.read_index_now(|index| index.extent())
    }

    /// Waits for the work a restart leaves to the background (the trees only writes read):
    /// for benchmarks that time what follows a start on its own.
    pub fn wait_for_background(&self) {
        self.index.read().events().wait_for_background();
    }

    /// Calls `f` with the index as reads see it: the live one, or a past moment read
    /// through it (made again first if the live index moved on since).
    async fn read_index<R>(&self, f: impl Fn(&dyn IndexRead) -> R) -> Result<R, ServiceError> {
        match &self.through {
            None => Ok(f(&*self.index.read())),
            Some(through) => through.read(f).await,
        }
    }

    /// As [`Self::read_index`], without making a past state again: exact for what a past
    /// state keeps itself (counts, extents), as of the state made last otherwise.
    fn read_index_now<R>(&self, f: impl FnOnce(&dyn IndexRead) -> R) -> R {
        match &self.through {
            None => f(&*self.index.read()),
            Some(through) => through.read_now(f),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
