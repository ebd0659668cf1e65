//! Observers only read, and every transition is one event: to the group's observers and one
//! tracing event, naming the breaker.

use std::sync::atomic::AtomicU64;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Level, Metadata, Subscriber};

use super::*;

/// Everything that a breaker exposes, read through its observers and the group's counters.
fn snapshot(f: &Fixture, b: &Breaker) -> String {
    format!(
        "{:?} {} {} {} {} {} {} {} {}",
        b.state(),
        b.consecutive_failures(),
        b.is_closed(),
        f.group.recovery_tasks_started(),
        f.group.is_recovering(),
        f.group.probes_sent(),
        f.tasks.len(),
        f.clock.pending_sleeps(),
        f.events.lock().unwrap().len(),
    )
}

/// Reads `b` every way there is, and checks that nothing changed.
fn only_reads(f: &Fixture, b: &Breaker, what: &str) {
    f.tasks.run();
    let before = snapshot(f, b);
    for _ in 0..3 {
        let _ = b.state();
        let _ = format!("{b:?} {:?} {:?}", f.group, b.config());
        let _ = (b.is_closed(), b.consecutive_failures(), b.name());
        let _ = (f.group.backoff_level(), f.group.recoveries());
    }
    f.tasks.run();
    assert_eq!(snapshot(f, b), before, "{what}");
}

#[test]
fn state_and_debug_only_read_in_every_state() {
    let f = Fixture::new(|c| c.probation_calls(2));
    let b = f.named("users");
    only_reads(&f, &b, "closed");
    fail(&b, &f.clock);
    only_reads(&f, &b, "closed with a failure");
    f.trip(&b);
    only_reads(&f, &b, "open");

    // The spawner dropped the task: only a check (which calls make) starts another.
    f.tasks.0.lock().unwrap().clear();
    only_reads(&f, &b, "open without a task");
    assert!(!f.group.is_recovering());
    assert!(b.check().is_err());
    assert_eq!(f.group.recovery_tasks_started(), 2);

    f.health.set_healthy(true);
    f.tasks.run();
    f.advance(SEC);
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 1, .. }
    ));
    only_reads(&f, &b, "recovering");
    f.advance(SEC);
    assert_eq!(b.state(), State::Probation { remaining: 2 });
    only_reads(&f, &b, "probation");
    b.force_open();
    only_reads(&f, &b, "forced open");
    b.disable();
    only_reads(&f, &b, "disabled");
    let debug = format!("{b:?}");
    assert!(
        debug.contains("users") && debug.contains("Disabled"),
        "{debug}"
    );
}

/// A tracing event: its level and `breaker` field.
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
        if !event
            .metadata()
            .target()
            .starts_with("fusebox_core::breaker")
        {
            return;
        }
        let mut name = BreakerField(None);
        event.record(&mut name);
        let level = *event.metadata().level();
        self.0.lock().unwrap().push((level, name.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[test]
fn one_tracing_event_per_transition_naming_the_breaker() {
    let recorder = Recorder::default();
    let logged = recorder.0.clone();
    tracing::subscriber::with_default(recorder, || {
        let f = Fixture::new(|c| c.probation_calls(1).probe_retries(1));
        let (a, b) = (f.named("users"), f.named("orders"));
        f.trip(&a);
        f.trip(&b);
        f.health.script(&[Answer::Fail, Answer::Hang]);
        f.health.set_healthy(true);
        f.advance_until(SEC, 60 * SEC, || a.is_closed());
        assert!(succeed(&a));
        b.force_open();
        b.reset();
        b.disable();
        b.disable();
        a.force_open();
        a.force_open();

        let events = f.events.lock().unwrap().clone();
        let transitions: Vec<Logged> = logged
            .lock()
            .unwrap()
            .iter()
            .filter(|(level, _)| *level <= Level::INFO)
            .cloned()
            .collect();
        assert_eq!(
            transitions.len(),
            events.len(),
            "{transitions:?}\n{events:?}"
        );
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
        let debug = logged.lock().unwrap().len() - transitions.len();
        assert!(
            debug > 0,
            "the task's own progress is logged at debug level"
        );
    });
}
