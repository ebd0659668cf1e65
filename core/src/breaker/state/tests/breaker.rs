//! Random runs of a breaker's transitions against a reference model: consecutive and windowed
//! policies, epochs and stale permits, force/reset/disable, probation and recoveries.

use std::collections::VecDeque;

use proptest::prelude::*;

use super::*;

/// A configuration, rates in percent.
#[derive(Debug, Clone)]
struct Policy {
    threshold: u32,
    failure_rate: Option<u32>,
    slow_rate: Option<u32>,
    size: u32,
    minimum: u32,
    probation: u32,
}

impl Policy {
    fn windowed(&self) -> bool {
        self.failure_rate.is_some() || self.slow_rate.is_some()
    }

    fn config(&self) -> BreakerConfig {
        let mut b = BreakerConfig::builder()
            .failure_threshold(self.threshold)
            .window(self.size, self.minimum)
            .probation_calls(self.probation);
        if let Some(rate) = self.failure_rate {
            b = b.failure_rate(f64::from(rate) / 100.0);
        }
        if let Some(rate) = self.slow_rate {
            b = b.slow_call_rate(f64::from(rate) / 100.0);
        }
        b.build().unwrap()
    }
}

fn policy() -> impl Strategy<Value = Policy> {
    let rate = || prop::option::of(prop::sample::select(vec![25u32, 34, 50, 55, 60, 75, 100]));
    (1..4u32, rate(), rate(), 1..7u32, 0..3u32)
        .prop_flat_map(|(t, fr, sr, size, p)| (Just((t, fr, sr, size, p)), 1..=size))
        .prop_map(
            |((threshold, failure_rate, slow_rate, size, probation), minimum)| Policy {
                threshold,
                failure_rate,
                slow_rate,
                size,
                minimum,
                probation,
            },
        )
}

#[derive(Debug, Clone, Copy)]
enum How {
    Success,
    Failure(TripReason),
}

#[derive(Debug, Clone)]
enum Op {
    /// `check()`: a permit of the current epoch, if calls are admitted.
    Admit,
    /// A permit (maybe of an old epoch) ends.
    End(usize, How),
    /// A permit is dropped: nothing to do, but it is gone.
    Drop(usize),
    Force,
    Reset,
    Disable,
    /// The group's recovery finished for the trip `back` epochs ago.
    Recover(u64),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let reason = prop::sample::select(vec![
        TripReason::Status { status: 503 },
        TripReason::Timeout,
        TripReason::Connect,
        TripReason::Connection,
        TripReason::TooSlow { elapsed: SEC },
        TripReason::Other("classifier"),
    ]);
    let how = prop_oneof![Just(How::Success), reason.prop_map(How::Failure)];
    prop_oneof![
        6 => Just(Op::Admit),
        10 => (any::<usize>(), how).prop_map(|(i, h)| Op::End(i, h)),
        1 => any::<usize>().prop_map(Op::Drop),
        1 => Just(Op::Force),
        1 => Just(Op::Reset),
        1 => Just(Op::Disable),
        3 => prop_oneof![4 => Just(0u64), 1 => 1..3u64].prop_map(Op::Recover),
        2 => (0..5_000u64).prop_map(Op::Advance),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Good,
    Bad,
    Slow,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    Closed,
    Probation(u32),
    Open(Trip),
    Forced(Trip),
    Disabled,
}

/// The breaker as the docs describe it.
#[derive(Debug)]
struct Model {
    p: Policy,
    epoch: u64,
    mode: Mode,
    run: u32,
    window: VecDeque<Kind>,
}

impl Model {
    fn new(p: Policy) -> Model {
        Model {
            p,
            epoch: 0,
            mode: Mode::Closed,
            run: 0,
            window: VecDeque::new(),
        }
    }

    fn enter(&mut self, mode: Mode) {
        self.epoch += 1;
        self.mode = mode;
        self.run = 0;
        self.window.clear();
    }

    fn trip(&mut self, now: Instant, reason: TripReason, cause: TripCause) -> Change {
        let trip = Trip {
            since: now,
            reason,
            cause,
        };
        self.enter(Mode::Open(trip));
        Change::Tripped(trip)
    }

    fn end(&mut self, epoch: u64, how: How, now: Instant) -> Change {
        if epoch != self.epoch {
            return Change::None;
        }
        let (kind, reason) = match how {
            How::Success => (Kind::Good, None),
            How::Failure(r @ TripReason::TooSlow { .. }) if self.p.slow_rate.is_some() => {
                (Kind::Slow, Some(r))
            }
            How::Failure(r) => (Kind::Bad, Some(r)),
        };
        match (self.mode, reason) {
            (Mode::Open(_) | Mode::Forced(_), _) => Change::None,
            (Mode::Probation(1), None) => {
                self.mode = Mode::Closed;
                Change::Stable
            }
            (Mode::Probation(n), None) => {
                self.mode = Mode::Probation(n - 1);
                Change::None
            }
            (Mode::Probation(_), Some(r)) => self.trip(now, r, TripCause::Probation),
            (Mode::Closed | Mode::Disabled, _) => {
                self.run = if kind == Kind::Bad { self.run + 1 } else { 0 };
                if self.p.windowed() {
                    self.window.push_back(kind);
                    if self.window.len() > self.p.size as usize {
                        self.window.pop_front();
                    }
                }
                match (self.mode, reason, self.cause(kind)) {
                    (Mode::Closed, Some(r), Some(cause)) => self.trip(now, r, cause),
                    _ => Change::None,
                }
            }
        }
    }

