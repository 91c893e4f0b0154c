//! The reports as the server knew them at a past moment (`as_of`), rebuilt from the revision
//! history into a service of their own, so that every read (pages, single reports, events,
//! layers, timelines, exports, OGC items) answers from the past exactly as it answers from the
//! present.
//!
//! What the public could not see then, it cannot see now, and what is hidden now stays
//! hidden in the past: a report private at that moment, or made private by any later
//! revision, is coarsened for the public (at the level asked for later, from the location it
//! had then).
//!
//! Rebuilt states are kept within a memory budget, the least recently used dropped first and
//! the newest always kept. A moment in the last minute may still gain revisions (a write in
//! flight on another instance), so its state is keyed by the store's last version as well;
//! every write that places a private report makes every kept state stale.

use super::backing::Backing;
use super::lifecycle::NO_SNAPSHOT;
use super::*;
use crate::domain::model::privacy;
use crate::engine::clock::ManualClock;
use crate::engine::store::PastReport;
use crate::engine::store::past::PastStore;

/// The memory kept past states may take unless [`ReportService::with_past_states`] sets
/// another budget.
pub const DEFAULT_PAST_STATES_BYTES: usize = 512 << 20;
/// The most past states kept at once.
const MAX_PAST_STATES: usize = 8;
/// Seconds within which a moment may still gain revisions.
const SETTLE_S: i64 = 60;
/// An estimate of the memory one report takes in a past state's indexes and events, bytes.
const INDEXED_BYTES_PER_REPORT: usize = 700;

/// What makes two past states the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PastKey {
    at: Timestamp,
    /// [`ViewIndex::private_writes`] of the live index when the state was built.
    private_writes: u64,
    /// The store's last version, for a moment that has not settled (else 0).
    last_version: i64,
}

/// Rebuilt past states, most recently used last.
pub(super) struct PastStates {
    budget_bytes: usize,
    kept: parking_lot::Mutex<Vec<(PastKey, Arc<ReportService>, usize)>>,
    /// One rebuild at a time: two requests for one moment share it, and memory holds at most
    /// one state being built.
    building: tokio::sync::Mutex<()>,
}

impl PastStates {
    pub(super) fn new(budget_bytes: usize) -> Self {
        Self {
            budget_bytes,
            kept: Default::default(),
            building: Default::default(),
        }
    }

    fn get(&self, key: &PastKey) -> Option<Arc<ReportService>> {
        let mut kept = self.kept.lock();
        let at = kept.iter().position(|(k, _, _)| k == key)?;
        let entry = kept.remove(at);
        let state = entry.1.clone();
        kept.push(entry);
        Some(state)
    }

    /// Keeps a state, dropping the least recently used ones beyond the budget. The newest is
    /// kept even alone over the budget (a million reports take more than the default), so
    /// that a cited moment is rebuilt once, not on every read; memory stays bounded by the
    /// larger of the budget and one state.
    fn keep(&self, key: PastKey, state: Arc<ReportService>, bytes: usize) {
        if self.budget_bytes == 0 {
            return;
        }
        let mut kept = self.kept.lock();
        kept.push((key, state, bytes));
        while kept.len() > 1
            && (kept.len() > MAX_PAST_STATES
                || kept.iter().map(|(_, _, b)| b).sum::<usize>() > self.budget_bytes)
        {
            kept.remove(0);
        }
    }

    /// Forgets every kept state.
    pub(super) fn clear(&self) {
        self.kept.lock().clear();
    }
}

/// A past report as it may be shown: coarsened for the public if it was private then or
/// was made private later.
fn kept_private(past: PastReport, gazetteer: Option<&dyn Gazetteer>) -> Report {
    let mut report = past.report;
    if report.public.is_none()
        && let Some(later) = past.later_public
    {
        let asked = later
            .location
            .public_precision
            .unwrap_or(later.location.precision);
        // Coarsened from the location it had then; if that cannot be done, the later public
        // view, which the public sees today anyway.
        let view = gazetteer
            .and_then(|g| privacy::public_view(&report.location, asked, g).ok())
            .map(Box::new)
            .unwrap_or(later);
        report.location.public_precision = Some(asked);
        report.public = Some(view);
    }
    report
}

impl ReportService {
    /// Sets the memory budget, in bytes, of the past states kept for `as_of` (0 keeps none).
    pub fn with_past_states(mut self, budget_bytes: usize) -> Self {
        self.past = PastStates::new(budget_bytes);
        self
    }

