//! A past moment read through the live service (see [`crate::engine::index::PastIndex`]):
//! what [`super::ReportService::as_of`] answers with when few reports changed since, so
//! that its cost and memory follow the changes, not the store.
//!
//! The index side reads the live index without the changed reports and merges a small
//! index of their past forms. The store side ([`ThroughStore`]) reads the live store and
//! puts the past form in place of any report changed since (its newest time is later):
//! the past forms of the reports changed when the state was made are kept; one changed
//! later is read from its revisions. When the live index moves on, the state is made
//! again before the next read (a write of one report costs a state a few milliseconds).

use super::as_of::kept_private;
use super::*;
use crate::domain::text;
use crate::engine::index::{IndexRead, PastIndex};
use crate::engine::store::{HistoryStore, PastReport, ReportReader, past_of};
use std::collections::HashSet;
use std::sync::OnceLock;

/// At most this many reports changed since a moment for it to be read through the live
/// index; beyond, it is rebuilt whole from the revision history.
pub(super) const MAX_CHANGED: usize = 20_000;
/// At most this many reports placed in events again (each twice: back to the past and
/// forward again) for a moment to be read through the live index, which is held for writing
/// meanwhile (about a millisecond per thousand).
const MAX_PLACED: usize = 50_000;
/// How many times a read makes the state again when writes keep moving the live index on,
/// before it is refused as busy.
const ATTEMPTS: usize = 4;

/// A past state: its index over the live one, and the past forms of the reports changed
/// since the moment.
pub(super) struct PastState {
    pub(super) index: PastIndex,
    /// The changed reports that existed at the moment, as they may be shown then, with the
    /// version of their revision.
    reports: HashMap<ReportId, (Report, i64)>,
    /// Their search words, made at the first text query.
    words: OnceLock<Vec<(ReportId, String)>>,
}

impl PastState {
    /// An estimate of its memory, in bytes.
    pub(super) fn bytes(&self) -> usize {
        self.index.bytes() + self.reports.len() * 2_048
    }
}

/// What makes a past state, and the one made last.
pub(super) struct Through {
    at: Timestamp,
    live_index: Arc<RwLock<ViewIndex>>,
    store: Arc<dyn Store>,
    gazetteer: Option<Arc<dyn Gazetteer>>,
    current: parking_lot::Mutex<Arc<PastState>>,
    /// Held while the state is made again: reads that find it stale at once share one
    /// remaking.
    remaking: tokio::sync::Mutex<()>,
    /// Set when the state could not be made again (the changes since now re-group events
    /// widely): the kept state is dropped, and the moment rebuilt whole at its next read.
    given_up: std::sync::atomic::AtomicBool,
}

impl Through {
    /// A past moment's state over the live service, if few enough reports changed since and
    /// the live index held still long enough to make it.
    pub(super) async fn make(
        at: Timestamp,
        live_index: Arc<RwLock<ViewIndex>>,
        store: Arc<dyn Store>,
        gazetteer: Option<Arc<dyn Gazetteer>>,
    ) -> Result<Option<Self>, ServiceError> {
        let Some(state) = make_state(at, &live_index, &store, gazetteer.as_ref()).await? else {
            return Ok(None);
        };
        Ok(Some(Self {
            at,
            live_index,
            store,
            gazetteer,
            current: parking_lot::Mutex::new(Arc::new(state)),
            remaking: tokio::sync::Mutex::new(()),
            given_up: Default::default(),
        }))
    }

    /// The state made last.
    pub(super) fn current(&self) -> Arc<PastState> {
        self.current.lock().clone()
    }

    /// Calls `f` with the past read through the live index, making the state again first if
    /// the live index moved on.
    pub(super) async fn read<R>(&self, f: impl Fn(&dyn IndexRead) -> R) -> Result<R, ServiceError> {
        for _ in 0..ATTEMPTS {
            if let Some(answer) = self.answer(&f) {
                return Ok(answer);
            }
            let _remaking = self.remaking.lock().await;
            // Another read may have made it again meanwhile.
            if let Some(answer) = self.answer(&f) {
                return Ok(answer);
            }
            let made = make_state(
                self.at,
                &self.live_index,
                &self.store,
                self.gazetteer.as_ref(),
            )
            .await?;
            match made {
                Some(state) => *self.current.lock() = Arc::new(state),
                None => break,
            }
        }
        // Too many changes now, or writes kept coming while it was made: the next read of
        // the moment rebuilds it whole.
        self.given_up
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!(
            "the state as of {} could not be read through the present again: answered busy, \
             to be rebuilt whole",
            self.at
        );
        Err(ServiceError::PastBusy {
            retry_after: std::time::Duration::from_secs(1),
        })
    }

