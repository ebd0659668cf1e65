//! Random runs of the group's transitions against a reference model, with a liveness clause:
//! from wherever a run ends, a healthy service recovers every waiting breaker within
//! `success_threshold` probes.

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
struct Settings {
    interval: Duration,
    success: u32,
    retries: u32,
    retry_delay: Duration,
    max_backoff: Duration,
    stable: Duration,
    max_retry_after: Duration,
}

impl Settings {
    fn config(&self) -> BreakerConfig {
        config(|b| {
            b.probe_interval(self.interval)
                .success_threshold(self.success)
                .probe_retries(self.retries)
                .retry_delay(self.retry_delay)
                .max_backoff(self.max_backoff)
                .stable_period(self.stable)
                .max_retry_after(self.max_retry_after)
        })
    }
}

fn settings() -> impl Strategy<Value = Settings> {
    let ms = Duration::from_millis;
    (
        100..2_000u64,
        1..4u32,
        0..3u32,
        0..=100u64,
        0..5u32,
        0..20_000u64,
        0..30_000u64,
    )
        .prop_map(
            move |(interval, success, retries, delay, doublings, stable, retry_after)| Settings {
                interval: ms(interval),
                success,
                retries,
                retry_delay: ms(interval * delay / 100),
                max_backoff: ms(interval << doublings),
                stable: ms(stable),
                max_retry_after: ms(retry_after),
            },
        )
}

#[derive(Debug, Clone)]
enum Op {
    /// A breaker trips, with a `Retry-After` (ms) or not.
    Join(Option<u64>),
    /// The running task wakes to probe, and the probe answers.
    Probe(bool),
    /// The running task is dropped, then a refusal restarts one.
    Abandon,
    Restart,
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop::option::of(0..40_000u64).prop_map(Op::Join),
        6 => any::<bool>().prop_map(Op::Probe),
        1 => Just(Op::Abandon),
        1 => Just(Op::Restart),
        2 => (0..30_000u64).prop_map(Op::Advance),
    ]
}

/// The group as the docs describe it.
#[derive(Debug, Default)]
struct Model {
    running: bool,
    waiting: Vec<u32>,
    level: u32,
    recovered_at: Option<Instant>,
    not_before: Option<Instant>,
    good: u32,
    failed: u32,
    retries: u32,
    recoveries: u64,
    tasks: u64,
    probes: u64,
}

impl Model {
    /// `probe_interval * 2^level`, capped; no jitter. Never below the floor still to wait.
    fn wait(&self, s: &Settings, now: Instant, level: u32) -> Duration {
        let doubled = (s.interval.as_nanos())
            .checked_shl(level.min(64))
            .unwrap_or(u128::MAX);
        let backoff = if level >= 64 || doubled >= s.max_backoff.as_nanos() {
            s.max_backoff
        } else {
            Duration::from_nanos(doubled as u64)
        };
        let floor = self
            .not_before
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(now));
        backoff.max(floor)
    }

    fn restart(&mut self, s: &Settings, now: Instant) -> Option<Duration> {
        if self.running || self.waiting.is_empty() {
            return None;
        }
        let close = self.recovered_at.is_some_and(|at| now - at < s.stable);
        self.level = if close { self.level + 1 } else { 0 };
        (self.running, self.good, self.failed, self.retries) = (true, 0, 0, 0);
        self.tasks += 1;
        Some(self.wait(s, now, self.level))
    }

    fn join(
        &mut self,
        s: &Settings,
        id: u32,
        now: Instant,
        after: Option<Duration>,
    ) -> Option<Duration> {
        self.waiting.push(id);
        if let Some(after) = after {
            let floor = now + after.min(s.max_retry_after);
            self.not_before = Some(self.not_before.map_or(floor, |at| at.max(floor)));
        }
        self.restart(s, now)
    }

    fn probed(&mut self, s: &Settings, now: Instant, ok: bool) -> Next<u32> {
        if ok {
            (self.good, self.failed, self.retries) = (self.good + 1, 0, 0);
            if self.good < s.success {
                return Next::ProbeAfter(s.interval);
            }
            (self.running, self.good) = (false, 0);
            self.recoveries += 1;
            (self.recovered_at, self.not_before) = (Some(now), None);
            return Next::Recovered(std::mem::take(&mut self.waiting));
        }
        if self.retries < s.retries {
            self.retries += 1;
            return Next::ProbeAfter(s.retry_delay);
        }
        (self.good, self.failed, self.retries) = (0, self.failed + 1, 0);
        Next::ProbeAfter(self.wait(s, now, self.level + self.failed))
    }
}

