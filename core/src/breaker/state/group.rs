//! The recovery group's state and its transitions, as plain functions of `now`.
//!
//! The group keeps the breakers that tripped since its recovery began (`T`: whatever the caller
//! needs to close one again), whether its one recovery task runs, the task's progress through
//! probe rounds, and the backoff that carries over when trips follow recoveries closely.

use std::time::{Duration, Instant};

use crate::breaker::backoff;
use crate::breaker::config::BreakerConfig;

/// What the recovery task does next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next<T> {
    /// Wait this long, then probe.
    ProbeAfter(Duration),
    /// Recovered: close these breakers. The task is done.
    Recovered(Vec<T>),
}

/// Progress through probe rounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rounds {
    /// Consecutive good rounds.
    pub(crate) good: u32,
    /// Consecutive failed rounds.
    pub(crate) failed: u32,
    /// Retries already sent in the current round.
    retries: u32,
}

/// The group's state, behind the group's lock.
#[derive(Debug)]
pub(crate) struct GroupState<T> {
    running: bool,
    rounds: Rounds,
    /// Backoff level: trips in a row that each came within the stable period of a recovery.
    level: u32,
    recovered_at: Option<Instant>,
    /// No probe before this (a server's `Retry-After`).
    not_before: Option<Instant>,
    /// Tripped breakers the running (or next) recovery will close.
    waiting: Vec<T>,
    pub(crate) recoveries: u64,
    pub(crate) tasks_started: u64,
    pub(crate) probes_sent: u64,
}

impl<T> Default for GroupState<T> {
    fn default() -> Self {
        GroupState {
            running: false,
            rounds: Rounds::default(),
            level: 0,
            recovered_at: None,
            not_before: None,
            waiting: Vec::new(),
            recoveries: 0,
            tasks_started: 0,
            probes_sent: 0,
        }
    }
}

impl<T> GroupState<T> {
    pub(crate) fn is_running(&self) -> bool {
        self.running
    }

    pub(crate) fn good_rounds(&self) -> u32 {
        self.rounds.good
    }

    pub(crate) fn level(&self) -> u32 {
        self.level
    }

    /// A breaker tripped at `now` (with a server's `retry_after`, if any). `Some(wait)` when no
    /// task runs: the caller starts one, which probes first after `wait`.
    pub(crate) fn joined(
        &mut self,
        entry: T,
        now: Instant,
        retry_after: Option<Duration>,
        config: &BreakerConfig,
        sample: f64,
    ) -> Option<Duration> {
        self.waiting.push(entry);
        if let Some(after) = retry_after {
            let floor = now.checked_add(after.min(config.max_retry_after()));
            self.not_before = self.not_before.max(floor);
        }
        self.restarted(now, config, sample)
    }

    /// Starts a task if breakers wait and none runs (one was dropped by its spawner). `Some(wait)`:
    /// the caller starts it, to probe first after `wait`.
    pub(crate) fn restarted(
        &mut self,
        now: Instant,
        config: &BreakerConfig,
        sample: f64,
    ) -> Option<Duration> {
        if self.running || self.waiting.is_empty() {
            return None;
        }
        let soon_after_recovery = self
            .recovered_at
            .is_some_and(|at| now.saturating_duration_since(at) < config.stable_period());
        self.level = if soon_after_recovery {
            self.level.saturating_add(1)
        } else {
            0
        };
        self.running = true;
        self.rounds = Rounds::default();
        self.tasks_started += 1;
        Some(self.wait(now, config, self.level, sample))
    }

    /// The task was dropped before it finished: the next caller may start another.
    pub(crate) fn abandoned(&mut self) {
        self.running = false;
    }

    /// How long from `now` until a probe may go: the backoff, or a later `Retry-After` floor.
    fn wait(&self, now: Instant, config: &BreakerConfig, level: u32, sample: f64) -> Duration {
        let backoff = backoff::delay(config, level, sample);
        let floor = self.not_before.map(|at| at.saturating_duration_since(now));
        floor.map_or(backoff, |floor| floor.max(backoff))
    }

    /// The task woke at `now` to probe: the time still to wait for a `Retry-After` floor set
    /// meanwhile, or `None` to probe now (counted as sent).
    pub(crate) fn due(&mut self, now: Instant) -> Option<Duration> {
        match self.not_before {
            Some(at) if at > now => Some(at.saturating_duration_since(now)),
            _ => {
                self.probes_sent += 1;
                None
            }
        }
    }

    /// A probe answered `ok` at `now`. `sample` (in `0.0..1.0`) picks the jitter of a backoff.
    pub(crate) fn probed(
        &mut self,
        now: Instant,
        ok: bool,
        config: &BreakerConfig,
        sample: f64,
    ) -> Next<T> {
        let r = &mut self.rounds;
        if ok {
            r.retries = 0;
            r.failed = 0;
            r.good += 1;
            if r.good < config.success_threshold() {
                return Next::ProbeAfter(config.probe_interval());
            }
            self.running = false;
            self.rounds = Rounds::default();
            self.recoveries += 1;
            self.recovered_at = Some(now);
            self.not_before = None;
            return Next::Recovered(std::mem::take(&mut self.waiting));
        }
        if r.retries < config.probe_retries() {
            r.retries += 1;
            return Next::ProbeAfter(config.retry_delay());
        }
        r.retries = 0;
        r.good = 0;
        r.failed = r.failed.saturating_add(1);
        let level = self.level.saturating_add(r.failed);
        Next::ProbeAfter(self.wait(now, config, level, sample))
    }
}
