//! One breaker's state and its transitions, as plain functions of `now`.
//!
//! Every transition that changes what calls see (trip, recover, force, reset, disable) starts a
//! new *epoch*. A call is admitted under an epoch and its outcome counts only if the epoch is
//! still current, so a call sent before a trip that ends after the recovery changes nothing.

use std::time::Instant;

use super::trip::{Trip, TripCause, TripReason};
use crate::breaker::config::BreakerConfig;
use crate::breaker::policy::{Call, Counter};

/// The word that the closed check loads: `epoch << 2 | COUNTING | REJECTING`.
pub(crate) const REJECTING: u64 = 1;
/// A success would change the state: it must take the lock.
pub(crate) const COUNTING: u64 = 2;

/// The epoch a word was published under.
pub(crate) fn epoch_of(word: u64) -> u64 {
    word >> 2
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Closed,
    Probation { remaining: u32 },
    Open(Trip),
    ForcedOpen(Trip),
    Disabled,
}

/// How a call ended, as the breaker counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Success,
    Failure { now: Instant, reason: TripReason },
}

/// What a transition did, for the caller to act on after unlocking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Nothing anyone needs to hear of.
    None,
    /// Tripped: join the group's recovery.
    Tripped(Trip),
    /// Closed by a finished recovery, on probation (or closed, with no probation).
    Recovered,
    /// Probation passed: closed.
    Stable,
    /// Forced open.
    ForcedOpen(Trip),
    /// Closed by `reset`.
    Reset,
    /// Disabled.
    Disabled,
}

/// A breaker's state: what the closed check's word mirrors, behind the breaker's lock.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BreakerState {
    epoch: u64,
    phase: Phase,
    counter: Counter,
}

impl BreakerState {
    pub(crate) fn new(config: &BreakerConfig) -> BreakerState {
        BreakerState {
            epoch: 0,
            phase: Phase::Closed,
            counter: Counter::new(config),
        }
    }

    pub(crate) fn phase(&self) -> Phase {
        self.phase
    }

    pub(crate) fn epoch(&self) -> u64 {
        self.epoch
    }

    pub(crate) fn consecutive_failures(&self) -> u32 {
        self.counter.consecutive()
    }

    /// The word for the closed check: the epoch, whether calls are refused, whether a success
    /// must be recorded under the lock.
    pub(crate) fn word(&self) -> u64 {
        let (rejecting, counting) = match self.phase {
            Phase::Open(_) | Phase::ForcedOpen(_) => (true, false),
            Phase::Probation { .. } => (false, true),
            Phase::Closed | Phase::Disabled => (false, !self.counter.is_clean()),
        };
        (self.epoch << 2) | (u64::from(counting) * COUNTING) | (u64::from(rejecting) * REJECTING)
    }

    /// The trip calls are refused for, if any.
    pub(crate) fn trip(&self) -> Option<Trip> {
        match self.phase {
            Phase::Open(trip) | Phase::ForcedOpen(trip) => Some(trip),
            _ => None,
        }
    }

    fn enter(&mut self, phase: Phase) {
        self.epoch += 1;
        self.phase = phase;
        self.counter.clear();
    }

    /// A call admitted under `epoch` ended as `ended`.
    pub(crate) fn recorded(&mut self, epoch: u64, ended: Ended, config: &BreakerConfig) -> Change {
        if epoch != self.epoch {
            return Change::None;
        }
        let call = match ended {
            Ended::Success => Call::Success,
            Ended::Failure { reason, .. } => Call::failure(reason, config),
        };
        let trip = |cause| match ended {
            Ended::Failure { now, reason } => Some((now, reason, cause)),
            Ended::Success => None,
        };
        let cause = match self.phase {
            Phase::Open(_) | Phase::ForcedOpen(_) => None,
            Phase::Probation { remaining } => match call {
                Call::Success if remaining <= 1 => {
                    self.phase = Phase::Closed;
                    return Change::Stable;
                }
                Call::Success => {
                    self.phase = Phase::Probation {
                        remaining: remaining - 1,
                    };
                    None
                }
                Call::Failure | Call::Slow => trip(TripCause::Probation),
            },
            Phase::Closed => self.counter.record(call, config).and_then(trip),
            Phase::Disabled => {
                self.counter.record(call, config);
                None
            }
        };
        match cause {
            Some((now, reason, cause)) => self.tripped(now, reason, cause),
            None => Change::None,
        }
    }

    fn tripped(&mut self, now: Instant, reason: TripReason, cause: TripCause) -> Change {
        let trip = Trip {
            since: now,
            reason,
            cause,
        };
        self.enter(Phase::Open(trip));
        Change::Tripped(trip)
    }

    /// A recovery finished for the trip of `epoch`: closes the breaker, on probation, unless it
    /// changed since (reset, forced, or tripped again and owed another recovery).
    pub(crate) fn recovered(&mut self, epoch: u64, config: &BreakerConfig) -> Change {
        if epoch != self.epoch || !matches!(self.phase, Phase::Open(_)) {
            return Change::None;
        }
        self.enter(match config.probation_calls() {
            0 => Phase::Closed,
            remaining => Phase::Probation { remaining },
        });
        Change::Recovered
    }

    /// Opens the breaker until `reset`, whatever it was doing.
    pub(crate) fn forced_open(&mut self, now: Instant) -> Change {
        if let Phase::ForcedOpen(_) = self.phase {
            return Change::None;
        }
        let trip = Trip {
            since: now,
            reason: TripReason::Forced,
            cause: TripCause::Forced,
        };
        self.enter(Phase::ForcedOpen(trip));
        Change::ForcedOpen(trip)
    }

    /// Closes the breaker now, whatever it was doing, with no probation.
    pub(crate) fn reset(&mut self) -> Change {
        self.enter(Phase::Closed);
        Change::Reset
    }

    /// Counts calls from now on but never trips, until `reset`.
    pub(crate) fn disabled(&mut self) -> Change {
        if let Phase::Disabled = self.phase {
            return Change::None;
        }
        self.enter(Phase::Disabled);
        Change::Disabled
    }
}
