//! Scenario tests of the breaker on the manual clock, with a controllable probe and a hand-polled
//! spawner. No real sleeps.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::*};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use fusebox_core::breaker::{
    Breaker, BreakerConfig, BreakerConfigBuilder, ConfigError, OpenError, Probe, RecoveryGroup,
    State, Trip, TripReason,
};
use fusebox_core::rt::{BoxFuture, Clock, ManualClock, Spawner};

const SEC: Duration = Duration::from_secs(1);

/// A spawner whose tasks the test polls by hand.
#[derive(Clone, Default)]
struct Tasks(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Spawner for Tasks {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.0.lock().unwrap().push(task);
    }
}

impl Tasks {
    /// Polls every task until each waits (on the manual clock) or is done.
    fn run(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            let mut tasks = std::mem::take(&mut *self.0.lock().unwrap());
            if tasks.is_empty() {
                return;
            }
            tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
            let mut queue = self.0.lock().unwrap();
            let spawned_meanwhile = !queue.is_empty();
            tasks.append(&mut queue);
            *queue = tasks;
            if !spawned_meanwhile {
                return;
            }
        }
    }

    /// Tasks not yet done.
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

type Hook = Box<dyn FnOnce() + Send>;

/// The service's health as the probe sees it: `script` answers first, then `healthy`.
#[derive(Clone)]
struct Health {
    clock: ManualClock,
    healthy: Arc<AtomicBool>,
    script: Arc<Mutex<VecDeque<bool>>>,
    /// When each probe was sent.
    sent: Arc<Mutex<Vec<Instant>>>,
    /// Run at the next probe, before it answers.
    hook: Arc<Mutex<Option<Hook>>>,
}

impl Probe for Health {
    fn probe(&self) -> BoxFuture<'static, bool> {
        self.sent.lock().unwrap().push(self.clock.now());
        if let Some(hook) = self.hook.lock().unwrap().take() {
            hook();
        }
        let ok = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| self.healthy.load(SeqCst));
        Box::pin(async move { ok })
    }
}

impl Health {
    fn calls(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, SeqCst);
    }

    fn script(&self, answers: &[bool]) {
        self.script.lock().unwrap().extend(answers);
    }
}

struct Fixture {
    clock: ManualClock,
    tasks: Tasks,
    health: Health,
    group: RecoveryGroup,
}

impl Fixture {
    /// Defaults for tests: 3 failures trip; 2 good rounds recover; 1 s interval; no retries;
    /// backoff capped at 8 s; no jitter. `tweak` changes them.
    fn new(tweak: impl FnOnce(BreakerConfigBuilder) -> BreakerConfigBuilder) -> Fixture {
        let base = BreakerConfig::builder()
            .failure_threshold(3)
            .success_threshold(2)
            .probe_interval(SEC)
            .probe_retries(0)
            .max_backoff(8 * SEC)
            .jitter(0.0);
        let config = tweak(base).build().unwrap();
        let clock = ManualClock::new();
        let tasks = Tasks::default();
        let health = Health {
            clock: clock.clone(),
            healthy: Arc::new(AtomicBool::new(false)),
            script: Arc::default(),
            sent: Arc::default(),
            hook: Arc::default(),
        };
        let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(tasks.clone()));
        Fixture {
            clock,
            tasks,
            health,
            group,
        }
    }

    fn breaker(&self) -> Breaker {
        self.group.breaker(self.health.clone())
    }

    /// Fails `breaker` until it trips; panics if it takes more than the threshold.
    fn trip(&self, breaker: &Breaker) {
        for _ in 0..self.group.config().failure_threshold() {
            if breaker
                .record_failure(self.clock.now(), TripReason::Connect)
                .is_some()
            {
                return;
            }
        }
        panic!("did not trip");
    }

    /// Moves time by `by` and runs the tasks.
    fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.tasks.run();
    }
}

fn fail(breaker: &Breaker, clock: &ManualClock) -> bool {
    breaker
        .record_failure(clock.now(), TripReason::ServerError { status: 500 })
        .is_some()
}

