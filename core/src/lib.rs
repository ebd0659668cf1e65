//! Runtime-neutral core of fusebox: a keyed connection pool and a circuit breaker.
//!
//! `fusebox-core` picks no async runtime. A clock, a spawner and a TCP dialer reach it through the
//! traits of [`rt`]; `fusebox-tokio` and `fusebox-smol` implement them for their runtimes, and the
//! `test-util` feature adds `rt::ManualClock` and `rt::ManualSpawner`, a clock that moves and a
//! spawner whose tasks run only when a test says so.
//!
//! A pool of two connections per key and a breaker, on that manual clock (an application passes
//! `.runtime(TokioRuntime::new())` or `.runtime(SmolRuntime::new())` instead):
//!
//! ```
//! use std::convert::Infallible;
//! use std::sync::Arc;
//! use std::time::Duration;
//! use fusebox_core::breaker::{BreakerConfig, RecoveryGroup, TripReason};
//! use fusebox_core::rt::{BoxFuture, Clock, ManualClock, ManualSpawner};
//! use fusebox_core::{Connect, Connection, Pool, Wait};
//! use futures_lite::future::block_on;
//!
//! struct Conn(u32);
//! impl Connection for Conn {}
//!
//! struct Factory;
//! impl Connect<String> for Factory {
//!     type Conn = Conn;
//!     type Error = Infallible;
//!     async fn connect(&self, _db: &String) -> Result<Conn, Infallible> {
//!         Ok(Conn(7))
//!     }
//! }
//!
//! let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
//! let pool = Pool::builder(Factory)
//!     .max_per_key(2)
//!     .idle_timeout(Duration::from_secs(30))
//!     .clock(Arc::new(clock.clone()))
//!     .spawner(Arc::new(tasks.clone())) // the reaper runs only when `tasks` is run
//!     .build()?;
//! let db = "db-1".to_string();
//! let conn = block_on(pool.acquire(&db, Wait::Forever))?;
//! assert_eq!(conn.0, 7);
//! assert_eq!(pool.stats().total.busy, 1);
//! drop(conn); // back to the pool, idle
//! assert_eq!(pool.stats().total.idle, 1);
//!
//! // A breaker that trips after two consecutive failures and then refuses calls at once.
//! let config = BreakerConfig::builder().failure_threshold(2).build()?;
//! let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(tasks.clone()));
//! let healthy = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
//! let breaker = group.breaker_named("db", healthy);
//! for _ in 0..2 {
//!     let permit = breaker.check()?;
//!     permit.failure(clock.now(), TripReason::Status { status: 503 });
//! }
//! assert!(breaker.check().is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
pub use conn::{Connect, Connection, Multiplex};
pub use pool::{AcquireError, BuildError, Counts, Hangup, Pool, Pooled, Stats, Wait, WaitError};
