//! The circuit breaker: per-client counters and a recovery shared by a group of clients.
//!
//! - [`Breaker`]: one client's breaker. Its closed check is one atomic load; the
//!   [`failure_threshold`](BreakerConfig::failure_threshold)-th consecutive failure trips it, and
//!   while tripped requests fail at once with an [`OpenError`] saying since when and why.
//! - [`RecoveryGroup`]: shared by the breakers of one service. The first breaker to trip starts the
//!   group's one recovery task; it probes the service ([`Probe`]) every
//!   [`probe_interval`](BreakerConfig::probe_interval), retries a failed probe, backs off
//!   (exponentially, capped, with jitter) after failed rounds, and after
//!   [`success_threshold`](BreakerConfig::success_threshold) consecutive good rounds closes every
//!   breaker of the group that tripped before.
//! - [`BreakerConfig`]: the thresholds and intervals, checked when built.
//!
//! The transitions are plain functions of `now` in one file (`state.rs`); the types here only
//! keep their values in atomics and act on what they return. A tripped breaker keeps its trip in
//! atomics too (`cell.rs`), so that a rejection only loads. Trips are logged with
//! `tracing::warn!`, recoveries with `tracing::info!`.

mod backoff;
#[allow(clippy::module_inception)]
mod breaker;
mod cell;
mod config;
mod error;
mod group;
mod recovery;
mod state;

pub use breaker::Breaker;
pub use config::{BreakerConfig, BreakerConfigBuilder};
pub use error::{ConfigError, OpenError};
pub use group::RecoveryGroup;
pub use recovery::Probe;
pub use state::{State, Trip, TripReason};