#[test]
fn trips_after_exactly_failure_threshold_failures() {
    let f = Fixture::new(|c| c);
    let b = f.breaker();
    let since = f.clock.now();
    assert!(!fail(&b, &f.clock));
    assert!(!fail(&b, &f.clock));
    assert!(b.is_closed());
    assert_eq!(b.consecutive_failures(), 2);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(f.group.recovery_tasks_started(), 0);

    let reason = TripReason::TooSlow { elapsed: 12 * SEC };
    let trip = b
        .record_failure(since, reason)
        .expect("third failure trips");
    assert_eq!((trip.since, trip.reason, trip.failures), (since, reason, 3));
    assert!(!b.is_closed());
    assert_eq!(b.state(), State::Open(trip));
    let err: OpenError = b.check().unwrap_err();
    assert_eq!(err.trip(), &trip);
    assert!(err.to_string().contains("3 consecutive failures"), "{err}");
    assert_eq!(f.group.recovery_tasks_started(), 1);

    // failures while open are ignored, and do not trip again
    assert!(!fail(&b, &f.clock));
    assert_eq!(b.state(), State::Open(trip));
}

#[test]
fn a_success_resets_the_count() {
    let f = Fixture::new(|c| c);
    let b = f.breaker();
    fail(&b, &f.clock);
    fail(&b, &f.clock);
    b.record_success();
    assert_eq!(b.consecutive_failures(), 0);
    assert!(!fail(&b, &f.clock));
    assert!(!fail(&b, &f.clock));
    assert!(b.is_closed());
    assert!(fail(&b, &f.clock));
}

#[test]
fn many_clients_tripping_start_one_recovery_task() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    let breakers: Vec<Breaker> = (0..50).map(|_| f.breaker()).collect();
    for b in &breakers {
        f.trip(b);
    }
    assert_eq!(f.group.recovery_tasks_started(), 1);
    assert_eq!(f.tasks.len(), 1);
    assert!(f.group.is_recovering());
    // rejected checks do not start more
    for b in &breakers {
        assert!(b.check().is_err());
    }
    assert_eq!(f.group.recovery_tasks_started(), 1);
}

#[test]
fn many_threads_tripping_at_once_start_one_recovery_task() {
    for _ in 0..20 {
        let f = Fixture::new(|c| c.failure_threshold(1));
        let breakers: Vec<Breaker> = (0..8).map(|_| f.breaker()).collect();
        let start = std::sync::Barrier::new(breakers.len());
        std::thread::scope(|s| {
            for b in &breakers {
                let (start, clock) = (&start, &f.clock);
                s.spawn(move || {
                    start.wait();
                    assert!(fail(b, clock));
                });
            }
        });
        assert_eq!(f.group.recovery_tasks_started(), 1);
        assert!(breakers.iter().all(|b| !b.is_closed()));
    }
}

#[test]
fn recovery_needs_consecutive_good_rounds() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(3));
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    f.health.script(&[true, true, false]);
    f.health.set_healthy(true);

    f.advance(SEC); // good 1
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 1, .. }
    ));
    f.advance(SEC); // good 2
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 2, .. }
    ));
    f.advance(SEC); // failed: back to open, next round in 2 s
    assert!(matches!(b.state(), State::Open(_)));
    f.advance(SEC);
    assert_eq!(f.health.calls(), 3);
    f.advance(SEC); // good 1
    f.advance(SEC); // good 2
    assert!(!b.is_closed());
    f.advance(SEC); // good 3: recovered
    assert!(b.is_closed());
    assert_eq!(b.state(), State::Closed);
    assert_eq!(f.health.calls(), 6);
    assert_eq!(f.group.recoveries(), 1);
    assert_eq!(f.group.probes_sent(), 6);
    assert!(!f.group.is_recovering());
    assert_eq!(f.tasks.len(), 0, "the task ended");
}

