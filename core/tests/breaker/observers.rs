//! Observers only read. (One tracing event per transition: `tests/breaker_tracing.rs`, a binary of
//! its own so that its subscriber is the global one.)

use super::*;

/// Everything that a breaker exposes, read through its observers and the group's counters.
fn snapshot(f: &Fixture, b: &Breaker) -> String {
    format!(
        "{:?} {} {} {} {} {} {} {} {}",
        b.state(),
        b.consecutive_failures(),
        b.is_closed(),
        f.group.stats().recovery_tasks_started,
        f.group.stats().recovering,
        f.group.stats().probes_sent,
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
        let _ = (f.group.stats().backoff_level, f.group.stats().recoveries);
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
    assert!(!f.group.stats().recovering);
    assert!(b.check().is_err());
    assert_eq!(f.group.stats().recovery_tasks_started, 2);

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
