//! How many past states (`as_of`) are rebuilt at once, how many more may wait their turn,
//! and the reads that share one rebuild.
//!
//! A rebuild reads the whole revision history and builds a service over it: about a second
//! of one core per 100,000 reports. Without a bound, reads of distinct moments queue behind
//! one another without end, so that one client can keep every cited link waiting. Here a
//! rebuild needs a *place* (at most `at_once + waiting` of them: it is refused at once with
//! [`ServiceError::PastBusy`] when none is free) and then a *turn* (at most `at_once`). Both
//! are semaphore permits held by the read's future while it waits, so a read whose client
//! goes away gives its place back; once its turn comes the rebuild runs in a task of its
//! own, which holds both until the work (which cannot be stopped half way) is done.
//!
//! Reads of a moment already being rebuilt wait for that rebuild (a [`Flight`]) without
//! taking a place; if the read that started it goes away before its turn, one of them takes
//! it over.

use super::ReportService;
use super::ServiceError;
use crate::domain::model::Timestamp;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, RwLock, Semaphore};

/// Past states rebuilt at once unless [`ReportService::with_past_rebuilds`] sets another
/// number: one core of two.
pub const DEFAULT_PAST_REBUILDS: usize = 1;
/// Rebuilds that may wait for a turn unless [`ReportService::with_past_rebuilds`] sets
/// another number; more are refused with [`ServiceError::PastBusy`].
pub const DEFAULT_PAST_REBUILD_QUEUE: usize = 2;
/// What a rebuild is guessed to take per report before one has been timed (about a second
/// per 100,000 reports).
const GUESS_PER_REPORT: Duration = Duration::from_micros(10);

/// One moment being rebuilt: every read of it waits for the same state.
pub(super) type Flight = tokio::sync::OnceCell<Arc<ReportService>>;

/// What the past's rebuilds are doing (see [`ReportService::past_rebuilds`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastRebuilds {
    /// Rebuilds running or waiting for their turn (each holds a place).
    pub admitted: usize,
    /// Reads waiting for a rebuild that another read started.
    pub joined: usize,
    /// Rebuilds finished since the service started.
    pub done: u64,
}

/// The places, turns and flights of the past's rebuilds.
pub(super) struct Rebuilds {
    at_once: usize,
    waiting: usize,
    places: Arc<Semaphore>,
    turns: Arc<Semaphore>,
    flights: parking_lot::Mutex<HashMap<Timestamp, Weak<Flight>>>,
    joined: AtomicUsize,
    done: AtomicU64,
    /// How long the last rebuild took, and of how many reports.
    last: parking_lot::Mutex<Option<(Duration, usize)>>,
    /// Taken for reading by every rebuild before it starts; a test takes it for writing to
    /// hold rebuilds in progress (see [`ReportService::pause_past_rebuilds`]).
    hold: Arc<RwLock<()>>,
}

/// A place and a turn: what a running rebuild holds until it is done.
pub(super) struct Admitted {
    _place: OwnedSemaphorePermit,
    _turn: OwnedSemaphorePermit,
}

/// Counts a read among [`PastRebuilds::joined`] while it lives.
pub(super) struct Joined<'a>(&'a AtomicUsize);

impl Drop for Joined<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Rebuilds {
    /// `at_once` rebuilds at a time (at least 1) and `waiting` more in line.
    pub(super) fn new(at_once: usize, waiting: usize) -> Self {
        let at_once = at_once.max(1);
        Self {
            at_once,
            waiting,
            places: Arc::new(Semaphore::new(at_once + waiting)),
            turns: Arc::new(Semaphore::new(at_once)),
            flights: Default::default(),
            joined: Default::default(),
            done: Default::default(),
            last: Default::default(),
            hold: Default::default(),
        }
    }

    /// The same bounds, with no rebuild and no flight.
    pub(super) fn fresh(&self) -> Self {
        Self::new(self.at_once, self.waiting)
    }

    /// The flight of `at`, started now if there is none; if it was already there, the
    /// read is counted as joined while the guard lives.
    pub(super) fn flight(&self, at: Timestamp) -> (Arc<Flight>, Option<Joined<'_>>) {
        let mut flights = self.flights.lock();
        if let Some(flight) = flights.get(&at).and_then(Weak::upgrade) {
            self.joined.fetch_add(1, Ordering::Relaxed);
            return (flight, Some(Joined(&self.joined)));
        }
        // Forget the flights every read of which went away.
        flights.retain(|_, f| f.strong_count() > 0);
        let flight = Arc::new(Flight::new());
        flights.insert(at, Arc::downgrade(&flight));
        (flight, None)
    }

