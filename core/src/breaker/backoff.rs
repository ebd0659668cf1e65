//! The wait before the next probe round after failed rounds: exponential, capped, jittered.

use std::time::Duration;

/// The wait after `failed_rounds` (at least 1) consecutive failed rounds.
///
/// `interval * 2^failed_rounds`, capped at `max`, then shortened by up to `jitter` of itself
/// (`sample` in `0.0..1.0` picks how much), but never below `interval`. Pure: the caller draws
/// `sample`.
pub(crate) fn delay(
    interval: Duration,
    max: Duration,
    jitter: f64,
    failed_rounds: u32,
    sample: f64,
) -> Duration {
    let factor = 1u32 << failed_rounds.min(31);
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
        let delays: Vec<u64> = (1..=7)
            .map(|n| delay(S, max, 0.0, n, 0.9).as_secs())
            .collect();
        assert_eq!(delays, [2, 4, 8, 16, 20, 20, 20]);
    }

    #[test]
    fn never_overflows() {
        let max = Duration::from_secs(3600);
        assert_eq!(delay(S, max, 0.0, u32::MAX, 0.0), max);
        assert_eq!(
            delay(Duration::MAX, Duration::MAX, 0.0, 40, 0.0),
            Duration::MAX
        );
    }

    #[test]
    fn jitter_shortens_within_bounds_and_not_below_interval() {
        let max = Duration::from_secs(8);
        // 3 failed rounds: 8 s; half jitter: between 4 s and 8 s.
        assert_eq!(delay(S, max, 0.5, 3, 0.0), Duration::from_secs(8));
        assert_eq!(delay(S, max, 0.5, 3, 0.5), Duration::from_secs(6));
        assert_eq!(delay(S, max, 0.5, 3, 1.0), Duration::from_secs(4));
        // full jitter on the first failed round (2 s) stops at the interval
        assert_eq!(delay(S, max, 1.0, 1, 0.99), S);
    }
}
