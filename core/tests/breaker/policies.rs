//! The window policies: a failure rate with a minimum number of calls, and a slow-call rate.

use fusebox_core::breaker::TripCause;

use super::*;

const SLOW: TripReason = TripReason::TooSlow {
    elapsed: Duration::from_secs(11),
};

#[test]
fn failure_rate_waits_for_the_minimum_number_of_calls() {
    let f = Fixture::new(|c| c.failure_threshold(1).failure_rate(0.5).window(10, 4));
    let b = f.breaker();
    assert!(!fail(&b, &f.clock));
    assert!(!fail(&b, &f.clock));
    assert!(
        !fail(&b, &f.clock),
        "3 failures of 3 calls, under the minimum of 4"
    );
    assert_eq!(
        b.consecutive_failures(),
        3,
        "the rate replaces the consecutive policy"
    );
    let trip = fail_with(&b, &f.clock, TripReason::Timeout).expect("4 of 4");
    assert_eq!(
        trip.cause,
        TripCause::FailureRate {
            failed: 4,
            calls: 4
        }
    );
    let err = b.check().unwrap_err();
    assert!(
        err.to_string().contains("4 of the last 4 calls failed"),
        "{err}"
    );
}

#[test]
fn failure_rate_trips_at_the_rate_over_the_sliding_window() {
    let f = Fixture::new(|c| c.failure_rate(0.5).window(4, 4));
    let b = f.breaker();
    // S F S F: 2 of 4 reach half.
    assert!(succeed(&b));
    assert!(!fail(&b, &f.clock));
    assert!(succeed(&b));
    let trip = fail_with(&b, &f.clock, TripReason::Connect).expect("2 of 4");
    assert_eq!(
        trip.cause,
        TripCause::FailureRate {
            failed: 2,
            calls: 4
        }
    );

    // Below the rate it never trips, however long it runs: the oldest calls leave the window.
    let f = Fixture::new(|c| c.failure_rate(0.5).window(4, 4));
    let b = f.breaker();
    for _ in 0..50 {
        assert!(!fail(&b, &f.clock));
        for _ in 0..3 {
            assert!(succeed(&b));
        }
    }
    assert!(b.is_closed());
}

/// A rate is compared as a share: 55 failures of 100 calls reach `failure_rate(0.55)`, although
/// `0.55 * 100.0` is a little above 55 in floating point.
#[test]
fn failure_rate_is_reached_at_exactly_the_share() {
    for (rate, size, failed) in [(0.55, 100, 55), (0.07, 100, 7), (0.28, 25, 7), (0.5, 2, 1)] {
        let f = Fixture::new(|c| c.failure_rate(rate).window(size, size));
        let b = f.breaker();
        for _ in failed..size {
            assert!(succeed(&b));
        }
        let mut trip = None;
        for _ in 0..failed {
            assert!(trip.is_none(), "{rate}: tripped early");
            trip = fail_with(&b, &f.clock, TripReason::Timeout);
        }
        let trip = trip.unwrap_or_else(|| panic!("{failed} of {size} do not reach {rate}"));
        assert_eq!(
            trip.cause,
            TripCause::FailureRate {
                failed,
                calls: size
            }
        );
    }
}

#[test]
fn slow_calls_count_for_the_slow_call_rate_and_not_as_failures() {
    let f = Fixture::new(|c| c.failure_threshold(3).slow_call_rate(0.5).window(4, 4));
    let b = f.breaker();
    for _ in 0..3 {
        assert_eq!(fail_with(&b, &f.clock, SLOW), None);
        assert_eq!(b.consecutive_failures(), 0, "a slow call is not a failure");
    }
    let trip = fail_with(&b, &f.clock, SLOW).expect("4 slow of 4");
    assert_eq!(trip.cause, TripCause::SlowCallRate { slow: 4, calls: 4 });
    assert_eq!(trip.reason, SLOW);
    let err = b.check().unwrap_err();
    assert!(err.to_string().contains("slower than max_delay"), "{err}");

    // Consecutive failures trip alongside a slow-call rate.
    let f = Fixture::new(|c| c.failure_threshold(2).slow_call_rate(0.9).window(10, 10));
    let b = f.breaker();
    assert_eq!(fail_with(&b, &f.clock, SLOW), None);
    assert!(!fail(&b, &f.clock));
    assert_eq!(
        fail_with(&b, &f.clock, SLOW),
        None,
        "a slow call ends the run"
    );
    assert!(!fail(&b, &f.clock));
    let trip = fail_with(&b, &f.clock, TripReason::Connect).unwrap();
    assert_eq!(trip.cause, TripCause::ConsecutiveFailures { failures: 2 });
}

#[test]
fn without_a_slow_call_rate_a_slow_call_is_a_failure() {
    let f = Fixture::new(|c| c.failure_threshold(2));
    let b = f.breaker();
    assert_eq!(fail_with(&b, &f.clock, SLOW), None);
    assert_eq!(b.consecutive_failures(), 1);
    let trip = fail_with(&b, &f.clock, SLOW).unwrap();
    assert_eq!(trip.cause, TripCause::ConsecutiveFailures { failures: 2 });

    // And with a failure rate (and no slow-call rate) it counts as a failed call.
    let f = Fixture::new(|c| c.failure_rate(1.0).window(2, 2));
    let b = f.breaker();
    assert_eq!(fail_with(&b, &f.clock, SLOW), None);
    let trip = fail_with(&b, &f.clock, SLOW).unwrap();
    assert_eq!(
        trip.cause,
        TripCause::FailureRate {
            failed: 2,
            calls: 2
        }
    );
}

#[test]
fn both_rates_each_trip_and_the_window_starts_again_after_a_recovery() {
    let f = Fixture::new(|c| c.failure_rate(0.5).slow_call_rate(0.5).window(4, 2));
    let b = f.breaker();
    assert_eq!(
        fail_with(&b, &f.clock, SLOW),
        None,
        "1 of 1, under the minimum"
    );
    let trip = fail_with(&b, &f.clock, SLOW).unwrap();
    assert_eq!(trip.cause, TripCause::SlowCallRate { slow: 2, calls: 2 });

    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    assert!(succeed(&b));
    assert!(succeed(&b));
    assert_eq!(
        fail_with(&b, &f.clock, SLOW),
        None,
        "1 slow of 3: the window was cleared"
    );
    assert!(!fail(&b, &f.clock), "1 failed and 1 slow of 4");
    let trip = fail_with(&b, &f.clock, TripReason::Timeout).unwrap();
    assert_eq!(
        trip.cause,
        TripCause::FailureRate {
            failed: 2,
            calls: 4
        }
    );
}
