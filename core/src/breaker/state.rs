//! The breaker's states and its transitions, as plain functions.
//!
//! Nothing here reads a clock, locks or awaits: callers pass `now` (and a random sample for
//! jitter) and act on what is returned. The atomics of [`Breaker`](super::Breaker) and
//! [`RecoveryGroup`](super::RecoveryGroup) hold the values these functions interpret:
//!
//! - a client's *trip word* is [`CLOSED`] (0) or `g + 1`, where `g` is the group's generation when
//!   it tripped;
//! - the group's *generation* counts finished recoveries;
//! - the group's *tripped-at* mark is the highest trip word any client of the group stored.
//!
//! A client is closed when its word is 0 or the generation has passed the one it tripped at: so
//! finishing a recovery (bumping the generation) closes every client that tripped before it, with
//! no list of clients to walk.

use std::fmt;
use std::time::{Duration, Instant};

use super::backoff;
use super::config::BreakerConfig;

/// Why a request counted as a failure. The last failure before a trip is the reason of the trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TripReason {
    /// The server answered with a server error (5xx) status.
    ServerError {
        /// The status code.
        status: u16,
    },
    /// The response came later than [`max_delay`](BreakerConfig::max_delay).
    TooSlow {
        /// How long it took.
        elapsed: Duration,
    },
    /// No connection could be established.
    Connect,
    /// The request timed out (connect, acquire or response).
    Timeout,
}

impl fmt::Display for TripReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TripReason::ServerError { status } => write!(f, "server error status {status}"),
            TripReason::TooSlow { elapsed } => write!(f, "response too slow ({elapsed:?})"),
            TripReason::Connect => f.write_str("connect failed"),
            TripReason::Timeout => f.write_str("timed out"),
        }
    }
}

/// One trip of a breaker: since when it is open, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trip {
    /// When the breaker tripped (the `now` given to the failure that tripped it).
    pub since: Instant,
    /// The failure that tripped it.
    pub reason: TripReason,
    /// The consecutive failures counted, the tripping one included.
    pub failures: u32,
}

/// What a [`Breaker`](super::Breaker) is doing, as [`Breaker::state`](super::Breaker::state) reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Requests go through; failures are counted.
    Closed,
    /// Tripped: requests fail at once while the recovery task probes with no good round yet.
    Open(Trip),
    /// Tripped, and the last probe rounds were good: recovery is under way.
    Recovering {
        /// The trip being recovered from.
        trip: Trip,
        /// Consecutive good probe rounds so far (fewer than the success threshold).
        good_rounds: u32,
    },
}

impl State {
    /// Whether requests go through.
    pub fn is_closed(&self) -> bool {
        matches!(self, State::Closed)
    }

    /// The trip this state is in, unless closed.
    pub fn trip(&self) -> Option<&Trip> {
        match self {
            State::Closed => None,
            State::Open(trip) | State::Recovering { trip, .. } => Some(trip),
        }
    }
}

/// The trip word of a closed client.
pub(crate) const CLOSED: u64 = 0;

/// The trip word of a client tripping at `generation`.
pub(crate) fn trip_word(generation: u64) -> u64 {
    generation + 1
}

/// Whether the failure that brought the consecutive count to `failures` trips the client.
pub(crate) fn trips(failures: u32, threshold: u32) -> bool {
    failures >= threshold
}

/// Whether a client with trip word `word` is closed at group generation `generation`.
pub(crate) fn is_closed_at(word: u64, generation: u64) -> bool {
    word == CLOSED || generation >= word
}

/// Whether a recovery is owed: some client tripped at the current generation, so no finished
/// recovery has closed it yet.
pub(crate) fn recovery_owed(tripped_at: u64, generation: u64) -> bool {
    tripped_at > generation
}

/// What the recovery task does after a probe answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Send the probe again now: a retry within the round.
    Retry,
    /// The round is over; start the next one at this instant.
    ProbeAt(Instant),
    /// Enough consecutive good rounds: recover.
    Recovered,
}

/// The recovery task's progress through probe rounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Rounds {
    /// Consecutive good rounds.
    pub(crate) good: u32,
    /// Consecutive failed rounds.
    pub(crate) failed: u32,
    /// Retries already sent in the current round.
    retries: u32,
}

impl Rounds {
    /// A recovery starting at `now`: no round yet; the first probe goes out one interval later.
    pub(crate) fn start(now: Instant, config: &BreakerConfig) -> (Rounds, Instant) {
        (Rounds::default(), now + config.probe_interval())
    }

