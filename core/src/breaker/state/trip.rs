//! What a breaker reports: why a call failed, why it tripped, and its state.

use std::fmt;
use std::time::{Duration, Instant};

/// Why a call counted as a failure. The last failure before a trip is the reason of the trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TripReason {
    /// The server answered with a status that counts as a failure (by default a 5xx).
    Status {
        /// The status code.
        status: u16,
    },
    /// The call took longer than [`max_delay`](crate::breaker::BreakerConfig::max_delay).
    TooSlow {
        /// How long it took.
        elapsed: Duration,
    },
    /// No connection could be established.
    Connect,
    /// The connection failed during the call: reset, closed before the response was complete,
    /// or an answer that was not a valid response.
    Connection,
    /// The call timed out.
    Timeout,
    /// [`Breaker::force_open`](crate::breaker::Breaker::force_open) opened it.
    Forced,
    /// A reason of the caller's own, as a classifier names it.
    Other(&'static str),
}

impl fmt::Display for TripReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TripReason::Status { status } => write!(f, "status {status}"),
            TripReason::TooSlow { elapsed } => write!(f, "too slow ({elapsed:?})"),
            TripReason::Connect => f.write_str("connect failed"),
            TripReason::Connection => f.write_str("connection failed during the call"),
            TripReason::Timeout => f.write_str("timed out"),
            TripReason::Forced => f.write_str("forced open"),
            TripReason::Other(why) => f.write_str(why),
        }
    }
}

/// Which rule tripped the breaker, with the counts it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TripCause {
    /// [`failure_threshold`](crate::breaker::BreakerConfig::failure_threshold) failures in a row.
    ConsecutiveFailures {
        /// The failures counted, the tripping one included.
        failures: u32,
    },
    /// The share of failures in the window reached
    /// [`failure_rate`](crate::breaker::BreakerConfig::failure_rate).
    FailureRate {
        /// Failed calls in the window.
        failed: u32,
        /// Calls in the window.
        calls: u32,
    },
    /// The share of slow calls in the window reached
    /// [`slow_call_rate`](crate::breaker::BreakerConfig::slow_call_rate).
    SlowCallRate {
        /// Slow calls in the window.
        slow: u32,
        /// Calls in the window.
        calls: u32,
    },
    /// A call failed while the breaker was on probation after a recovery.
    Probation,
    /// [`Breaker::force_open`](crate::breaker::Breaker::force_open).
    Forced,
}

/// One trip of a breaker: since when it is open, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trip {
    /// When the breaker tripped (the `now` given with the failure that tripped it).
    pub since: Instant,
    /// The failure that tripped it.
    pub reason: TripReason,
    /// The rule that tripped it.
    pub cause: TripCause,
}

/// What a [`Breaker`](crate::breaker::Breaker) is doing, as
/// [`Breaker::state`](crate::breaker::Breaker::state) reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Calls go through; outcomes are counted.
    Closed,
    /// Recovered: calls go through, and one failure re-trips the breaker until `remaining` more
    /// calls have succeeded.
    Probation {
        /// Successes still needed.
        remaining: u32,
    },
    /// Tripped: calls fail at once while the recovery task probes, with no good round yet.
    Open(Trip),
    /// Tripped, and the last probe rounds were good: recovery is under way.
    Recovering {
        /// The trip being recovered from.
        trip: Trip,
        /// Consecutive good probe rounds so far (fewer than the success threshold).
        good_rounds: u32,
    },
    /// Opened by [`force_open`](crate::breaker::Breaker::force_open): calls fail at once and no
    /// recovery runs for it until [`reset`](crate::breaker::Breaker::reset).
    ForcedOpen(Trip),
    /// [`disable`](crate::breaker::Breaker::disable)d: calls go through and are counted, but the
    /// breaker never trips.
    Disabled,
}

impl State {
    /// Whether calls go through.
    pub fn is_closed(&self) -> bool {
        matches!(
            self,
            State::Closed | State::Probation { .. } | State::Disabled
        )
    }

    /// The trip this state is in, if calls are refused.
    pub fn trip(&self) -> Option<&Trip> {
        match self {
            State::Open(trip) | State::ForcedOpen(trip) | State::Recovering { trip, .. } => {
                Some(trip)
            }
            _ => None,
        }
    }
}