    /// The rule that trips on a failed call of `kind` just counted, if any.
    fn cause(&self, kind: Kind) -> Option<TripCause> {
        let calls = self.window.len() as u32;
        if self.p.windowed() && calls >= self.p.minimum {
            let count = |k| self.window.iter().filter(|&&c| c == k).count() as u32;
            let (failed, slow) = (count(Kind::Bad), count(Kind::Slow));
            if self
                .p
                .failure_rate
                .is_some_and(|r| failed * 100 >= r * calls)
            {
                return Some(TripCause::FailureRate { failed, calls });
            }
            if self.p.slow_rate.is_some_and(|r| slow * 100 >= r * calls) {
                return Some(TripCause::SlowCallRate { slow, calls });
            }
        }
        let by_count = self.p.failure_rate.is_none() && kind == Kind::Bad;
        (by_count && self.run >= self.p.threshold)
            .then_some(TripCause::ConsecutiveFailures { failures: self.run })
    }

    fn phase(&self) -> Phase {
        match self.mode {
            Mode::Closed => Phase::Closed,
            Mode::Probation(remaining) => Phase::Probation { remaining },
            Mode::Open(trip) => Phase::Open(trip),
            Mode::Forced(trip) => Phase::ForcedOpen(trip),
            Mode::Disabled => Phase::Disabled,
        }
    }

    fn trip_shown(&self) -> Option<Trip> {
        match self.mode {
            Mode::Open(trip) | Mode::Forced(trip) => Some(trip),
            _ => None,
        }
    }

    fn word(&self) -> u64 {
        let (rejecting, counting) = match self.mode {
            Mode::Open(_) | Mode::Forced(_) => (true, false),
            Mode::Probation(_) => (false, true),
            Mode::Closed | Mode::Disabled => (false, self.run > 0 || self.p.windowed()),
        };
        let mut word = self.epoch * 4;
        if rejecting {
            word += REJECTING;
        }
        if counting {
            word += COUNTING;
        }
        word
    }
}

fn run(p: Policy, ops: Vec<Op>) {
    let config = p.config();
    let mut s = BreakerState::new(&config);
    let mut m = Model::new(p.clone());
    let mut now = Instant::now();
    let mut permits: Vec<u64> = Vec::new();
    for op in ops {
        let (got, want) = match op {
            Op::Admit => {
                if s.word() & REJECTING == 0 {
                    permits.push(epoch_of(s.word()));
                }
                (Change::None, Change::None)
            }
            Op::End(i, how) if !permits.is_empty() => {
                let epoch = permits.swap_remove(i % permits.len());
                let ended = match how {
                    How::Success => Ended::Success,
                    How::Failure(reason) => Ended::Failure { now, reason },
                };
                (s.recorded(epoch, ended, &config), m.end(epoch, how, now))
            }
            Op::Drop(i) if !permits.is_empty() => {
                permits.swap_remove(i % permits.len());
                (Change::None, Change::None)
            }
            Op::End(..) | Op::Drop(_) => (Change::None, Change::None),
            Op::Force => {
                let want = match m.mode {
                    Mode::Forced(_) => Change::None,
                    _ => {
                        let trip = Trip {
                            since: now,
                            reason: TripReason::Forced,
                            cause: TripCause::Forced,
                        };
                        m.enter(Mode::Forced(trip));
                        Change::ForcedOpen(trip)
                    }
                };
                (s.forced_open(now), want)
            }
            Op::Reset => {
                m.enter(Mode::Closed);
                (s.reset(), Change::Reset)
            }
            Op::Disable => {
                let want = if m.mode == Mode::Disabled {
                    Change::None
                } else {
                    m.enter(Mode::Disabled);
                    Change::Disabled
                };
                (s.disabled(), want)
            }
            Op::Recover(back) => {
                let epoch = m.epoch.saturating_sub(back);
                let want = match m.mode {
                    Mode::Open(_) if epoch == m.epoch => {
                        m.enter(match p.probation {
                            0 => Mode::Closed,
                            n => Mode::Probation(n),
                        });
                        Change::Recovered
                    }
                    _ => Change::None,
                };
                (s.recovered(epoch, &config), want)
            }
            Op::Advance(ms) => {
                now += Duration::from_millis(ms);
                (Change::None, Change::None)
            }
        };
        assert_eq!(got, want, "{m:?}");
        assert_eq!(s.phase(), m.phase());
        assert_eq!(s.epoch(), m.epoch);
        assert_eq!(s.consecutive_failures(), m.run, "{m:?}");
        assert_eq!(s.trip(), m.trip_shown());
        assert_eq!(s.word(), m.word(), "{m:?}");
        assert_eq!(epoch_of(s.word()), m.epoch);
    }
    // Liveness: a tripped breaker whose recovery finishes is closed again.
    if let Phase::Open(_) = s.phase() {
        assert_eq!(s.recovered(s.epoch(), &config), Change::Recovered);
        assert_eq!(s.word() & REJECTING, 0);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn random_runs_agree_with_the_model(p in policy(), ops in prop::collection::vec(op(), 1..150)) {
        run(p, ops);
    }

    #[test]
    fn random_runs_of_the_default_policy(ops in prop::collection::vec(op(), 1..300)) {
        let p = Policy {
            threshold: 5,
            failure_rate: None,
            slow_rate: None,
            size: 20,
            minimum: 10,
            probation: 5,
        };
        run(p, ops);
    }
}
