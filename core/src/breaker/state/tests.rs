//! Tests of the pure transitions: by hand here, and random sequences against small reference
//! models in `tests/breaker.rs` (the breaker) and `tests/group.rs` (the group, with liveness).

mod breaker;
mod group;

use std::time::{Duration, Instant};

use super::breaker::{BreakerState, COUNTING, Change, Ended, Phase, REJECTING, epoch_of};
use super::group::{GroupState, Next};
use super::trip::{Trip, TripCause, TripReason};

use crate::breaker::config::{BreakerConfig, BreakerConfigBuilder};

const SEC: Duration = Duration::from_secs(1);

fn config(tweak: impl FnOnce(BreakerConfigBuilder) -> BreakerConfigBuilder) -> BreakerConfig {
    tweak(BreakerConfig::builder().jitter(0.0)).build().unwrap()
}

fn failure(now: Instant) -> Ended {
    Ended::Failure {
        now,
        reason: TripReason::Timeout,
    }
}

#[test]
fn the_word_mirrors_phase_epoch_and_counts() {
    let c = config(|b| b.failure_threshold(2).probation_calls(2));
    let now = Instant::now();
    let mut s = BreakerState::new(&c);
    assert_eq!((s.word(), s.epoch(), s.phase()), (0, 0, Phase::Closed));
    assert_eq!(s.recorded(0, failure(now), &c), Change::None);
    assert_eq!(
        s.word(),
        COUNTING,
        "a failure is counted: a success must take the lock"
    );
    assert_eq!(s.consecutive_failures(), 1);
    assert_eq!(s.recorded(0, Ended::Success, &c), Change::None);
    assert_eq!(s.word(), 0);
    s.recorded(0, failure(now), &c);
    let Change::Tripped(trip) = s.recorded(0, failure(now), &c) else {
        panic!("{s:?}");
    };
    assert_eq!(trip.cause, TripCause::ConsecutiveFailures { failures: 2 });
    assert_eq!((s.word(), s.trip()), (1 << 2 | REJECTING, Some(trip)));
    assert_eq!(epoch_of(s.word()), 1);
    assert_eq!(s.recovered(0, &c), Change::None, "not the trip's epoch");
    assert_eq!(s.recovered(1, &c), Change::Recovered);
    assert_eq!(s.phase(), Phase::Probation { remaining: 2 });
    assert_eq!((s.word(), s.trip()), (2 << 2 | COUNTING, None));
    assert_eq!(
        s.recovered(2, &c),
        Change::None,
        "recovers only an open breaker"
    );
    assert_eq!(s.recorded(2, Ended::Success, &c), Change::None);
    assert_eq!(s.phase(), Phase::Probation { remaining: 1 });
    assert_eq!(s.recorded(2, Ended::Success, &c), Change::Stable);
    assert_eq!((s.phase(), s.word()), (Phase::Closed, 2 << 2));
}

#[test]
fn operations_start_epochs_and_repeat_as_nothing() {
    let c = config(|b| b.failure_threshold(1));
    let now = Instant::now();
    let mut s = BreakerState::new(&c);
    let Change::ForcedOpen(trip) = s.forced_open(now) else {
        panic!("{s:?}");
    };
    assert_eq!(
        (trip.since, trip.reason, trip.cause),
        (now, TripReason::Forced, TripCause::Forced)
    );
    assert_eq!(
        (s.epoch(), s.word() & REJECTING, s.trip()),
        (1, REJECTING, Some(trip))
    );
    assert_eq!(s.forced_open(now + SEC), Change::None);
    assert_eq!(s.phase(), Phase::ForcedOpen(trip));
    assert_eq!(
        s.recovered(1, &c),
        Change::None,
        "a recovery does not end force_open"
    );
    assert_eq!(s.recorded(1, failure(now), &c), Change::None);
    assert_eq!(s.disabled(), Change::Disabled);
    assert_eq!(
        (s.epoch(), s.phase(), s.word()),
        (2, Phase::Disabled, 2 << 2)
    );
    assert_eq!(s.disabled(), Change::None);
    assert_eq!(s.recorded(2, failure(now), &c), Change::None, "never trips");
    assert_eq!((s.consecutive_failures(), s.word()), (1, 2 << 2 | COUNTING));
    assert_eq!(s.reset(), Change::Reset);
    assert_eq!((s.epoch(), s.phase(), s.word()), (3, Phase::Closed, 3 << 2));
    assert_eq!(s.reset(), Change::Reset, "a reset always starts an epoch");
    assert_eq!(s.epoch(), 4);
    assert_eq!(
        s.recorded(3, failure(now), &c),
        Change::None,
        "a stale failure"
    );
    assert!(matches!(
        s.recorded(4, failure(now), &c),
        Change::Tripped(_)
    ));
}

