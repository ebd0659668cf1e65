//! What a runtime must provide: a clock, a spawner and a TCP dialer.
//!
//! The core never names an async runtime. Everything runtime-specific reaches it through these
//! three traits, held as `Arc<dyn _>`; `fusebox-tokio` and `fusebox-smol` implement them.
//!
//! For tests, the `test-util` feature adds a runtime that moves only when told to:
//! `ManualClock`, whose time moves by `advance` (or to its `next_deadline`), and
//! `ManualSpawner`, which keeps spawned tasks and runs them in `run_until_stalled`. Together they
//! drive the pool's reaper and the breaker's recovery by hand, with no real sleep (see
//! `ManualSpawner`'s example).

#[cfg(feature = "hyper-io")]
mod hyper_io;
#[cfg(feature = "test-util")]
mod manual;
#[cfg(feature = "test-util")]
mod spawner;
#[cfg(all(test, feature = "test-util"))]
mod tests;

#[cfg(feature = "hyper-io")]
pub use hyper_io::{BoxHyperIo, HyperIo, Traffic};
#[cfg(feature = "test-util")]
pub use manual::ManualClock;
#[cfg(feature = "test-util")]
pub use spawner::ManualSpawner;

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_lite::io::{AsyncRead, AsyncWrite};

/// A boxed, `Send` future, as the runtime traits return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of time and of timers.
///
/// All time in fusebox is read through a `Clock`, so that tests can swap in a
/// `ManualClock` (feature `test-util`) and move time by hand.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Instant;

    /// A future that completes once [`now`](Clock::now) has reached `deadline`.
    ///
    /// A deadline in the past completes at the first poll. Sleeping is never on a fast path, so the
    /// future is boxed.
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()>;

    /// A future that completes once `span` has passed since `from`. A span too long to express as
    /// an [`Instant`] (such as `Duration::MAX`) never completes, rather than panicking: every
    /// timeout of fusebox goes through here.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::future::{block_on, poll_once};
    /// use fusebox_core::rt::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let mut second = clock.sleep_from(clock.now(), Duration::from_secs(1));
    /// let mut never = clock.sleep_from(clock.now(), Duration::MAX);
    /// clock.advance(Duration::from_secs(1));
    /// assert!(block_on(poll_once(&mut second)).is_some());
    /// assert!(block_on(poll_once(&mut never)).is_none());
    /// ```
    fn sleep_from(&self, from: Instant, span: Duration) -> BoxFuture<'static, ()> {
        match from.checked_add(span) {
            Some(deadline) => self.sleep_until(deadline),
            None => Box::pin(std::future::pending()),
        }
    }
}

/// Runs detached background tasks: the pool's reaper, the breaker's recovery probe, HTTP
/// connection drivers.
pub trait Spawner: Send + Sync + 'static {
    /// Spawns `task` to run to completion in the background. Its output is discarded.
    fn spawn(&self, task: BoxFuture<'static, ()>);
}

/// A byte stream as the runtime-neutral IO traits see it: a TCP stream, or TLS over one.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// A boxed [`Io`] stream, as [`Dial::dial`] returns it.
pub type BoxIo = Box<dyn Io>;

/// Resolves a host name and opens a TCP stream to it.
pub trait Dial: Send + Sync + 'static {
    /// Resolves `host` (a name or an IP literal), connects to `port` on the first address that
    /// accepts, and returns the stream with `TCP_NODELAY` set.
    ///
    /// # Errors
    ///
    /// The IO error of resolution, or of the last address tried.
    fn dial(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<BoxIo>>;

    /// Opens the same TCP stream as [`dial`](Dial::dial), but as one that hyper reads straight
    /// into its own buffer (feature `hyper-io`), or `None` if this dialer has no such stream. The
    /// stream counts every byte it reads and writes into `traffic`.
    ///
    /// fusebox-http dials plain-TCP origins through this method first: on `None` it reads
    /// [`dial`](Dial::dial)'s futures-io stream through a bridge that must initialise hyper's
    /// buffer before each read, since a safe futures-io read needs initialised memory. The tokio
    /// adapter returns `Some` (hyper-util's `TokioIo` over its `TcpStream`). See [`HyperIo`] for
    /// why this sits in the core.
    ///
    /// # Errors
    ///
    /// As [`dial`](Dial::dial).
    #[cfg(feature = "hyper-io")]
    fn dial_hyper(
        &self,
        host: &str,
        port: u16,
        traffic: std::sync::Arc<Traffic>,
    ) -> Option<BoxFuture<'static, io::Result<BoxHyperIo>>> {
        let _ = (host, port, traffic);
        None
    }
}

/// A runtime bundle: [`Clock`], [`Spawner`] and [`Dial`] in one cheaply cloned value.
///
/// Adapters implement the three traits on one type (`TokioRuntime`, `SmolRuntime`); this trait is
/// implemented for any such type, so that a builder can take "a runtime" in one call.
pub trait Runtime: Clock + Spawner + Dial + Clone + fmt::Debug {}

impl<T: Clock + Spawner + Dial + Clone + fmt::Debug> Runtime for T {}
