//! Extreme settings: `Duration::MAX` for every duration option, and huge counts. Each is either
//! refused by `build()` with a typed error, or the breaker still trips and recovers, with no
//! panic anywhere.

use fusebox_core::breaker::{MAX_PROBE_INTERVAL, MAX_WINDOW, TripCause};

use super::*;

type Set = fn(BreakerConfigBuilder, Duration) -> BreakerConfigBuilder;

/// Every duration option of the builder.
const DURATIONS: [(&str, Set); 7] = [
    ("probe_interval", |b, d| b.probe_interval(d)),
    ("retry_delay", |b, d| b.retry_delay(d)),
    ("probe_timeout", |b, d| b.probe_timeout(d)),
    ("max_backoff", |b, d| b.max_backoff(d)),
    ("stable_period", |b, d| b.stable_period(d)),
    ("max_delay", |b, d| b.max_delay(d)),
    ("max_retry_after", |b, d| b.max_retry_after(d)),
];

/// Trips `b` with the longest `Retry-After` and slowness there are, lets one probe fail and a
/// retry fail, then makes the service healthy: the breaker must close within `limit`, twice in
/// a row (the second trip follows the recovery at once, so its backoff carries over).
fn trips_and_recovers(f: &Fixture, b: &Breaker, step: Duration, limit: Duration) {
    for round in 0..2 {
        f.health.set_healthy(false);
        let slow = TripReason::TooSlow {
            elapsed: Duration::MAX,
        };
        while b.is_closed() {
            b.check()
                .unwrap()
                .record(f.clock.now(), failure_after(slow, Duration::MAX));
        }
        f.health.script(&[Answer::Fail, Answer::Fail]);
        f.health.set_healthy(true);
        let took = f.advance_until(step, limit, || b.is_closed());
        assert!(took > Duration::ZERO, "round {round}");
        while b.state() != State::Closed {
            assert!(succeed(b));
        }
    }
    assert_eq!(f.group.stats().recoveries, 2);
}

#[test]
fn duration_max_for_every_duration_option_is_refused_or_works() {
    for (name, set) in DURATIONS {
        let built = set(base().probe_retries(1).probation_calls(2), Duration::MAX).build();
        match name {
            "probe_interval" => assert_eq!(
                built,
                Err(ConfigError::ProbeIntervalOutOfRange {
                    probe_interval: Duration::MAX
                })
            ),
            "retry_delay" => assert_eq!(
                built,
                Err(ConfigError::RetryDelayAboveInterval {
                    retry_delay: Duration::MAX
                })
            ),
            _ => {
                let config = built.unwrap_or_else(|e| panic!("{name}: {e}"));
                let f = Fixture::with(config);
                let b = f.breaker();
                trips_and_recovers(&f, &b, SEC, 3600 * SEC);
            }
        }
    }
}

#[test]
fn the_longest_accepted_settings_all_at_once_still_trip_and_recover() {
    let mut builder = base()
        .probe_retries(1)
        .probation_calls(2)
        .probe_interval(MAX_PROBE_INTERVAL)
        .retry_delay(MAX_PROBE_INTERVAL)
        .jitter(1.0);
    for (name, set) in DURATIONS {
        if !matches!(name, "probe_interval" | "retry_delay") {
            builder = set(builder, Duration::MAX);
        }
    }
    let f = Fixture::with(builder.build().unwrap());
    let b = f.breaker();
    trips_and_recovers(&f, &b, 3600 * SEC, 400 * 24 * 3600 * SEC);
    assert_eq!(f.group.stats().backoff_level, 1);
}

#[test]
fn a_long_backoff_level_never_overflows() {
    // stable_period MAX: every trip after the first follows a recovery "closely".
    let f = Fixture::new(|c| {
        c.failure_threshold(1)
            .success_threshold(1)
            .stable_period(Duration::MAX)
            .max_backoff(Duration::MAX)
    });
    f.health.set_healthy(true);
    let b = f.breaker();
    for level in 0..40u32 {
        f.trip(&b);
        assert_eq!(f.group.stats().backoff_level, level);
        let took = f.advance_until(SEC * (1 << level.min(31)), Duration::MAX, || b.is_closed());
        assert_eq!(took, SEC * (1 << level.min(31)), "level {level}");
    }
}

#[test]
fn huge_failure_threshold_counts_without_overflow() {
    let f = Fixture::new(|c| c.failure_threshold(u32::MAX));
    let b = f.breaker();
    for _ in 0..10_000 {
        assert!(!fail(&b, &f.clock));
    }
    assert_eq!(b.consecutive_failures(), 10_000);
    b.force_open();
    assert!(b.check().is_err());
    b.reset();
    assert!(b.is_closed());
}

#[test]
fn huge_success_threshold_keeps_counting_good_rounds() {
    let f = Fixture::new(|c| c.failure_threshold(1).success_threshold(u32::MAX));
    f.health.set_healthy(true);
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    for _ in 0..1000 {
        f.advance(SEC);
    }
    assert!(matches!(
        b.state(),
        State::Recovering {
            good_rounds: 1000,
            ..
        }
    ));
    b.reset();
    assert!(b.is_closed());
}

#[test]
fn huge_probe_retries_retry_until_healthy() {
    let f = Fixture::new(|c| {
        c.failure_threshold(1)
            .success_threshold(1)
            .probe_retries(u32::MAX)
    });
    let b = f.breaker();
    f.trip(&b);
    f.tasks.run();
    for _ in 0..100 {
        f.advance(f.group.config().retry_delay().max(SEC));
    }
    assert_eq!(f.health.calls(), 100);
    f.health.set_healthy(true);
    f.advance_until(SEC, 10 * SEC, || b.is_closed());
}

#[test]
fn huge_probation_is_counted_down() {
    let f = Fixture::new(|c| c.probation_calls(u32::MAX));
    f.health.set_healthy(true);
    let b = f.breaker();
    f.trip(&b);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    assert_eq!(
        b.state(),
        State::Probation {
            remaining: u32::MAX
        }
    );
    assert!(succeed(&b));
    assert_eq!(
        b.state(),
        State::Probation {
            remaining: u32::MAX - 1
        }
    );
    let trip = fail_with(&b, &f.clock, TripReason::Timeout).unwrap();
    assert_eq!(trip.cause, TripCause::Probation);
}

#[test]
fn huge_windows_are_refused_and_the_largest_works() {
    assert_eq!(
        base().failure_rate(0.5).window(u32::MAX, 1).build(),
        Err(ConfigError::BadWindow {
            size: u32::MAX,
            minimum_calls: 1
        })
    );
    assert_eq!(
        base().window(10, u32::MAX).build(),
        Err(ConfigError::BadWindow {
            size: 10,
            minimum_calls: u32::MAX
        })
    );
    let f = Fixture::new(|c| c.failure_rate(1.0).window(MAX_WINDOW, MAX_WINDOW));
    let b = f.breaker();
    for _ in 1..MAX_WINDOW {
        assert!(!fail(&b, &f.clock));
    }
    let trip = fail_with(&b, &f.clock, TripReason::Timeout).unwrap();
    assert_eq!(
        trip.cause,
        TripCause::FailureRate {
            failed: MAX_WINDOW,
            calls: MAX_WINDOW
        }
    );
    f.health.set_healthy(true);
    f.advance_until(SEC, 60 * SEC, || b.is_closed());
    assert!(!fail(&b, &f.clock), "the window starts again empty");
}