    /// Whether it could not be made again, and the moment must be rebuilt whole.
    pub(super) fn given_up(&self) -> bool {
        self.given_up.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `f`'s answer if the state made last still fits the live index.
    fn answer<R>(&self, f: &impl Fn(&dyn IndexRead) -> R) -> Option<R> {
        let live = self.live_index.read();
        let state = self.current();
        state.index.fits(&live).then(|| f(&state.index.over(&live)))
    }

    /// Calls `f` with the past read through the live index as the state made last sees it,
    /// even if the live index moved on since: for figures the state keeps itself (counts,
    /// extents), which a later write does not alter.
    pub(super) fn read_now<R>(&self, f: impl FnOnce(&dyn IndexRead) -> R) -> R {
        let live = self.live_index.read();
        let state = self.current();
        f(&state.index.over_any(&live))
    }
}

/// Makes the state of `at` over the live index: `None` if too many reports changed since,
/// or if the live index kept moving on while it was made.
async fn make_state(
    at: Timestamp,
    live_index: &Arc<RwLock<ViewIndex>>,
    store: &Arc<dyn Store>,
    gazetteer: Option<&Arc<dyn Gazetteer>>,
) -> Result<Option<PastState>, ServiceError> {
    for _ in 0..ATTEMPTS {
        // The revision first: a write the index applies after it is seen below.
        let revision = live_index.read().revision();
        let ids = store
            .changed_since(at)
            .await
            .map_err(|e| e.during("reading the reports changed since"))?;
        if ids.len() > MAX_CHANGED {
            tracing::info!(
                "{} reports changed since {at}: the past is rebuilt whole",
                ids.len()
            );
            return Ok(None);
        }
        let mut past: Vec<(ReportId, Option<(Report, i64)>)> = Vec::with_capacity(ids.len());
        for id in ids {
            let found = past_report(store.as_ref(), id, at, gazetteer).await?;
            past.push((id, found));
        }
        let index = live_index.clone();
        let changed: Vec<(ReportId, Option<IndexRecord>)> = past
            .iter()
            .map(|(id, p)| (*id, p.as_ref().map(|(r, v)| IndexRecord::of(r, *v))))
            .collect();
        let made = off_the_runtime("reading the past through the present failed", move || {
            // Judged under the read lock, so that reads go on meanwhile; then made under the
            // write lock, if no write came between.
            if !PastIndex::is_cheap(&index.read(), &changed, MAX_PLACED) {
                return Err(());
            }
            let mut live = index.write();
            Ok((live.revision() == revision).then(|| PastIndex::new(&mut live, changed)))
        })
        .await?;
        let Ok(made) = made else {
            tracing::info!(
                "the changes since {at} re-group events widely: the past is rebuilt whole"
            );
            return Ok(None);
        };
        match made {
            None => continue,
            Some(None) => {
                tracing::error!(
                    "the events as of {at} did not fit together: the past is rebuilt whole"
                );
                return Ok(None);
            }
            Some(Some(index)) => {
                let reports = past
                    .into_iter()
                    .filter_map(|(id, p)| Some((id, p?)))
                    .collect();
                return Ok(Some(PastState {
                    index,
                    reports,
                    words: OnceLock::new(),
                }));
            }
        }
    }
    Ok(None)
}

/// A report as it may be shown at `at` (see [`kept_private`]), from its revisions, with the
/// version of its revision then; `None` if it did not exist then.
async fn past_report(
    store: &dyn Store,
    id: ReportId,
    at: Timestamp,
    gazetteer: Option<&Arc<dyn Gazetteer>>,
) -> Result<Option<(Report, i64)>, ServiceError> {
    let revisions = HistoryStore::history(store, id)
        .await
        .map_err(|e| e.during("reading a report's history"))?;
    Ok(past_of(revisions, at).map(|p: PastReport| {
        let version = p.version;
        (kept_private(p, gazetteer.map(|g| g.as_ref())), version)
    }))
}

/// When a report last changed, or later: its newest revision is no later (see
/// [`HistoryStore::changed_since`]).
fn touched(report: &Report) -> Timestamp {
    report.reported_at.max(report.updated_at)
}

/// The store of a past moment read through the live one (see the module doc).
pub(super) struct ThroughStore {
    through: Arc<Through>,
    identity: String,
}

impl ThroughStore {
    pub(super) fn new(through: Arc<Through>) -> Self {
        let identity = format!("{} as of {}", through.store.identity(), through.at);
        Self { through, identity }
    }

