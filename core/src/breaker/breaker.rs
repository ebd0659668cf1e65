//! [`Breaker`]: one client's circuit breaker.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use super::config::BreakerConfig;
use super::error::OpenError;
use super::group::RecoveryGroup;
use super::recovery::Probe;
use super::state::{self, State, Trip, TripReason};

/// One client's circuit breaker: a private tripped flag and count of consecutive failures, in a
/// [`RecoveryGroup`] that recovers all its breakers at once.
///
/// The client asks [`is_closed`](Breaker::is_closed) (or [`check`](Breaker::check)) before a
/// request and reports the outcome with [`record_success`](Breaker::record_success) or
/// [`record_failure`](Breaker::record_failure). The
/// [`failure_threshold`](BreakerConfig::failure_threshold)-th consecutive failure trips it; while
/// tripped, requests should fail at once. The first breaker of the group to trip starts the
/// group's recovery task with its [`Probe`]; when the task sees the service healthy, every breaker
/// of the group that tripped before closes again.
///
/// The closed check is one atomic load: no clock read, no lock, no allocation. The trip's details
/// sit behind a mutex that only a trip, [`state`](Breaker::state) and the error of
/// [`check`](Breaker::check) touch.
///
/// ```
/// use std::sync::Arc;
/// use fusebox_core::breaker::{BreakerConfig, RecoveryGroup, State, TripReason};
/// use fusebox_core::rt::{BoxFuture, Clock, ManualClock, Spawner};
///
/// #[derive(Default)]
/// struct Keep(std::sync::Mutex<Vec<BoxFuture<'static, ()>>>);
/// impl Spawner for Keep {
///     fn spawn(&self, task: BoxFuture<'static, ()>) {
///         self.0.lock().unwrap().push(task);
///     }
/// }
///
/// let clock = ManualClock::new();
/// let config = BreakerConfig::builder().failure_threshold(2).build()?;
/// let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(Keep::default()));
/// let breaker = group.breaker(|| -> BoxFuture<'static, bool> { Box::pin(async { true }) });
///
/// let since = clock.now();
/// assert!(breaker.record_failure(since, TripReason::Timeout).is_none());
/// let trip = breaker.record_failure(since, TripReason::ServerError { status: 503 }).unwrap();
/// assert_eq!(breaker.state(), State::Open(trip));
///
/// let err = breaker.check().unwrap_err();
/// assert_eq!(err.trip().since, since);
/// assert_eq!(
///     err.to_string(),
///     "circuit breaker open after 2 consecutive failures (last: server error status 503)"
/// );
/// # Ok::<(), fusebox_core::breaker::ConfigError>(())
/// ```
pub struct Breaker {
    /// [`state::CLOSED`] or the trip word `generation + 1` (see [`state`]).
    tripped: AtomicU64,
    failures: AtomicU32,
    /// The last trip. Written, under the lock, before the trip word is stored; never cleared.
    trip: Mutex<Option<Trip>>,
    group: RecoveryGroup,
    probe: Arc<dyn Probe>,
}

impl Breaker {
    /// A closed breaker in `group`. If it is the first of the group to trip, the recovery task
    /// probes the service with `probe`.
    pub fn new(group: &RecoveryGroup, probe: impl Probe) -> Breaker {
        Breaker {
            tripped: AtomicU64::new(state::CLOSED),
            failures: AtomicU32::new(0),
            trip: Mutex::new(None),
            group: group.clone(),
            probe: Arc::new(probe),
        }
    }

    /// Whether requests may go through. One atomic load while closed.
    ///
    /// A breaker that a finished recovery closed learns it here (or in any other method), and
    /// starts counting failures from zero.
    #[inline]
    pub fn is_closed(&self) -> bool {
        let word = self.tripped.load(Acquire);
        word == state::CLOSED || self.close_if_recovered(word)
    }

    /// `Ok` if requests may go through; else the fail-fast error.
    ///
    /// # Errors
    ///
    /// [`OpenError`] while tripped: since when, and why.
    #[inline]
    pub fn check(&self) -> Result<(), OpenError> {
        if self.is_closed() {
            return Ok(());
        }
        self.open_error()
    }

