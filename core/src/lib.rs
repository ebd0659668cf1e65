//! Runtime-neutral core of fusebox: a keyed connection pool and a circuit breaker.
//!
//! `fusebox-core` picks no async runtime. A clock, a spawner and a TCP dialer reach it through the
//! traits of [`rt`]; `fusebox-tokio` and `fusebox-smol` implement them for their runtimes, and the
//! `test-util` feature adds `rt::ManualClock` and `rt::ManualSpawner`, a clock that moves and a
//! spawner whose tasks run only when a test says so.
//!
//! - [`Pool`]: per-destination sub-pools with a limit per key (and optionally in total), acquire
//!   that waits forever, not at all or up to a duration ([`Wait`]), FIFO-fair and
//!   cancellation-safe waiting, idle timeouts from last use and a reaper task.
//! - [`Connection`] and [`Connect`]: what a pooled connection and its factory provide.
//! - [`Breaker`] and [`RecoveryGroup`]: per-client failure counts that trip a client open, and one
//!   recovery task per group of clients that probes until the service is healthy again.
//!
//! When not to use it: if your program has one runtime and wants a pool of non-keyed objects,
//! `deadpool` or `bb8` may be all you need.
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod breaker;
mod conn;
pub mod pool;
pub mod rt;

pub use breaker::{
    Breaker, BreakerConfig, OpenError, Outcome, Permit, Probe, RecoveryGroup, TripReason,
};
pub use conn::{Connect, Connection};
pub use pool::{AcquireError, BuildError, Builder, Counts, Pool, Pooled, Stats, Wait, WaitError};