    /// The reports as the server knew them at `at`: a read-only service over the reports
    /// that existed then, with the fields they had then, rebuilt from the revision history
    /// (or kept from an earlier request).
    pub async fn as_of(&self, at: Timestamp) -> Result<Arc<ReportService>, ServiceError> {
        let settled = at.0 < self.now().0 - SETTLE_S;
        let private_writes = self.index.read().private_writes();
        let key = PastKey {
            at,
            private_writes,
            last_version: if settled {
                0
            } else {
                self.store
                    .reader()
                    .last_version()
                    .await
                    .map_err(|e| e.during("reading the last version"))?
            },
        };
        if let Some(state) = self.past.get(&key) {
            return Ok(state);
        }
        let _one_at_a_time = self.past.building.lock().await;
        if let Some(state) = self.past.get(&key) {
            return Ok(state);
        }
        let started = std::time::Instant::now();
        let (state, bytes) = self.rebuild_as_of(at).await?;
        let state = Arc::new(state);
        tracing::info!(
            "rebuilt the {} reports as of {at} in {:.3} s (about {} MiB)",
            state.len(),
            started.elapsed().as_secs_f64(),
            bytes >> 20
        );
        self.past.keep(key, state.clone(), bytes);
        Ok(state)
    }

    /// A service over the reports as they stood at `at`, and an estimate of its memory.
    async fn rebuild_as_of(&self, at: Timestamp) -> Result<(ReportService, usize), ServiceError> {
        let past = self
            .store
            .live()?
            .reports_as_of(at)
            .await
            .map_err(|e| e.during("reading the past"))?;
        let gazetteer = self.gazetteer.clone();
        let settings = *self.index.read().events().settings();
        let identity = self.store.reader().identity().to_string();
        let built = off_the_runtime("rebuilding the past failed", move || {
            let reports: Vec<(Report, i64)> = past
                .into_iter()
                .map(|p| {
                    let version = p.version;
                    (kept_private(p, gazetteer.as_deref()), version)
                })
                .collect();
            let records = reports
                .iter()
                .map(|(r, version)| IndexRecord::of(r, *version))
                .collect();
            let last_version = reports.iter().map(|(_, v)| *v).max().unwrap_or(0);
            let count = reports.len();
            let index = ViewIndex::build_grouped_by(records, settings);
            let store = PastStore::new(at, &identity, reports);
            let bytes = store.bytes() + count * INDEXED_BYTES_PER_REPORT;
            let service = ReportService::with_index(
                Backing::Past(Arc::new(store)),
                gazetteer,
                index,
                NO_SNAPSHOT,
                last_version,
            )
            .with_feature_cache(0)
            .with_past_states(0)
            // The past's time is its moment: what its answers are stamped with.
            .with_clock(Arc::new(ManualClock::at(at)));
            (service, bytes)
        })
        .await?;
        Ok(built)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> Arc<ReportService> {
        let store = PastStore::new(Timestamp(0), "test", Vec::new());
        Arc::new(ReportService::with_index(
            Backing::Past(Arc::new(store)),
            None,
            ViewIndex::default(),
            NO_SNAPSHOT,
            0,
        ))
    }

    fn key(at: i64) -> PastKey {
        PastKey {
            at: Timestamp(at),
            private_writes: 0,
            last_version: 0,
        }
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_newest_stays_even_over_the_budget() {
        let states = PastStates::new(100);
        states.keep(key(1), state(), 40);
        states.keep(key(2), state(), 40);
        assert!(states.get(&key(1)).is_some(), "both fit");
        // 1 was used last: 2 goes.
        states.keep(key(3), state(), 40);
        assert!(states.get(&key(2)).is_none());
        assert!(states.get(&key(1)).is_some() && states.get(&key(3)).is_some());
        // A state over the budget is kept alone.
        states.keep(key(4), state(), 1_000);
        assert!(states.get(&key(4)).is_some());
        assert!(states.get(&key(1)).is_none() && states.get(&key(3)).is_none());
        // No more than MAX_PAST_STATES however small.
        let many = PastStates::new(usize::MAX);
        for at in 0..20 {
            many.keep(key(at), state(), 1);
        }
        assert_eq!(many.kept.lock().len(), MAX_PAST_STATES);
        assert!(many.get(&key(19)).is_some() && many.get(&key(0)).is_none());
        // A budget of 0 keeps nothing.
        let none = PastStates::new(0);
        none.keep(key(1), state(), 1);
        assert!(none.get(&key(1)).is_none());
    }
}
