//! The report service: the one place that keeps the durable store and the in-memory index in
//! step. HTTP handlers and the CLI call it; neither touches the store or the index directly.

use crate::feature_cache::FeatureCache;
use crate::index::{IndexRecord, MapPoint, ReportIndex, SnapshotStamp, ViewIndex};
use crate::model::privacy::Viewer;
use crate::model::{
    FieldError, Gazetteer, Origin, Relation, Report, ReportId, ReportInput, Timestamp, merge_patch,
};
use crate::query::ReportQuery;
use crate::store::{Change, Inserted, Revision, Store, StoreError};
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

/// A snapshot version meaning "none loaded or written".
const NO_SNAPSHOT: i64 = -1;

/// Changes read at a time when catching up.
const CATCH_UP_BATCH: usize = 10_000;

/// How often an instance on a shared store catches up when no notice comes.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Most changes replayed onto a snapshot; with more, reading the whole store is as quick.
const MAX_REPLAY: usize = 100_000;

/// Builds the index from every live report in the store, storing the relations of reports
/// written before they were kept.
async fn build_from_store(
    store: &Arc<dyn Store>,
    gazetteer: Option<Arc<dyn Gazetteer>>,
) -> Result<ViewIndex, StoreError> {
    let started = std::time::Instant::now();
    let mut records = store.index_records().await?;
    tracing::debug!(
        records = records.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read the index records"
    );
    let (index, missing) = tokio::task::spawn_blocking(move || {
        let missing = gazetteer
            .map(|g| fill_missing_relations(&mut records, g.as_ref()))
            .unwrap_or_default();
        (ViewIndex::build(records), missing)
    })
    .await
    .map_err(|e| StoreError::Internal(format!("index build failed: {e}")))?;
    if !missing.is_empty() {
        tracing::info!(
            reports = missing.len(),
            "stored the relation to borders and coast of reports written before it was kept"
        );
        for chunk in missing.chunks(10_000) {
            store.set_relations(chunk.to_vec()).await?;
        }
    }
    Ok(index)
}

/// The index from the snapshot at `path` with the store's changes since replayed, the
/// snapshot's version and the last version replayed; `None` (with the reason logged) when there is no usable snapshot.
async fn load_snapshot(
    store: &Arc<dyn Store>,
    path: &Path,
) -> Result<Option<(ViewIndex, i64, i64)>, StoreError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot open the index snapshot: {e}");
            return Ok(None);
        }
    };
    let read = tokio::task::spawn_blocking(move || {
        ReportIndex::read_snapshot(std::io::BufReader::with_capacity(1 << 20, file))
    })
    .await
    .map_err(|e| StoreError::Internal(format!("reading the index snapshot failed: {e}")))?;
    let (stamp, public) = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(path = %path.display(), "{e}; rebuilding the index from the store");
            return Ok(None);
        }
    };
    if stamp.store != store.identity() {
        tracing::warn!(
            path = %path.display(),
            "the index snapshot is of another store; rebuilding the index from the store"
        );
        return Ok(None);
    }
    if stamp.version > store.last_version().await? {
        tracing::warn!(
            path = %path.display(),
            "the index snapshot is newer than the store (was the store restored?); rebuilding the index"
        );
        return Ok(None);
    }
    // The snapshot holds where the public sees private reports; their exact placements are
    // read from the store (they are few), then the changes since are replayed onto both.
    let private = public.private_entries();
    let versions: HashMap<ReportId, i64> = private.iter().copied().collect();
    let exact = store
        .get_many(private.into_iter().map(|(id, _)| id).collect())
        .await?
        .iter()
        .filter_map(|report| {
            let record = IndexRecord::of(report, versions[&report.id]);
            record.exact.map(|exact| *exact)
        })
        .collect();
    let mut index = ViewIndex::from_parts(public, exact);
    let changes = store.changes_since(stamp.version, MAX_REPLAY).await?;
    if changes.len() == MAX_REPLAY {
        tracing::info!("the store changed much since the index snapshot; rebuilding the index");
        return Ok(None);
    }
    tracing::info!(
        changes = changes.len(),
        "loaded the index snapshot and replayed the changes since"
    );
    let applied = changes.last().map_or(stamp.version, Change::version);
    apply_changes(&mut index, changes);
    Ok(Some((index, stamp.version, applied)))
}

