//! [`BreakerConfig`] and its validating builder.

use std::time::Duration;

mod builder;

pub use builder::BreakerConfigBuilder;

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

#[cfg(test)]
mod tests;
