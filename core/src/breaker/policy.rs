//! Counting outcomes: consecutive failures, and a window of recent calls for the rate policies.
//! Pure: no clock, no lock.

use std::collections::VecDeque;

use super::config::BreakerConfig;
use super::state::{TripCause, TripReason};

/// How one recorded call counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    Success,
    Failure,
    /// Slower than `max_delay`, counted by the slow-call rate (not a failure).
    Slow,
}

impl Call {
    /// How a failure for `reason` counts under `config`: a slow call is a failure unless a
    /// slow-call rate counts it.
    pub(crate) fn failure(reason: TripReason, config: &BreakerConfig) -> Call {
        match reason {
            TripReason::TooSlow { .. } if config.slow_call_rate().is_some() => Call::Slow,
            _ => Call::Failure,
        }
    }
}

/// The counts of a closed breaker.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Counter {
    consecutive: u32,
    window: Option<Window>,
}

#[derive(Debug, Clone, PartialEq)]
struct Window {
    calls: VecDeque<Call>,
    size: usize,
    failed: u32,
    slow: u32,
}

impl Counter {
    pub(crate) fn new(config: &BreakerConfig) -> Counter {
        let size = config.window_size() as usize;
        Counter {
            consecutive: 0,
            window: config.is_windowed().then(|| Window {
                calls: VecDeque::with_capacity(size),
                size,
                failed: 0,
                slow: 0,
            }),
        }
    }

    /// Counts `call`; the cause if the policy trips on it.
    pub(crate) fn record(&mut self, call: Call, config: &BreakerConfig) -> Option<TripCause> {
        self.consecutive = match call {
            Call::Failure => self.consecutive.saturating_add(1),
            Call::Success | Call::Slow => 0,
        };
        if let Some(window) = &mut self.window {
            window.push(call);
            if let Some(cause) = window.trips(config) {
                return Some(cause);
            }
        }
        let trips = config.failure_rate().is_none()
            && call == Call::Failure
            && self.consecutive >= config.failure_threshold();
        trips.then_some(TripCause::ConsecutiveFailures {
            failures: self.consecutive,
        })
    }

    /// Forgets every call: a trip, a recovery or a reset starts counting anew.
    pub(crate) fn clear(&mut self) {
        self.consecutive = 0;
        if let Some(window) = &mut self.window {
            window.calls.clear();
            window.failed = 0;
            window.slow = 0;
        }
    }

    /// Whether a success would change nothing: no failure counted, no window kept.
    pub(crate) fn is_clean(&self) -> bool {
        self.consecutive == 0 && self.window.is_none()
    }

    pub(crate) fn consecutive(&self) -> u32 {
        self.consecutive
    }
}

impl Window {
    fn push(&mut self, call: Call) {
        if self.calls.len() == self.size {
            match self.calls.pop_front() {
                Some(Call::Failure) => self.failed -= 1,
                Some(Call::Slow) => self.slow -= 1,
                _ => {}
            }
        }
        match call {
            Call::Failure => self.failed += 1,
            Call::Slow => self.slow += 1,
            Call::Success => {}
        }
        self.calls.push_back(call);
    }

    fn trips(&self, config: &BreakerConfig) -> Option<TripCause> {
        let calls = self.calls.len() as u32;
        if calls < config.minimum_calls() {
            return None;
        }
        // As a share: `count >= rate * calls` misses 55 of 100 at 0.55 (0.55 * 100.0 > 55.0).
        let reached = |count: u32, rate: Option<f64>| {
            rate.is_some_and(|rate| f64::from(count) / f64::from(calls) >= rate)
        };
        if reached(self.failed, config.failure_rate()) {
            Some(TripCause::FailureRate {
                failed: self.failed,
                calls,
            })
        } else if reached(self.slow, config.slow_call_rate()) {
            Some(TripCause::SlowCallRate {
                slow: self.slow,
                calls,
            })
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        counter: &mut Counter,
        calls: &[Call],
        config: &BreakerConfig,
    ) -> Vec<Option<TripCause>> {
        calls.iter().map(|&c| counter.record(c, config)).collect()
    }

    #[test]
    fn consecutive_failures_trip_at_the_threshold_and_a_success_resets() {
        let config = BreakerConfig::builder()
            .failure_threshold(2)
            .build()
            .unwrap();
        let mut c = Counter::new(&config);
        use Call::*;
        let trips = run(&mut c, &[Failure, Success, Failure, Failure], &config);
        assert_eq!(trips[..3], [None, None, None]);
        assert_eq!(
            trips[3],
            Some(TripCause::ConsecutiveFailures { failures: 2 })
        );
        assert!(!c.is_clean());
        c.clear();
        assert!(c.is_clean());
    }

    #[test]
    fn failure_rate_waits_for_the_minimum_then_trips_at_the_rate() {
        let config = BreakerConfig::builder()
            .failure_rate(0.5)
            .window(4, 4)
            .build()
            .unwrap();
        let mut c = Counter::new(&config);
        use Call::*;
        let trips = run(&mut c, &[Failure, Failure, Failure, Success], &config);
        assert_eq!(trips[..3], [None, None, None], "below the minimum of calls");
        assert_eq!(
            trips[3],
            Some(TripCause::FailureRate {
                failed: 3,
                calls: 4
            })
        );
        // The window slides: the oldest calls leave it.
        let mut c = Counter::new(&config);
        let trips = run(
            &mut c,
            &[Failure, Success, Success, Success, Success, Failure],
            &config,
        );
        assert!(trips.iter().all(Option::is_none), "{trips:?}");
        assert!(!c.is_clean(), "a windowed counter records every call");
    }

    #[test]
    fn slow_calls_count_for_the_slow_rate_not_as_failures() {
        let config = BreakerConfig::builder()
            .slow_call_rate(1.0)
            .failure_threshold(1)
            .window(2, 2)
            .build()
            .unwrap();
        let slow = TripReason::TooSlow {
            elapsed: config.max_delay(),
        };
        assert_eq!(Call::failure(slow, &config), Call::Slow);
        assert_eq!(
            Call::failure(slow, &BreakerConfig::default()),
            Call::Failure
        );
        let mut c = Counter::new(&config);
        assert_eq!(c.record(Call::Slow, &config), None);
        assert_eq!(c.consecutive(), 0);
        assert_eq!(
            c.record(Call::Slow, &config),
            Some(TripCause::SlowCallRate { slow: 2, calls: 2 })
        );
        // Failures still trip by count alongside.
        assert_eq!(
            c.record(Call::Failure, &config),
            Some(TripCause::ConsecutiveFailures { failures: 1 })
        );
    }
}
