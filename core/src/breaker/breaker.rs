//! [`Breaker`]: one client's circuit breaker.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering::*};
use std::time::Instant;

use super::cell::{Fields, TripCell};
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
/// nothing: it loads the group's generation and "recovery running" flag, and the trip's details
/// from atomics written before the trip was published (checking that the trip did not change
/// meanwhile).
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
    /// The trip word ([`state::CLOSED`] or `generation + 1`, see [`state`]) and the last trip.
    cell: TripCell,
    group: RecoveryGroup,
    failures: AtomicU32,
    probe: Arc<dyn Probe>,
}

impl Breaker {
    /// A closed breaker in `group`. If it is the first of the group to trip, the recovery task
    /// probes the service with `probe`.
    pub fn new(group: &RecoveryGroup, probe: impl Probe) -> Breaker {
        Breaker {
            cell: TripCell::new(group.shared.clock.now()),
            group: group.clone(),
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

    /// The tripped path of `check`.
    #[inline]
    fn reject(&self, word: u64) -> Result<(), OpenError> {
        let Some((word, fields)) = self.current_fields(word) else {
            return Ok(());
        };
        // Built here, in place: an `Option<Trip>` in between costs a copy that stalls on the
        // stores just made.
        match (self.cell.since(fields), TripCell::reason(fields)) {
            (Some(since), Some(reason)) => Err(OpenError::new(Trip {
                since,
                reason,
                failures: fields.failures(),
            })),
            _ => match self.spilled_trip(word) {
                Some(trip) => Err(OpenError::new(trip)),
                None => Ok(()),
            },
        }
    }

    /// The trip of a breaker whose trip word was `word` when just loaded, or `None` if it is
    /// closed.
    fn current_trip(&self, word: u64) -> Option<Trip> {
        let (word, fields) = self.current_fields(word)?;
        match (self.cell.since(fields), TripCell::reason(fields)) {
            (Some(since), Some(reason)) => Some(Trip {
                since,
                reason,
                failures: fields.failures(),
            }),
            _ => self.spilled_trip(word),
        }
    }

    /// The stored fields of the trip of a breaker whose trip word was `word` when just loaded,
    /// with the word they belong to, or `None` if it is closed: loads only, unless a finished
    /// recovery closes it now or a recovery task must be started.
    #[inline(always)]
    fn current_fields(&self, mut word: u64) -> Option<(u64, Fields)> {
        loop {
            if word == state::CLOSED || self.closed_since(word) {
                return None;
            }
            if let Some(fields) = self.cell.fields(word) {
                return Some((word, fields));
            }
            word = self.cell.word(); // it tripped or closed meanwhile
        }
    }

    /// The trip of `word` when it did not fit the atomics, or the current one if the word
    /// changed; `None` if closed.
    #[cold]
    #[inline(never)]
    fn spilled_trip(&self, word: u64) -> Option<Trip> {
        match self.cell.spilled(word) {
            Some(trip) => Some(trip),
            None => self.current_trip(self.cell.word()),
        }
    }

    /// Whether the breaker, tripped with `word`, was closed since by a finished recovery (it is
    /// then marked closed). If not, makes sure a recovery runs: one or two loads when one does.
    #[inline(always)]
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