#[test]
fn a_failed_probe_is_retried_within_the_round() {
    let f = Fixture::new(|c| c.failure_threshold(1).probe_retries(2));
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    f.advance(SEC);
    assert_eq!(f.health.calls(), 3, "one probe and two retries");
    let sent = f.health.sent.lock().unwrap().clone();
    assert!(sent.iter().all(|t| *t == sent[0]), "retries go out at once");

    // A retry that succeeds makes the round good.
    f.health.script(&[false, true]);
    f.advance(SEC); // backoff after one failed round: 2 s
    assert_eq!(f.health.calls(), 3);
    f.advance(SEC);
    assert_eq!(f.health.calls(), 5);
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 1, .. }
    ));
}

/// The waits between probe rounds, read off when probes were sent, with the clock moving by
/// `step`.
fn probe_gaps(f: &Fixture, rounds: usize, step: Duration) -> Vec<Duration> {
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    let start = f.clock.now();
    while f.health.calls() < rounds {
        f.advance(step);
        assert!(
            f.clock.now() - start < Duration::from_secs(3600),
            "no progress"
        );
    }
    let mut sent = vec![start];
    sent.extend(f.health.sent.lock().unwrap().iter().copied());
    sent.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    let f = Fixture::new(|c| c.failure_threshold(1).max_backoff(20 * SEC));
    let gaps = probe_gaps(&f, 8, SEC);
    let secs: Vec<u64> = gaps.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 20, 20, 20]);

    // A good round ends the backoff: the next round comes one interval later.
    f.health.script(&[true]);
    f.advance(20 * SEC);
    let calls = f.health.calls();
    f.advance(SEC);
    assert_eq!(f.health.calls(), calls + 1);
}

#[test]
fn jitter_shortens_backoff_within_bounds() {
    let step = Duration::from_millis(10);
    let f = Fixture::new(|c| c.failure_threshold(1).jitter(0.5).max_backoff(8 * SEC));
    let gaps = probe_gaps(&f, 8, step);
    assert_eq!(gaps[0], SEC);
    for (n, gap) in gaps.iter().enumerate().skip(1) {
        let full = (SEC * (1 << n)).min(8 * SEC);
        let low = (full / 2).max(SEC);
        assert!(
            *gap >= low && *gap <= full + step,
            "round {n}: {gap:?} not in {low:?}..={full:?}"
        );
    }
}

#[test]
fn recovery_closes_every_client_that_tripped_before_it() {
    let f = Fixture::new(|c| c);
    let breakers: Vec<Breaker> = (0..5).map(|_| f.breaker()).collect();
    let untouched = f.breaker();
    for b in &breakers {
        f.trip(b);
    }
    fail(&untouched, &f.clock);
    f.tasks.run();
    f.health.set_healthy(true);
    f.advance(SEC);
    assert!(breakers.iter().all(|b| !b.is_closed()));
    f.advance(SEC);
    assert!(breakers.iter().all(Breaker::is_closed));
    assert!(breakers.iter().all(|b| b.consecutive_failures() == 0));
    assert_eq!(
        untouched.consecutive_failures(),
        1,
        "a closed client keeps its count"
    );
    assert_eq!(f.group.recoveries(), 1);
    assert_eq!(f.group.recovery_tasks_started(), 1);
    assert_eq!(f.tasks.len(), 0);

    // They count afresh and trip again, with a new recovery.
    let b = &breakers[0];
    assert!(!fail(b, &f.clock));
    f.trip(b);
    assert_eq!(f.group.recovery_tasks_started(), 2);
}

/// A client that trips while the last probe is in flight tripped before the recovery finished:
/// the recovery closes it too.
#[test]
fn trip_during_the_last_probe_is_closed_by_the_recovery() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let first = f.breaker();
    let late = Arc::new(f.breaker());
    f.trip(&first);
    f.tasks.run();
    f.health.set_healthy(true);
    let (hook_late, clock) = (late.clone(), f.clock.clone());
    *f.health.hook.lock().unwrap() = Some(Box::new(move || {
        assert!(fail(&hook_late, &clock));
    }));
    f.advance(SEC);
    assert!(first.is_closed());
    assert!(late.is_closed());
    assert_eq!(f.group.recovery_tasks_started(), 1);
    assert!(!f.group.is_recovering());
}

