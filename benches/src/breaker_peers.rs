//! The circuit breakers that `breaker_compare` measures, each set up closed and tripped, and the
//! calls measured on them.
//!
//! Each library is configured alike: five consecutive failures trip it, and a tripped breaker
//! stays open for an hour, so that no probe or half-open attempt happens while it is measured.
//! fusebox's recovery task is spawned on a real tokio runtime and sleeps through the run.
//!
//! The calls are the closest equivalents of "may this request go?" (the closed check) and "the
//! request is refused at once" (the fail-fast rejection) that each library offers; see [`Case`].

use std::fmt;
use std::hint::black_box;
use std::time::Duration;

use failsafe::failure_policy::{self, ConsecutiveFailures};
use failsafe::{CircuitBreaker, StateMachine, backoff};
use fusebox_core::breaker::{Breaker, BreakerConfig, Permit, RecoveryGroup, TripReason};
use fusebox_core::rt::{BoxFuture, Clock};
use fusebox_tokio::TokioRuntime;
use recloser::Recloser;

/// Consecutive failures that trip every breaker.
const FAILURES_TO_TRIP: u32 = 5;
/// How long a tripped breaker stays open: longer than any run.
const OPEN_FOR: Duration = Duration::from_secs(3600);

/// The library a measured breaker comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// `fusebox-core`'s [`Breaker`].
    Fusebox,
    /// The `failsafe` crate's [`StateMachine`].
    Failsafe,
    /// The `recloser` crate's [`Recloser`].
    Recloser,
}

impl Library {
    /// The crate's name.
    pub fn name(self) -> &'static str {
        match self {
            Library::Fusebox => "fusebox",
            Library::Failsafe => "failsafe",
            Library::Recloser => "recloser",
        }
    }
}

/// What a measured call stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Asking a closed breaker whether a request may go.
    ClosedCheck,
    /// A tripped breaker refusing a request.
    FailFast,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::ClosedCheck => "closed check",
            Kind::FailFast => "fail-fast",
        })
    }
}

/// One measured call on one breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// fusebox `is_closed()` on a closed breaker: one atomic load.
    FuseboxIsClosed,
    /// fusebox `check()` returning `Ok` on a closed breaker: what a client does per request.
    FuseboxCheck,
    /// fusebox `check()` then `record_success()`: the bookkeeping of a whole successful call, to
    /// set beside recloser's `call` and failsafe's `call`.
    FuseboxCheckAndRecord,
    /// failsafe `is_call_permitted()` on a closed breaker.
    FailsafePermitted,
    /// failsafe `call` of a closure returning `Ok` on a closed breaker (permit, then success).
    FailsafeCall,
    /// recloser `call` of a closure returning `Ok` on a closed breaker: its only way to ask.
    RecloserCall,
    /// fusebox `check()` on a tripped breaker: the `OpenError` saying since when and why.
    FuseboxCheckRejected,
    /// fusebox `is_closed()` on a tripped breaker: `false`, no error built.
    FuseboxIsClosedRejected,
    /// failsafe `call` on a tripped breaker: `Error::Rejected`.
    FailsafeCallRejected,
    /// failsafe `is_call_permitted()` on a tripped breaker: `false`.
    FailsafePermittedRejected,
    /// recloser `call` on a tripped breaker: `Error::Rejected`.
    RecloserCallRejected,
}

impl Case {
    /// Every case, closed checks first, in the order of the table.
    pub const ALL: [Case; 11] = [
        Case::FuseboxIsClosed,
        Case::FuseboxCheck,
        Case::FuseboxCheckAndRecord,
        Case::FailsafePermitted,
        Case::FailsafeCall,
        Case::RecloserCall,
        Case::FuseboxCheckRejected,
        Case::FuseboxIsClosedRejected,
        Case::FailsafeCallRejected,
        Case::FailsafePermittedRejected,
        Case::RecloserCallRejected,
    ];

    /// The library measured.
    pub fn library(self) -> Library {
        match self {
            Case::FuseboxIsClosed
            | Case::FuseboxCheck
            | Case::FuseboxCheckAndRecord
            | Case::FuseboxCheckRejected
            | Case::FuseboxIsClosedRejected => Library::Fusebox,
            Case::FailsafePermitted
            | Case::FailsafeCall
            | Case::FailsafeCallRejected
            | Case::FailsafePermittedRejected => Library::Failsafe,
            Case::RecloserCall | Case::RecloserCallRejected => Library::Recloser,
        }
    }

