//! The wait before a probe round: exponential in the backoff level, capped, jittered.

use std::time::Duration;

use super::config::BreakerConfig;

/// The wait before a probe round at backoff `level` (failed rounds, plus trips in a row that
/// followed recoveries closely): the probe interval at level 0.
pub(crate) fn delay(config: &BreakerConfig, level: u32, sample: f64) -> Duration {
    grow(
        config.probe_interval(),
        config.max_backoff(),
        config.jitter(),
        level,
        sample,
    )
}

/// `interval * 2^level`, capped at `max`, then shortened by up to `jitter` of itself (`sample`
/// in `0.0..1.0` picks how much), but never below `interval`. Pure: the caller draws `sample`.
fn grow(interval: Duration, max: Duration, jitter: f64, level: u32, sample: f64) -> Duration {
    let factor = 1u32 << level.min(31);
    let grown = interval.checked_mul(factor).unwrap_or(max).min(max);
    let cut = grown.mul_f64(jitter.clamp(0.0, 1.0) * sample.clamp(0.0, 1.0));
    grown.saturating_sub(cut).max(interval)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn doubles_per_failed_round_until_the_cap() {
        let max = Duration::from_secs(20);
        let delays: Vec<u64> = (0..=7)
            .map(|n| grow(S, max, 0.0, n, 0.9).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 20, 20, 20]);
    }

    #[test]
    fn never_overflows() {
        let max = Duration::from_secs(3600);
        assert_eq!(grow(S, max, 0.0, u32::MAX, 0.0), max);
        assert_eq!(
            grow(Duration::MAX, Duration::MAX, 0.0, 40, 0.0),
            Duration::MAX
        );
    }

    #[test]
    fn jitter_shortens_within_bounds_and_not_below_interval() {
        let max = Duration::from_secs(8);
        // 3 failed rounds: 8 s; half jitter: between 4 s and 8 s.
        assert_eq!(grow(S, max, 0.5, 3, 0.0), Duration::from_secs(8));
        assert_eq!(grow(S, max, 0.5, 3, 0.5), Duration::from_secs(6));
        assert_eq!(grow(S, max, 0.5, 3, 1.0), Duration::from_secs(4));
        // full jitter on the first failed round (2 s) stops at the interval
        assert_eq!(grow(S, max, 1.0, 1, 0.99), S);
    }
}
