//! [`BreakerConfig`] and its validating builder.

use std::time::Duration;

use super::error::ConfigError;

/// Settings of a breaker and of the recovery shared by a [`RecoveryGroup`](super::RecoveryGroup).
///
/// Built by [`BreakerConfig::builder`], which checks every value; [`BreakerConfig::default`] is a
/// valid configuration (the defaults are listed on each builder method).
///
/// What trips a breaker is its policy: by default
/// [`failure_threshold`](BreakerConfigBuilder::failure_threshold) consecutive failures (a success
/// starts the count again). [`failure_rate`](BreakerConfigBuilder::failure_rate) trips on the share
/// of failures among the last [`window`](BreakerConfigBuilder::window) calls instead, and
/// [`slow_call_rate`](BreakerConfigBuilder::slow_call_rate) on the share of calls slower than
/// [`max_delay`](BreakerConfigBuilder::max_delay).
///
/// ```
/// use std::time::Duration;
/// use fusebox_core::breaker::BreakerConfig;
///
/// let config = BreakerConfig::builder()
///     .failure_threshold(3)
///     .probe_interval(Duration::from_millis(500))
///     .max_backoff(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// assert_eq!(config.failure_threshold(), 3);
///
/// // Half of the last 20 calls failing (once 10 calls were seen) trips it instead.
/// let windowed = BreakerConfig::builder().failure_rate(0.5).window(20, 10).build().unwrap();
/// assert_eq!(windowed.failure_rate(), Some(0.5));
///
/// let err = BreakerConfig::builder().failure_threshold(0).build().unwrap_err();
/// assert_eq!(err.to_string(), "failure_threshold is 0: set it to 1 or more");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    failure_threshold: u32,
    failure_rate: Option<f64>,
    slow_call_rate: Option<f64>,
    window_size: u32,
    minimum_calls: u32,
    success_threshold: u32,
    probation_calls: u32,
    probe_interval: Duration,
    probe_retries: u32,
    retry_delay: Option<Duration>,
    probe_timeout: Duration,
    max_backoff: Duration,
    stable_period: Duration,
    jitter: f64,
    max_delay: Duration,
    max_retry_after: Duration,
}

/// The longest `probe_interval` accepted: a recovery that waits longer is a recovery nobody sees.
pub const MAX_PROBE_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// The pause before a retry within a round, unless set (or the probe interval, if shorter).
const DEFAULT_RETRY_DELAY: Duration = Duration::from_millis(100);

/// The largest `window` accepted (calls kept per breaker: one byte each).
pub const MAX_WINDOW: u32 = 100_000;

impl BreakerConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> BreakerConfigBuilder {
        BreakerConfigBuilder {
            config: BreakerConfig::DEFAULT,
        }
    }

    const DEFAULT: BreakerConfig = BreakerConfig {
        failure_threshold: 5,
        failure_rate: None,
        slow_call_rate: None,
        window_size: 20,
        minimum_calls: 10,
        success_threshold: 2,
        probation_calls: 5,
        probe_interval: Duration::from_secs(1),
        probe_retries: 2,
        retry_delay: None,
        probe_timeout: Duration::from_secs(10),
        max_backoff: Duration::from_secs(30),
        stable_period: Duration::from_secs(60),
        jitter: 0.5,
        max_delay: Duration::from_secs(10),
        max_retry_after: Duration::from_secs(60),
    };

    /// How many consecutive failures trip a breaker, unless a [`failure_rate`](Self::failure_rate)
    /// replaces that policy.
    pub fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// The share of failed calls in the window that trips a breaker, if that policy is chosen.
    pub fn failure_rate(&self) -> Option<f64> {
        self.failure_rate
    }

    /// The share of slow calls in the window that trips a breaker, if that policy is chosen.
    pub fn slow_call_rate(&self) -> Option<f64> {
        self.slow_call_rate
    }

    /// How many recent calls the rate policies look at.
    pub fn window_size(&self) -> u32 {
        self.window_size
    }

    /// How many calls the window must hold before a rate can trip.
    pub fn minimum_calls(&self) -> u32 {
        self.minimum_calls
    }

    /// Whether the breaker keeps a window of recent calls (a rate policy is set).
    pub fn is_windowed(&self) -> bool {
        self.failure_rate.is_some() || self.slow_call_rate.is_some()
    }

    /// How many consecutive good probe rounds end a recovery.
    pub fn success_threshold(&self) -> u32 {
        self.success_threshold
    }

    /// How many successful calls a recovered breaker must see before a failure no longer
    /// re-trips it at once.
    pub fn probation_calls(&self) -> u32 {
        self.probation_calls
    }

    /// The time between probe rounds while they succeed, and the base of the backoff.
    pub fn probe_interval(&self) -> Duration {
        self.probe_interval
    }

    /// How many times a failed probe is retried within one round.
    pub fn probe_retries(&self) -> u32 {
        self.probe_retries
    }

    /// The pause before a failed probe is retried within its round.
    pub fn retry_delay(&self) -> Duration {
        self.retry_delay
            .unwrap_or(DEFAULT_RETRY_DELAY.min(self.probe_interval))
    }

    /// How long one probe may take before it counts as failed.
    pub fn probe_timeout(&self) -> Duration {
        self.probe_timeout
    }

    /// The longest wait before a probe round, after failed rounds or repeated trips.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// How long a recovery must hold (no trip of the group) before the backoff starts again from
    /// the probe interval.
    pub fn stable_period(&self) -> Duration {
        self.stable_period
    }

    /// The fraction, in `0.0..=1.0`, by which a backoff delay may be randomly shortened.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// A call slower than this is slow: a failure, or counted by the slow-call rate.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The longest floor a server's `Retry-After` may put on the time before the first probe.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig::DEFAULT
    }
}

