//! The tokio adapter of fusebox: a clock, a spawner and a TCP dialer on tokio.
//!
//! An application on tokio passes `TokioRuntime::new()` to whatever it builds, and that is all:
//!
//! ```text
//! let client = fusebox_http::Client::builder().runtime(TokioRuntime::new()).build()?;
//! let pool = Pool::builder(factory).max_per_key(8).runtime(TokioRuntime::new()).build()?;
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
//! use fusebox_tokio::TokioRuntime;
//!
//! # let tokio_rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # tokio_rt.block_on(async {
//! let pool = Pool::builder(Factory).max_per_key(8).runtime(TokioRuntime::new()).build()?;
//! let conn = pool.acquire(&"db-1".to_string(), Wait::Forever).await?;
//! # drop(conn);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What is behind it:
//! [`TokioRuntime`] implements the runtime traits of [`fusebox_core::rt`] ([`Clock`],
//! [`Spawner`] and [`Dial`]) on a tokio [`Handle`], so that a fusebox pool or client runs on
//! tokio. Time is read through `tokio::time`, so tokio's paused time (`tokio::time::pause` and
//! `advance`, feature `test-util` of tokio) moves fusebox's clock too. [`TokioIo`] is the small
//! wrapper that presents a tokio stream through the runtime-neutral `futures-io` traits.
//!
//! ```
//! use std::time::Duration;
//! use fusebox_core::rt::{Clock, Spawner};
//! use fusebox_tokio::TokioRuntime;
//!
//! let tokio_rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! let rt = TokioRuntime::from_handle(tokio_rt.handle().clone());
//!
//! tokio_rt.block_on(async {
//!     let (tx, rx) = tokio::sync::oneshot::channel();
//!     rt.spawn(Box::pin(async move {
//!         let _ = tx.send(21 * 2);
//!     }));
//!     assert_eq!(rx.await, Ok(42));
//!
//!     let start = rt.now();
//!     rt.sleep_until(start + Duration::from_millis(1)).await;
//!     assert!(rt.now() >= start + Duration::from_millis(1));
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! When not to use it: a program on smol or async-io wants `fusebox-smol`; tests of timing logic
//! want the core's `ManualClock` (feature `test-util` of `fusebox-core`).
//!
//! [`Clock`]: fusebox_core::rt::Clock
//! [`Spawner`]: fusebox_core::rt::Spawner
//! [`Dial`]: fusebox_core::rt::Dial
//! [`Handle`]: tokio::runtime::Handle
#![forbid(unsafe_code)]

#[cfg(feature = "hyper-io")]
mod counted;
mod error;
mod io;
mod runtime;

pub use error::TryCurrentError;
pub use io::TokioIo;
pub use runtime::TokioRuntime;
