//! The configuration's validation.

use super::*;
use crate::breaker::error::ConfigError;

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
