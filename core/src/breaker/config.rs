//! [`BreakerConfig`] and its validating builder.

use std::time::Duration;

use super::error::ConfigError;

/// Settings of a breaker and of the recovery shared by a [`RecoveryGroup`](super::RecoveryGroup).
///
/// Built by [`BreakerConfig::builder`], which checks every value; [`BreakerConfig::default`] is a
/// valid configuration (the defaults are listed on each builder method).
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
/// let err = BreakerConfig::builder().failure_threshold(0).build().unwrap_err();
/// assert_eq!(err.to_string(), "failure_threshold is 0: set it to 1 or more");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    failure_threshold: u32,
    success_threshold: u32,
    probe_interval: Duration,
    probe_retries: u32,
    max_backoff: Duration,
    jitter: f64,
    max_delay: Duration,
}

impl BreakerConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> BreakerConfigBuilder {
        BreakerConfigBuilder {
            config: BreakerConfig::DEFAULT,
        }
    }

    const DEFAULT: BreakerConfig = BreakerConfig {
        failure_threshold: 5,
        success_threshold: 2,
        probe_interval: Duration::from_secs(1),
        probe_retries: 2,
        max_backoff: Duration::from_secs(30),
        jitter: 0.5,
        max_delay: Duration::from_secs(10),
    };

    /// How many consecutive failures trip a client's breaker.
    pub fn failure_threshold(&self) -> u32 {
        self.failure_threshold
    }

    /// How many consecutive good probe rounds end a recovery.
    pub fn success_threshold(&self) -> u32 {
        self.success_threshold
    }

    /// The time between probe rounds while they succeed, and the base of the backoff.
    pub fn probe_interval(&self) -> Duration {
        self.probe_interval
    }

    /// How many times a failed probe is retried, at once, within one round.
    pub fn probe_retries(&self) -> u32 {
        self.probe_retries
    }

    /// The longest wait between two probe rounds after failed rounds.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The fraction, in `0.0..=1.0`, by which a backoff delay may be randomly shortened.
    pub fn jitter(&self) -> f64 {
        self.jitter
    }

    /// A response slower than this counts as a failure.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
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
    /// Consecutive failures that trip a client (default 5; must be at least 1). The failure that
    /// makes the count reach this number trips the breaker.
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.config.failure_threshold = failures;
        self
    }

    /// Consecutive good probe rounds that end a recovery (default 2; must be at least 1).
    pub fn success_threshold(mut self, rounds: u32) -> Self {
        self.config.success_threshold = rounds;
        self
    }

    /// Time between probe rounds (default 1 s; must not be zero). The first probe is sent one
    /// interval after the trip.
    pub fn probe_interval(mut self, interval: Duration) -> Self {
        self.config.probe_interval = interval;
        self
    }

    /// Retries of a failed probe within a round, sent at once (default 2; 0 means no retry).
    pub fn probe_retries(mut self, retries: u32) -> Self {
        self.config.probe_retries = retries;
        self
    }

    /// Cap of the backoff between failed rounds (default 30 s; at least the probe interval). After
    /// `n` consecutive failed rounds the next round waits `probe_interval * 2^n`, capped here.
    pub fn max_backoff(mut self, max: Duration) -> Self {
        self.config.max_backoff = max;
        self
    }

    /// Fraction by which a backoff delay is randomly shortened (default 0.5; within `0.0..=1.0`).
    /// A delay is never shortened below the probe interval. `0.0` makes backoff deterministic.
    pub fn jitter(mut self, fraction: f64) -> Self {
        self.config.jitter = fraction;
        self
    }

    /// A response slower than this counts as a failure (default 10 s; must not be zero).
    pub fn max_delay(mut self, max: Duration) -> Self {
        self.config.max_delay = max;
        self
    }

    /// Checks the values and returns the configuration.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first value that is zero, out of range or contradicts another.
    pub fn build(self) -> Result<BreakerConfig, ConfigError> {
        let c = self.config;
        if c.failure_threshold == 0 {
            return Err(ConfigError::ZeroFailureThreshold);
        }
        if c.success_threshold == 0 {
            return Err(ConfigError::ZeroSuccessThreshold);
        }
        if c.probe_interval.is_zero() {
            return Err(ConfigError::ZeroProbeInterval);
        }
        if c.max_backoff < c.probe_interval {
            return Err(ConfigError::BackoffBelowInterval {
                max_backoff: c.max_backoff,
                probe_interval: c.probe_interval,
            });
        }
        if !(0.0..=1.0).contains(&c.jitter) {
            return Err(ConfigError::JitterOutOfRange { jitter: c.jitter });
        }
        if c.max_delay.is_zero() {
            return Err(ConfigError::ZeroMaxDelay);
        }
        Ok(c)
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
        assert_eq!(
            b().failure_threshold(0).build(),
            Err(ConfigError::ZeroFailureThreshold)
        );
        assert_eq!(
            b().success_threshold(0).build(),
            Err(ConfigError::ZeroSuccessThreshold)
        );
        assert_eq!(
            b().probe_interval(Duration::ZERO).build(),
            Err(ConfigError::ZeroProbeInterval)
        );
        assert_eq!(
            b().probe_interval(secs(5)).max_backoff(secs(4)).build(),
            Err(ConfigError::BackoffBelowInterval {
                max_backoff: secs(4),
                probe_interval: secs(5)
            })
        );
        assert!(matches!(
            b().jitter(1.5).build(),
            Err(ConfigError::JitterOutOfRange { .. })
        ));
        assert!(matches!(
            b().jitter(f64::NAN).build(),
            Err(ConfigError::JitterOutOfRange { .. })
        ));
        assert_eq!(
            b().max_delay(Duration::ZERO).build(),
            Err(ConfigError::ZeroMaxDelay)
        );
    }

    #[test]
    fn accepts_edges() {
        let c = BreakerConfig::builder()
            .failure_threshold(1)
            .success_threshold(1)
            .probe_retries(0)
            .probe_interval(Duration::from_secs(2))
            .max_backoff(Duration::from_secs(2))
            .jitter(1.0)
            .build()
            .unwrap();
        assert_eq!(c.probe_retries(), 0);
        assert_eq!(c.max_backoff(), c.probe_interval());
    }
}
