//! The circuit breaker: per-client breakers and a recovery shared by a group of clients.
//!
//! - [`Breaker`]: one client's breaker. [`check`](Breaker::check) admits a call with a [`Permit`]
//!   (one atomic load while closed) or refuses it at once with an [`OpenError`] saying since when
//!   and why. The outcome goes through the permit, and counts only if the breaker has not
//!   changed state since the call was admitted.
//! - What trips it ([`BreakerConfig`]): [`failure_threshold`](BreakerConfig::failure_threshold)
//!   consecutive failures (the default), or a [`failure_rate`](BreakerConfig::failure_rate) or
//!   [`slow_call_rate`](BreakerConfig::slow_call_rate) over a window of recent calls.
//! - [`RecoveryGroup`]: shared by the breakers of one service. The first breaker to trip starts
//!   the group's one recovery task, which probes the service ([`Probe`]), retries a failed probe
//!   after [`retry_delay`](BreakerConfig::retry_delay), backs off (exponentially, capped, with
//!   jitter) after failed rounds, and after
//!   [`success_threshold`](BreakerConfig::success_threshold) good rounds closes every breaker of
//!   the group that tripped.
//! - Probation and backoff against flapping: a recovered breaker is on probation, where one
//!   failure re-trips it at once; and a trip within the
//!   [`stable_period`](BreakerConfig::stable_period) of a recovery doubles the wait before the
//!   next recovery's first probe, up to [`max_backoff`](BreakerConfig::max_backoff).
//! - Operations: [`Breaker::force_open`], [`Breaker::reset`], [`Breaker::disable`].
//! - Every transition logs one tracing event naming the breaker and reaches the group's
//!   observers ([`RecoveryGroup::on_event`]).
//!
//! The transitions are plain functions of `now` (`state/`), applied under one lock per breaker
//! and one per group; their effects (events, spawning the recovery) run after unlocking.
//!
//! A whole cycle on the manual clock:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::time::Duration;
//! use fusebox_core::breaker::{BreakerConfig, EventKind, RecoveryGroup, State, TripReason};
//! use fusebox_core::rt::{BoxFuture, Clock, ManualClock, ManualSpawner};
//!
//! let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
//! let config = BreakerConfig::builder()
//!     .failure_threshold(2)
//!     .success_threshold(1)
//!     .probe_interval(Duration::from_secs(1))
//!     .probation_calls(3)
//!     .build()?;
//! let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(tasks.clone()));
//! let events = Arc::new(Mutex::new(Vec::new()));
//! let seen = events.clone();
//! group.on_event(move |e| seen.lock().unwrap().push(e.kind));
//! let healthy = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
//! let breaker = group.breaker_named("users", healthy);
//!
//! for _ in 0..2 {
//!     breaker.check().unwrap().failure(clock.now(), TripReason::Status { status: 503 });
//! }
//! assert!(breaker.check().is_err());
//!
//! // The recovery task probes one interval later, and the breaker closes on probation.
//! assert_eq!(tasks.run_until_stalled(), 1);
//! clock.advance(Duration::from_secs(1));
//! assert_eq!(tasks.run_until_stalled(), 0);
//! assert_eq!(breaker.state(), State::Probation { remaining: 3 });
//! breaker.check().unwrap().success();
//! assert_eq!(breaker.state(), State::Probation { remaining: 2 });
//!
//! let kinds = events.lock().unwrap().clone();
//! assert!(matches!(kinds[..], [EventKind::Tripped(_), EventKind::Recovered]));
//! # Ok::<(), fusebox_core::breaker::ConfigError>(())
//! ```

mod backoff;
mod config;
mod error;
mod events;
mod group;
mod handle;
#[cfg(feature = "tower")]
mod layer;
mod policy;
mod recovery;
mod state;
mod word;

pub use config::{BreakerConfig, BreakerConfigBuilder, MAX_PROBE_INTERVAL, MAX_WINDOW};
pub use error::{ConfigError, OpenError};
pub use events::{Event, EventKind};
pub use group::{GroupStats, RecoveryGroup};
pub use handle::{Breaker, Outcome, OwnedPermit, Permit};
#[cfg(feature = "tower")]
pub use layer::{BreakerError, BreakerLayer, BreakerService, ResponseFuture};
pub use recovery::Probe;
pub use state::{State, Trip, TripCause, TripReason};
