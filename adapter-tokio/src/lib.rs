//! The tokio adapter of fusebox: a clock, a spawner and a TCP dialer on tokio.
//!
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

mod error;
mod io;
mod runtime;

pub use error::TryCurrentError;
pub use io::TokioIo;
pub use runtime::TokioRuntime;
