//! The one apply step: every change to the live state (a create, an edit, a delete, an
//! import's batch, another instance's write read back by a catch-up) reaches the index and
//! the events here, in store version order, and is published here on the change feed.
//!
//! **Order.** The versions come from the store, and writes run concurrently, so two writes
//! may reach this step in the other order than the store gave them their versions. The step
//! keeps the last version applied behind one lock (`Feed::order`) and applies a write only if
//! its versions follow it directly. Otherwise some earlier version (another writer of this
//! process still on its way, or another instance's write) is missing: it reads the store's
//! change list from the last version applied, under the same lock, and applies what it lists,
//! the waiting write's own versions with it (the store commits in version order, so the list
//! holds every version up to the write's). A write whose versions a catch-up applied already
//! applies nothing more. So the index changes, and the feed publishes, in version order, each
//! version once.
//!
//! **Versions the feed skips.** The change list gives each report's latest state: a report
//! written twice by another instance between two catch-ups is published once, at its later
//! version. Every write of this process is published at its own version.
//!
//! **Cost.** With no subscriber nothing is built: the step applies the records as before and
//! moves a counter. A subscriber's views come from the index itself (a lookup by id before
//! and after each change), never from the store.

use super::*;
use crate::engine::events::EventChanges;
use crate::engine::index::ReportViews;
use std::collections::BTreeSet;
use tokio::sync::broadcast;

/// How many changes a subscriber may fall behind by; further behind, it receives
/// [`broadcast::error::RecvError::Lagged`] and must read the state again.
pub const FEED_CAPACITY: usize = 4096;

/// One store version's change to the live state, as the feed publishes it. It holds what a
/// reviewer may know: hand a public subscriber [`FeedChange::seen_by`] `Viewer::Public`.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedChange {
    /// The store version.
    pub version: i64,
    /// The report the version changed.
    pub report: ReportId,
    /// The report as each viewer class saw it before (`None`: it was not live).
    pub before: Option<ReportViews>,
    /// The report as each viewer class sees it after (`None`: it is not live, deleted).
    pub after: Option<ReportViews>,
    /// What the change did to the events. Empty for a report a bulk load keeps aside: its
    /// events are grouped when the load ends, with the index built in one pass.
    pub events: EventChanges,
    /// Reports in `events.moved` whose event the public is not told (private reports).
    hidden_moves: BTreeSet<ReportId>,
}

impl FeedChange {
    /// The change as `viewer` may know it: for the public, without exact locations and
    /// without the moves of private reports between events; a public subscriber learns
    /// nothing a public reader could not.
    pub fn seen_by(&self, viewer: Viewer) -> FeedChange {
        match viewer {
            Viewer::Exact => self.clone(),
            Viewer::Public => {
                let mut events = self.events.clone();
                events.moved.retain(|id| !self.hidden_moves.contains(id));
                FeedChange {
                    version: self.version,
                    report: self.report,
                    before: self.before.as_ref().map(ReportViews::public_only),
                    after: self.after.as_ref().map(ReportViews::public_only),
                    events,
                    hidden_moves: BTreeSet::new(),
                }
            }
        }
    }
}

/// How long a write of this process waits for the writes before it (of this process, as a
/// rule: the store's group commit answers a group's writers all at once, in any order) before
/// it reads the versions it lacks from the store.
const OWN_WRITES_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// The change feed: a bounded broadcast channel, and the last version applied.
pub(super) struct Feed {
    sender: broadcast::Sender<Arc<FeedChange>>,
    /// The last store version applied to the index and published; held while a batch is
    /// applied, so batches apply and publish one at a time, in version order.
    pub(super) order: tokio::sync::Mutex<i64>,
    /// Woken whenever the last version applied moves.
    advanced: tokio::sync::Notify,
    /// This process's writes between their store call and their apply step.
    in_flight: std::sync::atomic::AtomicUsize,
}

/// One of this process's writes on its way to the store and the apply step; counted while
/// it lives.
pub(super) struct InFlight<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Feed {
    pub(super) fn new(applied: i64) -> Self {
        Self {
            sender: broadcast::channel(FEED_CAPACITY).0,
            order: tokio::sync::Mutex::new(applied),
            advanced: tokio::sync::Notify::new(),
            in_flight: Default::default(),
        }
    }

