//! Scenario tests of the breaker on the manual clock, with a scripted probe and a hand-polled
//! spawner. No real sleeps.

mod basics;
mod flapping;
mod limits;
mod observers;
mod operations;
mod permits;
mod policies;
mod probes;
mod races;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::{Duration, Instant};

use fusebox_core::breaker::{
    Breaker, BreakerConfig, BreakerConfigBuilder, ConfigError, Event, EventKind, OpenError,
    Outcome, Probe, RecoveryGroup, State, Trip, TripReason,
};
use fusebox_core::rt::{BoxFuture, Clock, ManualClock, Spawner};

const SEC: Duration = Duration::from_secs(1);
const MS: Duration = Duration::from_millis(1);

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

/// How the probe answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Ok,
    Fail,
    /// Never completes.
    Hang,
    /// Panics while making the probe's future.
    PanicNow,
    /// Panics when the probe's future is polled.
    PanicLater,
}

type Hook = Box<dyn FnOnce() + Send>;

/// The service's health as the probe sees it: `script` answers first, then `healthy`.
#[derive(Clone)]
struct Health {
    clock: ManualClock,
    healthy: Arc<AtomicBool>,
    script: Arc<Mutex<VecDeque<Answer>>>,
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
        let answer = self.script.lock().unwrap().pop_front();
        let answer = answer.unwrap_or(if self.healthy.load(SeqCst) {
            Answer::Ok
        } else {
            Answer::Fail
        });
        match answer {
            Answer::Ok => Box::pin(async { true }),
            Answer::Fail => Box::pin(async { false }),
            Answer::Hang => Box::pin(std::future::pending()),
            Answer::PanicNow => panic!("probe panics (on purpose)"),
            Answer::PanicLater => Box::pin(async { panic!("probe panics later (on purpose)") }),
        }
    }
}

impl Health {
    fn calls(&self) -> usize {
        self.sent.lock().unwrap().len()
    }

    fn set_healthy(&self, healthy: bool) {
        self.healthy.store(healthy, SeqCst);
    }

    fn script(&self, answers: &[Answer]) {
        self.script.lock().unwrap().extend(answers);
    }

    /// When the probes were sent, as offsets from `start`.
    fn sent_since(&self, start: Instant) -> Vec<Duration> {
        let sent = self.sent.lock().unwrap();
        sent.iter().map(|t| *t - start).collect()
    }
}

struct Fixture {
    clock: ManualClock,
    tasks: Tasks,
    health: Health,
    group: RecoveryGroup,
    events: Arc<Mutex<Vec<Event>>>,
}

/// The defaults of the tests: 3 failures trip; 2 good rounds recover; 1 s interval; no retries;
/// backoff capped at 8 s; no jitter; no probation.
fn base() -> BreakerConfigBuilder {
    BreakerConfig::builder()
        .failure_threshold(3)
        .success_threshold(2)
        .probe_interval(SEC)
        .probe_retries(0)
        .max_backoff(8 * SEC)
        .jitter(0.0)
        .probation_calls(0)
}

impl Fixture {
    /// A group with [`base`] settings changed by `tweak`, an unhealthy probe and an observer.
    fn new(tweak: impl FnOnce(BreakerConfigBuilder) -> BreakerConfigBuilder) -> Fixture {
        Fixture::with(tweak(base()).build().unwrap())
    }

    fn with(config: BreakerConfig) -> Fixture {
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
        let events = Arc::new(Mutex::new(Vec::new()));
        let seen = events.clone();
        group.on_event(move |e| seen.lock().unwrap().push(e.clone()));
        Fixture {
            clock,
            tasks,
            health,
            group,
            events,
        }
    }

    fn breaker(&self) -> Breaker {
        self.group.breaker(self.health.clone())
    }

    fn named(&self, name: &str) -> Breaker {
        self.group.breaker_named(name, self.health.clone())
    }

    /// Fails `breaker` until it trips; panics if it takes more than the threshold.
    fn trip(&self, breaker: &Breaker) -> Trip {
        for _ in 0..self.group.config().failure_threshold() {
            if let Some(trip) = fail_with(breaker, &self.clock, TripReason::Connect) {
                return trip;
            }
        }
        panic!("did not trip: {breaker:?}");
    }

    /// Moves time by `by` and runs the tasks.
    fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.tasks.run();
    }

    /// Moves time in steps of `step` until `done`, at most `limit` in all; the time it took.
    fn advance_until(&self, step: Duration, limit: Duration, done: impl Fn() -> bool) -> Duration {
        let start = self.clock.now();
        self.tasks.run();
        while !done() {
            assert!(self.clock.now() - start < limit, "no progress in {limit:?}");
            self.advance(step);
        }
        self.clock.now() - start
    }

    /// The kinds of the events seen so far, and forgets them.
    fn take_events(&self) -> Vec<EventKind> {
        let events = std::mem::take(&mut *self.events.lock().unwrap());
        events.into_iter().map(|e| e.kind).collect()
    }
}

/// Admits a call and fails it at `clock.now()` with `reason`; the trip if it tripped.
fn fail_with(breaker: &Breaker, clock: &ManualClock, reason: TripReason) -> Option<Trip> {
    breaker.check().ok()?.failure(clock.now(), reason)
}

/// Admits a call and fails it with a 500; whether that tripped the breaker.
fn fail(breaker: &Breaker, clock: &ManualClock) -> bool {
    fail_with(breaker, clock, TripReason::Status { status: 500 }).is_some()
}

/// Admits a call and records a success; whether it was admitted.
fn succeed(breaker: &Breaker) -> bool {
    breaker.check().map(|p| p.success()).is_ok()
}

/// A failure with a server's `Retry-After`.
fn failure_after(reason: TripReason, retry_after: Duration) -> Outcome {
    Outcome::Failure {
        reason,
        retry_after: Some(retry_after),
    }
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
    send_sync::<Event>();
    send_sync::<fusebox_core::breaker::Permit<'static>>();
}