#[test]
fn a_windowed_breaker_always_counts_and_probation_trips_on_a_slow_call() {
    let c = config(|b| b.slow_call_rate(1.0).window(3, 3).probation_calls(1));
    let now = Instant::now();
    let mut s = BreakerState::new(&c);
    assert_eq!(s.word(), COUNTING, "a windowed counter records every call");
    let slow = Ended::Failure {
        now,
        reason: TripReason::TooSlow { elapsed: SEC },
    };
    for _ in 0..2 {
        assert_eq!(s.recorded(0, slow, &c), Change::None);
    }
    assert_eq!(s.consecutive_failures(), 0);
    let Change::Tripped(trip) = s.recorded(0, slow, &c) else {
        panic!("{s:?}");
    };
    assert_eq!(trip.cause, TripCause::SlowCallRate { slow: 3, calls: 3 });
    s.recovered(1, &c);
    let Change::Tripped(trip) = s.recorded(2, slow, &c) else {
        panic!("{s:?}");
    };
    assert_eq!((trip.cause, trip.since), (TripCause::Probation, now));
}

fn next_wait<T>(next: Next<T>) -> Duration {
    match next {
        Next::ProbeAfter(wait) => wait,
        Next::Recovered(_) => panic!("recovered"),
    }
}

#[test]
fn a_group_starts_one_task_and_recovers_every_entry() {
    let c = config(|b| {
        b.success_threshold(2)
            .probe_retries(1)
            .retry_delay(SEC / 10)
    });
    let now = Instant::now();
    let mut g = GroupState::default();
    assert_eq!(g.restarted(now, &c, 0.0), None, "nothing waits");
    assert_eq!(g.joined(1, now, None, &c, 0.0), Some(SEC));
    assert_eq!(g.joined(2, now, None, &c, 0.0), None, "one task");
    assert!(g.is_running());
    assert_eq!((g.tasks_started, g.probes_sent), (1, 0));
    assert_eq!(g.due(now + SEC), None);
    assert_eq!(next_wait(g.probed(now + SEC, false, &c, 0.0)), SEC / 10);
    assert_eq!(next_wait(g.probed(now + SEC, false, &c, 0.0)), 2 * SEC);
    assert_eq!(next_wait(g.probed(now, true, &c, 0.0)), SEC);
    assert_eq!(g.good_rounds(), 1);
    assert_eq!(g.probed(now, true, &c, 0.0), Next::Recovered(vec![1, 2]));
    assert!(!g.is_running());
    assert_eq!((g.recoveries, g.good_rounds(), g.probes_sent), (1, 0, 1));
}

#[test]
fn the_level_rises_within_the_stable_period_and_resets_at_its_end() {
    let c = config(|b| {
        b.success_threshold(1)
            .stable_period(10 * SEC)
            .max_backoff(60 * SEC)
    });
    let t0 = Instant::now();
    let mut g = GroupState::default();
    g.joined(1, t0, None, &c, 0.0);
    assert_eq!(g.probed(t0, true, &c, 0.0), Next::Recovered(vec![1]));
    assert_eq!(
        g.joined(2, t0 + 10 * SEC - SEC / 1000, None, &c, 0.0),
        Some(2 * SEC)
    );
    assert_eq!(g.level(), 1);
    let t1 = t0 + 20 * SEC;
    assert_eq!(g.probed(t1, true, &c, 0.0), Next::Recovered(vec![2]));
    assert_eq!(g.joined(3, t1 + 10 * SEC, None, &c, 0.0), Some(SEC));
    assert_eq!(g.level(), 0);
    // A task dropped before it was done: the next restart starts another.
    g.abandoned();
    assert!(!g.is_running());
    assert_eq!(g.restarted(t1 + 11 * SEC, &c, 0.0), Some(SEC));
    assert_eq!(g.tasks_started, 4);
}

#[test]
fn retry_after_floors_the_first_probe_and_a_running_task_honours_it() {
    let c = config(|b| b.max_retry_after(30 * SEC));
    let t0 = Instant::now();
    let mut g = GroupState::default();
    assert_eq!(g.joined(1, t0, Some(10 * SEC), &c, 0.0), Some(10 * SEC));
    assert_eq!(g.joined(2, t0 + SEC, Some(3600 * SEC), &c, 0.0), None);
    assert_eq!(
        g.due(t0 + 10 * SEC),
        Some(21 * SEC),
        "clamped to 30 s after the trip"
    );
    assert_eq!(g.probes_sent, 0);
    assert_eq!(g.due(t0 + 31 * SEC), None);
    assert_eq!(g.probes_sent, 1);
    // A failed round waits the backoff or what remains of the floor, whichever is longer.
    let mut g = GroupState::default();
    g.joined(1, t0, Some(10 * SEC), &c, 0.0);
    let c0 = config(|b| b.probe_retries(0).max_retry_after(30 * SEC));
    assert_eq!(next_wait(g.probed(t0 + SEC, false, &c0, 0.0)), 9 * SEC);
    assert_eq!(next_wait(g.probed(t0 + 9 * SEC, false, &c0, 0.0)), 4 * SEC);
    // A recovery clears the floor.
    let c1 = config(|b| b.success_threshold(1));
    assert_eq!(
        g.probed(t0 + 13 * SEC, true, &c1, 0.0),
        Next::Recovered(vec![1])
    );
    assert_eq!(g.joined(2, t0 + 100 * SEC, None, &c1, 0.0), Some(SEC));
}