    /// The call, as the user writes it.
    pub fn call(self) -> &'static str {
        match self {
            Case::FuseboxIsClosed | Case::FuseboxIsClosedRejected => "is_closed()",
            Case::FuseboxCheck | Case::FuseboxCheckRejected => "check()",
            Case::FuseboxCheckAndRecord => "check() + success()",
            Case::FailsafePermitted | Case::FailsafePermittedRejected => "is_call_permitted()",
            Case::FailsafeCall | Case::FailsafeCallRejected => "call(|| Ok(()))",
            Case::RecloserCall | Case::RecloserCallRejected => "call(|| Ok(()))",
        }
    }

    /// What the call stands for.
    pub fn kind(self) -> Kind {
        match self {
            Case::FuseboxIsClosed
            | Case::FuseboxCheck
            | Case::FuseboxCheckAndRecord
            | Case::FailsafePermitted
            | Case::FailsafeCall
            | Case::RecloserCall => Kind::ClosedCheck,
            _ => Kind::FailFast,
        }
    }

    /// `library call`, as the table and the chart name a case.
    pub fn label(self) -> String {
        format!("{} {}", self.library().name(), self.call())
    }
}

/// The failsafe breaker as configured here.
type Failsafe = StateMachine<ConsecutiveFailures<backoff::Constant>, ()>;

/// The six breakers: one closed and one tripped per library.
pub struct Breakers {
    fusebox_closed: Breaker,
    fusebox_open: Breaker,
    failsafe_closed: Failsafe,
    failsafe_open: Failsafe,
    recloser_closed: Recloser,
    recloser_open: Recloser,
}

