//! The reports as the server knew them at a past moment (`as_of`), as a service of their
//! own, so that every read (pages, single reports, events, layers, timelines, exports, OGC
//! items) answers from the past exactly as it answers from the present. When few reports
//! changed since the moment, the past is read through the live index and store with the
//! changed reports put back as they were (see [`super::through`]): its cost and memory
//! follow the changes. Otherwise (many changes, or changes that re-group events widely) it
//! is rebuilt whole from the revision history.
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
//!
//! Rebuilds are bounded (see [`super::past_rebuilds`]): a few at once, a few more waiting,
//! the rest refused; reads of one moment share one rebuild.

use super::backing::Backing;
use super::lifecycle::NO_SNAPSHOT;
use super::past_rebuilds::{Admitted, PastRebuilds, Rebuilds};
use super::through::{Through, ThroughStore};
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

/// Rebuilt past states, most recently used last, each kept until the change feed says it
/// may differ ([`PastStates::follow`]).
pub(super) struct PastStates {
    budget_bytes: usize,
    /// Whether a moment with few changes since is read through the live index (always,
    /// but for tests that compare both ways).
    through: std::sync::atomic::AtomicBool,
    kept: parking_lot::Mutex<Kept>,
    /// The rebuilds under way and waiting, and the reads that share them.
    rebuilds: Rebuilds,
}

/// The kept states, by moment, and how many changes have dropped them: a state built while
/// a change was applied is not kept.
#[derive(Default)]
struct Kept {
    states: Vec<(Timestamp, Arc<ReportService>, usize)>,
    /// Changes applied: each may add a revision to a moment that has not settled.
    changes: u64,
    /// Changes that placed a private report: each may hide a point in every past.
    private_changes: u64,
}

/// What the feed had applied when a rebuild began.
#[derive(Debug, Clone, Copy)]
struct Seen {
    changes: u64,
    private_changes: u64,
}

impl PastStates {
    pub(super) fn new(budget_bytes: usize, rebuilds: Rebuilds) -> Self {
        Self {
            budget_bytes,
            through: std::sync::atomic::AtomicBool::new(true),
            kept: Default::default(),
            rebuilds,
        }
    }

    fn get(&self, at: Timestamp) -> Option<Arc<ReportService>> {
        let states = &mut self.kept.lock().states;
        // A state read through the present that could not be made again is rebuilt whole.
        states.retain(|(_, state, _)| !state.through.as_ref().is_some_and(|t| t.given_up()));
        let i = states.iter().position(|(t, _, _)| *t == at)?;
        let entry = states.remove(i);
        let state = entry.1.clone();
        states.push(entry);
        Some(state)
    }

    fn seen(&self) -> Seen {
        let kept = self.kept.lock();
        Seen {
            changes: kept.changes,
            private_changes: kept.private_changes,
        }
    }

    /// Follows the change feed: a batch of changes applied at `now` drops the states of the
    /// moments that may still gain its revisions (within [`SETTLE_S`] of it), and every state
    /// if it placed a private report (what is hidden now stays hidden in every past).
    pub(super) fn follow(&self, private: bool, now: Timestamp) {
        let mut kept = self.kept.lock();
        kept.changes += 1;
        if private {
            kept.private_changes += 1;
            kept.states.clear();
        } else {
            kept.states.retain(|(at, _, _)| settled(*at, now));
        }
    }

    /// Keeps a state, dropping the least recently used ones beyond the budget. The newest is
    /// kept even alone over the budget (a million reports take more than the default), so
    /// that a cited moment is rebuilt once, not on every read; memory stays bounded by the
    /// larger of the budget and one state. Not kept if the feed applied a change since `seen`
    /// that could have altered it (`settled`: whether its moment can gain revisions no more).
    fn keep(
        &self,
        at: Timestamp,
        state: Arc<ReportService>,
        bytes: usize,
        seen: Seen,
        settled: bool,
    ) {
        if self.budget_bytes == 0 {
            return;
        }
        let mut kept = self.kept.lock();
        if kept.private_changes != seen.private_changes
            || (!settled && kept.changes != seen.changes)
        {
            return;
        }
        let states = &mut kept.states;
        states.push((at, state, bytes));
        while states.len() > 1
            && (states.len() > MAX_PAST_STATES
                || states.iter().map(|(_, _, b)| b).sum::<usize>() > self.budget_bytes)
        {
            states.remove(0);
        }
    }

    /// Forgets every kept state.
    pub(super) fn clear(&self) {
        self.kept.lock().states.clear();
    }
}