    /// Counts a write of this process until the guard is dropped (after its apply step).
    pub(super) fn in_flight(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        InFlight(&self.in_flight)
    }
}

/// Changes to apply, each with its store version.
pub(super) enum Batch {
    /// New reports of this process's create or import: no feature is cached for them, and a
    /// bulk load keeps them aside.
    Inserted(Vec<IndexRecord>),
    /// Edits and deletes of this process, and whatever the store's change list holds.
    Changed(Vec<Change>),
}

impl Batch {
    fn versions(&self) -> impl Iterator<Item = i64> + '_ {
        let (a, b) = match self {
            Batch::Inserted(records) => (Some(records.iter().map(|r| r.version)), None),
            Batch::Changed(changes) => (None, Some(changes.iter().map(Change::version))),
        };
        a.into_iter().flatten().chain(b.into_iter().flatten())
    }

    /// Drops the changes at or before `applied`.
    fn after(&mut self, applied: i64) {
        match self {
            Batch::Inserted(records) => records.retain(|r| r.version > applied),
            Batch::Changed(changes) => changes.retain(|c| c.version() > applied),
        }
    }

    /// Whether a change places a private report (then what the public saw of it in any
    /// past may be hidden now).
    fn places_private(&self) -> bool {
        match self {
            Batch::Inserted(records) => records.iter().any(|r| r.exact.is_some()),
            Batch::Changed(changes) => changes
                .iter()
                .any(|c| matches!(c, Change::Upserted(r) if r.exact.is_some())),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Batch::Inserted(records) => records.is_empty(),
            Batch::Changed(changes) => changes.is_empty(),
        }
    }
}

impl ReportService {
    /// A receiver of every change applied after this call, in version order, with the last
    /// version applied before it: the subscriber's state is that version's plus what it
    /// receives. Changes carry what reviewers see: give a public subscriber
    /// [`FeedChange::seen_by`] `Viewer::Public`.
    pub async fn subscribe(&self) -> (broadcast::Receiver<Arc<FeedChange>>, i64) {
        // No batch is being applied while the lock is held.
        let order = self.feed.order.lock().await;
        (self.feed.sender.subscribe(), *order)
    }

    /// The last store version applied to the index and published, once every batch being
    /// applied now is.
    pub async fn applied_version(&self) -> i64 {
        *self.feed.order.lock().await
    }

    /// The last store version published, without waiting: it moves with every change to the
    /// live state, so it can tag what was computed from it (an ETag, say).
    pub fn live_version(&self) -> i64 {
        self.applied.load(Ordering::Acquire)
    }

    /// Applies a write of this process, whose store calls have returned: in version order
    /// after every earlier version (read from the store if they have not come yet).
    pub(super) async fn apply_own(&self, mut batch: Batch) {
        // The writes before this one are usually this process's own, answered by the same
        // group commit a moment apart: while others are on their way, wait for them (woken
        // as each is applied) rather than read them back from the store, up to
        // OWN_WRITES_WAIT.
        let deadline = tokio::time::Instant::now() + OWN_WRITES_WAIT;
        let mut applied = loop {
            let advanced = self.feed.advanced.notified();
            tokio::pin!(advanced);
            advanced.as_mut().enable();
            let applied = self.feed.order.lock().await;
            let next = batch.versions().min();
            // Only this write is on its way: what it lacks is another instance's.
            let alone = self.feed.in_flight.load(Ordering::Acquire) <= 1;
            if alone || next.is_none_or(|first| first <= *applied + 1) {
                break applied;
            }
            drop(applied);
            if tokio::time::timeout_at(deadline, advanced).await.is_err() {
                break self.feed.order.lock().await;
            }
        };
        batch.after(*applied);
        let follows = batch
            .versions()
            .enumerate()
            .all(|(i, v)| v == *applied + 1 + i as i64);
        if !follows {
            if let Err(e) = self.catch_up_locked(&mut applied).await {
                // The write is durable: the index must show it now. A later catch-up reads
                // it back and publishes it.
                tracing::warn!("cannot read earlier changes ({e}); applying a write out of order");
                batch.after(*applied);
                self.apply_unpublished(batch);
                return;
            }
            batch.after(*applied);
        }
        if !batch.is_empty() {
            self.apply_locked(&mut applied, batch);
        }
    }

