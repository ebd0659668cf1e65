//! Errors of the breaker: a rejected configuration and the fail-fast error of an open breaker.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use super::state::{Trip, TripCause};

/// A [`BreakerConfig`](super::BreakerConfig) value that is zero, out of range or contradicts
/// another, as found by [`BreakerConfigBuilder::build`](super::BreakerConfigBuilder::build).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `failure_threshold` is 0: a breaker would trip before any failure.
    ZeroFailureThreshold,
    /// A rate (`failure_rate` or `slow_call_rate`) is not above 0 and at most 1.
    RateOutOfRange {
        /// The option's name.
        option: &'static str,
    },
    /// The window is empty, larger than [`MAX_WINDOW`](super::MAX_WINDOW), or its minimum number
    /// of calls is 0 or more than it holds.
    BadWindow {
        /// The configured size.
        size: u32,
        /// The configured minimum number of calls.
        minimum_calls: u32,
    },
    /// `success_threshold` is 0: recovery would end without a single good probe.
    ZeroSuccessThreshold,
    /// `probe_interval` is zero (a busy loop) or longer than
    /// [`MAX_PROBE_INTERVAL`](super::MAX_PROBE_INTERVAL).
    ProbeIntervalOutOfRange {
        /// The configured interval.
        probe_interval: Duration,
    },
    /// `retry_delay` is longer than `probe_interval`.
    RetryDelayAboveInterval {
        /// The configured delay.
        retry_delay: Duration,
    },
    /// `probe_timeout` is zero: every probe would fail.
    ZeroProbeTimeout,
    /// `max_backoff` is shorter than `probe_interval`.
    BackoffBelowInterval {
        /// The configured cap.
        max_backoff: Duration,
        /// The configured interval.
        probe_interval: Duration,
    },
    /// `jitter` is not within `0.0..=1.0`.
    JitterOutOfRange {
        /// The configured fraction.
        jitter: f64,
    },
    /// `max_delay` is zero: every response would count as slow.
    ZeroMaxDelay,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ZeroFailureThreshold => {
                f.write_str("failure_threshold is 0: set it to 1 or more")
            }
            ConfigError::RateOutOfRange { option } => {
                write!(
                    f,
                    "{option} is not a share above 0 and at most 1: set it within (0.0, 1.0]"
                )
            }
            ConfigError::BadWindow {
                size,
                minimum_calls,
            } => write!(
                f,
                "window of {size} calls with a minimum of {minimum_calls}: set a size from 1 to \
                 {} and a minimum from 1 to the size",
                super::MAX_WINDOW
            ),
            ConfigError::ZeroSuccessThreshold => {
                f.write_str("success_threshold is 0: set it to 1 or more")
            }
            ConfigError::ProbeIntervalOutOfRange { probe_interval } => write!(
                f,
                "probe_interval is {probe_interval:?}: set a positive duration of at most {:?}",
                super::MAX_PROBE_INTERVAL
            ),
            ConfigError::RetryDelayAboveInterval { retry_delay } => write!(
                f,
                "retry_delay ({retry_delay:?}) is longer than probe_interval: lower it or raise \
                 probe_interval"
            ),
            ConfigError::ZeroProbeTimeout => {
                f.write_str("probe_timeout is zero: set a positive duration")
            }
            ConfigError::BackoffBelowInterval {
                max_backoff,
                probe_interval,
            } => write!(
                f,
                "max_backoff ({max_backoff:?}) is shorter than probe_interval ({probe_interval:?}): \
                 raise max_backoff or lower probe_interval"
            ),
            ConfigError::JitterOutOfRange { jitter } => {
                write!(f, "jitter is {jitter}: set a fraction from 0.0 to 1.0")
            }
            ConfigError::ZeroMaxDelay => f.write_str(
                "max_delay is zero: set a positive duration (Duration::MAX: never slow)",
            ),
        }
    }
}

impl Error for ConfigError {}

/// The fail-fast error of an open breaker: the request was not sent.
///
/// It tells since when the breaker is open and why ([`trip`](OpenError::trip)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    trip: Trip,
}

impl OpenError {
    pub(crate) fn new(trip: Trip) -> Self {
        OpenError { trip }
    }

    /// The trip that opened the breaker: when, after how many failures, and the last failure.
    pub fn trip(&self) -> &Trip {
        &self.trip
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self.trip.reason;
        match self.trip.cause {
            TripCause::ConsecutiveFailures { failures } => write!(
                f,
                "circuit breaker open after {failures} consecutive failures (last: {reason})"
            ),
            TripCause::FailureRate { failed, calls } => write!(
                f,
                "circuit breaker open: {failed} of the last {calls} calls failed (last: {reason})"
            ),
            TripCause::SlowCallRate { slow, calls } => write!(
                f,
                "circuit breaker open: {slow} of the last {calls} calls were slower than \
                 max_delay (last: {reason})"
            ),
            TripCause::Probation => write!(
                f,
                "circuit breaker open again: a call failed during probation after a recovery \
                 ({reason})"
            ),
            TripCause::Forced => f.write_str("circuit breaker forced open: reset() closes it"),
        }
    }
}

impl Error for OpenError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_lowercase_without_period() {
        let errors = [
            ConfigError::ZeroFailureThreshold,
            ConfigError::RateOutOfRange {
                option: "failure_rate",
            },
            ConfigError::BadWindow {
                size: 0,
                minimum_calls: 0,
            },
            ConfigError::ZeroSuccessThreshold,
            ConfigError::ProbeIntervalOutOfRange {
                probe_interval: Duration::ZERO,
            },
            ConfigError::RetryDelayAboveInterval {
                retry_delay: Duration::from_secs(9),
            },
            ConfigError::ZeroProbeTimeout,
            ConfigError::BackoffBelowInterval {
                max_backoff: Duration::from_secs(1),
                probe_interval: Duration::from_secs(2),
            },
            ConfigError::JitterOutOfRange { jitter: 2.0 },
            ConfigError::ZeroMaxDelay,
        ];
        for e in errors {
            let s = e.to_string();
            assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
            assert!(!s.ends_with('.'), "{s}");
        }
    }
}
