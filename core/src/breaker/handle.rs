//! [`Breaker`]: one client's circuit breaker, and the [`Permit`] of an admitted call.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::config::BreakerConfig;
use super::error::OpenError;
use super::events::{Event, EventKind};
use super::group::RecoveryGroup;
use super::recovery::Probe;
use super::state::{
    BreakerState, COUNTING, Change, Ended, Phase, REJECTING, State, Trip, TripCause, TripReason,
    epoch_of,
};
use super::word::Word;

/// One client's circuit breaker, in a [`RecoveryGroup`] that recovers its breakers together.
///
/// Before a call, [`check`](Breaker::check) admits it with a [`Permit`] or refuses it with an
/// [`OpenError`] saying since when and why; the call's outcome is recorded through the permit.
/// What trips the breaker is the configured policy (by default
/// [`failure_threshold`](BreakerConfig::failure_threshold) consecutive failures). The first
/// breaker of the group to trip starts the group's recovery task with its [`Probe`]; when the
/// task finds the service healthy, every breaker that tripped is closed on probation: until
/// [`probation_calls`](BreakerConfig::probation_calls) calls have succeeded, one failure trips it
/// again at once.
///
/// The closed check is one atomic load: no clock read, no lock, no allocation; a refusal adds
/// one lock-free read of the trip (crossbeam's `AtomicCell`) and allocates nothing. Outcomes are counted
/// under the breaker's lock, except a success that changes nothing (no failure counted), which
/// is one more load.
///
/// ```
/// use std::sync::Arc;
/// use fusebox_core::breaker::{BreakerConfig, RecoveryGroup, State, TripReason};
/// use fusebox_core::rt::{BoxFuture, Clock, ManualClock, ManualSpawner};
///
/// let clock = ManualClock::new();
/// let config = BreakerConfig::builder().failure_threshold(2).build()?;
/// let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(ManualSpawner::new()));
/// let breaker = group.breaker_named("users", || -> BoxFuture<'static, bool> { Box::pin(async { true }) });
///
/// let since = clock.now();
/// let (first, second) = (breaker.check().unwrap(), breaker.check().unwrap());
/// assert!(first.failure(since, TripReason::Timeout).is_none());
/// let trip = second.failure(since, TripReason::Status { status: 503 }).unwrap();
/// assert_eq!(breaker.state(), State::Open(trip));
///
/// let err = breaker.check().unwrap_err();
/// assert_eq!(err.trip().since, since);
/// assert_eq!(
///     err.to_string(),
///     "circuit breaker open after 2 consecutive failures (last: status 503)"
/// );
/// # Ok::<(), fusebox_core::breaker::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct Breaker {
    inner: Arc<BreakerInner>,
}

pub(crate) struct BreakerInner {
    word: Word,
    group: RecoveryGroup,
    state: Mutex<BreakerState>,
    pub(crate) probe: Arc<dyn Probe>,
    name: Arc<str>,
}

impl Outcome {
    /// A failure for `reason`, with no `Retry-After`.
    pub fn failure(reason: TripReason) -> Outcome {
        Outcome::Failure {
            reason,
            retry_after: None,
        }
    }
}

/// How an admitted call ended, for [`Permit::record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// It succeeded.
    Success,
    /// It failed for `reason`; the server asked to wait `retry_after` before trying again.
    Failure {
        /// Why it failed.
        reason: TripReason,
        /// A server's `Retry-After`: if this failure trips the breaker, no probe goes before it
        /// (clamped to [`max_retry_after`](BreakerConfig::max_retry_after)).
        retry_after: Option<Duration>,
    },
}

/// An admitted call that owns a handle to its breaker, for futures that must be `'static`:
/// [`Breaker::check_owned`] hands it out. Otherwise as [`Permit`].
#[must_use = "record the call's outcome through the permit, or drop it to count neither way"]
pub struct OwnedPermit {
    inner: Arc<BreakerInner>,
    word: u64,
}

impl OwnedPermit {
    /// Records how the call ended, now on the group's clock. Returns the trip if it tripped the
    /// breaker.
    pub fn record(self, outcome: Outcome) -> Option<Trip> {
        let now = self.inner.group.shared.clock.now();
        self.inner.ended(self.word, now, outcome)
    }

    /// The epoch the call was admitted under.
    pub fn epoch(&self) -> u64 {
        epoch_of(self.word)
    }
}

