//! Operations: `force_open`, `reset`, `disable`, each one transition with one event naming the
//! breaker.

use fusebox_core::breaker::TripCause;

use super::*;

/// The events seen since the last call, as (breaker, kind).
fn events(f: &Fixture) -> Vec<(String, EventKind)> {
    let events = std::mem::take(&mut *f.events.lock().unwrap());
    events
        .into_iter()
        .map(|e| (e.breaker.to_string(), e.kind))
        .collect()
}

#[test]
fn force_open_refuses_calls_and_runs_no_recovery() {
    let f = Fixture::new(|c| c);
    let (b, other) = (f.named("users"), f.named("orders"));
    fail(&b, &f.clock);
    let before = b.check().unwrap();
    f.advance(SEC);
    b.force_open();
    let State::ForcedOpen(trip) = b.state() else {
        panic!("{:?}", b.state());
    };
    assert_eq!(trip.since, f.clock.now());
    assert_eq!(
        (trip.reason, trip.cause),
        (TripReason::Forced, TripCause::Forced)
    );
    assert_eq!(events(&f), [("users".into(), EventKind::ForcedOpen(trip))]);

    for _ in 0..3 {
        let err = b.check().unwrap_err();
        assert_eq!(err.trip(), &trip);
        assert_eq!(
            err.to_string(),
            "circuit breaker forced open: reset() closes it"
        );
    }
    assert_eq!(before.failure(f.clock.now(), TripReason::Timeout), None);
    f.advance(3600 * SEC);
    assert_eq!(b.state(), State::ForcedOpen(trip), "no recovery closes it");
    assert_eq!(f.group.stats().recovery_tasks_started, 0);
    assert_eq!((f.tasks.len(), f.health.calls()), (0, 0));
    assert!(
        other.is_closed(),
        "the group's other breakers are untouched"
    );

    b.force_open();
    assert_eq!(
        b.state(),
        State::ForcedOpen(trip),
        "forcing it again changes nothing"
    );
    assert!(events(&f).is_empty());
}

#[test]
fn force_open_while_tripped_is_not_closed_by_the_recovery() {
    let f = Fixture::new(|c| c);
    let b = f.named("users");
    f.trip(&b);
    b.force_open();
    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || !f.group.stats().recovering);
    assert_eq!(f.group.stats().recoveries, 1);
    assert!(matches!(b.state(), State::ForcedOpen(_)));
    let kinds: Vec<EventKind> = events(&f).into_iter().map(|(_, k)| k).collect();
    assert!(
        matches!(kinds[..], [EventKind::Tripped(_), EventKind::ForcedOpen(_)]),
        "{kinds:?}"
    );
}

#[test]
fn reset_closes_now_without_probation_and_ignores_stale_permits() {
    let f = Fixture::new(|c| c.probation_calls(5));
    let b = f.named("users");
    let stale: Vec<_> = (0..3).map(|_| b.check().unwrap()).collect();
    f.trip(&b);
    events(&f);
    b.reset();
    assert_eq!(
        b.state(),
        State::Closed,
        "closed at once, with no probation"
    );
    assert!(b.check().is_ok());
    assert_eq!(events(&f), [("users".into(), EventKind::Reset)]);

    for permit in stale {
        assert_eq!(permit.failure(f.clock.now(), TripReason::Timeout), None);
    }
    assert_eq!(b.consecutive_failures(), 0);

    // The recovery that was running for the trip finishes without touching the breaker.
    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || !f.group.stats().recovering);
    assert_eq!(b.state(), State::Closed);
    assert!(events(&f).is_empty());

    // reset also ends force_open and disable.
    b.force_open();
    b.reset();
    assert_eq!(b.state(), State::Closed);
    b.disable();
    b.reset();
    assert_eq!(b.state(), State::Closed);
    let kinds: Vec<EventKind> = events(&f).into_iter().map(|(_, k)| k).collect();
    assert!(matches!(
        kinds[..],
        [
            EventKind::ForcedOpen(_),
            EventKind::Reset,
            EventKind::Disabled,
            EventKind::Reset
        ]
    ));
}

#[test]
fn reset_of_a_closed_breaker_forgets_its_failures() {
    let f = Fixture::new(|c| c);
    let b = f.named("users");
    let early = b.check().unwrap();
    fail(&b, &f.clock);
    fail(&b, &f.clock);
    b.reset();
    assert_eq!(b.consecutive_failures(), 0);
    assert_eq!(early.failure(f.clock.now(), TripReason::Timeout), None);
    assert_eq!(b.consecutive_failures(), 0, "admitted before the reset");
    assert_eq!(events(&f), [("users".into(), EventKind::Reset)]);
}

#[test]
fn disabled_counts_but_never_trips() {
    let f = Fixture::new(|c| c.failure_threshold(2));
    let b = f.named("users");
    fail(&b, &f.clock);
    b.disable();
    assert_eq!(b.state(), State::Disabled);
    assert_eq!(events(&f), [("users".into(), EventKind::Disabled)]);
    for n in 1..=100 {
        assert!(!fail(&b, &f.clock));
        assert_eq!(b.consecutive_failures(), n, "it counts");
    }
    assert!(succeed(&b));
    assert_eq!(b.consecutive_failures(), 0);
    assert!(b.is_closed());
    b.disable();
    assert!(events(&f).is_empty(), "disabling again changes nothing");
    assert_eq!(f.group.stats().recovery_tasks_started, 0);

    // Disabling a tripped breaker lets calls through at once.
    let f = Fixture::new(|c| c);
    let b = f.named("orders");
    f.trip(&b);
    b.disable();
    assert!(b.check().is_ok());
    assert_eq!(b.state(), State::Disabled);
}

#[test]
fn every_event_names_its_breaker_and_comes_when_it_happens() {
    let f = Fixture::new(|c| {
        c.failure_threshold(1)
            .success_threshold(1)
            .probation_calls(1)
    });
    let (a, b) = (f.named("users"), f.named("orders"));
    let t0 = f.clock.now();
    f.trip(&a);
    f.advance(SEC);
    f.trip(&b);
    f.health.set_healthy(true);
    f.advance(SEC);
    assert!(a.is_closed() && b.is_closed());
    assert!(succeed(&b));
    let seen = std::mem::take(&mut *f.events.lock().unwrap());
    let got: Vec<(&str, Duration, &str)> = seen
        .iter()
        .map(|e| {
            let kind = match e.kind {
                EventKind::Tripped(_) => "tripped",
                EventKind::Recovered => "recovered",
                EventKind::Stable => "stable",
                _ => "other",
            };
            (&*e.breaker, e.at - t0, kind)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("users", Duration::ZERO, "tripped"),
            ("orders", SEC, "tripped"),
            ("users", 2 * SEC, "recovered"),
            ("orders", 2 * SEC, "recovered"),
            ("orders", 2 * SEC, "stable"),
        ]
    );
    assert_eq!(f.group.breaker(f.health.clone()).name(), "breaker");
}
