//! [`RecoveryGroup`]: the recovery shared by the breakers of one service.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};

use event_listener::Event;

use super::breaker::Breaker;
use super::config::BreakerConfig;
use super::recovery::{self, Probe};
use super::state;
use crate::rt::{Clock, Spawner};

/// The recovery shared by the [`Breaker`]s of one service.
///
/// However many of its breakers trip at once, one recovery task runs: the first breaker to trip
/// claims the group's "recovery running" flag and spawns it with its [`Probe`]; the others find
/// the flag set. When the task has seen
/// [`success_threshold`](BreakerConfig::success_threshold) good rounds it bumps the group's
/// generation, which closes every breaker that tripped before, and ends (or, if a breaker tripped
/// meanwhile, goes on recovering for it).
///
/// A cheap handle: clones share one group. The task holds only a weak reference and ends when
/// the last handle (breakers included) is dropped.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use fusebox_core::breaker::{BreakerConfig, RecoveryGroup, TripReason};
/// use fusebox_core::rt::{BoxFuture, Clock, ManualClock, Spawner};
///
/// // A spawner that keeps tasks for the test to poll.
/// #[derive(Default)]
/// struct Keep(std::sync::Mutex<Vec<BoxFuture<'static, ()>>>);
/// impl Spawner for Keep {
///     fn spawn(&self, task: BoxFuture<'static, ()>) {
///         self.0.lock().unwrap().push(task);
///     }
/// }
///
/// let clock = ManualClock::new();
/// let tasks = Arc::new(Keep::default());
/// let config = BreakerConfig::builder().failure_threshold(1).success_threshold(1).build()?;
/// let group = RecoveryGroup::new(config, Arc::new(clock.clone()), tasks.clone());
/// let probe = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
/// let (a, b) = (group.breaker(probe), group.breaker(probe));
///
/// a.record_failure(clock.now(), TripReason::Timeout);
/// b.record_failure(clock.now(), TripReason::Timeout);
/// assert!(!a.is_closed() && !b.is_closed());
/// assert_eq!(group.recovery_tasks_started(), 1);
///
/// // One interval later the probe succeeds and both breakers close.
/// let mut task = tasks.0.lock().unwrap().pop().unwrap();
/// let poll = |t: &mut BoxFuture<'static, ()>| futures_lite::future::block_on(futures_lite::future::poll_once(t));
/// assert!(poll(&mut task).is_none());
/// clock.advance(group.config().probe_interval());
/// assert!(poll(&mut task).is_some());
/// assert!(a.is_closed() && b.is_closed());
/// assert_eq!((group.recoveries(), group.probes_sent()), (1, 1));
/// # Ok::<(), fusebox_core::breaker::ConfigError>(())
/// ```
#[derive(Clone)]
pub struct RecoveryGroup {
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) config: BreakerConfig,
    pub(crate) clock: Arc<dyn Clock>,
    spawner: Arc<dyn Spawner>,
    /// Finished recoveries.
    generation: AtomicU64,
    /// The highest trip word stored by a breaker of the group (see `state`).
    tripped_at: AtomicU64,
    /// Whether a recovery task is running (or about to be spawned).
    running: AtomicBool,
    tasks_started: AtomicU64,
    pub(crate) probes_sent: AtomicU64,
    /// Consecutive good rounds of the running recovery, for `Breaker::state`.
    good_rounds: Mutex<u32>,
    /// Notified when the group is dropped, so that the task ends at once.
    pub(crate) dropped: Arc<Event>,
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
                generation: AtomicU64::new(0),
                tripped_at: AtomicU64::new(state::CLOSED),
                running: AtomicBool::new(false),
                tasks_started: AtomicU64::new(0),
                probes_sent: AtomicU64::new(0),
                good_rounds: Mutex::new(0),
                dropped: Arc::new(Event::new()),
            }),
        }
    }

    /// A new closed breaker in this group, which will recover through `probe` if it is the first
    /// to trip. Same as [`Breaker::new`].
    pub fn breaker(&self, probe: impl Probe) -> Breaker {
        Breaker::new(self, probe)
    }

    /// The configuration shared by the group and its breakers.
    pub fn config(&self) -> &BreakerConfig {
        &self.shared.config
    }

    /// The clock the recovery task sleeps on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.shared.clock
    }

    /// Whether a recovery task is running.
    pub fn is_recovering(&self) -> bool {
        self.shared.running.load(Acquire)
    }

    /// How many recoveries have finished; each closed the breakers that tripped before it.
    pub fn recoveries(&self) -> u64 {
        self.shared.generation()
    }

    /// How many recovery tasks were ever spawned.
    pub fn recovery_tasks_started(&self) -> u64 {
        self.shared.tasks_started.load(Relaxed)
    }

    /// How many probes the recovery tasks have sent, retries included.
    pub fn probes_sent(&self) -> u64 {
        self.shared.probes_sent.load(Relaxed)
    }
}