    /// A probe answered `ok` at `now`. `sample` (in `0.0..1.0`) picks the jitter of a backoff.
    pub(crate) fn probed(
        &mut self,
        now: Instant,
        ok: bool,
        config: &BreakerConfig,
        sample: f64,
    ) -> Next {
        if ok {
            self.retries = 0;
            self.failed = 0;
            self.good += 1;
            if self.good >= config.success_threshold() {
                Next::Recovered
            } else {
                Next::ProbeAt(now + config.probe_interval())
            }
        } else if self.retries < config.probe_retries() {
            self.retries += 1;
            Next::Retry
        } else {
            self.retries = 0;
            self.good = 0;
            self.failed = self.failed.saturating_add(1);
            let wait = backoff::delay(
                config.probe_interval(),
                config.max_backoff(),
                config.jitter(),
                self.failed,
                sample,
            );
            Next::ProbeAt(now + wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(success: u32, retries: u32) -> BreakerConfig {
        BreakerConfig::builder()
            .success_threshold(success)
            .probe_retries(retries)
            .probe_interval(Duration::from_secs(1))
            .max_backoff(Duration::from_secs(4))
            .jitter(0.0)
            .build()
            .unwrap()
    }

    #[test]
    fn trips_at_threshold_not_before() {
        assert!(!trips(2, 3));
        assert!(trips(3, 3));
        assert!(trips(4, 3));
        assert!(trips(1, 1));
    }

    #[test]
    fn generation_closes_earlier_trips_only() {
        assert!(is_closed_at(CLOSED, 0));
        let word = trip_word(4);
        assert!(!is_closed_at(word, 4));
        assert!(is_closed_at(word, 5));
        assert!(is_closed_at(word, 9));
    }

    #[test]
    fn recovery_owed_for_trips_at_current_generation() {
        assert!(!recovery_owed(0, 0));
        assert!(recovery_owed(trip_word(0), 0));
        assert!(!recovery_owed(trip_word(0), 1));
        assert!(recovery_owed(trip_word(1), 1));
    }

    #[test]
    fn first_probe_one_interval_after_start() {
        let t0 = Instant::now();
        let (rounds, at) = Rounds::start(t0, &config(2, 0));
        assert_eq!(rounds, Rounds::default());
        assert_eq!(at, t0 + Duration::from_secs(1));
    }

    #[test]
    fn recovers_after_consecutive_good_rounds() {
        let c = config(3, 0);
        let t = Instant::now();
        let mut r = Rounds::default();
        assert_eq!(
            r.probed(t, true, &c, 0.0),
            Next::ProbeAt(t + Duration::from_secs(1))
        );
        assert_eq!(
            r.probed(t, true, &c, 0.0),
            Next::ProbeAt(t + Duration::from_secs(1))
        );
        assert_eq!(r.probed(t, true, &c, 0.0), Next::Recovered);
    }

    #[test]
    fn failed_round_resets_good_rounds() {
        let c = config(2, 0);
        let t = Instant::now();
        let mut r = Rounds::default();
        r.probed(t, true, &c, 0.0);
        assert_eq!(r.good, 1);
        assert_eq!(
            r.probed(t, false, &c, 0.0),
            Next::ProbeAt(t + Duration::from_secs(2))
        );
        assert_eq!(r.good, 0);
        assert!(matches!(r.probed(t, true, &c, 0.0), Next::ProbeAt(_)));
        assert_eq!(r.probed(t, true, &c, 0.0), Next::Recovered);
    }

    #[test]
    fn retries_within_a_round_then_backs_off() {
        let c = config(1, 2);
        let t = Instant::now();
        let mut r = Rounds::default();
        assert_eq!(r.probed(t, false, &c, 0.0), Next::Retry);
        assert_eq!(r.probed(t, false, &c, 0.0), Next::Retry);
        assert_eq!(
            r.probed(t, false, &c, 0.0),
            Next::ProbeAt(t + Duration::from_secs(2))
        );
        assert_eq!(r.probed(t, false, &c, 0.0), Next::Retry);
        assert_eq!(r.probed(t, false, &c, 0.0), Next::Retry);
        assert_eq!(
            r.probed(t, false, &c, 0.0),
            Next::ProbeAt(t + Duration::from_secs(4))
        );
        // capped at max_backoff (4 s)
        r.probed(t, false, &c, 0.0);
        r.probed(t, false, &c, 0.0);
        assert_eq!(
            r.probed(t, false, &c, 0.0),
            Next::ProbeAt(t + Duration::from_secs(4))
        );
        // a good retry makes the round good and ends the failed streak
        assert_eq!(r.probed(t, false, &c, 0.0), Next::Retry);
        assert_eq!(r.probed(t, true, &c, 0.0), Next::Recovered);
        assert_eq!(r.failed, 0);
    }

    #[test]
    fn state_accessors() {
        let trip = Trip {
            since: Instant::now(),
            reason: TripReason::ServerError { status: 503 },
            failures: 3,
        };
        assert!(State::Closed.is_closed());
        assert_eq!(State::Closed.trip(), None);
        assert_eq!(State::Open(trip).trip(), Some(&trip));
        let recovering = State::Recovering {
            trip,
            good_rounds: 1,
        };
        assert!(!recovering.is_closed());
        assert_eq!(trip.reason.to_string(), "server error status 503");
    }
}
