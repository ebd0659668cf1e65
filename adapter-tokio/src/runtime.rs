//! [`TokioRuntime`]: fusebox's clock, spawner and dialer on a tokio runtime.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use fusebox_core::rt::{BoxFuture, BoxIo, Clock, Dial, Spawner};
use pin_project_lite::pin_project;
use tokio::net::TcpStream;
use tokio::runtime::Handle;

use crate::{TokioIo, TryCurrentError};

/// fusebox's runtime bundle on tokio: a [`Clock`], a [`Spawner`] and a [`Dial`] that all use one
/// tokio runtime, through its [`Handle`].
///
/// - The clock reads [`tokio::time::Instant`], so it follows tokio's paused time in tests
///   (`tokio::time::pause`, `advance`, `#[tokio::test(start_paused = true)]`). Like tokio's own
///   clock it reads the time of the runtime whose context the calling thread is in; timers are
///   made on the runtime of the handle.
/// - Tasks are spawned on the runtime of the handle and detached.
/// - The dialer opens a [`tokio::net::TcpStream`] with `TCP_NODELAY` set and hands it out in a
///   [`TokioIo`]; with feature `hyper-io` (on by default), `dial_hyper` hands it out in
///   hyper-util's `TokioIo` instead, which hyper reads into its own buffer with no copy. The
///   futures it returns (and the sleeps) may be polled from any thread, inside a tokio runtime or
///   not, as long as the runtime is alive.
///
/// Cloning is cheap: clones share the runtime.
///
/// ```
/// use fusebox_core::rt::Runtime;
/// use fusebox_tokio::TokioRuntime;
///
/// fn takes_a_runtime(_rt: impl Runtime) {}
///
/// #[tokio::main(flavor = "current_thread")]
/// async fn main() {
///     takes_a_runtime(TokioRuntime::new());
/// }
/// ```
#[derive(Clone, Debug)]
pub struct TokioRuntime {
    handle: Handle,
}

impl TokioRuntime {
    /// The runtime whose context the calling thread is in.
    ///
    /// # Panics
    ///
    /// Panics when called outside the context of a tokio runtime, as
    /// [`Handle::current`] does. [`try_current`](Self::try_current) returns an error instead.
    #[must_use]
    #[expect(
        clippy::new_without_default,
        reason = "`new` panics outside a runtime; `Default` should not"
    )]
    pub fn new() -> Self {
        Self::from_handle(Handle::current())
    }

    /// The runtime whose context the calling thread is in, or an error outside any.
    ///
    /// # Errors
    ///
    /// [`TryCurrentError`] when the calling thread is not in the context of a tokio runtime.
    pub fn try_current() -> Result<Self, TryCurrentError> {
        Handle::try_current()
            .map(Self::from_handle)
            .map_err(TryCurrentError::new)
    }

    /// The runtime of `handle`; it may be called from any thread.
    #[must_use]
    pub fn from_handle(handle: Handle) -> Self {
        Self { handle }
    }

    /// The handle of the runtime in use.
    #[must_use]
    pub fn handle(&self) -> &Handle {
        &self.handle
    }
}

impl From<Handle> for TokioRuntime {
    fn from(handle: Handle) -> Self {
        Self::from_handle(handle)
    }
}

impl Clock for TokioRuntime {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        let deadline = tokio::time::Instant::from_std(deadline);
        Box::pin(InRuntime {
            handle: self.handle.clone(),
            future: async move {
                // tokio's `Sleep` may stay pending for one turn of the timer driver even when its
                // deadline has passed; the trait promises a past deadline is ready at once.
                if tokio::time::Instant::now() < deadline {
                    tokio::time::sleep_until(deadline).await;
                }
            },
        })
    }
}

impl Spawner for TokioRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        // Dropping the join handle detaches the task.
        drop(self.handle.spawn(task));
    }
}

impl TokioRuntime {
    /// Connects to `host:port` on this runtime with `TCP_NODELAY` set, and wraps the stream.
    fn dial_with<T: 'static>(
        &self,
        host: &str,
        port: u16,
        wrap: impl FnOnce(TcpStream) -> T + Send + 'static,
    ) -> BoxFuture<'static, io::Result<T>> {
        let host = host.to_owned();
        Box::pin(InRuntime {
            handle: self.handle.clone(),
            future: async move {
                let stream = TcpStream::connect((host.as_str(), port)).await?;
                stream.set_nodelay(true)?;
                Ok(wrap(stream))
            },
        })
    }
}

impl Dial for TokioRuntime {
    fn dial(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        self.dial_with(host, port, |stream| Box::new(TokioIo::new(stream)) as BoxIo)
    }

    /// hyper-util's `TokioIo` over the `TcpStream`: hyper reads into its own buffer, with no copy
    /// and no zeroing (the `unsafe` this needs is hyper-util's).
    #[cfg(feature = "hyper-io")]
    fn dial_hyper(
        &self,
        host: &str,
        port: u16,
        traffic: std::sync::Arc<fusebox_core::rt::Traffic>,
    ) -> Option<BoxFuture<'static, io::Result<fusebox_core::rt::BoxHyperIo>>> {
        Some(self.dial_with(host, port, |stream| {
            let counted = crate::counted::Counted::new(stream, traffic);
            Box::new(hyper_util::rt::TokioIo::new(counted)) as fusebox_core::rt::BoxHyperIo
        }))
    }
}

pin_project! {
    /// Polls `future` inside the context of the runtime of `handle`, so that tokio's timers, IO
    /// registration and blocking name resolution work when the caller is on another executor, and
    /// that time is read from that runtime's clock (paused or not).
    struct InRuntime<F> {
        handle: Handle,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for InRuntime<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _enter = this.handle.enter();
        this.future.poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TokioRuntime>();
        assert_send_sync::<TokioIo<TcpStream>>();
        assert_send_sync::<TryCurrentError>();
    }
}