impl fmt::Debug for OwnedPermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedPermit")
            .field("breaker", &self.inner.name)
            .field("epoch", &self.epoch())
            .finish()
    }
}

/// An admitted call: [`Breaker::check`] hands it out, and the call's outcome is recorded through
/// it. It remembers the breaker's epoch at admission: if the breaker tripped, recovered or was
/// reset since, the outcome changes nothing. Dropped without recording, it counts neither way.
#[must_use = "record the call's outcome through the permit, or drop it to count neither way"]
pub struct Permit<'a> {
    breaker: &'a Breaker,
    word: u64,
}

impl Breaker {
    /// A closed breaker in `group`, named `name` in its events. If it is the first of the group
    /// to trip, the recovery task probes the service with `probe`.
    pub fn new(group: &RecoveryGroup, name: impl Into<Arc<str>>, probe: impl Probe) -> Breaker {
        let state = BreakerState::new(group.config());
        Breaker {
            inner: Arc::new(BreakerInner {
                word: Word::new(state.word()),
                group: group.clone(),
                state: Mutex::new(state),
                probe: Arc::new(probe),
                name: name.into(),
            }),
        }
    }

    /// Whether calls may go through now. One atomic load.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.inner.word.load() & REJECTING == 0
    }

    /// Admits a call, or refuses it while the breaker is open.
    ///
    /// # Errors
    ///
    /// [`OpenError`] while tripped or forced open: since when, and why. It returns at once,
    /// without yielding: a caller that loops on it must back off by itself.
    #[inline]
    pub fn check(&self) -> Result<Permit<'_>, OpenError> {
        let word = self.inner.word.load();
        if word & REJECTING == 0 {
            return Ok(Permit {
                breaker: self,
                word,
            });
        }
        Err(self.refusal(word))
    }

    /// Like [`check`](Breaker::check), with a permit that owns a handle to the breaker (one
    /// reference count more): for a `'static` future, such as a tower service's.
    ///
    /// # Errors
    ///
    /// As [`check`](Breaker::check).
    pub fn check_owned(&self) -> Result<OwnedPermit, OpenError> {
        let word = self.inner.word.load();
        if word & REJECTING == 0 {
            return Ok(OwnedPermit {
                inner: self.inner.clone(),
                word,
            });
        }
        Err(self.refusal(word))
    }

    #[cold]
    fn refusal(&self, word: u64) -> OpenError {
        let shared = &self.inner.group.shared;
        let trip = match self.inner.word.trip() {
            Some(published) => published.trip,
            None => unpublished(word, shared.clock.now()),
        };
        if trip.cause != TripCause::Forced && !shared.is_running_hint() {
            shared.restart(&self.inner.probe);
        }
        OpenError::new(trip)
    }

    /// What the breaker is doing. Only reads.
    pub fn state(&self) -> State {
        let phase = self.inner.lock().phase();
        match phase {
            Phase::Closed => State::Closed,
            Phase::Probation { remaining } => State::Probation { remaining },
            Phase::Disabled => State::Disabled,
            Phase::ForcedOpen(trip) => State::ForcedOpen(trip),
            Phase::Open(trip) => match self.inner.group.shared.good_rounds() {
                0 => State::Open(trip),
                good_rounds => State::Recovering { trip, good_rounds },
            },
        }
    }

    /// The current count of consecutive failures; it starts again from zero at every transition.
    pub fn consecutive_failures(&self) -> u32 {
        self.inner.lock().consecutive_failures()
    }

    /// Opens the breaker until [`reset`](Breaker::reset): calls are refused, and no recovery runs
    /// for it.
    pub fn force_open(&self) {
        let now = self.inner.group.shared.clock.now();
        self.inner.apply(None, |s, _| s.forced_open(now));
    }

    /// Closes the breaker now, whatever it was doing, with no probation; outcomes of calls
    /// admitted before change nothing.
    pub fn reset(&self) {
        self.inner.apply(None, |s, _| s.reset());
    }

    /// Keeps counting outcomes but never trips, until [`reset`](Breaker::reset).
    pub fn disable(&self) {
        self.inner.apply(None, |s, _| s.disabled());
    }

    /// The name given when it was made.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The group this breaker recovers with.
    pub fn group(&self) -> &RecoveryGroup {
        &self.inner.group
    }

    /// The configuration of the group.
    pub fn config(&self) -> &BreakerConfig {
        self.inner.group.config()
    }
}

