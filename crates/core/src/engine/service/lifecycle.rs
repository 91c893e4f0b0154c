//! The index's life cycle beside the store: snapshots, catching up with and following
//! other instances' writes, and bulk loads.

use super::*;

/// A snapshot version meaning "none loaded or written".
pub(super) const NO_SNAPSHOT: i64 = -1;

/// Changes read at a time when catching up.
pub(super) const CATCH_UP_BATCH: usize = 10_000;

/// How often an instance on a shared store catches up when no notice comes.
pub const FOLLOW_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Most changes replayed onto a snapshot; with more, reading the whole store is as quick.
pub(super) const MAX_REPLAY: usize = 100_000;

/// Builds the index from every live report in the store, storing the relations of reports
/// written before they were kept.
pub(super) async fn build_from_store(
    store: &Arc<dyn Store>,
    gazetteer: Option<Arc<dyn Gazetteer>>,
    events: EventSettings,
) -> Result<ViewIndex, StoreError> {
    let started = std::time::Instant::now();
    let mut records = store.index_records().await?;
    tracing::debug!(
        records = records.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read the index records"
    );
    let (index, missing) = off_the_runtime("index build failed", move || {
        let missing = gazetteer
            .map(|g| fill_missing_relations(&mut records, g.as_ref()))
            .unwrap_or_default();
        (ViewIndex::build_grouped_by(records, events), missing)
    })
    .await?;
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
pub(super) async fn load_snapshot(
    store: &Arc<dyn Store>,
    path: &Path,
    settings: EventSettings,
) -> Result<Option<(ViewIndex, i64, i64)>, StoreError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot open the index snapshot: {e}");
            return Ok(None);
        }
    };
    let started = std::time::Instant::now();
    let read = off_the_runtime("reading the index snapshot failed", move || {
        Snapshot::read(std::io::BufReader::with_capacity(1 << 20, file))
    })
    .await?;
    let mut snapshot = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(path = %path.display(), "{e}; rebuilding the index from the store");
            return Ok(None);
        }
    };
    let stamp = snapshot.stamp.clone();
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
    let private = snapshot.private_entries();
    let versions: HashMap<ReportId, i64> = private.iter().copied().collect();
    let private_records: Vec<IndexRecord> = store
        .get_many(private.into_iter().map(|(id, _)| id).collect())
        .await?
        .iter()
        .map(|report| IndexRecord::of(report, versions[&report.id]))
        .collect();
    let exact = private_records
        .iter()
        .filter_map(|record| record.exact.as_deref().cloned())
        .collect();
    tracing::debug!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "read the index snapshot"
    );
    // The index is built and the events restored side by side.
    let (public, events) = off_the_runtime("event build failed", move || {
        let mut members = snapshot.public_members();
        members.extend(
            private_records
                .iter()
                .map(crate::engine::events::Member::of),
        );
        let saved = snapshot.take_saved();
        let (events, public) = crate::engine::parallel::side_by_side(
            move || {
                let events = saved.into_events(settings, members);
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "restored the events"
                );
                events
            },
            || {
                let public = snapshot.build_index();
                tracing::debug!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "built the index"
                );
                public
            },
        );
        (public, events)
    })
    .await?;
    let public = match public {
        Ok(public) => public,
        Err(e) => {
            tracing::warn!(path = %path.display(), "{e}; rebuilding the index from the store");
            return Ok(None);
        }
    };
    let mut index = ViewIndex::from_parts(public, exact, events);
    // What only later requests read is made now, beside the last steps of the start.
    index.events().begin_background();
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
pub(super) fn apply_changes(index: &mut ViewIndex, changes: Vec<Change>) {
    // Before the service exists: nobody can subscribe to these yet.
    for change in changes {
        super::apply::apply_one(index, change);
    }
}

/// Writes a snapshot beside `path`, makes it durable, and renames it to `path`.
pub(super) fn write_snapshot_file(
    index: &ViewIndex,
    stamp: &SnapshotStamp,
    path: &Path,
) -> std::io::Result<()> {
    // Named for this process: instances sharing a data directory never write one file.
    let temporary = path.with_extension(format!("tmp.{}", std::process::id()));
    let file = std::fs::File::create(&temporary)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    index
        .public()
        .write_snapshot(stamp, index.events(), &mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&temporary, path)
}

impl ReportService {
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
            store: self.store.reader().identity().to_string(),
            version,
        };
        let (service, path) = (self.clone(), path.to_path_buf());
        tokio::task::spawn_blocking(move || {
            // Held until the file is in place, even if the caller stops waiting.
            let _writes = writes;
            write_snapshot_file(&service.index.read(), &stamp, &path)?;
            service.snapshot_version.store(version, Ordering::Release);
            Ok::<_, std::io::Error>(())
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok(true)
    }

    /// Applies the store's changes since the last version applied (other instances' writes
    /// on a shared store), through the one apply step, which publishes each on the feed.
    /// Returns how many changes it read.
    pub async fn catch_up(&self) -> Result<usize, StoreError> {
        let mut applied = self.feed.order.lock().await;
        self.catch_up_locked(&mut applied).await
    }

    /// Follows other instances' writes on a shared store for as long as it runs: on each
    /// notice from the store and at least every [`FOLLOW_EVERY`] it catches up, so a write
    /// through any instance shows here within that time even if a notice is lost. Returns at
    /// once for a store that only this process writes.
    pub async fn follow(self: Arc<Self>) {
        let mut subscription = match self.store.reader().subscribe().await {
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
                    subscription = self.store.reader().subscribe().await.ok().flatten();
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
        let settings = *self.index.read().events().settings();
        let index =
            tokio::task::spawn_blocking(move || ViewIndex::build_grouped_by(records, settings))
                .await
                .map_err(|e| format!("building the index after a bulk load failed: {e}"))?;
        *self.index.write() = index;
        self.past.clear();
        Ok(())
    }
}