impl Breakers {
    /// Builds the breakers and trips the `open` ones. fusebox's groups time and spawn their
    /// recovery on `runtime` (whose task then sleeps for an hour before its first probe).
    ///
    /// # Errors
    ///
    /// What did not behave as expected: a breaker that does not trip, or that rejects while closed.
    pub fn new(runtime: &TokioRuntime) -> Result<Breakers, String> {
        let fusebox = || -> Result<Breaker, String> {
            let config = BreakerConfig::builder()
                .failure_threshold(FAILURES_TO_TRIP)
                .probe_interval(OPEN_FOR)
                .max_backoff(OPEN_FOR)
                .build()
                .map_err(|e| format!("fusebox config: {e}"))?;
            let group = RecoveryGroup::new(
                config,
                std::sync::Arc::new(runtime.clone()),
                std::sync::Arc::new(runtime.clone()),
            );
            // The service is down: every probe fails (none is sent within the hour anyway).
            Ok(group.breaker(|| -> BoxFuture<'static, bool> { Box::pin(async { false }) }))
        };
        let failsafe = || -> Failsafe {
            let policy =
                failure_policy::consecutive_failures(FAILURES_TO_TRIP, backoff::constant(OPEN_FOR));
            failsafe::Config::new().failure_policy(policy).build()
        };
        let recloser = || -> Recloser {
            // A ring of 5 calls, all of which must fail: the 5 consecutive failures of the others.
            Recloser::custom()
                .closed_len(FAILURES_TO_TRIP as usize)
                .error_rate(1.0)
                .open_wait(OPEN_FOR)
                .build()
        };

        let breakers = Breakers {
            fusebox_closed: fusebox()?,
            fusebox_open: fusebox()?,
            failsafe_closed: failsafe(),
            failsafe_open: failsafe(),
            recloser_closed: recloser(),
            recloser_open: recloser(),
        };
        breakers.trip(runtime);
        breakers.verify()?;
        Ok(breakers)
    }

    /// Fails the `open` breakers until they trip.
    fn trip(&self, runtime: &TokioRuntime) {
        for _ in 0..FAILURES_TO_TRIP {
            if let Ok(permit) = self.fusebox_open.check() {
                permit.failure(runtime.now(), TripReason::Timeout);
            }
        }
        for _ in 0..10 * FAILURES_TO_TRIP {
            let _ = self.failsafe_open.call(|| Err::<(), ()>(()));
            let _ = self.recloser_open.call(|| Err::<(), ()>(()));
        }
    }

    /// Checks that the closed breakers let calls through and the open ones refuse them.
    fn verify(&self) -> Result<(), String> {
        let checks = [
            ("fusebox closed", self.fusebox_closed.check().is_ok()),
            ("fusebox open", self.fusebox_open.check().is_err()),
            ("failsafe closed", self.failsafe_closed.is_call_permitted()),
            ("failsafe open", !self.failsafe_open.is_call_permitted()),
            (
                "recloser closed",
                self.recloser_closed.call(|| Ok::<(), ()>(())).is_ok(),
            ),
            (
                "recloser open",
                matches!(
                    self.recloser_open.call(|| Ok::<(), ()>(())),
                    Err(recloser::Error::Rejected)
                ),
            ),
        ];
        match checks.iter().find(|(_, ok)| !ok) {
            Some((name, _)) => Err(format!("the {name} breaker is not in the expected state")),
            None => Ok(()),
        }
    }

    /// Runs `meter` on the call of `case` and returns what it measured.
    pub fn measure<M: Meter>(&self, case: Case, meter: &M) -> f64 {
        let ok = || Ok::<(), ()>(());
        match case {
            Case::FuseboxIsClosed => {
                let b = &self.fusebox_closed;
                meter.measure(|| black_box(b).is_closed())
            }
            Case::FuseboxCheck => {
                let b = &self.fusebox_closed;
                meter.measure(|| black_box(b).check())
            }
            Case::FuseboxCheckAndRecord => {
                let b = &self.fusebox_closed;
                meter.measure(|| {
                    let b = black_box(b);
                    b.check().map(Permit::success)
                })
            }
            Case::FailsafePermitted => {
                let b = &self.failsafe_closed;
                meter.measure(|| black_box(b).is_call_permitted())
            }
            Case::FailsafeCall => {
                let b = &self.failsafe_closed;
                meter.measure(|| black_box(b).call(ok))
            }
            Case::RecloserCall => {
                let b = &self.recloser_closed;
                meter.measure(|| black_box(b).call(ok))
            }
            Case::FuseboxCheckRejected => {
                let b = &self.fusebox_open;
                meter.measure(|| black_box(b).check())
            }
            Case::FuseboxIsClosedRejected => {
                let b = &self.fusebox_open;
                meter.measure(|| black_box(b).is_closed())
            }
            Case::FailsafeCallRejected => {
                let b = &self.failsafe_open;
                meter.measure(|| black_box(b).call(ok))
            }
            Case::FailsafePermittedRejected => {
                let b = &self.failsafe_open;
                meter.measure(|| black_box(b).is_call_permitted())
            }
            Case::RecloserCallRejected => {
                let b = &self.recloser_open;
                meter.measure(|| black_box(b).call(ok))
            }
        }
    }
}

impl fmt::Debug for Breakers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breakers")
            .field("fusebox_closed", &self.fusebox_closed)
            .field("fusebox_open", &self.fusebox_open)
            .field("recloser_closed", &self.recloser_closed)
            .field("recloser_open", &self.recloser_open)
            .finish_non_exhaustive()
    }
}

/// Something measured on a call, such as nanoseconds per call or allocations per call.
pub trait Meter {
    /// Runs `op` as often as the meter needs and returns the figure per call.
    fn measure<R, F: Fn() -> R + Sync>(&self, op: F) -> f64;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the calls it is given.
    struct Count(u64);

    impl Meter for Count {
        fn measure<R, F: Fn() -> R + Sync>(&self, op: F) -> f64 {
            (0..self.0).for_each(|_| drop(op()));
            self.0 as f64
        }
    }

    #[test]
    fn every_case_runs_in_the_expected_state() {
        let tokio = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let breakers = Breakers::new(&TokioRuntime::from_handle(tokio.handle().clone())).unwrap();
        for case in Case::ALL {
            assert_eq!(breakers.measure(case, &Count(3)), 3.0, "{case:?}");
        }
        // Still as set up after every call was made.
        breakers.verify().unwrap();
        assert_eq!(
            Case::ALL
                .iter()
                .filter(|c| c.kind() == Kind::FailFast)
                .count(),
            5
        );
    }
}