/// Whether a moment can gain no more revisions: it lies more than [`SETTLE_S`] before `now`
/// (writes are stamped with their instance's clock, which may run a little behind).
fn settled(at: Timestamp, now: Timestamp) -> bool {
    at.0 < now.0 - SETTLE_S
}

/// A past report as it may be shown: coarsened for the public if it was private then or
/// was made private later.
pub(super) fn kept_private(past: PastReport, gazetteer: Option<&dyn Gazetteer>) -> Report {
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
        self.past = Arc::new(PastStates::new(budget_bytes, self.past.rebuilds.fresh()));
        self
    }

    /// Sets how many past states are rebuilt at once (at least 1) and how many more
    /// rebuilds may wait for a turn; a read that would start one more is refused with
    /// [`ServiceError::PastBusy`]. See [`super::past_rebuilds`].
    pub fn with_past_rebuilds(mut self, at_once: usize, waiting: usize) -> Self {
        self.past = Arc::new(PastStates::new(
            self.past.budget_bytes,
            Rebuilds::new(at_once, waiting),
        ));
        self
    }

    /// Whether a moment with few reports changed since is read through the live index
    /// (true, the default) or rebuilt whole from the revision history: for tests that
    /// compare both ways.
    #[doc(hidden)]
    pub fn read_past_through(&self, on: bool) {
        self.past
            .through
            .store(on, std::sync::atomic::Ordering::Relaxed);
        self.past.clear();
    }

    /// Whether this is a past moment read through the live index (see
    /// [`Self::read_past_through`]).
    #[doc(hidden)]
    pub fn reads_through_the_present(&self) -> bool {
        self.through.is_some()
    }

    /// Whether a read of `at` would be answered without a rebuild of its own: its state is
    /// kept, or another read is rebuilding it.
    pub fn past_at_hand(&self, at: Timestamp) -> bool {
        self.past
            .kept
            .lock()
            .states
            .iter()
            .any(|(t, _, _)| *t == at)
            || self.past.rebuilds.in_flight(at)
    }

    /// What the past's rebuilds are doing now.
    pub fn past_rebuilds(&self) -> PastRebuilds {
        self.past.rebuilds.load()
    }

    /// For tests: holds every past rebuild before it starts (with its place and turn taken)
    /// until the guard is dropped, so that a test can keep one in progress without timing.
    #[doc(hidden)]
    pub async fn pause_past_rebuilds(&self) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        self.past.rebuilds.pause().await
    }

    /// The reports as the server knew them at `at`: a read-only service over the reports
    /// that existed then, with the fields they had then, rebuilt from the revision history
    /// (or kept from an earlier request, or shared with a read rebuilding it now). Refused
    /// with [`ServiceError::PastBusy`] when it needs a rebuild and every place is taken.
    pub async fn as_of(&self, at: Timestamp) -> Result<Arc<ReportService>, ServiceError> {
        if let Some(state) = self.past.get(at) {
            return Ok(state);
        }
        let (flight, _joined) = self.past.rebuilds.flight(at);
        let state = flight
            .get_or_try_init(|| self.rebuild_in_turn(at))
            .await?
            .clone();
        self.past.rebuilds.landed(at, &flight);
        Ok(state)
    }

    /// Takes a place and waits for a turn, then rebuilds `at` in a task of its own, which
    /// holds both until it is done (the work cannot be stopped half way) and keeps its state
    /// even if every read of it went away.
    async fn rebuild_in_turn(&self, at: Timestamp) -> Result<Arc<ReportService>, ServiceError> {
        let admitted: Admitted = self.past.rebuilds.admit(self.len()).await?;
        // A rebuild of the moment that ended while this one waited may have kept it.
        if let Some(state) = self.past.get(at) {
            return Ok(state);
        }
        let through = self
            .past
            .through
            .load(std::sync::atomic::Ordering::Relaxed)
            .then(|| self.index.clone());
        let job = Rebuild {
            at,
            through,
            store: self.store.live()?.clone(),
            gazetteer: self.gazetteer.clone(),
            settings: *self.index.read().events().settings(),
            identity: self.store.reader().identity().to_string(),
        };
        let settled = settled(at, self.now());
        let past = self.past.clone();
        tokio::spawn(async move {
            let _admitted = admitted;
            past.rebuilds.go().await;
            // What the feed has applied: a state built while it applies more is not kept.
            let seen = past.seen();
            let started = std::time::Instant::now();
            let (state, bytes) = job.run().await?;
            let state = Arc::new(state);
            let took = started.elapsed();
            past.rebuilds.finished(took, state.len());
            tracing::info!(
                "made the state of the {} reports as of {at} in {:.3} s (about {} MiB, {})",
                state.len(),
                took.as_secs_f64(),
                bytes >> 20,
                match state.reads_through_the_present() {
                    true => "read through the present",
                    false => "rebuilt whole from the revision history",
                }
            );
            past.keep(at, state.clone(), bytes, seen, settled);
            Ok(state)
        })
        .await
        .map_err(|e| {
            StoreError::internal(crate::engine::store::Failure::caused(
                "rebuilding the past failed",
                e,
            ))
        })?
    }
}