/// A client that trips just after a recovery finished gets a recovery of its own. (The
/// interleaving inside the finish, between the generation bump and the release of the flag, is
/// forced by a unit test in `group.rs`.)
#[test]
fn trip_right_after_recovery_gets_its_own_recovery() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let (a, b) = (f.breaker(), f.breaker());
    f.trip(&a);
    f.tasks.run();
    f.health.set_healthy(true);
    f.advance(SEC);
    assert!(a.is_closed());
    f.trip(&b);
    assert_eq!(f.group.recovery_tasks_started(), 2);
    assert!(f.group.is_recovering());
    f.tasks.run();
    f.advance(SEC);
    assert!(b.is_closed());
    assert_eq!(f.group.recoveries(), 2);
}

/// Clients trip on several threads while recovery runs and finishes over and over on another:
/// whatever the interleaving, every trip ends in a recovery.
#[test]
fn concurrent_trips_and_recoveries_never_strand_a_client() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    f.health.set_healthy(true);
    let breakers: Vec<Breaker> = (0..4).map(|_| f.breaker()).collect();
    let done = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for b in &breakers {
            let (f, done) = (&f, &done);
            s.spawn(move || {
                for _ in 0..200 {
                    assert!(fail(b, &f.clock) || !b.is_closed());
                    let mut spins = 0u64;
                    while !b.is_closed() {
                        std::thread::yield_now();
                        spins += 1;
                        assert!(spins < 10_000_000, "stranded: {:?}", b.state());
                    }
                }
                done.fetch_add(1, SeqCst);
            });
        }
        while done.load(SeqCst) < breakers.len() {
            f.advance(SEC);
            std::thread::yield_now();
        }
    });
    assert!(breakers.iter().all(Breaker::is_closed));
    assert!(f.group.recoveries() >= 1);
}

/// Trip `i` of the torn-read test: its instant and reason both derive from `i`, so a trip put
/// together from the fields of two trips shows. Every third does not fit the breaker's atomics.
fn nth_trip(base: Instant, i: u32) -> (Instant, TripReason) {
    let offset = Duration::new(u64::from(i), i);
    let reason = match i % 3 {
        0 => TripReason::TooSlow { elapsed: offset },
        1 => TripReason::ServerError {
            status: 500 + (i % 100) as u16,
        },
        _ => TripReason::TooSlow {
            elapsed: Duration::from_secs(1 << 40) + offset,
        },
    };
    (base + offset, reason)
}

/// Sets its flag when dropped.
struct Stop<'a>(&'a AtomicBool);

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.0.store(true, SeqCst);
    }
}

/// Rejections read the trip without a lock while it is being replaced: whatever the
/// interleaving, each sees one whole trip, never fields of two.
#[test]
fn rejections_see_whole_trips_while_the_breaker_trips_and_recovers() {
    const TRIPS: u32 = 300;
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    f.health.set_healthy(true);
    let b = f.breaker();
    let base = f.clock.now();
    let done = AtomicBool::new(false);
    let rejected = AtomicUsize::new(0);
    let check = |trip: Trip| {
        let i = u32::try_from((trip.since - base).as_secs()).unwrap();
        let (since, reason) = nth_trip(base, i);
        assert_eq!((trip.since, trip.reason, trip.failures), (since, reason, 1));
    };
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                while !done.load(SeqCst) {
                    if let Err(e) = b.check() {
                        check(*e.trip());
                        rejected.fetch_add(1, SeqCst);
                    }
                    if let Some(trip) = b.state().trip() {
                        check(*trip);
                    }
                }
            });
        }
        let _stop = Stop(&done); // the readers stop even if this thread panics
        for i in 0..TRIPS {
            let (since, reason) = nth_trip(base, i);
            let before = rejected.load(SeqCst);
            let trip = b
                .record_failure(since, reason)
                .expect("closed, so it trips");
            assert_eq!((trip.since, trip.reason), (since, reason));
            let mut spins = 0u64;
            while rejected.load(SeqCst) == before {
                std::thread::yield_now(); // until a reader saw this trip
                spins += 1;
                assert!(spins < 10_000_000, "no reader saw trip {i}");
            }
            // The probe succeeds: recovered. (A reader may have started the task, and put it
            // in the queue only after this thread ran the queue: it starts at a later run.)
            f.tasks.run();
            let mut rounds = 0;
            while !b.is_closed() {
                f.advance(SEC);
                std::thread::yield_now();
                rounds += 1;
                assert!(rounds < 100_000, "trip {i} not recovered: {:?}", b.state());
            }
        }
    });
    assert!(rejected.load(SeqCst) >= TRIPS as usize);
    assert_eq!(f.group.recoveries(), u64::from(TRIPS));
}

