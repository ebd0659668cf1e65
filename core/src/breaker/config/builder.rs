//! [`BreakerConfigBuilder`]: sets and checks a [`BreakerConfig`].

use std::time::Duration;

use super::{BreakerConfig, MAX_PROBE_INTERVAL, MAX_WINDOW};
use crate::breaker::error::ConfigError;

/// Builds a [`BreakerConfig`]; see [`BreakerConfig::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BreakerConfigBuilder {
    pub(super) config: BreakerConfig,
}

impl BreakerConfigBuilder {
    /// Consecutive failures that trip a breaker (default 5; at least 1). The failure that makes
    /// the count reach this number trips it. Ignored when a [`failure_rate`](Self::failure_rate)
    /// is set.
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.config.failure_threshold = failures;
        self
    }

    /// Trip when at least this share (`0.0..=1.0`, above 0) of the calls in the
    /// [`window`](Self::window) failed, instead of counting consecutive failures (default: off).
    pub fn failure_rate(mut self, rate: f64) -> Self {
        self.config.failure_rate = Some(rate);
        self
    }

    /// Trip when at least this share (`0.0..=1.0`, above 0) of the calls in the
    /// [`window`](Self::window) were slower than [`max_delay`](Self::max_delay) (default: off).
    /// With it set, a slow call counts toward this rate and not as a failure.
    pub fn slow_call_rate(mut self, rate: f64) -> Self {
        self.config.slow_call_rate = Some(rate);
        self
    }

    /// The rate policies' window: the last `size` calls (default 20; 1 to 100 000), and no trip
    /// before it holds `minimum_calls` (default 10; 1 to `size`).
    pub fn window(mut self, size: u32, minimum_calls: u32) -> Self {
        self.config.window_size = size;
        self.config.minimum_calls = minimum_calls;
        self
    }

    /// Consecutive good probe rounds that end a recovery (default 2; at least 1).
    pub fn success_threshold(mut self, rounds: u32) -> Self {
        self.config.success_threshold = rounds;
        self
    }

    /// Probation after a recovery (default 5): until this many calls have succeeded, one failure
    /// re-trips the breaker at once. 0 means no probation.
    pub fn probation_calls(mut self, calls: u32) -> Self {
        self.config.probation_calls = calls;
        self
    }

    /// Time between probe rounds (default 1 s; above zero, at most one day). The first probe is
    /// sent one interval after the trip, later ones after a trip that follows a recovery closely
    /// wait longer (see [`stable_period`](Self::stable_period)).
    pub fn probe_interval(mut self, interval: Duration) -> Self {
        self.config.probe_interval = interval;
        self
    }

    /// Retries of a failed probe within a round (default 2; 0 means no retry).
    pub fn probe_retries(mut self, retries: u32) -> Self {
        self.config.probe_retries = retries;
        self
    }

    /// Pause before a retry within a round (default 100 ms, or the probe interval if that is
    /// shorter; at most the probe interval).
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.config.retry_delay = Some(delay);
        self
    }

    /// How long one probe may take before it counts as failed (default 10 s; above zero).
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.config.probe_timeout = timeout;
        self
    }

    /// Cap of the backoff (default 30 s; at least the probe interval). After `n` consecutive
    /// failed rounds, or the `n`-th trip in a row that follows a recovery within the stable
    /// period, a round waits `probe_interval * 2^n`, capped here.
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.config.max_backoff = max;
        self
    }

    /// How long a recovery must last without a trip of the group for the backoff to start again
    /// from the probe interval (default 60 s).
    pub fn stable_period(mut self, period: Duration) -> Self {
        self.config.stable_period = period;
        self
    }

    /// Fraction by which a backoff delay is randomly shortened (default 0.5; within `0.0..=1.0`).
    /// A delay is never shortened below the probe interval. `0.0` makes backoff deterministic.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.config.jitter = fraction;
        self
    }

    /// A call slower than this is slow (default 10 s; above zero; `Duration::MAX` for never).
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.config.max_delay = max;
        self
    }

    /// The longest floor that a server's `Retry-After` puts on the time before the first probe
    /// (default 60 s; zero ignores `Retry-After`).
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.config.max_retry_after = max;
        self
    }

    /// Checks the values and returns the configuration.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first value that is zero, out of range or contradicts another.
    pub fn build(self) -> Result<BreakerConfig, ConfigError> {
        let c = self.config;
        let rate_ok = |rate: Option<f64>| rate.is_none_or(|r| r > 0.0 && r <= 1.0);
        let checks = [
            (c.failure_threshold == 0, ConfigError::ZeroFailureThreshold),
            (
                !rate_ok(c.failure_rate),
                ConfigError::RateOutOfRange {
                    option: "failure_rate",
                },
            ),
            (
                !rate_ok(c.slow_call_rate),
                ConfigError::RateOutOfRange {
                    option: "slow_call_rate",
                },
            ),
            (
                c.window_size == 0
                    || c.window_size > MAX_WINDOW
                    || c.minimum_calls == 0
                    || c.minimum_calls > c.window_size,
                ConfigError::BadWindow {
                    size: c.window_size,
                    minimum_calls: c.minimum_calls,
                },
            ),
            (c.success_threshold == 0, ConfigError::ZeroSuccessThreshold),
            (
                c.probe_interval.is_zero() || c.probe_interval > MAX_PROBE_INTERVAL,
                ConfigError::ProbeIntervalOutOfRange {
                    probe_interval: c.probe_interval,
                },
            ),
            (
                c.retry_delay() > c.probe_interval,
                ConfigError::RetryDelayAboveInterval {
                    retry_delay: c.retry_delay(),
                },
            ),
            (c.probe_timeout.is_zero(), ConfigError::ZeroProbeTimeout),
            (
                c.max_backoff < c.probe_interval,
                ConfigError::BackoffBelowInterval {
                    max_backoff: c.max_backoff,
                    probe_interval: c.probe_interval,
                },
            ),
            (
                !(0.0..=1.0).contains(&c.jitter),
                ConfigError::JitterOutOfRange { jitter: c.jitter },
            ),
            (c.max_delay.is_zero(), ConfigError::ZeroMaxDelay),
        ];
        match checks.into_iter().find(|(bad, _)| *bad) {
            Some((_, error)) => Err(error),
            None => Ok(c),
        }
    }
}
