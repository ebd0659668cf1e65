//! [`RecoveryGroup`]: the recovery shared by the breakers of one service.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::config::BreakerConfig;
use super::events::{Event, Observers};
use super::handle::{Breaker, BreakerInner};
use super::recovery::{self, Probe};
use super::state::{GroupState, Next};
use crate::rt::{Clock, Spawner};

/// The recovery shared by the [`Breaker`]s of one service.
///
/// However many of its breakers trip, one recovery task runs: the first trip starts it with the
/// tripping breaker's [`Probe`], later ones join it. It probes every
/// [`probe_interval`](BreakerConfig::probe_interval) (backing off after failed rounds, and after
/// trips that follow a recovery within the [`stable_period`](BreakerConfig::stable_period)); after
/// [`success_threshold`](BreakerConfig::success_threshold) good rounds it closes every breaker
/// that joined, each with its own [`Event`], and ends.
///
/// A cheap handle: clones share one group. The task holds only a weak reference and ends when
/// the last handle (breakers included) is dropped.
///
/// ```
/// use std::sync::Arc;
/// use fusebox_core::breaker::{BreakerConfig, RecoveryGroup, TripReason};
/// use fusebox_core::rt::{BoxFuture, Clock, ManualClock, ManualSpawner};
///
/// let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
/// let config = BreakerConfig::builder().failure_threshold(1).success_threshold(1).build()?;
/// let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(tasks.clone()));
/// let probe = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
/// let (a, b) = (group.breaker_named("a", probe), group.breaker_named("b", probe));
///
/// a.check().unwrap().failure(clock.now(), TripReason::Timeout);
/// b.check().unwrap().failure(clock.now(), TripReason::Timeout);
/// assert!(!a.is_closed() && !b.is_closed());
/// assert_eq!(group.stats().recovery_tasks_started, 1);
///
/// // One interval later the probe succeeds and both breakers close.
/// assert_eq!(tasks.run_until_stalled(), 1);
/// clock.advance(group.config().probe_interval());
/// assert_eq!(tasks.run_until_stalled(), 0);
/// assert!(a.is_closed() && b.is_closed());
/// assert_eq!((group.stats().recoveries, group.stats().probes_sent), (1, 1));
/// # Ok::<(), fusebox_core::breaker::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RecoveryGroup {
    pub(crate) shared: Arc<Shared>,
}

/// A breaker waiting for the recovery: closed again if it is still in the trip of `epoch`.
pub(crate) struct Entry {
    breaker: Weak<BreakerInner>,
    epoch: u64,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entry(epoch {})", self.epoch)
    }
}

pub(crate) struct Shared {
    pub(crate) config: BreakerConfig,
    pub(crate) clock: Arc<dyn Clock>,
    spawner: Arc<dyn Spawner>,
    state: Mutex<GroupState<Entry>>,
    /// Mirrors `state.is_running()`, for the rejection path: a hint, checked again under the lock.
    running: AtomicBool,
    observers: Observers,
    /// Notified when the group is dropped, so that the task ends at once.
    pub(crate) dropped: Arc<event_listener::Event>,
}

impl RecoveryGroup {
    /// A group recovering with `config`, timing probes on `clock` and spawning its task on
    /// `spawner`.
    pub fn new(
        config: BreakerConfig,
        clock: Arc<dyn Clock>,
        spawner: Arc<dyn Spawner>,
    ) -> RecoveryGroup {
        RecoveryGroup {
            shared: Arc::new(Shared {
                config,
                clock,
                spawner,
                state: Mutex::new(GroupState::default()),
                running: AtomicBool::new(false),
                observers: Observers::default(),
                dropped: Arc::new(event_listener::Event::new()),
            }),
        }
    }

    /// A new closed breaker named `"breaker"` in this group; see [`breaker_named`](Self::breaker_named).
    pub fn breaker(&self, probe: impl Probe) -> Breaker {
        Breaker::new(self, "breaker", probe)
    }

    /// A new closed breaker in this group, named in its events and logs, which recovers through
    /// `probe` if it is the first of the group to trip.
    pub fn breaker_named(&self, name: impl Into<Arc<str>>, probe: impl Probe) -> Breaker {
        Breaker::new(self, name, probe)
    }

    /// Calls `observer` with every transition of the group's breakers, as it happens (after every
    /// lock is released, in the thread that made it): to export them to metrics.
    ///
    /// A panic in `observer` reaches the thread that made the transition, whose state is already
    /// consistent; keep observers short and panic-free.
    pub fn on_event(&self, observer: impl Fn(&Event) + Send + Sync + 'static) {
        self.shared.observers.add(Arc::new(observer));
    }