/// Instants before the breaker was made, and trips too large for the atomics (kept aside), read
/// back exactly.
#[test]
fn any_trip_reads_back_exactly() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    f.clock.advance(10 * SEC);
    let now = f.clock.now();
    let long_ago = now.checked_sub(Duration::from_secs(86_400 * 365 * 300));
    let cases = [
        (Some(now - 5 * SEC), TripReason::Timeout),
        (long_ago, TripReason::Connect),
        (
            Some(now + Duration::from_nanos(1)),
            TripReason::TooSlow {
                elapsed: Duration::MAX,
            },
        ),
        (Some(now), TripReason::ServerError { status: u16::MAX }),
    ];
    for (since, reason) in cases {
        let Some(since) = since else { continue };
        let b = f.breaker();
        let trip = b.record_failure(since, reason).unwrap();
        assert_eq!((trip.since, trip.reason, trip.failures), (since, reason, 1));
        for _ in 0..2 {
            assert_eq!(b.check().unwrap_err().trip(), &trip);
            assert_eq!(b.state(), State::Open(trip));
        }
    }
}

/// One thread rejecting for several tripped breakers gets each one's own trip, and a breaker's
/// new trip once it tripped again.
#[test]
fn each_breaker_reports_its_own_current_trip() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    let breakers: Vec<Breaker> = (0..6).map(|_| f.breaker()).collect();
    let t0 = f.clock.now();
    let trips: Vec<Trip> = (0..6)
        .map(|n| {
            let reason = TripReason::ServerError { status: 500 + n };
            breakers[usize::from(n)]
                .record_failure(t0 + u32::from(n) * SEC, reason)
                .unwrap()
        })
        .collect();
    for _ in 0..3 {
        for (b, trip) in breakers.iter().zip(&trips) {
            assert_eq!(b.check().unwrap_err().trip(), trip);
        }
    }

    f.health.set_healthy(true);
    f.tasks.run();
    f.advance(SEC);
    let b = &breakers[0];
    assert!(b.check().is_ok());
    let again = b.record_failure(t0 + 9 * SEC, TripReason::Timeout).unwrap();
    assert_eq!(b.check().unwrap_err().trip(), &again);
}

#[test]
fn the_task_ends_when_the_group_is_dropped() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    assert_eq!(f.tasks.len(), 1);
    assert_eq!(f.clock.pending_sleeps(), 1);
    let Fixture {
        clock,
        tasks,
        health,
        group,
    } = f;
    drop((b, group));
    tasks.run(); // no time passes
    assert_eq!(tasks.len(), 0);
    assert_eq!(clock.pending_sleeps(), 0);
    assert_eq!(health.calls(), 0);
}

#[test]
fn a_dropped_task_is_replaced_by_the_next_check() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    let b = f.breaker();
    f.trip(&b);
    assert!(f.group.is_recovering());
    f.tasks.0.lock().unwrap().clear(); // the spawner drops the task unpolled
    assert!(!f.group.is_recovering());
    assert!(b.check().is_err());
    assert!(f.group.is_recovering());
    assert_eq!(f.group.recovery_tasks_started(), 2);
    f.health.set_healthy(true);
    f.tasks.run();
    f.advance(SEC);
    f.advance(SEC);
    assert!(b.is_closed());
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Breaker>();
    send_sync::<RecoveryGroup>();
    send_sync::<BreakerConfig>();
    send_sync::<OpenError>();
    send_sync::<ConfigError>();
    send_sync::<State>();
}
