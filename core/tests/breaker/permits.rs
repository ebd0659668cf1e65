//! Results belong to their generation: a call admitted before a transition changes nothing when it
//! ends after it, and a dropped permit counts neither way.

use fusebox_core::breaker::Permit;

use super::*;

/// Trips `b` and lets the (healthy) group recover it.
fn trip_and_recover(f: &Fixture, b: &Breaker) -> Trip {
    let trip = f.trip(b);
    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    trip
}

#[test]
fn threshold_stale_failures_after_the_recovery_do_not_re_trip() {
    let f = Fixture::new(|c| c.failure_threshold(3));
    let b = f.breaker();
    let stale: Vec<Permit<'_>> = (0..3).map(|_| b.check().unwrap()).collect();
    let epoch = stale[0].epoch();
    trip_and_recover(&f, &b);
    let fresh = b.check().unwrap();
    assert!(
        fresh.epoch() > epoch,
        "trip and recovery each start an epoch"
    );
    drop(fresh);
    f.take_events();

    // They were sent before the trip and end now: their durations include the outage.
    let reasons = [
        TripReason::Status { status: 503 },
        TripReason::TooSlow { elapsed: 60 * SEC },
        TripReason::Timeout,
    ];
    for (permit, reason) in stale.into_iter().zip(reasons) {
        assert_eq!(permit.failure(f.clock.now(), reason), None);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.consecutive_failures(), 0);
    assert!(f.take_events().is_empty());
    assert_eq!(f.group.stats().recovery_tasks_started, 1);

    // Fresh failures still count.
    assert!(!fail(&b, &f.clock));
    assert_eq!(b.consecutive_failures(), 1);
}

#[test]
fn a_stale_success_does_not_reset_the_count_or_pass_probation() {
    let f = Fixture::new(|c| c.probation_calls(2));
    let b = f.breaker();
    let stale: Vec<Permit<'_>> = (0..4).map(|_| b.check().unwrap()).collect();
    let mut stale = stale.into_iter();
    trip_and_recover(&f, &b);
    assert_eq!(b.state(), State::Probation { remaining: 2 });

    stale.next().unwrap().success();
    stale
        .next()
        .unwrap()
        .record(f.clock.now(), Outcome::Success);
    assert_eq!(b.state(), State::Probation { remaining: 2 });
    let slow = TripReason::TooSlow { elapsed: 30 * SEC };
    assert_eq!(stale.next().unwrap().failure(f.clock.now(), slow), None);
    assert_eq!(
        b.state(),
        State::Probation { remaining: 2 },
        "no re-trip on probation"
    );

    // Once closed, a success admitted under probation's epoch (the same epoch: passing
    // probation changes nothing for calls) resets the count, one from before does not.
    assert!(succeed(&b));
    let late = b.check().unwrap();
    assert!(succeed(&b));
    assert_eq!(b.state(), State::Closed);
    fail(&b, &f.clock);
    stale.next().unwrap().success();
    assert_eq!(b.consecutive_failures(), 1);
    late.success();
    assert_eq!(b.consecutive_failures(), 0);
}

#[test]
fn outcomes_that_end_while_open_change_nothing() {
    let f = Fixture::new(|c| c);
    let b = f.breaker();
    let (early, slow) = (b.check().unwrap(), b.check().unwrap());
    let trip = f.trip(&b);
    assert_eq!(
        early.failure(f.clock.now() + SEC, TripReason::Connection),
        None
    );
    slow.success();
    assert_eq!(b.state(), State::Open(trip));
    assert_eq!(b.check().unwrap_err().trip(), &trip);
}

#[test]
fn a_dropped_permit_counts_neither_way() {
    let f = Fixture::new(|c| c.probation_calls(2));
    let b = f.breaker();
    fail(&b, &f.clock);
    fail(&b, &f.clock);
    drop(b.check().unwrap());
    assert_eq!(b.consecutive_failures(), 2, "not a success");
    assert!(b.is_closed(), "not a failure");
    assert!(fail(&b, &f.clock), "the third recorded failure trips");

    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    for _ in 0..5 {
        drop(b.check().unwrap());
    }
    assert_eq!(b.state(), State::Probation { remaining: 2 });
    let permit = b.check().unwrap();
    assert!(format!("{permit:?}").contains("epoch"));
    drop(permit);
    assert!(
        f.take_events()
            .iter()
            .all(|e| !matches!(e, EventKind::Stable))
    );
}

#[test]
fn concurrent_calls_admitted_in_one_epoch_count_together() {
    let f = Fixture::new(|c| c.failure_threshold(3));
    let b = f.breaker();
    let permits: Vec<Permit<'_>> = (0..3).map(|_| b.check().unwrap()).collect();
    let now = f.clock.now();
    let trips: Vec<Option<Trip>> = permits
        .into_iter()
        .map(|p| p.failure(now, TripReason::Timeout))
        .collect();
    assert_eq!(trips[..2], [None, None]);
    assert!(trips[2].is_some(), "three failures of one epoch trip it");
}