/// Applies changes listed by the store, oldest first.
fn apply_changes(index: &mut ViewIndex, changes: Vec<Change>) {
    for change in changes {
        match change {
            Change::Upserted(record) => index.upsert(record),
            Change::Removed { id, version } => index.remove(&id, version),
        }
    }
}

/// Writes a snapshot beside `path`, makes it durable, and renames it to `path`.
fn write_snapshot_file(
    index: &ReportIndex,
    stamp: &SnapshotStamp,
    path: &Path,
) -> std::io::Result<()> {
    // Named for this process: instances sharing a data directory never write one file.
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    let file = std::fs::File::create(&temporary)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    index.write_snapshot(stamp, &mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&temporary, path)
}

/// Where an export has got to.
#[derive(Debug)]
pub struct ExportCursor {
    /// The matching ids, sorted; `None` when every report matches.
    ids: Option<Vec<ReportId>>,
    /// Whether to read the matches by id rather than scan the store.
    by_id: bool,
    /// The index into `ids`, or the store's scan position.
    position: i64,
    chunk: usize,
    /// Who the export is for.
    viewer: Viewer,
}

/// Reports: stored durably, indexed in memory.
pub struct ReportService {
    store: Arc<dyn Store>,
    gazetteer: Option<Arc<dyn Gazetteer>>,
    index: RwLock<ViewIndex>,
    /// Serialised features of recently read reports (never of a private report, whose
    /// features differ by viewer); every write forgets its report's.
    features: FeatureCache,
    /// Held shared by each write from its store call until the index has it, and exclusively
    /// while a snapshot is written: then everything up to the store's last version is in the
    /// index.
    writes: Arc<tokio::sync::RwLock<()>>,
    /// The store version of the snapshot last loaded or written ([`NO_SNAPSHOT`] for none).
    snapshot_version: AtomicI64,
    /// Every change up to this store version is in the index (this process's own writes
    /// may be newer): where [`ReportService::catch_up`] reads on from.
    applied: AtomicI64,
    /// During a bulk load into an empty index, the records of the reports inserted so far,
    /// built into the index in one pass when it ends (see [`ReportService::begin_bulk_load`]).
    bulk: parking_lot::Mutex<Option<Vec<IndexRecord>>>,
}

/// The feature cache's budget unless [`ReportService::with_feature_cache`] sets another.
pub const DEFAULT_FEATURE_CACHE_BYTES: usize = 512 << 20;

/// Chunks of serialised features, as an export reads them.
pub type FeatureChunks = tokio::sync::mpsc::Receiver<Result<Vec<Arc<[u8]>>, ServiceError>>;

/// The share of an export's reports the feature cache must hold for the export to be served
/// from it.
const WARM_EXPORT_SHARE: f64 = 0.9;

/// One page of a query's answer as serialised features, in order, each with its distance
/// from the query's centre if it has one.
pub struct JsonFeaturePage {
    /// Matches across all pages.
    pub matched: usize,
    /// This page's features ([`crate::feature::plain_json`]) with their distances in metres.
    pub features: Vec<(Arc<[u8]>, Option<f64>)>,
}

impl ReportService {
    /// Opens the service on a store, building the index from every live report in it.
    /// `gazetteer` geocodes place text sent without coordinates.
    pub async fn open(
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
    ) -> Result<Self, StoreError> {
        // Read first: changes made while the records are read are replayed by catch_up.
        let applied = store.last_version().await?;
        let index = build_from_store(&store, gazetteer.clone()).await?;
        Ok(Self::with_index(
            store,
            gazetteer,
            index,
            NO_SNAPSHOT,
            applied,
        ))
    }

    /// Opens the service from the index snapshot at `snapshot` if it is one of this store,
    /// replaying the store's changes since; otherwise as [`ReportService::open`] does. See
    /// [`ReportService::save_snapshot`].
    pub async fn open_with_snapshot(
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
        snapshot: &Path,
    ) -> Result<Self, StoreError> {
        match load_snapshot(&store, snapshot).await? {
            Some((index, version, applied)) => {
                Ok(Self::with_index(store, gazetteer, index, version, applied))
            }
            None => Self::open(store, gazetteer).await,
        }
    }

