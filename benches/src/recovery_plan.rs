//! What `recovery_figures` runs: the breaker's settings, the clients' pace, the windows, and what
//! the recovery task's schedule predicts for them.
//!
//! With no jitter the recovery task's schedule is fixed: the first probe round one
//! `probe_interval` after the trip; after `n` consecutive failed rounds a wait of
//! `probe_interval * 2^n` capped at `max_backoff`; after a good round one `probe_interval`;
//! `success_threshold` good rounds in a row recover. Each round sends one probe, and up to
//! `probe_retries` more at once while they fail. [`Schedule`] computes from that the probes a
//! window should see and how long a recovery should take, to set beside what was measured.

use std::time::Duration;

use fusebox_core::breaker::BreakerConfig;

/// The client counts of the figures: one group each.
pub const CLIENT_COUNTS: [usize; 3] = [1, 10, 100];

/// The settings of one run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The breaker's settings, shared by the group.
    pub config: BreakerConfig,
    /// The pause of each client between two of its calls.
    pub pause: Duration,
    /// How long the service stays down while the probes are counted, from the first trip.
    pub window: Duration,
    /// The step by which the manual clock moves.
    pub step: Duration,
    /// How long after the un-trip the requests reaching the server are counted.
    pub burst: Duration,
    /// Repetitions of the real-time run per client count (medians are shown).
    pub reps: usize,
    /// Connections per host of the clients' shared pool.
    pub max_per_host: usize,
}

impl Plan {
    /// The plan of a full run, or of `--quick` (under a minute).
    ///
    /// # Panics
    ///
    /// Never: the settings are valid.
    pub fn new(quick: bool) -> Plan {
        let config = BreakerConfig::builder()
            .failure_threshold(3)
            .success_threshold(2)
            .probe_interval(Duration::from_millis(200))
            .probe_retries(1)
            .max_backoff(Duration::from_millis(800))
            .jitter(0.0)
            .max_delay(Duration::from_millis(100))
            .build()
            .expect("valid breaker settings");
        Plan {
            config,
            pause: Duration::from_millis(10),
            // Both windows end 400 ms from a probe round (rounds fall at 0.2, 0.6, 1.4, 2.2 s,
            // then every 0.8 s), so that a few ms of drift cannot move a round across the edge.
            window: Duration::from_millis(if quick { 1800 } else { 5800 }),
            step: Duration::from_millis(1),
            burst: Duration::from_millis(100),
            reps: if quick { 1 } else { 3 },
            max_per_host: 16,
        }
    }

    /// `success_threshold x probe_interval`: the recovery time when the service is healthy from
    /// the trip on.
    pub fn ideal_recovery(&self) -> Duration {
        self.config.probe_interval() * self.config.success_threshold()
    }

    /// The recovery task's schedule under these settings.
    pub fn schedule(&self) -> Schedule<'_> {
        Schedule {
            config: &self.config,
        }
    }

    /// The settings as one line.
    pub fn describe(&self) -> String {
        let c = &self.config;
        format!(
            "failure_threshold={} success_threshold={} probe_interval={:?} probe_retries={} \
             max_backoff={:?} jitter={} max_delay={:?}",
            c.failure_threshold(),
            c.success_threshold(),
            c.probe_interval(),
            c.probe_retries(),
            c.max_backoff(),
            c.jitter(),
            c.max_delay()
        )
    }
}

/// The recovery task's schedule after a trip at time zero, without jitter.
#[derive(Clone, Copy, Debug)]
pub struct Schedule<'a> {
    config: &'a BreakerConfig,
}

impl Schedule<'_> {
    /// The start times of the probe rounds while the service stays down, up to and including
    /// `until` (at most 10,000 of them).
    pub fn failed_rounds(self, until: Duration) -> Vec<Duration> {
        let c = self.config;
        let mut rounds = Vec::new();
        let mut at = c.probe_interval();
        let mut failed = 0u32;
        while at <= until && rounds.len() < 10_000 {
            rounds.push(at);
            failed = failed.saturating_add(1);
            at += self.backoff(failed);
        }
        rounds
    }

    /// The wait after `failed` consecutive failed rounds (jitter left out).
    fn backoff(self, failed: u32) -> Duration {
        let c = self.config;
        let grown = c
            .probe_interval()
            .checked_mul(1u32 << failed.min(31))
            .unwrap_or(c.max_backoff());
        grown.min(c.max_backoff()).max(c.probe_interval())
    }

    /// The probes sent from the trip to `until` while the service stays down.
    pub fn probes_while_down(self, until: Duration) -> u64 {
        let per_round = u64::from(self.config.probe_retries()) + 1;
        self.failed_rounds(until).len() as u64 * per_round
    }

    /// How long after the service turns healthy, `healthy_at` after the trip, the recovery ends:
    /// the wait for the next round, then `success_threshold - 1` more intervals.
    pub fn recovery_after(self, healthy_at: Duration) -> Duration {
        let c = self.config;
        let limit = healthy_at + c.max_backoff() + c.probe_interval();
        let next = self
            .failed_rounds(limit)
            .into_iter()
            .find(|&at| at >= healthy_at)
            .unwrap_or(limit);
        next - healthy_at + c.probe_interval() * (c.success_threshold() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn rounds_back_off_to_the_cap() {
        let plan = Plan::new(true);
        let rounds = plan.schedule().failed_rounds(ms(3000));
        assert_eq!(rounds, [200, 600, 1400, 2200, 3000].map(ms));
        assert_eq!(plan.schedule().probes_while_down(ms(1800)), 6);
        assert_eq!(plan.schedule().probes_while_down(ms(5800)), 16);
    }

    #[test]
    fn recovery_waits_for_the_next_round() {
        let plan = Plan::new(true);
        let s = plan.schedule();
        assert_eq!(plan.ideal_recovery(), ms(400));
        assert_eq!(s.recovery_after(Duration::ZERO), ms(400));
        assert_eq!(s.recovery_after(ms(1800)), ms(600));
        assert_eq!(s.recovery_after(ms(5800)), ms(600));
        assert_eq!(s.recovery_after(ms(600)), ms(200));
    }
}
