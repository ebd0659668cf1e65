//! One tracing event per transition of a breaker, naming it, at the moment it happens.
//!
//! A binary of its own with a single test: its recording subscriber is the global default, so no
//! other test's thread can leave a callsite's interest cached as "never".

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use fusebox_core::breaker::{BreakerConfig, EventKind, RecoveryGroup, TripReason};
use fusebox_core::rt::{BoxFuture, Clock, ManualClock, Spawner};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

/// A tracing event of the breaker: its level and `breaker` field.
type Logged = (Level, Option<String>);

/// Records every tracing event of the breaker.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Logged>>>);

struct BreakerField(Option<String>);

impl Visit for BreakerField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "breaker" {
            self.0 = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "breaker" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Id::from_u64(NEXT.fetch_add(1, SeqCst))
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        if event
            .metadata()
            .target()
            .starts_with("fusebox_core::breaker")
        {
            let mut name = BreakerField(None);
            event.record(&mut name);
            let level = *event.metadata().level();
            self.0.lock().unwrap().push((level, name.0));
        }
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// A spawner whose tasks the test polls by hand.
#[derive(Clone, Default)]
struct Tasks(Arc<Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Spawner for Tasks {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.0.lock().unwrap().push(task);
    }
}

impl Tasks {
    fn run(&self) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut tasks = std::mem::take(&mut *self.0.lock().unwrap());
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        self.0.lock().unwrap().append(&mut tasks);
    }
}

#[test]
fn one_tracing_event_per_transition_naming_the_breaker() {
    let recorder = Recorder::default();
    let logged = recorder.0.clone();
    tracing::subscriber::set_global_default(recorder).unwrap();

    let clock = ManualClock::new();
    let tasks = Tasks::default();
    let config = BreakerConfig::builder()
        .failure_threshold(1)
        .success_threshold(1)
        .probation_calls(1)
        .probe_retries(0)
        .jitter(0.0)
        .build()
        .unwrap();
    let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(tasks.clone()));
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    group.on_event(move |e| seen.lock().unwrap().push(e.clone()));
    // The first probe fails, the others succeed.
    let probes = Arc::new(AtomicUsize::new(0));
    let probe = move || -> BoxFuture<'static, bool> {
        let ok = probes.fetch_add(1, SeqCst) > 0;
        Box::pin(async move { ok })
    };
    let (a, b) = (
        group.breaker_named("users", probe.clone()),
        group.breaker_named("orders", probe),
    );
    let transitions_now = || {
        let logged = logged.lock().unwrap();
        logged.iter().filter(|(l, _)| *l <= Level::INFO).count()
    };

    // Each transition logs as it happens: its event is there when the call returns.
    a.check().unwrap().failure(clock.now(), TripReason::Timeout);
    assert_eq!(transitions_now(), 1);
    b.check().unwrap().failure(clock.now(), TripReason::Connect);
    assert_eq!(transitions_now(), 2);
    for _ in 0..10 {
        tasks.run();
        clock.advance(Duration::from_secs(1));
    }
    tasks.run();
    assert!(a.is_closed() && b.is_closed());
    a.check().unwrap().success();
    b.force_open();
    b.reset();
    b.disable();
    b.disable();
    a.force_open();
    a.force_open();

    let events = events.lock().unwrap().clone();
    let logged = logged.lock().unwrap().clone();
    let transitions: Vec<&Logged> = logged.iter().filter(|(l, _)| *l <= Level::INFO).collect();
    assert_eq!(transitions.len(), events.len(), "{logged:?}\n{events:?}");
    for ((level, name), event) in transitions.iter().zip(&events) {
        assert_eq!(name.as_deref(), Some(&*event.breaker));
        let warn = matches!(event.kind, EventKind::Tripped(_));
        assert_eq!(*level == Level::WARN, warn, "{event:?}");
    }
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            let kind = match e.kind {
                EventKind::Tripped(_) => "tripped",
                EventKind::Recovered => "recovered",
                EventKind::Stable => "stable",
                EventKind::ForcedOpen(_) => "forced",
                EventKind::Reset => "reset",
                EventKind::Disabled => "disabled",
                _ => "other",
            };
            (&*e.breaker, kind)
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("users", "tripped"),
            ("orders", "tripped"),
            ("users", "recovered"),
            ("orders", "recovered"),
            ("users", "stable"),
            ("orders", "forced"),
            ("orders", "reset"),
            ("orders", "disabled"),
            ("users", "forced"),
        ]
    );
    assert!(
        logged.len() > transitions.len(),
        "the task's own progress is logged, at debug level"
    );
}
