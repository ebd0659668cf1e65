//! [`Breaker`]: one client's circuit breaker.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::Instant;

use super::cell::TripCell;
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
/// The closed check is one atomic load: no clock read, no lock, no allocation. A rejection writes
/// no shared memory either: it loads the group's generation and "recovery running" flag, and
/// takes the trip's details from the thread's memory of the trip, or else from atomics stored
/// before the trip was published (checking that the trip did not change meanwhile).
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
#[repr(C)] // what a rejection reads first, together: the group's address, then the cell's words
pub struct Breaker {
    group: RecoveryGroup,
    /// The trip word ([`state::CLOSED`] or `generation + 1`, see [`state`]) and the last trip.
    cell: TripCell,
    failures: AtomicU32,
    probe: Arc<dyn Probe>,
}

impl Breaker {
    /// A closed breaker in `group`. If it is the first of the group to trip, the recovery task
    /// probes the service with `probe`.
    pub fn new(group: &RecoveryGroup, probe: impl Probe) -> Breaker {
        Breaker {
            group: group.clone(),
            cell: TripCell::new(group.shared.clock.now()),
            failures: AtomicU32::new(0),
            probe: Arc::new(probe),
        }
    }

    /// Whether requests may go through. One atomic load while closed.
    ///
    /// A breaker that a finished recovery closed learns it here (or in any other method), and
    /// starts counting failures from zero.
    #[inline]
    pub fn is_closed(&self) -> bool {
        let word = self.cell.word();
        word == state::CLOSED || self.closed_since(word)
    }

    /// `Ok` if requests may go through; else the fail-fast error.
    ///
    /// # Errors
    ///
    /// [`OpenError`] while tripped: since when, and why.
    #[inline]
    pub fn check(&self) -> Result<(), OpenError> {
        let word = self.cell.word();
        if word == state::CLOSED {
            return Ok(());
        }
        self.reject(word)
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
        let Some(trip) = self.current_trip(self.cell.word()) else {
            return State::Closed;
        };
        match self.group.shared.good_rounds() {
            0 => State::Open(trip),
            good_rounds => State::Recovering { trip, good_rounds },
        }
    }

    /// The current count of consecutive failures. It starts again from zero when the breaker
    /// trips, and when it closes.
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
            let mut writer = self.cell.lock();
            let generation = shared.generation();
            let old = writer.word();
            if !state::is_closed_at(old, generation) {
                return None; // another thread tripped it first
            }
            let trip = Trip {
                since: now,
                reason,
                failures,
            };
            let word = state::trip_word(generation);
            writer.publish(old, word, trip);
            // Counting starts again from zero, here as when the breaker closes: else a failure
            // counted just after a recovery closed it, before the closing thread reset the count,
            // would add to this trip's.
            self.failures.store(0, Release);
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

    /// The tripped path of `check`: three loads and the thread's memory of the trip, while a
    /// recovery task runs and the thread read this trip before. The rest (closed by a finished
    /// recovery, no task running, a trip this thread has not read yet) goes the slow way, which
    /// loads the trip's words and writes nothing shared unless it closes the breaker or starts
    /// a task.
    #[inline]
    fn reject(&self, word: u64) -> Result<(), OpenError> {
        let shared = &*self.group.shared;
        if state::is_closed_at(word, shared.generation()) || !shared.is_running() {
            return self.reject_slow();
        }
        match self.cell.remembered(word) {
            Some(trip) => Err(OpenError::new(trip)),
            None => self.reject_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn reject_slow(&self) -> Result<(), OpenError> {
        match self.current_trip(self.cell.word()) {
            None => Ok(()),
            Some(trip) => Err(OpenError::new(trip)),
        }
    }

    /// The trip of a breaker whose trip word was `word` when just loaded, or `None` if it is
    /// closed. Closes it if a recovery finished, and makes sure a recovery runs if not. The
    /// thread remembers the trip, for `reject`.
    fn current_trip(&self, mut word: u64) -> Option<Trip> {
        loop {
            if word == state::CLOSED || self.closed_since(word) {
                return None;
            }
            if let Some(fields) = self.cell.fields(word) {
                let trip = match (self.cell.since(fields), TripCell::reason(fields)) {
                    (Some(since), Some(reason)) => Some(Trip {
                        since,
                        reason,
                        failures: fields.failures(),
                    }),
                    _ => self.cell.spilled(word),
                };
                if let Some(trip) = trip {
                    self.cell.remember(word, trip);
                    return Some(trip);
                }
            }
            word = self.cell.word(); // it tripped or closed meanwhile
        }
    }

    /// Whether the breaker, tripped with `word`, was closed since by a finished recovery (it is
    /// then marked closed). If not, makes sure a recovery runs: one load when one does.
    #[inline]
    fn closed_since(&self, word: u64) -> bool {
        let shared = &*self.group.shared;
        let generation = shared.generation();
        if state::is_closed_at(word, generation) {
            return self.close(word, generation);
        }
        if !shared.is_running() {
            self.ensure_recovery();
        }
        false
    }

    /// A finished recovery closed the trip of `word`: marks the breaker closed (it starts
    /// counting failures from zero). `false` if it tripped again meanwhile.
    #[cold]
    #[inline(never)]
    fn close(&self, word: u64, generation: u64) -> bool {
        match self.cell.close(word) {
            Ok(_) => {
                self.failures.store(0, Release);
                tracing::debug!(generation, "circuit breaker closed by recovery");
                true
            }
            Err(now) => state::is_closed_at(now, generation),
        }
    }

    /// Still tripped and no recovery task runs: normally the one it started does; if its spawner
    /// dropped it, this starts another.
    #[cold]
    #[inline(never)]
    fn ensure_recovery(&self) {
        let shared = &self.group.shared;
        if shared.claim() {
            shared.spawn_recovery(self.probe.clone());
        }
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
