//! Errors of the breaker: a rejected configuration and the fail-fast error of an open breaker.

use std::error::Error;
use std::fmt;
use std::time::Duration;

use super::state::Trip;

/// A [`BreakerConfig`](super::BreakerConfig) value that is zero, out of range or contradicts
/// another, as found by [`BreakerConfigBuilder::build`](super::BreakerConfigBuilder::build).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `failure_threshold` is 0: a breaker would trip before any failure.
    ZeroFailureThreshold,
    /// `success_threshold` is 0: recovery would end without a single good probe.
    ZeroSuccessThreshold,
    /// `probe_interval` is zero: the recovery task would probe in a busy loop.
    ZeroProbeInterval,
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
    /// `max_delay` is zero: every response would count as a failure.
    ZeroMaxDelay,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::ZeroFailureThreshold => {
                f.write_str("failure_threshold is 0: set it to 1 or more")
            }
            ConfigError::ZeroSuccessThreshold => {
                f.write_str("success_threshold is 0: set it to 1 or more")
            }
            ConfigError::ZeroProbeInterval => {
                f.write_str("probe_interval is zero: set a positive duration")
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
            ConfigError::ZeroMaxDelay => f.write_str("max_delay is zero: set a positive duration"),
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
        write!(
            f,
            "circuit breaker open after {} consecutive failures (last: {})",
            self.trip.failures, self.trip.reason
        )
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
            ConfigError::ZeroSuccessThreshold,
            ConfigError::ZeroProbeInterval,
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