    /// The reports of these ids as they stood at the moment, in the order asked; ids of
    /// reports that did not exist then are left out.
    async fn past_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        let through = &self.through;
        let state = through.current();
        let changed = state.index.changed();
        let ask: Vec<ReportId> = ids
            .iter()
            .filter(|id| !changed.contains(id))
            .copied()
            .collect();
        let mut live: HashMap<ReportId, Report> = through
            .store
            .get_many(ask)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if changed.contains(&id) {
                // Kept if it existed then.
                out.extend(state.reports.get(&id).map(|(r, _)| r.clone()));
                continue;
            }
            match live.remove(&id) {
                Some(report) if touched(&report) <= through.at => out.push(report),
                // Changed, or deleted, since the state was made: from its revisions.
                _ => out.extend(self.read_from_revisions(id).await?.map(|(r, _)| r)),
            }
        }
        Ok(out)
    }

    /// A report as it stood at the moment, from its revisions.
    async fn read_from_revisions(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError> {
        let through = &self.through;
        past_report(
            through.store.as_ref(),
            id,
            through.at,
            through.gazetteer.as_ref(),
        )
        .await
        .map_err(|e| match e {
            ServiceError::Store(e) => e,
            other => StoreError::internal(other.to_string()),
        })
    }
}

#[async_trait::async_trait]
impl ReportReader for ThroughStore {
    async fn get(&self, id: ReportId) -> Result<Option<(Report, i64)>, StoreError> {
        let state = self.through.current();
        if state.index.changed().contains(&id) {
            return Ok(state.reports.get(&id).cloned());
        }
        match self.through.store.get(id).await? {
            Some((report, version)) if touched(&report) <= self.through.at => {
                Ok(Some((report, version)))
            }
            _ => self.read_from_revisions(id).await,
        }
    }

    async fn get_many(&self, ids: Vec<ReportId>) -> Result<Vec<Report>, StoreError> {
        self.past_many(ids).await
    }

    async fn scan(&self, _: i64, _: usize) -> Result<Vec<(i64, Report)>, StoreError> {
        // Exports of a past moment read by id (see `ReportService::export`).
        Err(StoreError::internal(
            "a past moment read through the present is not scanned in storage order",
        ))
    }

    async fn text_matches(&self, words: String) -> Result<HashSet<ReportId>, StoreError> {
        let phrases = text::query_phrases(&words);
        let mut found = self.through.store.text_matches(words).await?;
        let state = self.through.current();
        found.retain(|id| !state.index.changed().contains(id));
        // The live matches of changed reports are left out by the index; their past forms'
        // are added.
        let past_words = state.words.get_or_init(|| {
            state
                .reports
                .iter()
                .map(|(id, (r, _))| (*id, text::searchable_words(&r.description)))
                .collect()
        });
        found.extend(
            past_words
                .iter()
                .filter(|(_, words)| text::matches(words, &phrases))
                .map(|(id, _)| *id),
        );
        Ok(found)
    }

    async fn index_records(&self) -> Result<Vec<IndexRecord>, StoreError> {
        Err(StoreError::internal(
            "a past moment read through the present has no records of its own",
        ))
    }

    fn identity(&self) -> &str {
        &self.identity
    }

    async fn last_version(&self) -> Result<i64, StoreError> {
        Ok(self.through.current().index.last_version())
    }

    async fn changes_since(&self, _: i64, _: usize) -> Result<Vec<Change>, StoreError> {
        Ok(Vec::new())
    }

    async fn count(&self) -> Result<u64, StoreError> {
        Ok(self.through.current().index.len() as u64)
    }

    fn describe(&self) -> String {
        format!(
            "the reports as of {}, read through the present",
            self.through.at
        )
    }
}