/// What rebuilding a past state needs, taken from the present.
struct Rebuild {
    at: Timestamp,
    /// The live index, to read the past through if few reports changed since.
    through: Option<Arc<RwLock<ViewIndex>>>,
    store: Arc<dyn Store>,
    gazetteer: Option<Arc<dyn Gazetteer>>,
    settings: EventSettings,
    identity: String,
}

impl Rebuild {
    /// A service over the reports as they stood at the moment, and an estimate of its
    /// memory.
    async fn run(self) -> Result<(ReportService, usize), ServiceError> {
        let Rebuild {
            at,
            through,
            store,
            gazetteer,
            settings,
            identity,
        } = self;
        if let Some(live_index) = through
            && let Some(through) =
                Through::make(at, live_index, store.clone(), gazetteer.clone()).await?
        {
            let through = Arc::new(through);
            let state = through.current();
            let reader = ThroughStore::new(through.clone());
            let mut service = ReportService::with_index(
                Backing::Past(Arc::new(reader)),
                gazetteer,
                ViewIndex::default(),
                NO_SNAPSHOT,
                state.index.last_version(),
            )
            .with_feature_cache(0)
            .with_past_states(0)
            .with_clock(Arc::new(ManualClock::at(at)));
            service.through = Some(through);
            return Ok((service, state.bytes()));
        }
        let past = store
            .reports_as_of(at)
            .await
            .map_err(|e| e.during("reading the past"))?;
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

    fn keep(states: &PastStates, at: i64, bytes: usize) {
        states.keep(Timestamp(at), state(), bytes, states.seen(), true);
    }

    fn has(states: &PastStates, at: i64) -> bool {
        states.get(Timestamp(at)).is_some()
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_newest_stays_even_over_the_budget() {
        let states = PastStates::new(100, Rebuilds::new(1, 0));
        keep(&states, 1, 40);
        keep(&states, 2, 40);
        assert!(has(&states, 1), "both fit");
        // 1 was used last: 2 goes.
        keep(&states, 3, 40);
        assert!(!has(&states, 2));
        assert!(has(&states, 1) && has(&states, 3));
        // A state over the budget is kept alone.
        keep(&states, 4, 1_000);
        assert!(has(&states, 4));
        assert!(!has(&states, 1) && !has(&states, 3));
        // No more than MAX_PAST_STATES however small.
        let many = PastStates::new(usize::MAX, Rebuilds::new(1, 0));
        for at in 0..20 {
            keep(&many, at, 1);
        }
        assert_eq!(many.kept.lock().states.len(), MAX_PAST_STATES);
        assert!(has(&many, 19) && !has(&many, 0));
        // A budget of 0 keeps nothing.
        let none = PastStates::new(0, Rebuilds::new(1, 0));
        keep(&none, 1, 1);
        assert!(!has(&none, 1));
    }

    #[test]
    fn the_feed_drops_what_a_change_may_alter_and_a_rebuild_it_overtook() {
        let now = Timestamp(10_000);
        let states = PastStates::new(usize::MAX, Rebuilds::new(1, 0));
        keep(&states, 1_000, 1);
        keep(&states, 9_990, 1);
        // A change: the moment within a minute of it may gain its revision; the old one not.
        states.follow(false, now);
        assert!(has(&states, 1_000) && !has(&states, 9_990));
        // A private report placed: every past may hide it now.
        states.follow(true, now);
        assert!(!has(&states, 1_000));
        // A rebuild that a change overtook is not kept: unsettled after any change, settled
        // after a private one.
        let seen = states.seen();
        states.follow(false, now);
        states.keep(Timestamp(9_990), state(), 1, seen, false);
        states.keep(Timestamp(1_000), state(), 1, seen, true);
        assert!(!has(&states, 9_990) && has(&states, 1_000));
        let seen = states.seen();
        states.follow(true, now);
        states.keep(Timestamp(2_000), state(), 1, seen, true);
        assert!(!has(&states, 2_000));
    }
}