/// The task wakes at `now`: waits out a `Retry-After` floor (moving `now`), then probes.
fn wake(g: &mut GroupState<u32>, m: &mut Model, now: &mut Instant) {
    loop {
        let want = match m.not_before {
            Some(at) if at > *now => Some(at - *now),
            _ => None,
        };
        assert_eq!(g.due(*now), want);
        match want {
            Some(wait) => *now += wait,
            None => break m.probes += 1,
        }
    }
}

fn check(g: &GroupState<u32>, m: &Model, s: &Settings) {
    assert_eq!(g.is_running(), m.running);
    assert_eq!(g.good_rounds(), m.good);
    assert_eq!(g.level(), m.level);
    assert_eq!(
        (g.recoveries, g.tasks_started, g.probes_sent),
        (m.recoveries, m.tasks, m.probes)
    );
    // Invariants of the model itself.
    assert!(
        !m.running || !m.waiting.is_empty(),
        "a task runs for nobody"
    );
    assert!(m.good < s.success && m.retries <= s.retries);
    assert!(m.recoveries <= m.tasks && u64::from(m.level) < m.tasks.max(1));
}

fn run(s: Settings, ops: Vec<Op>) {
    let c = s.config();
    let mut g = GroupState::<u32>::default();
    let mut m = Model::default();
    let mut now = Instant::now();
    let mut next_id = 0;
    for op in ops {
        match op {
            Op::Join(after) => {
                next_id += 1;
                let after = after.map(Duration::from_millis);
                let want = m.join(&s, next_id, now, after);
                assert_eq!(g.joined(next_id, now, after, &c, 0.5), want);
            }
            Op::Probe(ok) if m.running => {
                wake(&mut g, &mut m, &mut now);
                let want = m.probed(&s, now, ok);
                let got = g.probed(now, ok, &c, 0.5);
                if let Next::ProbeAfter(wait) = got {
                    assert!(wait >= s.retry_delay.min(s.interval), "{wait:?}");
                }
                assert_eq!(got, want);
            }
            Op::Abandon if m.running => {
                m.running = false;
                g.abandoned();
            }
            Op::Probe(_) | Op::Abandon => {}
            Op::Restart => assert_eq!(g.restarted(now, &c, 0.5), m.restart(&s, now)),
            Op::Advance(ms) => now += Duration::from_millis(ms),
        }
        check(&g, &m, &s);
    }
    // Liveness: the service is healthy from now on. A refusal restarts a dropped task; within
    // `success_threshold` probes every waiting breaker is returned.
    if m.waiting.is_empty() {
        return;
    }
    assert_eq!(g.restarted(now, &c, 0.5).is_some(), !m.running);
    m.restart(&s, now);
    let waiting = m.waiting.clone();
    for probe in 1..=s.success {
        wake(&mut g, &mut m, &mut now);
        match g.probed(now, true, &c, 0.5) {
            Next::Recovered(entries) => {
                assert_eq!(entries, waiting);
                assert!(!g.is_running());
                return;
            }
            Next::ProbeAfter(wait) => {
                assert!(probe < s.success);
                now += wait;
            }
        }
    }
    panic!("not recovered within {} probes", s.success);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_runs_agree_with_the_model_and_always_recover(
        s in settings(),
        ops in prop::collection::vec(op(), 1..120),
    ) {
        run(s, ops);
    }
}
