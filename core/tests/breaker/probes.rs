//! The recovery task's probes: timeouts, panics, retries within a round, and `Retry-After`.

use super::*;

#[test]
fn a_hung_probe_times_out_and_recovery_goes_on() {
    let f = Fixture::new(|c| {
        c.failure_threshold(1)
            .success_threshold(1)
            .probe_timeout(5 * SEC)
    });
    f.health.script(&[Answer::Hang]);
    f.health.set_healthy(true);
    let b = f.breaker();
    f.trip(&b);
    let start = f.clock.now();
    f.tasks.run();
    f.advance(SEC);
    assert_eq!(f.health.calls(), 1, "the first probe hangs");
    f.advance(5 * SEC - MS);
    assert!(matches!(b.state(), State::Open(_)));
    assert_eq!(f.health.calls(), 1);
    f.advance(MS); // timed out at 6 s: a failed round, the next in 2 s
    f.advance(2 * SEC - MS);
    assert_eq!(f.health.calls(), 1);
    f.advance(MS);
    assert!(b.is_closed());
    assert_eq!(f.health.sent_since(start), [SEC, 8 * SEC]);
    assert_eq!(f.tasks.len(), 0);
    assert_eq!(f.clock.pending_sleeps(), 0, "no timeout left behind");
}

#[test]
fn a_panicking_probe_counts_as_failed_and_recovery_goes_on() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(1));
    f.health.script(&[Answer::PanicNow, Answer::PanicLater]);
    f.health.set_healthy(true);
    let b = f.breaker();
    f.trip(&b);
    let start = f.clock.now();
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    // Two failed rounds (1 s, then 2 s later), then the good one 4 s later.
    assert_eq!(f.health.sent_since(start), [SEC, 3 * SEC, 7 * SEC]);
    assert_eq!(
        f.group.stats().recovery_tasks_started,
        1,
        "the task survived both panics"
    );
    assert_eq!(f.group.stats().recoveries, 1);
}

#[test]
fn retries_within_a_round_wait_the_retry_delay() {
    let f = Fixture::new(|c| {
        c.failure_threshold(1)
            .success_threshold(1)
            .probe_retries(2)
            .retry_delay(100 * MS)
    });
    let b = f.breaker();
    f.trip(&b);
    let start = f.clock.now();
    f.advance_until(10 * MS, 10 * SEC, || f.health.calls() == 3);
    assert_eq!(
        f.health.sent_since(start),
        [SEC, SEC + 100 * MS, SEC + 200 * MS],
        "one probe and two retries, 100 ms apart"
    );
    assert!(matches!(b.state(), State::Open(_)));

    // After the failed round, a backoff of 2 s; a retry that succeeds makes its round good.
    f.health.script(&[Answer::Fail, Answer::Ok]);
    f.advance_until(10 * MS, 10 * SEC, || b.is_closed());
    let sent = f.health.sent_since(start);
    assert_eq!(sent[3..], [3 * SEC + 200 * MS, 3 * SEC + 300 * MS]);
    assert_eq!(f.group.stats().probes_sent, 5);
}

#[test]
fn retry_after_delays_the_first_probe() {
    let f = Fixture::new(|c| c.failure_threshold(2).max_retry_after(30 * SEC));
    f.health.set_healthy(true);
    let b = f.breaker();
    fail(&b, &f.clock);
    let status = TripReason::Status { status: 503 };
    let permit = b.check().unwrap();
    let trip = permit.record(f.clock.now(), failure_after(status, 10 * SEC));
    assert_eq!(trip.map(|t| t.reason), Some(status));
    let start = f.clock.now();
    f.tasks.run();
    f.advance(10 * SEC - MS);
    assert_eq!(f.health.calls(), 0, "not before Retry-After");
    f.advance(MS);
    assert_eq!(f.health.sent_since(start), [10 * SEC]);
    f.advance(SEC);
    assert!(b.is_closed());
}

#[test]
fn retry_after_is_clamped_to_max_retry_after() {
    let f = Fixture::new(|c| c.failure_threshold(1).max_retry_after(30 * SEC));
    f.health.set_healthy(true);
    let b = f.breaker();
    let start = f.clock.now();
    let permit = b.check().unwrap();
    assert!(
        permit
            .record(start, failure_after(TripReason::Timeout, 3600 * SEC))
            .is_some()
    );
    f.advance_until(SEC, 3600 * SEC, || f.health.calls() > 0);
    assert_eq!(f.health.sent_since(start), [30 * SEC]);
}

#[test]
fn retry_after_shorter_than_the_backoff_changes_nothing() {
    let f = Fixture::new(|c| c.failure_threshold(1).probe_interval(5 * SEC));
    f.health.set_healthy(true);
    let b = f.breaker();
    let start = f.clock.now();
    let permit = b.check().unwrap();
    assert!(
        permit
            .record(start, failure_after(TripReason::Timeout, SEC))
            .is_some()
    );
    f.advance_until(SEC, 60 * SEC, || f.health.calls() > 0);
    assert_eq!(f.health.sent_since(start), [5 * SEC]);
}

#[test]
fn max_retry_after_zero_ignores_retry_after() {
    let f = Fixture::new(|c| c.failure_threshold(1).max_retry_after(Duration::ZERO));
    let b = f.breaker();
    let start = f.clock.now();
    let permit = b.check().unwrap();
    assert!(
        permit
            .record(start, failure_after(TripReason::Timeout, 60 * SEC))
            .is_some()
    );
    f.advance_until(SEC, 60 * SEC, || f.health.calls() > 0);
    assert_eq!(f.health.sent_since(start), [SEC]);
}

/// A breaker that trips with a `Retry-After` while the group's recovery already runs holds the
/// next probe back too.
#[test]
fn retry_after_of_a_later_trip_holds_the_running_recovery_back() {
    let f = Fixture::new(|c| {
        c.failure_threshold(1)
            .success_threshold(1)
            .max_retry_after(60 * SEC)
    });
    let (a, b) = (f.breaker(), f.breaker());
    let start = f.clock.now();
    f.trip(&a);
    f.tasks.run();
    let permit = b.check().unwrap();
    assert!(
        permit
            .record(start, failure_after(TripReason::Timeout, 20 * SEC))
            .is_some()
    );
    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || a.is_closed());
    assert_eq!(f.health.sent_since(start), [20 * SEC]);
    assert!(b.is_closed());
    assert_eq!(f.group.stats().probes_sent, 1);
}

/// A `Retry-After` on a failure that does not trip the breaker holds nothing back.
#[test]
fn retry_after_of_a_failure_that_does_not_trip_is_ignored() {
    let f = Fixture::new(|c| c.failure_threshold(2));
    f.health.set_healthy(true);
    let b = f.breaker();
    let start = f.clock.now();
    let permit = b.check().unwrap();
    assert!(
        permit
            .record(start, failure_after(TripReason::Timeout, 50 * SEC))
            .is_none()
    );
    f.trip(&b);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    assert_eq!(f.health.sent_since(start), [SEC, 2 * SEC]);
}