    /// A request succeeded: the count of consecutive failures starts again from zero. Does not
    /// close a tripped breaker (only recovery does).
    #[inline]
    pub fn record_success(&self) {
        if self.failures.load(Relaxed) != 0 {
            self.failures.store(0, Relaxed);
        }
    }

    /// A request failed at `now` for `reason`. Returns the trip if this failure tripped the
    /// breaker, which happens when the consecutive count reaches
    /// [`failure_threshold`](BreakerConfig::failure_threshold); failures reported while tripped
    /// are ignored.
    ///
    /// Tripping starts the group's recovery task unless one is running.
    pub fn record_failure(&self, now: Instant, reason: TripReason) -> Option<Trip> {
        if !self.is_closed() {
            return None;
        }
        let failures = self.failures.fetch_add(1, AcqRel).saturating_add(1);
        if !state::trips(failures, self.config().failure_threshold()) {
            return None;
        }
        self.trip(now, reason, failures)
    }

    /// What the breaker is doing: closed, open, or recovering (open with good probe rounds).
    pub fn state(&self) -> State {
        if self.is_closed() {
            return State::Closed;
        }
        let Some(trip) = *self.lock_trip() else {
            return State::Closed; // unreachable: the trip is written before the trip word
        };
        match self.group.shared.good_rounds() {
            0 => State::Open(trip),
            good_rounds => State::Recovering { trip, good_rounds },
        }
    }

    /// The current count of consecutive failures.
    pub fn consecutive_failures(&self) -> u32 {
        self.failures.load(Relaxed)
    }

    /// The group this breaker recovers with.
    pub fn group(&self) -> &RecoveryGroup {
        &self.group
    }

    /// The configuration of the group.
    pub fn config(&self) -> &BreakerConfig {
        self.group.config()
    }

    #[cold]
    fn trip(&self, now: Instant, reason: TripReason, failures: u32) -> Option<Trip> {
        let shared = &self.group.shared;
        let (trip, generation) = {
            let mut slot = self.lock_trip();
            let generation = shared.generation();
            if !state::is_closed_at(self.tripped.load(Acquire), generation) {
                return None; // another thread tripped it first
            }
            let trip = Trip {
                since: now,
                reason,
                failures,
            };
            *slot = Some(trip);
            let word = state::trip_word(generation);
            self.tripped.store(word, Release);
            shared.note_trip(word);
            (trip, generation)
        };
        let starts_recovery = shared.claim();
        tracing::warn!(
            %reason,
            failures,
            generation,
            starts_recovery,
            "circuit breaker tripped"
        );
        if starts_recovery {
            shared.spawn_recovery(self.probe.clone());
        }
        Some(trip)
    }

    /// The slow path of `is_closed`: closes the breaker if a recovery finished since it tripped,
    /// and makes sure a recovery runs if it is still tripped.
    #[cold]
    fn close_if_recovered(&self, word: u64) -> bool {
        let shared = &self.group.shared;
        let generation = shared.generation();
        if !state::is_closed_at(word, generation) {
            // Still tripped. Normally a recovery task runs; if its spawner dropped it, start
            // another (a load or two when one runs).
            if shared.claim() {
                shared.spawn_recovery(self.probe.clone());
            }
            return false;
        }
        match self
            .tripped
            .compare_exchange(word, state::CLOSED, AcqRel, Acquire)
        {
            Ok(_) => {
                self.failures.store(0, Release);
                tracing::debug!(generation, "circuit breaker closed by recovery");
                true
            }
            Err(now) => state::is_closed_at(now, generation),
        }
    }

    #[cold]
    fn open_error(&self) -> Result<(), OpenError> {
        match *self.lock_trip() {
            Some(trip) => Err(OpenError::new(trip)),
            None => Ok(()), // unreachable: the trip is written before the trip word
        }
    }

    fn lock_trip(&self) -> MutexGuard<'_, Option<Trip>> {
        self.trip.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl fmt::Debug for Breaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker")
            .field("state", &self.state())
            .field("consecutive_failures", &self.consecutive_failures())
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}