    /// The configuration shared by the group and its breakers.
    pub fn config(&self) -> &BreakerConfig {
        &self.shared.config
    }

    /// The clock the recovery task sleeps on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// The group's counters, read together under one lock.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use fusebox_core::BreakerConfig;
    /// # use fusebox_core::breaker::RecoveryGroup;
    /// # use fusebox_core::rt::{ManualClock, ManualSpawner};
    /// let group = RecoveryGroup::new(
    ///     BreakerConfig::default(),
    ///     Arc::new(ManualClock::new()),
    ///     Arc::new(ManualSpawner::new()),
    /// );
    /// let stats = group.stats();
    /// assert!(!stats.recovering);
    /// assert_eq!((stats.recoveries, stats.probes_sent), (0, 0));
    /// ```
    pub fn stats(&self) -> GroupStats {
        let state = self.shared.lock();
        GroupStats {
            recovering: state.is_running(),
            recoveries: state.recoveries,
            recovery_tasks_started: state.tasks_started,
            probes_sent: state.probes_sent,
            backoff_level: state.level(),
        }
    }
}

/// A [`RecoveryGroup`]'s counters at one instant, from [`RecoveryGroup::stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct GroupStats {
    /// Whether a recovery task is running.
    pub recovering: bool,
    /// How many recoveries have finished.
    pub recoveries: u64,
    /// How many recovery tasks were ever spawned.
    pub recovery_tasks_started: u64,
    /// How many probes the recovery tasks have sent, retries included.
    pub probes_sent: u64,
    /// The backoff level: how many trips in a row came within the stable period of a recovery.
    pub backoff_level: u32,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, GroupState<Entry>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a transition of the group's state under its lock, keeping the running mirror true.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut GroupState<Entry>) -> R) -> R {
        let mut state = self.lock();
        let result = f(&mut state);
        self.running.store(state.is_running(), Relaxed);
        result
    }

    #[inline]
    pub(crate) fn is_running_hint(&self) -> bool {
        self.running.load(Relaxed)
    }

    pub(crate) fn good_rounds(&self) -> u32 {
        self.lock().good_rounds()
    }

    pub(crate) fn emit(&self, event: Event) {
        self.observers.emit(event);
    }

    /// A breaker tripped under `epoch` at `now`: it waits for the recovery, which starts unless
    /// it runs.
    pub(crate) fn join(
        self: &Arc<Self>,
        breaker: &Arc<BreakerInner>,
        epoch: u64,
        now: Instant,
        retry_after: Option<Duration>,
    ) {
        let entry = Entry {
            breaker: Arc::downgrade(breaker),
            epoch,
        };
        let sample = fastrand::f64();
        let start = self.with_state(|s| s.joined(entry, now, retry_after, &self.config, sample));
        if let Some(wait) = start {
            self.spawn(breaker.probe.clone(), wait);
        }
    }

    /// Starts a recovery if breakers wait for one and none runs (its spawner dropped it).
    #[cold]
    pub(crate) fn restart(self: &Arc<Self>, probe: &Arc<dyn Probe>) {
        let (now, sample) = (self.clock.now(), fastrand::f64());
        if let Some(wait) = self.with_state(|s| s.restarted(now, &self.config, sample)) {
            self.spawn(probe.clone(), wait);
        }
    }

    fn spawn(self: &Arc<Self>, probe: Arc<dyn Probe>, wait: Duration) {
        tracing::debug!(?wait, "recovery started");
        let task = recovery::task(Arc::downgrade(self), probe, wait);
        self.spawner.spawn(task);
    }

    /// The task's probe answered: what it does next. On recovery, closes the breakers that
    /// waited (each emits its event) before returning.
    pub(crate) fn probed(&self, ok: bool) -> Option<Duration> {
        let now = self.clock.now();
        let sample = fastrand::f64();
        match self.with_state(|s| s.probed(now, ok, &self.config, sample)) {
            Next::ProbeAfter(wait) => Some(wait),
            Next::Recovered(entries) => {
                tracing::debug!(breakers = entries.len(), "recovery done");
                for entry in entries {
                    if let Some(breaker) = entry.breaker.upgrade() {
                        breaker.recovered(entry.epoch);
                    }
                }
                None
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.dropped.notify(usize::MAX);
    }
}

impl fmt::Debug for RecoveryGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("RecoveryGroup")
            .field("config", &self.shared.config)
            .field("recovering", &state.is_running())
            .field("recoveries", &state.recoveries)
            .field("recovery_tasks_started", &state.tasks_started)
            .field("probes_sent", &state.probes_sent)
            .field("observers", &self.shared.observers)
            .finish_non_exhaustive()
    }
}
