//! No flapping: probation after a recovery, and a backoff that carries over across trips that
//! follow recoveries closely, shown on the manual clock.

use fusebox_core::breaker::TripCause;

use super::*;

const STEP: Duration = Duration::from_millis(250);

/// A green health probe and a client sending one request per `STEP`, one at a time, each of
/// which fails: when the breaker tripped (from the first request) and how many requests it let
/// through before each trip.
fn flap(f: &Fixture, b: &Breaker, trips: usize) -> (Vec<Duration>, Vec<usize>) {
    f.health.set_healthy(true);
    let start = f.clock.now();
    let (mut at, mut through) = (Vec::new(), vec![0]);
    while at.len() < trips {
        assert!(f.clock.now() - start < 3600 * SEC, "no trip for an hour");
        if let Ok(permit) = b.check() {
            *through.last_mut().unwrap() += 1;
            if let Some(trip) = permit.failure(f.clock.now(), TripReason::Status { status: 500 }) {
                at.push(trip.since - start);
                through.push(0);
            }
        }
        f.tasks.run();
        f.advance(STEP);
    }
    through.pop();
    (at, through)
}

fn flapping() -> Fixture {
    Fixture::new(|c| {
        c.failure_threshold(3)
            .success_threshold(2)
            .probe_interval(SEC)
            .max_backoff(8 * SEC)
            .probation_calls(5)
            .stable_period(60 * SEC)
    })
}

#[test]
fn the_period_between_trips_doubles_up_to_the_cap_and_each_cycle_lets_one_failure_through() {
    let f = flapping();
    let b = f.breaker();
    let (at, through) = flap(&f, &b, 8);
    let gaps: Vec<Duration> = at.windows(2).map(|w| w[1] - w[0]).collect();

    // Trip n (from 0) waits probe_interval * 2^n, capped at max_backoff, for its first probe;
    // then success_threshold - 1 more good rounds, one probe interval apart, close it; and the
    // first request after that fails on probation and trips it again at once.
    let c = f.group.config();
    let cap = c.max_backoff() + (c.success_threshold() - 1) * c.probe_interval();
    let expected: Vec<Duration> = (0..7)
        .map(|n| (c.probe_interval() * (1 << n)).min(c.max_backoff()) + c.probe_interval())
        .collect();
    assert_eq!(gaps, expected);
    assert_eq!(
        gaps.iter().map(Duration::as_secs).collect::<Vec<_>>(),
        [2, 3, 5, 9, 9, 9, 9]
    );
    assert_eq!(gaps.iter().max(), Some(&cap));
    assert_eq!(cap, 9 * SEC);

    // The first cycle lets failure_threshold failures through; every later one a single failure,
    // which re-trips the breaker on probation.
    assert_eq!(through, [3, 1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(b.check().unwrap_err().trip().cause, TripCause::Probation);
    assert_eq!(f.group.stats().backoff_level, 7);
    assert_eq!(f.group.stats().recovery_tasks_started, 8);
}

#[test]
fn without_probation_each_cycle_lets_the_threshold_through() {
    let f = Fixture::new(|c| c.probation_calls(0).stable_period(60 * SEC));
    let b = f.breaker();
    let (at, through) = flap(&f, &b, 5);
    assert_eq!(through, [3, 3, 3, 3, 3]);
    // The backoff carries over all the same: 1 s, 2 s, 4 s, 8 s before the first probe, plus
    // one more round, plus the three requests it takes to trip again (two steps).
    let gaps: Vec<u64> = at
        .windows(2)
        .map(|w| (w[1] - w[0]).as_millis() as u64)
        .collect();
    assert_eq!(gaps, [2500, 3500, 5500, 9500]);
}

/// Makes `b` recover (healthy probes), then passes its probation.
fn recover_for_good(f: &Fixture, b: &Breaker) {
    f.health.set_healthy(true);
    f.advance_until(STEP, 3600 * SEC, || b.is_closed());
    while b.state() != State::Closed {
        assert!(succeed(b));
    }
}

#[test]
fn the_backoff_level_resets_after_a_stable_period() {
    let f = flapping();
    let b = f.breaker();
    flap(&f, &b, 4);
    assert_eq!(f.group.stats().backoff_level, 3);

    // A trip within the stable period of the recovery raises the level.
    recover_for_good(&f, &b);
    f.advance(60 * SEC - STEP);
    f.trip(&b);
    assert_eq!(f.group.stats().backoff_level, 4);
    let tripped = f.clock.now();
    recover_for_good(&f, &b);
    assert_eq!(
        f.clock.now() - tripped,
        8 * SEC + SEC,
        "capped first wait, one more round"
    );

    // A trip a whole stable period after the recovery starts again from the probe interval.
    f.advance(60 * SEC);
    f.trip(&b);
    assert_eq!(f.group.stats().backoff_level, 0);
    let tripped = f.clock.now();
    f.tasks.run();
    f.advance(SEC - MS);
    assert!(matches!(b.state(), State::Open(_)));
    f.advance(MS);
    assert!(matches!(
        b.state(),
        State::Recovering { good_rounds: 1, .. }
    ));
    f.advance(SEC);
    assert_eq!(b.state(), State::Probation { remaining: 5 });
    assert_eq!(f.clock.now() - tripped, 2 * SEC);
}

#[test]
fn one_failure_on_probation_re_trips_at_once() {
    let f = Fixture::new(|c| c.probation_calls(3));
    let b = f.named("users");
    f.trip(&b);
    f.health.set_healthy(true);
    f.advance_until(SEC, 10 * SEC, || b.is_closed());
    assert_eq!(b.state(), State::Probation { remaining: 3 });
    assert!(succeed(&b));
    assert_eq!(b.state(), State::Probation { remaining: 2 });
    f.take_events();

    let reason = TripReason::TooSlow { elapsed: 20 * SEC };
    let trip = fail_with(&b, &f.clock, reason).expect("one failure re-trips on probation");
    assert_eq!(trip.cause, TripCause::Probation);
    assert_eq!(trip.reason, reason);
    assert_eq!(b.state(), State::Open(trip));
    assert_eq!(f.take_events(), [EventKind::Tripped(trip)]);
    let err = b.check().unwrap_err();
    assert!(err.to_string().contains("probation"), "{err}");
}

#[test]
fn probation_calls_successes_end_probation() {
    let f = Fixture::new(|c| c.probation_calls(3));
    let b = f.named("users");
    f.trip(&b);
    f.health.set_healthy(true);
    f.advance_until(SEC, 10 * SEC, || b.is_closed());
    assert_eq!(f.take_events()[1..], [EventKind::Recovered]);
    for remaining in [2, 1] {
        assert!(succeed(&b));
        assert_eq!(b.state(), State::Probation { remaining });
        assert!(f.take_events().is_empty());
    }
    assert!(succeed(&b));
    assert_eq!(b.state(), State::Closed);
    assert_eq!(f.take_events(), [EventKind::Stable]);

    // Closed again: failures count up to the threshold.
    assert!(!fail(&b, &f.clock));
    assert!(!fail(&b, &f.clock));
    assert_eq!(b.consecutive_failures(), 2);
    assert!(fail(&b, &f.clock));
}
