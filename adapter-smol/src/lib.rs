//! The smol adapter of fusebox: a clock, a spawner and a TCP dialer on smol and async-io.
//!
//! An application on smol passes `SmolRuntime::new()` to whatever it builds, and that is all:
//!
//! ```text
//! let client = fusebox_http::Client::builder().runtime(SmolRuntime::new()).build()?;
//! let pool = Pool::builder(factory).max_per_key(8).runtime(SmolRuntime::new()).build()?;
//! ```
//!
//! The pool, in full:
//!
//! ```
//! # use std::convert::Infallible;
//! # use fusebox_core::{Connect, Connection, Pool, Wait};
//! # struct Conn;
//! # impl Connection for Conn {}
//! # struct Factory;
//! # impl Connect<String> for Factory {
//! #     type Conn = Conn;
//! #     type Error = Infallible;
//! #     async fn connect(&self, _db: &String) -> Result<Conn, Infallible> { Ok(Conn) }
//! # }
//! use fusebox_smol::SmolRuntime;
//!
//! let pool = Pool::builder(Factory).max_per_key(8).runtime(SmolRuntime::new()).build()?;
//! # smol::block_on(async {
//! let conn = pool.acquire(&"db-1".to_string(), Wait::Forever).await?;
//! # drop(conn);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is behind it:
//! [`SmolRuntime`] implements the runtime traits of [`fusebox_core::rt`] ([`Clock`],
//! [`Spawner`] and [`Dial`]): timers are `async_io::Timer`s, tasks run on smol's global executor
//! or on an [`Executor`] of your own, and TCP streams are `async_net::TcpStream`s, which already
//! speak the runtime-neutral `futures-io` traits.
//!
//! ```
//! use std::time::Duration;
//! use fusebox_core::rt::{Clock, Spawner};
//! use fusebox_smol::SmolRuntime;
//!
//! let rt = SmolRuntime::new();
//! smol::block_on(async {
//!     let (tx, rx) = smol::channel::bounded(1);
//!     rt.spawn(Box::pin(async move {
//!         let _ = tx.send(21 * 2).await;
//!     }));
//!     assert_eq!(rx.recv().await, Ok(42));
//!
//!     let start = rt.now();
//!     rt.sleep_until(start + Duration::from_millis(1)).await;
//!     assert!(rt.now() >= start + Duration::from_millis(1));
//! });
//! ```
//!
//! When not to use it: a program on tokio wants `fusebox-tokio`; tests of timing logic want the
//! core's `ManualClock` (feature `test-util` of `fusebox-core`), as async-io's timers follow the
//! real clock only.
//!
//! [`Clock`]: fusebox_core::rt::Clock
//! [`Spawner`]: fusebox_core::rt::Spawner
//! [`Dial`]: fusebox_core::rt::Dial
//! [`Executor`]: async_executor::Executor
#![forbid(unsafe_code)]

mod runtime;

pub use runtime::SmolRuntime;