    /// Forgets the flight of `at` once its state is there (kept, or handed to its readers).
    pub(super) fn landed(&self, at: Timestamp, flight: &Arc<Flight>) {
        let mut flights = self.flights.lock();
        if flights
            .get(&at)
            .is_some_and(|f| std::ptr::eq(f.as_ptr(), Arc::as_ptr(flight)))
        {
            flights.remove(&at);
        }
    }

    /// Whether `at` is being rebuilt.
    pub(super) fn in_flight(&self, at: Timestamp) -> bool {
        self.flights
            .lock()
            .get(&at)
            .is_some_and(|f| f.strong_count() > 0)
    }

    /// A place now (or [`ServiceError::PastBusy`]), then a turn when one is free. Both are
    /// given back if the future is dropped while waiting. `reports`: how many the present
    /// holds, to guess a rebuild's time before one was timed.
    pub(super) async fn admit(&self, reports: usize) -> Result<Admitted, ServiceError> {
        let place = self.places.clone().try_acquire_owned().map_err(|_| {
            let retry_after = self.retry_after(reports);
            tracing::warn!(
                "every place for rebuilding a past state is taken: answered busy, retry in {} s",
                retry_after.as_secs()
            );
            ServiceError::PastBusy { retry_after }
        })?;
        let turn = self
            .turns
            .clone()
            .acquire_owned()
            .await
            .expect("the turns are never closed");
        Ok(Admitted {
            _place: place,
            _turn: turn,
        })
    }

    /// Waits while a test holds rebuilds (see [`ReportService::pause_past_rebuilds`]).
    pub(super) async fn go(&self) {
        drop(self.hold.read().await);
    }

    /// Notes a rebuild's time.
    pub(super) fn finished(&self, took: Duration, reports: usize) {
        *self.last.lock() = Some((took, reports));
        self.done.fetch_add(1, Ordering::Relaxed);
    }

    /// When a refused read might find a place: every admitted rebuild done, `at_once` at a
    /// time, each taking as long as the last one did (scaled to the reports there are now),
    /// at least a second.
    fn retry_after(&self, reports: usize) -> Duration {
        let each = match *self.last.lock() {
            Some((took, then)) if then > 0 => took.mul_f64(reports.max(1) as f64 / then as f64),
            Some((took, _)) => took,
            None => GUESS_PER_REPORT * u32::try_from(reports).unwrap_or(u32::MAX),
        };
        let rounds = (self.at_once + self.waiting).div_ceil(self.at_once);
        let wait = each * u32::try_from(rounds).unwrap_or(u32::MAX);
        Duration::from_secs(wait.as_secs_f64().ceil().max(1.0) as u64)
    }

    /// What the rebuilds are doing.
    pub(super) fn load(&self) -> PastRebuilds {
        PastRebuilds {
            admitted: self.at_once + self.waiting - self.places.available_permits(),
            joined: self.joined.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
        }
    }

    /// Holds every rebuild before it starts until the guard drops.
    pub(super) async fn pause(&self) -> tokio::sync::OwnedRwLockWriteGuard<()> {
        self.hold.clone().write_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_place_is_given_back_by_a_read_dropped_while_it_waits_for_its_turn() {
        let rebuilds = Rebuilds::new(1, 1);
        let running = rebuilds.admit(0).await.unwrap();
        let mut waiting = Box::pin(rebuilds.admit(0));
        assert!(poll_once(waiting.as_mut()).await.is_none(), "no turn yet");
        assert_eq!(rebuilds.load().admitted, 2);
        assert!(matches!(
            rebuilds.admit(0).await,
            Err(ServiceError::PastBusy { .. })
        ));
        drop(waiting);
        assert_eq!(rebuilds.load().admitted, 1);
        drop(running);
        assert_eq!(rebuilds.load().admitted, 0);
    }

    #[test]
    fn retry_after_is_every_admitted_rebuild_at_the_last_ones_pace_and_at_least_a_second() {
        let rebuilds = Rebuilds::new(1, 2);
        assert_eq!(rebuilds.retry_after(0), Duration::from_secs(1));
        // Guessed: 300,000 reports, 3 s each, three rounds.
        assert_eq!(rebuilds.retry_after(300_000), Duration::from_secs(9));
        rebuilds.finished(Duration::from_millis(1_500), 100_000);
        assert_eq!(rebuilds.retry_after(200_000), Duration::from_secs(9));
        let two = Rebuilds::new(2, 2);
        two.finished(Duration::from_secs(2), 100);
        assert_eq!(two.retry_after(100), Duration::from_secs(4));
    }

    /// Polls a future once: its output if it is ready.
    async fn poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        let mut f = f;
        std::future::poll_fn(|cx| {
            std::task::Poll::Ready(match std::pin::Pin::new(&mut f).poll(cx) {
                std::task::Poll::Ready(v) => Some(v),
                std::task::Poll::Pending => None,
            })
        })
        .await
    }
}