    /// Applies the store's changes since the last version applied, publishing each; returns
    /// how many it read. The caller holds the order lock.
    pub(super) async fn catch_up_locked(&self, applied: &mut i64) -> Result<usize, StoreError> {
        let mut read = 0;
        loop {
            let changes = self
                .store
                .reader()
                .changes_since(*applied, CATCH_UP_BATCH)
                .await?;
            let batch = changes.len();
            if batch == 0 {
                return Ok(read);
            }
            self.apply_locked(applied, Batch::Changed(changes));
            read += batch;
            if batch < CATCH_UP_BATCH {
                return Ok(read);
            }
        }
    }

    /// Applies a batch in order, tells the feature cache, and publishes a change per version
    /// if anyone listens. The caller holds the order lock (`applied`).
    fn apply_locked(&self, applied: &mut i64, batch: Batch) {
        self.past.follow(batch.places_private(), self.now());
        let listened = self.feed.sender.receiver_count() > 0;
        let last = batch.versions().max();
        let mut published = Vec::new();
        match batch {
            Batch::Inserted(records) => {
                let mut bulk = self.bulk.lock();
                match bulk.as_mut() {
                    Some(kept) => {
                        if listened {
                            published.extend(records.iter().map(|r| FeedChange {
                                version: r.version,
                                report: r.id,
                                before: None,
                                after: Some(ReportViews::of(r)),
                                events: EventChanges::default(),
                                hidden_moves: BTreeSet::new(),
                            }));
                        }
                        kept.extend(records);
                    }
                    None => {
                        drop(bulk);
                        let mut index = self.index.write();
                        for record in records {
                            let (id, version) = (record.id, record.version);
                            let before = listened.then(|| index.views_of(&id)).flatten();
                            let events = index.upsert(record);
                            if listened {
                                published.push(described(&index, id, version, before, events));
                            }
                        }
                    }
                }
            }
            Batch::Changed(changes) => {
                for change in &changes {
                    self.features.forget(change.id());
                }
                let mut index = self.index.write();
                for change in changes {
                    let (id, version) = (*change.id(), change.version());
                    let before = listened.then(|| index.views_of(&id)).flatten();
                    let events = apply_one(&mut index, change);
                    if listened {
                        published.push(described(&index, id, version, before, events));
                    }
                }
            }
        }
        if let Some(last) = last {
            *applied = (*applied).max(last);
            self.applied.fetch_max(*applied, Ordering::AcqRel);
            self.feed.advanced.notify_waiters();
        }
        for change in published {
            // An error means every receiver has gone meanwhile.
            let _ = self.feed.sender.send(Arc::new(change));
        }
    }

    /// Applies a batch without publishing it (the store cannot say what came before it).
    fn apply_unpublished(&self, batch: Batch) {
        self.past.follow(batch.places_private(), self.now());
        match batch {
            Batch::Inserted(records) => {
                let mut index = self.index.write();
                for record in records {
                    index.upsert(record);
                }
            }
            Batch::Changed(changes) => {
                for change in &changes {
                    self.features.forget(change.id());
                }
                let mut index = self.index.write();
                for change in changes {
                    apply_one(&mut index, change);
                }
            }
        }
    }
}

/// Applies one change of the store's list to the index and the events.
pub(super) fn apply_one(index: &mut ViewIndex, change: Change) -> EventChanges {
    match change {
        Change::Upserted(record) => index.upsert(record),
        Change::Removed { id, version } => index.remove(&id, version),
    }
}

/// The feed's change for a version just applied: the report's views before and as the index
/// now holds it, and which moved reports the public is not told about.
fn described(
    index: &ViewIndex,
    report: ReportId,
    version: i64,
    before: Option<ReportViews>,
    events: EventChanges,
) -> FeedChange {
    let was_private = before.as_ref().is_some_and(ReportViews::is_private);
    let hidden_moves = events
        .moved
        .iter()
        .filter(|id| index.event_hidden_from_public(id) || (**id == report && was_private))
        .copied()
        .collect();
    FeedChange {
        version,
        report,
        before,
        after: index.views_of(&report),
        events,
        hidden_moves,
    }
}
