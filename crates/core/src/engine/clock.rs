//! The time the service reads: the system's, or one that tests set and advance, so that no
//! test sleeps to make time pass.
//!
//! The service stamps every write (a report's `reported_at` and `updated_at`, a deletion, and
//! so the store's revisions) with its clock, and the HTTP layer checks `as_of` against the same
//! clock, so a test that advances a [`ManualClock`] sees moments exactly as a server would.

use crate::domain::model::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where the service reads the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time, to the second.
    fn now(&self) -> Timestamp;
}

/// The system's clock: [`Timestamp::now`].
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that stands still until told to move: for tests, and for a past view, whose time
/// is its moment.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
}

impl ManualClock {
    /// A clock standing at `at`.
    pub fn at(at: Timestamp) -> Self {
        Self {
            now: AtomicI64::new(at.0),
        }
    }

    /// A clock standing at the system's current time.
    pub fn from_system() -> Self {
        Self::at(Timestamp::now())
    }

    /// Moves the clock `seconds` on (or back, if negative); returns the new time.
    pub fn advance(&self, seconds: i64) -> Timestamp {
        Timestamp(self.now.fetch_add(seconds, Ordering::AcqRel) + seconds)
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: Timestamp) {
        self.now.store(at.0, Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::Acquire))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(Timestamp(1_000));
        assert_eq!(clock.now(), Timestamp(1_000));
        assert_eq!(clock.advance(5), Timestamp(1_005));
        assert_eq!(clock.now(), Timestamp(1_005));
        clock.set(Timestamp(7));
        assert_eq!(clock.now(), Timestamp(7));
        assert!(SystemClock.now().0 > 1_700_000_000);
    }
}