/// Builds a [`BreakerConfig`]; see [`BreakerConfig::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct BreakerConfigBuilder {
    config: BreakerConfig,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert_eq!(
            BreakerConfig::builder().build(),
            Ok(BreakerConfig::default())
        );
    }

    #[test]
    fn rejects_each_bad_value() {
        let b = BreakerConfig::builder;
        let secs = Duration::from_secs;
        let bad = [
            (b().failure_threshold(0), ConfigError::ZeroFailureThreshold),
            (
                b().failure_rate(0.0),
                ConfigError::RateOutOfRange {
                    option: "failure_rate",
                },
            ),
            (
                b().failure_rate(1.5),
                ConfigError::RateOutOfRange {
                    option: "failure_rate",
                },
            ),
            (
                b().slow_call_rate(f64::NAN),
                ConfigError::RateOutOfRange {
                    option: "slow_call_rate",
                },
            ),
            (
                b().window(0, 0),
                ConfigError::BadWindow {
                    size: 0,
                    minimum_calls: 0,
                },
            ),
            (
                b().window(5, 6),
                ConfigError::BadWindow {
                    size: 5,
                    minimum_calls: 6,
                },
            ),
            (
                b().window(MAX_WINDOW + 1, 1),
                ConfigError::BadWindow {
                    size: MAX_WINDOW + 1,
                    minimum_calls: 1,
                },
            ),
            (b().success_threshold(0), ConfigError::ZeroSuccessThreshold),
            (
                b().probe_interval(Duration::ZERO),
                ConfigError::ProbeIntervalOutOfRange {
                    probe_interval: Duration::ZERO,
                },
            ),
            (
                b().probe_interval(Duration::MAX),
                ConfigError::ProbeIntervalOutOfRange {
                    probe_interval: Duration::MAX,
                },
            ),
            (
                b().retry_delay(secs(2)),
                ConfigError::RetryDelayAboveInterval {
                    retry_delay: secs(2),
                },
            ),
            (
                b().probe_timeout(Duration::ZERO),
                ConfigError::ZeroProbeTimeout,
            ),
            (
                b().probe_interval(secs(5)).max_backoff(secs(4)),
                ConfigError::BackoffBelowInterval {
                    max_backoff: secs(4),
                    probe_interval: secs(5),
                },
            ),
            (
                b().jitter(1.5),
                ConfigError::JitterOutOfRange { jitter: 1.5 },
            ),
            (b().max_delay(Duration::ZERO), ConfigError::ZeroMaxDelay),
        ];
        for (builder, error) in bad {
            assert_eq!(builder.build(), Err(error));
        }
        assert!(matches!(
            b().jitter(f64::NAN).build(),
            Err(ConfigError::JitterOutOfRange { .. })
        ));
    }

    #[test]
    fn accepts_edges() {
        let c = BreakerConfig::builder()
            .failure_threshold(1)
            .success_threshold(1)
            .probe_retries(0)
            .probation_calls(0)
            .probe_interval(Duration::from_secs(2))
            .retry_delay(Duration::from_secs(2))
            .max_backoff(Duration::from_secs(2))
            .window(1, 1)
            .failure_rate(1.0)
            .slow_call_rate(1.0)
            .jitter(1.0)
            .max_retry_after(Duration::ZERO)
            .build()
            .unwrap();
        assert_eq!(c.probe_retries(), 0);
        assert_eq!(c.max_backoff(), c.probe_interval());
        assert!(c.is_windowed());
    }
}
