//! The smol adapter of fusebox: a clock, a spawner and a TCP dialer on smol and async-io.
//!
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