/// A refusing word is always published after its trip; should that ever not hold, refuse with a
/// trip that says so rather than panic.
#[cold]
fn unpublished(word: u64, now: Instant) -> Trip {
    tracing::error!(
        word,
        "circuit breaker refused a call without a published trip"
    );
    Trip {
        since: now,
        reason: TripReason::Other("unknown"),
        cause: TripCause::Probation,
    }
}

impl Permit<'_> {
    /// The call succeeded.
    #[inline]
    pub fn success(self) {
        self.breaker.inner.succeeded(self.word);
    }

    /// The call failed at `now` for `reason`. Returns the trip if this failure tripped the
    /// breaker (which then starts or joins the group's recovery).
    pub fn failure(self, now: Instant, reason: TripReason) -> Option<Trip> {
        let outcome = Outcome::Failure {
            reason,
            retry_after: None,
        };
        self.breaker.inner.ended(self.word, now, outcome)
    }

    /// Records how the call ended at `now`. Returns the trip if it tripped the breaker.
    pub fn record(self, now: Instant, outcome: Outcome) -> Option<Trip> {
        self.breaker.inner.ended(self.word, now, outcome)
    }

    /// The epoch the call was admitted under.
    pub fn epoch(&self) -> u64 {
        epoch_of(self.word)
    }
}

impl BreakerInner {
    /// A call admitted with `word` succeeded.
    #[inline]
    pub(crate) fn succeeded(self: &Arc<Self>, word: u64) {
        if self.word.load() == word && word & COUNTING == 0 {
            return; // nothing counted that a success would reset
        }
        let epoch = epoch_of(word);
        self.apply(None, |s, c| s.recorded(epoch, Ended::Success, c));
    }

    /// A call admitted with `word` ended at `now` as `outcome`: the trip, if it tripped.
    pub(crate) fn ended(
        self: &Arc<Self>,
        word: u64,
        now: Instant,
        outcome: Outcome,
    ) -> Option<Trip> {
        let (ended, retry_after) = match outcome {
            Outcome::Success => {
                self.succeeded(word);
                return None;
            }
            Outcome::Failure {
                reason,
                retry_after,
            } => (Ended::Failure { now, reason }, retry_after),
        };
        let epoch = epoch_of(word);
        match self.apply(retry_after, |s, c| s.recorded(epoch, ended, c)) {
            Change::Tripped(trip) => Some(trip),
            _ => None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a transition under the lock, publishes the word if it changed, then acts on the
    /// change with no lock held.
    fn apply(
        self: &Arc<Self>,
        retry_after: Option<Duration>,
        f: impl FnOnce(&mut BreakerState, &BreakerConfig) -> Change,
    ) -> Change {
        let (change, epoch) = {
            let mut state = self.lock();
            let change = f(&mut state, self.group.config());
            let word = state.word();
            if word != self.word.load() {
                self.word.publish(word, state.trip());
            }
            (change, state.epoch())
        };
        self.after(change, epoch, retry_after);
        change
    }

    /// The effects of a transition, off every lock: the event, and joining the recovery.
    fn after(self: &Arc<Self>, change: Change, epoch: u64, retry_after: Option<Duration>) {
        let Some(kind) = EventKind::of(change) else {
            return;
        };
        let shared = &self.group.shared;
        let at = match change {
            Change::Tripped(trip) | Change::ForcedOpen(trip) => trip.since,
            _ => shared.clock.now(),
        };
        shared.emit(Event {
            breaker: self.name.clone(),
            at,
            kind,
        });
        if let Change::Tripped(trip) = change {
            shared.join(self, epoch, trip.since, retry_after);
        }
    }

    /// The group's recovery finished for the trip of `epoch`.
    pub(crate) fn recovered(self: &Arc<Self>, epoch: u64) {
        self.apply(None, |s, c| s.recovered(epoch, c));
    }
}

impl fmt::Debug for Breaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker")
            .field("name", &self.inner.name)
            .field("state", &self.state())
            .field("consecutive_failures", &self.consecutive_failures())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("breaker", &self.breaker.inner.name)
            .field("epoch", &self.epoch())
            .finish()
    }
}
