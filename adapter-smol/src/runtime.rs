//! [`SmolRuntime`]: fusebox's clock, spawner and dialer on smol and async-io.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Instant;

use async_executor::Executor;
use async_io::Timer;
use async_net::TcpStream;
use fusebox_core::rt::{BoxFuture, BoxIo, Clock, Dial, Spawner};

/// fusebox's runtime bundle on smol: a [`Clock`], a [`Spawner`] and a [`Dial`].
///
/// - The clock reads [`std::time::Instant`]; sleeps are [`async_io::Timer`]s, driven by async-io's
///   reactor, so they work under any executor.
/// - Tasks are spawned detached on smol's global executor ([`new`](Self::new), [`Default`]) or
///   on an executor of your own ([`with_executor`](Self::with_executor)), which must then be run,
///   e.g. by `executor.run(..)` in a thread of yours.
/// - The dialer opens an [`async_net::TcpStream`] with `TCP_NODELAY` set.
///
/// Cloning is cheap: clones share the executor.
///
/// ```
/// use std::sync::Arc;
/// use fusebox_core::rt::Spawner;
/// use fusebox_smol::SmolRuntime;
///
/// let executor = Arc::new(smol::Executor::new());
/// let rt = SmolRuntime::with_executor(executor.clone());
/// let (tx, rx) = smol::channel::bounded(1);
/// rt.spawn(Box::pin(async move {
///     let _ = tx.send("ran").await;
/// }));
/// assert_eq!(smol::block_on(executor.run(rx.recv())), Ok("ran"));
/// ```
#[derive(Clone, Default)]
pub struct SmolRuntime {
    /// `None`: smol's global executor.
    executor: Option<Arc<Executor<'static>>>,
}

impl SmolRuntime {
    /// A runtime that spawns on smol's global executor (`smol::spawn`).
    #[must_use]
    pub fn new() -> Self {
        Self { executor: None }
    }

    /// A runtime that spawns on `executor`.
    ///
    /// Tasks make progress only while something runs the executor.
    #[must_use]
    pub fn with_executor(executor: Arc<Executor<'static>>) -> Self {
        Self {
            executor: Some(executor),
        }
    }

    /// The executor that tasks are spawned on, or `None` for smol's global executor.
    #[must_use]
    pub fn executor(&self) -> Option<&Arc<Executor<'static>>> {
        self.executor.as_ref()
    }
}

impl fmt::Debug for SmolRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let executor = match self.executor {
            Some(_) => "custom",
            None => "global",
        };
        f.debug_struct("SmolRuntime")
            .field("executor", &executor)
            .finish()
    }
}

impl Clock for SmolRuntime {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            Timer::at(deadline).await;
        })
    }
}

impl Spawner for SmolRuntime {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        match &self.executor {
            Some(executor) => executor.spawn(task).detach(),
            None => smol::spawn(task).detach(),
        }
    }
}

impl Dial for SmolRuntime {
    fn dial(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        let host = host.to_owned();
        Box::pin(async move {
            let stream = TcpStream::connect((host.as_str(), port)).await?;
            stream.set_nodelay(true)?;
            Ok(Box::new(stream) as BoxIo)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<SmolRuntime>();
    }

    #[test]
    fn debug_names_the_executor() {
        assert_eq!(
            format!("{:?}", SmolRuntime::new()),
            r#"SmolRuntime { executor: "global" }"#
        );
        let custom = SmolRuntime::with_executor(Arc::new(Executor::new()));
        assert_eq!(
            format!("{custom:?}"),
            r#"SmolRuntime { executor: "custom" }"#
        );
    }
}