impl Shared {
    #[inline(always)]
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(SeqCst)
    }

    /// Whether the "running" flag is set: a recovery task runs (or is about to be spawned).
    #[inline(always)]
    pub(crate) fn is_running(&self) -> bool {
        self.running.load(SeqCst)
    }

    pub(crate) fn good_rounds(&self) -> u32 {
        *self.lock_good_rounds()
    }

    pub(crate) fn set_good_rounds(&self, rounds: u32) {
        *self.lock_good_rounds() = rounds;
    }

    fn lock_good_rounds(&self) -> MutexGuard<'_, u32> {
        self.good_rounds.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A breaker of the group stored trip word `word`.
    pub(crate) fn note_trip(&self, word: u64) {
        self.tripped_at.fetch_max(word, SeqCst);
    }

    /// Claims the "running" flag if a recovery is owed and none runs. `true`: the caller now owns
    /// the flag and must recover.
    ///
    /// Whoever stores a trip calls this after `note_trip`, and the finishing task after clearing
    /// the flag: with sequentially consistent operations on both sides, at least one of them sees
    /// the other, so a trip recorded at the new generation always gets a recovery. (The flag is
    /// loaded first: when it is set the answer is `false` whether or not a recovery is owed, and
    /// it is the one load a tripped breaker's check makes here while a task runs.)
    pub(crate) fn claim(&self) -> bool {
        loop {
            if self.is_running() {
                return false; // the running task will see the trip
            }
            if !state::recovery_owed(self.tripped_at.load(SeqCst), self.generation()) {
                return false;
            }
            if self
                .running
                .compare_exchange(false, true, SeqCst, SeqCst)
                .is_err()
            {
                return false; // the running task will see the trip
            }
            // Only the flag's owner bumps the generation, so it is stable now.
            if state::recovery_owed(self.tripped_at.load(SeqCst), self.generation()) {
                return true;
            }
            self.running.store(false, SeqCst); // owed no more; look again after letting go
        }
    }

    /// Spawns the recovery task; the caller owns the flag (from [`claim`](Shared::claim)).
    pub(crate) fn spawn_recovery(self: &Arc<Self>, probe: Arc<dyn Probe>) {
        self.tasks_started.fetch_add(1, Relaxed);
        self.set_good_rounds(0);
        let task = recovery::task(
            Arc::downgrade(self),
            probe,
            self.clock.clone(),
            self.config.clone(),
            self.dropped.clone(),
        );
        self.spawner.spawn(task);
    }

    /// A recovery finished: closes every breaker that tripped before it, lets go of the flag and
    /// re-checks for trips recorded meanwhile. `true`: the caller owns the flag again and must go
    /// on recovering.
    pub(crate) fn finish(&self) -> bool {
        self.bump_generation();
        self.release_and_reclaim()
    }

    fn bump_generation(&self) {
        let generation = self.generation.fetch_add(1, SeqCst) + 1;
        self.set_good_rounds(0);
        tracing::info!(
            generation,
            probes_sent = self.probes_sent.load(Relaxed),
            "service recovered; circuit breakers of the group close"
        );
    }

    fn release_and_reclaim(&self) -> bool {
        self.release();
        self.claim()
    }

    /// Lets go of the "running" flag.
    pub(crate) fn release(&self) {
        self.running.store(false, SeqCst);
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.dropped.notify(usize::MAX);
    }
}

impl fmt::Debug for RecoveryGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryGroup")
            .field("config", &self.shared.config)
            .field("recovering", &self.is_recovering())
            .field("recoveries", &self.recoveries())
            .field("recovery_tasks_started", &self.recovery_tasks_started())
            .field("probes_sent", &self.probes_sent())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::breaker::TripReason;
    use crate::rt::{BoxFuture, ManualClock};

    #[derive(Default)]
    struct Keep(Mutex<Vec<BoxFuture<'static, ()>>>);

    impl Spawner for Keep {
        fn spawn(&self, task: BoxFuture<'static, ()>) {
            self.0.lock().unwrap().push(task);
        }
    }

    fn probe() -> BoxFuture<'static, bool> {
        Box::pin(async { true })
    }

    /// The race of DESIGN.md: a breaker trips after the finishing task bumped the generation but
    /// before it let go of the flag. Its claim fails; the finishing task must take over.
    #[test]
    fn trip_between_bump_and_release_is_recovered() {
        let clock = ManualClock::new();
        let config = BreakerConfig::builder()
            .failure_threshold(1)
            .build()
            .unwrap();
        let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(Keep::default()));
        let (a, b) = (group.breaker(probe), group.breaker(probe));
        let now = clock.now();

        assert!(a.record_failure(now, TripReason::Timeout).is_some());
        assert_eq!(group.recovery_tasks_started(), 1);
        assert!(group.is_recovering());

        // The task finishes, step by step.
        group.shared.bump_generation();
        assert!(a.is_closed());
        assert!(b.record_failure(now, TripReason::Timeout).is_some());
        assert_eq!(group.recovery_tasks_started(), 1, "the flag was still set");
        assert!(
            group.shared.release_and_reclaim(),
            "the finishing task must go on"
        );
        assert!(group.is_recovering());
        assert!(!b.is_closed());

        // Its next recovery closes b.
        assert!(!group.shared.finish());
        assert!(b.is_closed());
        assert!(!group.is_recovering());
    }

    /// The other order: the flag is already clear, so the tripping breaker claims it itself.
    #[test]
    fn trip_after_release_claims_the_flag() {
        let clock = ManualClock::new();
        let config = BreakerConfig::builder()
            .failure_threshold(1)
            .build()
            .unwrap();
        let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(Keep::default()));
        let (a, b) = (group.breaker(probe), group.breaker(probe));
        a.record_failure(clock.now(), TripReason::Timeout);
        assert!(!group.shared.finish());
        assert!(b.record_failure(clock.now(), TripReason::Timeout).is_some());
        assert_eq!(group.recovery_tasks_started(), 2);
        assert!(group.is_recovering());
    }

    /// A trip stored with a generation read just before the bump is closed by that bump, and
    /// starts no new recovery.
    #[test]
    fn stale_trip_claims_nothing() {
        let config = BreakerConfig::default();
        let group = RecoveryGroup::new(
            config,
            Arc::new(ManualClock::new()),
            Arc::new(Keep::default()),
        );
        group.shared.note_trip(state::trip_word(0));
        assert!(group.shared.claim());
        assert!(!group.shared.finish());
        group.shared.note_trip(state::trip_word(0));
        assert!(!group.shared.claim());
        assert!(!group.is_recovering());
    }
}
