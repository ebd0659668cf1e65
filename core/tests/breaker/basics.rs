//! Thresholds, one task per group, rounds, backoff, recovery of every tripped breaker, and the
//! task's end.

use fusebox_core::breaker::TripCause;

use super::*;

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
    assert_eq!(f.group.stats().recovery_tasks_started, 0);

    let reason = TripReason::TooSlow { elapsed: 12 * SEC };
    let trip = b.check().unwrap().failure(since, reason).expect("trips");
    assert_eq!(trip.since, since);
    assert_eq!(trip.reason, reason);
    assert_eq!(trip.cause, TripCause::ConsecutiveFailures { failures: 3 });
    assert!(!b.is_closed());
    assert_eq!(b.state(), State::Open(trip));
    let err: OpenError = b.check().unwrap_err();
    assert_eq!(err.trip(), &trip);
    assert!(err.to_string().contains("3 consecutive failures"), "{err}");
    assert_eq!(f.group.stats().recovery_tasks_started, 1);
    assert_eq!(
        b.consecutive_failures(),
        0,
        "the count starts again at the trip"
    );
}

#[test]
fn a_success_resets_the_count() {
    let f = Fixture::new(|c| c);
    let b = f.breaker();
    fail(&b, &f.clock);
    fail(&b, &f.clock);
    assert!(succeed(&b));
    assert_eq!(b.consecutive_failures(), 0);
    assert!(!fail(&b, &f.clock));
    assert!(!fail(&b, &f.clock));
    assert!(b.is_closed());
    assert!(fail(&b, &f.clock));
}

#[test]
fn many_breakers_tripping_start_one_recovery_task() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    let breakers: Vec<Breaker> = (0..50).map(|_| f.breaker()).collect();
    for b in &breakers {
        f.trip(b);
    }
    assert_eq!(f.group.stats().recovery_tasks_started, 1);
    assert_eq!(f.tasks.len(), 1);
    assert!(f.group.stats().recovering);
    for b in &breakers {
        assert!(b.check().is_err());
    }
    assert_eq!(
        f.group.stats().recovery_tasks_started,
        1,
        "refusals start no more"
    );
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
        assert_eq!(f.group.stats().recovery_tasks_started, 1);
        assert!(breakers.iter().all(|b| !b.is_closed()));
    }
}

#[test]
fn recovery_needs_consecutive_good_rounds() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(3));
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    f.health.script(&[Answer::Ok, Answer::Ok, Answer::Fail]);
    f.health.set_healthy(true);

    f.advance(SEC);
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 1, .. }
    ));
    f.advance(SEC);
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 2, .. }
    ));
    f.advance(SEC); // failed: open again, the next round in 2 s
    assert!(matches!(b.state(), State::Open(_)));
    f.advance(SEC);
    assert_eq!(f.health.calls(), 3);
    f.advance(SEC);
    f.advance(SEC);
    assert!(!b.is_closed());
    f.advance(SEC);
    assert!(b.is_closed());
    assert_eq!(b.state(), State::Closed);
    assert_eq!(f.health.calls(), 6);
    assert_eq!(
        (f.group.stats().recoveries, f.group.stats().probes_sent),
        (1, 6)
    );
    assert!(!f.group.stats().recovering);
    assert_eq!(f.tasks.len(), 0, "the task ended");
}

/// The waits between probe rounds, read off when probes were sent, with the clock moving by
/// `step`.
fn probe_gaps(f: &Fixture, rounds: usize, step: Duration) -> Vec<Duration> {
    let b = f.breaker();
    f.trip(&b);
    let start = f.clock.now();
    f.advance_until(step, 3600 * SEC, || f.health.calls() >= rounds);
    let mut sent = vec![Duration::ZERO];
    sent.extend(f.health.sent_since(start));
    sent.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn backoff_grows_exponentially_and_is_capped() {
    let f = Fixture::new(|c| c.failure_threshold(1).max_backoff(20 * SEC));
    let gaps = probe_gaps(&f, 8, SEC);
    let secs: Vec<u64> = gaps.iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [1, 2, 4, 8, 16, 20, 20, 20]);
    assert_eq!(
        f.group.stats().backoff_level,
        0,
        "failed rounds do not raise the trip level"
    );

    // A good round ends the backoff: the next round comes one interval later.
    f.health.script(&[Answer::Ok]);
    f.advance(20 * SEC);
    let calls = f.health.calls();
    f.advance(SEC);
    assert_eq!(f.health.calls(), calls + 1);
}

#[test]
fn jitter_shortens_backoff_within_bounds() {
    let step = 10 * MS;
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
fn recovery_closes_every_breaker_that_tripped_before_it() {
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
        "a closed breaker keeps its count"
    );
    assert_eq!(f.group.stats().recoveries, 1);
    assert_eq!(f.group.stats().recovery_tasks_started, 1);
    assert_eq!(f.tasks.len(), 0);

    // They count afresh and trip again, with a new recovery.
    let b = &breakers[0];
    assert!(!fail(b, &f.clock));
    f.trip(b);
    assert_eq!(f.group.stats().recovery_tasks_started, 2);
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
        ..
    } = f;
    drop((b, group));
    tasks.run(); // no time passes
    assert_eq!(tasks.len(), 0);
    assert_eq!(clock.pending_sleeps(), 0);
    assert_eq!(health.calls(), 0);
}

#[test]
fn the_task_ends_when_the_group_is_dropped_during_a_probe() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    f.health.script(&[Answer::Hang]);
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    f.advance(SEC);
    assert_eq!(f.health.calls(), 1, "the probe hangs");
    let Fixture {
        tasks,
        group,
        clock,
        ..
    } = f;
    drop((b, group));
    tasks.run();
    assert_eq!(tasks.len(), 0);
    assert_eq!(clock.pending_sleeps(), 0, "the probe's timeout is gone too");
}

#[test]
fn a_dropped_task_is_replaced_by_the_next_check() {
    let f = Fixture::new(|c| c.failure_threshold(1));
    let b = f.breaker();
    f.trip(&b);
    assert!(f.group.stats().recovering);
    f.tasks.0.lock().unwrap().clear(); // the spawner drops the task unpolled
    assert!(!f.group.stats().recovering);
    assert!(b.check().is_err());
    assert!(f.group.stats().recovering);
    assert_eq!(f.group.stats().recovery_tasks_started, 2);
    f.health.set_healthy(true);
    f.advance_until(SEC, 10 * SEC, || b.is_closed());
    assert_eq!(f.group.stats().recoveries, 1);
}