    fn with_index(
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
        index: ViewIndex,
        snapshot_version: i64,
        applied: i64,
    ) -> Self {
        Self {
            store,
            gazetteer,
            index: RwLock::new(index),
            features: FeatureCache::new(DEFAULT_FEATURE_CACHE_BYTES),
            writes: Default::default(),
            snapshot_version: AtomicI64::new(snapshot_version),
            applied: AtomicI64::new(applied),
            bulk: Default::default(),
        }
    }

    /// Writes the index to `path` (through a temporary file and a rename), stamped with the
    /// store's identity and last version, unless the snapshot last loaded or written is
    /// already of that version. Returns whether it wrote one.
    ///
    /// Writes wait while the index is written (about half a second at a million reports);
    /// queries do not.
    pub async fn save_snapshot(self: &Arc<Self>, path: &Path) -> std::io::Result<bool> {
        let writes = self.writes.clone().write_owned().await;
        self.catch_up().await.map_err(std::io::Error::other)?;
        let version = self.applied.load(Ordering::Acquire);
        if version == self.snapshot_version.load(Ordering::Acquire) {
            return Ok(false);
        }
        let stamp = SnapshotStamp {
            store: self.store.identity().to_string(),
            version,
        };
        let (service, path) = (self.clone(), path.to_path_buf());
        tokio::task::spawn_blocking(move || {
            // Held until the file is in place, even if the caller stops waiting.
            let _writes = writes;
            write_snapshot_file(service.index.read().public(), &stamp, &path)?;
            service.snapshot_version.store(version, Ordering::Release);
            Ok::<_, std::io::Error>(())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(true)
    }

    /// Applies the store's changes since the last catch-up: other instances' writes on a
    /// shared store (this process's own are in the index already). Returns how many changes
    /// it read.
    pub async fn catch_up(&self) -> Result<usize, StoreError> {
        let mut read = 0;
        loop {
            let after = self.applied.load(Ordering::Acquire);
            let changes = self.store.changes_since(after, CATCH_UP_BATCH).await?;
            let Some(last) = changes.last().map(Change::version) else {
                return Ok(read);
            };
            let batch = changes.len();
            for change in &changes {
                self.features.forget(change.id());
            }
            apply_changes(&mut self.index.write(), changes);
            self.applied.fetch_max(last, Ordering::AcqRel);
            read += batch;
            if batch < CATCH_UP_BATCH {
                return Ok(read);
            }
        }
    }

    /// Follows other instances' writes on a shared store for as long as it runs: on each
    /// notice from the store and at least every [`FOLLOW_EVERY`] it catches up, so a write
    /// through any instance shows here within that time even if a notice is lost. Returns at
    /// once for a store that only this process writes.
    pub async fn follow(self: Arc<Self>) {
        let mut subscription = match self.store.subscribe().await {
            Ok(None) => return,
            Ok(some) => some,
            Err(e) => {
                tracing::warn!("cannot listen for other instances' changes yet: {e}");
                None
            }
        };
        let mut failing = false;
        loop {
            match subscription.as_mut() {
                Some(s) => tokio::select! {
                    notice = s.notices.recv() => if notice.is_none() {
                        subscription = None;
                    },
                    () = tokio::time::sleep(FOLLOW_EVERY) => {}
                },
                None => {
                    tokio::time::sleep(FOLLOW_EVERY).await;
                    subscription = self.store.subscribe().await.ok().flatten();
                }
            }
            match self.catch_up().await {
                Ok(_) if failing => {
                    tracing::info!("the store answers again; following other instances' changes");
                    failing = false;
                }
                Ok(_) => {}
                Err(e) if !failing => {
                    tracing::warn!("cannot read other instances' changes: {e}; retrying");
                    failing = true;
                }
                Err(_) => {}
            }
        }
    }

    /// The store version of the index snapshot last loaded or written, if any.
    pub fn snapshot_version(&self) -> Option<i64> {
        Some(self.snapshot_version.load(Ordering::Acquire)).filter(|&v| v != NO_SNAPSHOT)
    }

    /// Sets the feature cache's budget in bytes (0 keeps none).
    pub fn with_feature_cache(mut self, budget_bytes: usize) -> Self {
        self.features = FeatureCache::new(budget_bytes);
        self
    }

    /// The store underneath, for logs.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// How many live reports there are.
    pub fn len(&self) -> usize {
        self.index.read().len()
    }

    /// The extent of every live report in space and time, if there are any.
    pub fn extent(&self) -> Option<([f64; 4], (Timestamp, Timestamp))> {
        self.index.read().extent()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Validates and stores a new report from a client.
    pub async fn create(&self, input: ReportInput, by: &str) -> Result<Report, ServiceError> {
        let report = input
            .into_report(
                Origin::Client,
                None,
                Timestamp::now(),
                self.gazetteer.as_deref(),
            )
            .map_err(ServiceError::Invalid)?;
        let _writing = self.writes.read().await;
        match self
            .store
            .insert(vec![report.clone()], by)
            .await?
            .as_slice()
        {
            [Inserted::New(version)] => {
                self.index
                    .write()
                    .upsert(IndexRecord::of(&report, *version));
                Ok(report)
            }
            _ => Err(StoreError::Internal(format!("new id {} already stored", report.id)).into()),
        }
    }

    /// Stores reports that were validated already (by import), in one transaction. Reports
    /// whose id is stored already are skipped.
    pub async fn insert_batch(
        &self,
        reports: Vec<Report>,
        by: &str,
    ) -> Result<Vec<Inserted>, StoreError> {
        let _writing = self.writes.read().await;
        // The index records are made before the reports go to the store, so the reports are
        // not copied; their versions are set once the store has given them.
        let records: Vec<IndexRecord> = reports.iter().map(|r| IndexRecord::of(r, 0)).collect();
        let applied_before = self.applied.load(Ordering::Acquire);
        let outcomes = self.store.insert(reports, by).await?;
        let mut versions = Vec::with_capacity(outcomes.len());
        let mut new_records = Vec::with_capacity(outcomes.len());
        for (mut record, outcome) in records.into_iter().zip(&outcomes) {
            if let Inserted::New(version) = outcome {
                record.set_version(*version);
                new_records.push(record);
                versions.push(*version);
            }
        }
        match &mut *self.bulk.lock() {
            Some(kept) => kept.append(&mut new_records),
            None => {
                let mut index = self.index.write();
                for record in new_records {
                    index.upsert(record);
                }
            }
        }
        // When this batch took the versions right after those applied (an import that has
        // the store to itself), the index holds every change up to its last: a later
        // catch-up need not read them back.
        versions.sort_unstable();
        let contiguous = versions
            .iter()
            .enumerate()
            .all(|(i, &v)| v == applied_before + 1 + i as i64);
        if let (true, Some(&last)) = (contiguous, versions.last()) {
            let _ = self.applied.compare_exchange(
                applied_before,
                last,
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
        Ok(outcomes)
    }

    /// Starts a bulk load (an import): if the index is empty, the reports that
    /// [`ReportService::insert_batch`] stores are kept aside and indexed in one pass by
    /// [`ReportService::end_bulk_load`], which is many times faster than inserting them into
    /// the R-tree one by one. Queries meanwhile do not see them. Into an index that holds
    /// reports already, they are inserted as usual.
    pub fn begin_bulk_load(&self) {
        if self.index.read().is_empty() {
            *self.bulk.lock() = Some(Vec::new());
        }
    }

    /// Ends a bulk load: builds the index from the reports kept aside, in one pass if the
    /// index is still empty (nothing else was written meanwhile), else by inserting them.
    /// Writes wait meanwhile. An error means the index is incomplete: the caller must not
    /// write a snapshot of it.
    pub async fn end_bulk_load(&self) -> Result<(), String> {
        // Every insert_batch that read `bulk` has finished once the write lock is held.
        let _writing = self.writes.write().await;
        let Some(records) = self.bulk.lock().take() else {
            return Ok(());
        };
        if !self.index.read().is_empty() {
            let mut index = self.index.write();
            for record in records {
                index.upsert(record);
            }
            return Ok(());
        }
        let index = tokio::task::spawn_blocking(move || ViewIndex::build(records))
            .await
            .map_err(|e| format!("building the index after a bulk load failed: {e}"))?;
        *self.index.write() = index;
        Ok(())
    }

    /// One live report, as `viewer` may see it.
    pub async fn get(&self, id: ReportId, viewer: Viewer) -> Result<Report, ServiceError> {
        match self.store.get(id).await? {
            Some((report, _)) => Ok(report.into_seen_by(viewer)),
            None => Err(ServiceError::NotFound(id)),
        }
    }

    /// Live reports by id, in the order asked, as `viewer` may see them; ids not found are
    /// left out.
    pub async fn get_many(
        &self,
        ids: Vec<ReportId>,
        viewer: Viewer,
    ) -> Result<Vec<Report>, ServiceError> {
        Ok(seen_by(self.store.get_many(ids).await?, viewer))
    }

    /// Applies a JSON merge patch (RFC 7396) to a report's editable fields.
    pub async fn update(
        &self,
        id: ReportId,
        patch: &Map<String, Value>,
        by: &str,
    ) -> Result<Report, ServiceError> {
        let mut server_fields: Vec<FieldError> = ["id", "reported_at", "updated_at"]
            .iter()
            .filter(|f| patch.contains_key(**f))
            .map(|f| {
                FieldError::new(
                    *f,
                    format!("{f} is set by the server and cannot be changed"),
                )
            })
            .collect();
        if !server_fields.is_empty() {
            server_fields.sort_by(|a, b| a.field.cmp(&b.field));
            return Err(ServiceError::Invalid(server_fields));
        }
        for _ in 0..UPDATE_ATTEMPTS {
            let Some((current, version)) = self.store.get(id).await? else {
                return Err(ServiceError::NotFound(id));
            };
            let input = merge_patch(&current, patch).map_err(ServiceError::Invalid)?;
            let updated = input
                .into_report(
                    Origin::Client,
                    Some(&current),
                    Timestamp::now(),
                    self.gazetteer.as_deref(),
                )
                .map_err(ServiceError::Invalid)?;
            let _writing = self.writes.read().await;
            let outcome = self.store.update(updated.clone(), version, by).await;
            self.features.forget(&id);
            match outcome {
                Ok(Some(new_version)) => {
                    self.index
                        .write()
                        .upsert(IndexRecord::of(&updated, new_version));
                    return Ok(updated);
                }
                Ok(None) => return Err(ServiceError::NotFound(id)),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(id).into())
    }

    /// Hides a report from every query; the store keeps it.
    pub async fn delete(&self, id: ReportId, by: &str) -> Result<(), ServiceError> {
        let _writing = self.writes.read().await;
        let outcome = self.store.delete(id, Timestamp::now(), by).await;
        self.features.forget(&id);
        match outcome? {
            Some(version) => {
                self.index.write().remove(&id, version);
                Ok(())
            }
            None => Err(ServiceError::NotFound(id)),
        }
    }

    /// Every revision of a report, oldest first, and whether the report is live (not
    /// deleted). `NotFound` when the store never held it.
    pub async fn history(&self, id: ReportId) -> Result<(Vec<Revision>, bool), ServiceError> {
        let revisions = self.store.history(id).await?;
        let live = self.store.get(id).await?.is_some();
        if revisions.is_empty() && !live {
            return Err(ServiceError::NotFound(id));
        }
        Ok((revisions, live))
    }

    /// The ids whose description has every word of the query's `q`, found by the store;
    /// `None` when the query has no `q`.
    async fn text_matches(
        &self,
        query: &ReportQuery,
    ) -> Result<Option<std::collections::HashSet<ReportId>>, StoreError> {
        match &query.filter.text {
            Some(words) => Ok(Some(self.store.text_matches(words.clone()).await?)),
            None => Ok(None),
        }
    }

    /// Calls `f` with every report matching the query's place and filters (paging ignored),
    /// as the index knows them and `viewer` may see them, while holding the index: for map
    /// layers drawn from many reports, which need no report text.
    pub async fn with_matches<R>(
        &self,
        query: &ReportQuery,
        viewer: Viewer,
        f: impl FnOnce(&[MapPoint<'_>]) -> R,
    ) -> Result<R, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let index = self.index.read();
        Ok(f(&index.matches(query, text_matches.as_ref(), viewer)))
    }

    /// Starts an export of every report matching the query (its page ignored): read it
    /// with [`ReportService::next_chunk`]. Holds the matching ids (16 bytes a report), and one
    /// chunk at a time.
    pub async fn export(
        &self,
        query: &ReportQuery,
        chunk: usize,
        viewer: Viewer,
    ) -> Result<ExportCursor, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let ids = self
            .index
            .read()
            .matching_ids(query, text_matches.as_ref(), viewer);
        let by_id = ids.as_ref().is_some_and(|ids| ids.len() < self.len() / 20);
        Ok(ExportCursor {
            ids,
            by_id,
            position: 0,
            chunk: chunk.max(1),
            viewer,
        })
    }

    /// Runs an export on a task of its own, `ahead` chunks ahead of the receiver, so that
    /// reading the store overlaps with whatever the receiver does with each chunk (writing a
    /// file, serving a download).
    pub fn export_stream(
        self: &Arc<Self>,
        query: ReportQuery,
        chunk: usize,
        ahead: usize,
        viewer: Viewer,
    ) -> tokio::sync::mpsc::Receiver<Result<Vec<Report>, ServiceError>> {
        let (tx, rx) = tokio::sync::mpsc::channel(ahead.max(1));
        let service = self.clone();
        tokio::spawn(async move {
            let mut cursor = match service.export(&query, chunk, viewer).await {
                Ok(c) => c,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            loop {
                let next = service.next_chunk(&mut cursor).await;
                let done = matches!(next, Ok(None) | Err(_));
                let sent = match next {
                    Ok(Some(batch)) => tx.send(Ok(batch)).await,
                    Ok(None) => Ok(()),
                    Err(e) => tx.send(Err(e)).await,
                };
                if done || sent.is_err() {
                    return;
                }
            }
        });
        rx
    }

    /// Starts an export of serialised features when the feature cache holds nearly every
    /// matching report (a server that has been answering queries); `None` otherwise, when
    /// reading the store in its order ([`ReportService::export_stream`]) is faster. Runs on a
    /// task of its own, `ahead` chunks ahead of the receiver; the features come in id order;
    /// the few the cache lacks are read from the store (and not cached: an export must not
    /// evict what queries use).
    pub async fn export_features_stream(
        self: &Arc<Self>,
        query: ReportQuery,
        chunk: usize,
        ahead: usize,
        viewer: Viewer,
    ) -> Result<Option<FeatureChunks>, ServiceError> {
        if !self.features.is_enabled() {
            return Ok(None);
        }
        let text_matches = self.text_matches(&query).await?;
        let ids = {
            let index = self.index.read();
            index
                .matching_ids(&query, text_matches.as_ref(), viewer)
                .unwrap_or_else(|| index.all_ids())
        };
        if (self.features.len() as f64) < WARM_EXPORT_SHARE * ids.len() as f64 {
            return Ok(None);
        }
        let (tx, rx) = tokio::sync::mpsc::channel(ahead.max(1));
        let service = self.clone();
        tokio::spawn(async move {
            for ids in ids.chunks(chunk.max(1)) {
                let features = service
                    .cached_or_read(ids, false, viewer)
                    .await
                    .map(|f| f.into_iter().flatten().collect());
                let failed = features.is_err();
                if tx.send(features).await.is_err() || failed {
                    return;
                }
            }
        });
        Ok(Some(rx))
    }

    /// The features of `ids` as `viewer` may see them, in that order, from the cache or else
    /// the store (`None` for a report deleted meanwhile). With `keep`, what is read from the
    /// store is cached, unless a write raced the read or the report is private (the cache
    /// holds only features that every viewer sees alike).
    async fn cached_or_read(
        &self,
        ids: &[ReportId],
        keep: bool,
        viewer: Viewer,
    ) -> Result<Vec<Option<Arc<[u8]>>>, ServiceError> {
        let mut features: Vec<Option<Arc<[u8]>>> =
            ids.iter().map(|id| self.features.get(id)).collect();
        let missing: Vec<ReportId> = ids
            .iter()
            .zip(&features)
            .filter(|(_, f)| f.is_none())
            .map(|(id, _)| *id)
            .collect();
        if !missing.is_empty() {
            let writes_before = self.features.writes();
            let mut read: HashMap<ReportId, Arc<[u8]>> = self
                .store
                .get_many(missing)
                .await?
                .iter()
                .map(|report| {
                    let json: Arc<[u8]> =
                        crate::feature::plain_json(&report.seen_by(viewer)).into();
                    if keep && !report.is_private() {
                        self.features.put(report.id, json.clone(), writes_before);
                    }
                    (report.id, json)
                })
                .collect();
            for (id, slot) in ids.iter().zip(features.iter_mut()) {
                if slot.is_none() {
                    *slot = read.remove(id);
                }
            }
        }
        Ok(features)
    }

    /// The next chunk of an export, in storage order (or id order when few reports match);
    /// `None` at the end.
    pub async fn next_chunk(
        &self,
        cursor: &mut ExportCursor,
    ) -> Result<Option<Vec<Report>>, ServiceError> {
        if cursor.by_id {
            // A few matches: read just those.
            let ids = cursor.ids.as_deref().unwrap_or_default();
            let start = cursor.position as usize;
            if start >= ids.len() {
                return Ok(None);
            }
            let end = (start + cursor.chunk).min(ids.len());
            cursor.position = end as i64;
            let reports = self.store.get_many(ids[start..end].to_vec()).await?;
            return Ok(Some(seen_by(reports, cursor.viewer)));
        }
        // Many (or all): one pass over the store in its order, keeping the matches.
        loop {
            let rows = self.store.scan(cursor.position, cursor.chunk).await?;
            let Some(&(last, _)) = rows.last() else {
                return Ok(None);
            };
            cursor.position = last;
            let reports: Vec<Report> = rows
                .into_iter()
                .map(|(_, r)| r)
                .filter(|r| {
                    cursor
                        .ids
                        .as_ref()
                        .is_none_or(|ids| ids.binary_search(&r.id).is_ok())
                })
                .map(|r| r.into_seen_by(cursor.viewer))
                .collect();
            if !reports.is_empty() {
                return Ok(Some(reports));
            }
        }
    }

    /// Answers a query with one page of serialised features: from the feature cache where it
    /// has them, else read from the store (and cached unless a write raced the read).
    pub async fn query_features(
        &self,
        query: &ReportQuery,
        viewer: Viewer,
    ) -> Result<JsonFeaturePage, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let answer = self
            .index
            .read()
            .query(query, text_matches.as_ref(), viewer);
        let ids: Vec<ReportId> = answer.hits.iter().map(|hit| hit.id).collect();
        let features = self.cached_or_read(&ids, true, viewer).await?;
        // Reports deleted since the index answered are missing: left out.
        let features = answer
            .hits
            .iter()
            .zip(features)
            .filter_map(|(hit, json)| json.map(|json| (json, hit.distance_m)))
            .collect();
        Ok(JsonFeaturePage {
            matched: answer.matched,
            features,
        })
    }

    /// Answers a query with one page of reports, as `viewer` may see them.
    pub async fn query(
        &self,
        query: &ReportQuery,
        viewer: Viewer,
    ) -> Result<ReportPage, ServiceError> {
        let text_matches = self.text_matches(query).await?;
        let answer = self
            .index
            .read()
            .query(query, text_matches.as_ref(), viewer);
        let ids = answer.hits.iter().map(|h| h.id).collect();
        let reports = self.get_many(ids, viewer).await?;
        // Reports deleted since the index answered are missing from `reports`: walk both in step.
        let mut hits = answer.hits.iter();
        let mut found = Vec::with_capacity(reports.len());
        for report in reports {
            for hit in hits.by_ref() {
                if hit.id == report.id {
                    found.push(RankedReport {
                        distance_m: hit.distance_m,
                        report,
                    });
                    break;
                }
            }
        }
        Ok(ReportPage {
            matched: answer.matched,
            reports: found,
        })
    }
}
