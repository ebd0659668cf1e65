//! [`Connector`]: the factory of HTTP/1.1 connections, one per [`Origin`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::Connect;
use fusebox_core::rt::{Dial, Runtime, Spawner};

use crate::conn::HttpConnection;
use crate::error::ConnectError;
use crate::origin::{Origin, Scheme};

/// Opens HTTP/1.1 connections to an [`Origin`]: dials TCP through the runtime's [`Dial`], runs
/// hyper's handshake and spawns the connection driver on the runtime's [`Spawner`].
///
/// The [`Client`](crate::Client) builds one for its pool; build one yourself to pool HTTP
/// connections under a [`Pool`](fusebox_core::Pool) of your own.
///
/// ```
/// use fusebox_core::{Pool, Wait};
/// use fusebox_http::{Connector, Origin};
/// use fusebox_tokio::TokioRuntime;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let rt = TokioRuntime::new();
/// let pool = Pool::builder(Connector::from_runtime(rt.clone()))
///     .max_per_key(4)
///     .runtime(rt)
///     .build()
///     .unwrap();
/// let origin: Origin = "http://127.0.0.1:9".parse().unwrap();
/// // Nothing listens on port 9 (discard) here: the connect fails.
/// assert!(pool.acquire(&origin, Wait::None).await.unwrap_err().is_connect());
/// # }
/// ```
#[derive(Clone)]
pub struct Connector {
    dial: Arc<dyn Dial>,
    spawner: Arc<dyn Spawner>,
    idle_cap: Option<Duration>,
}

impl Connector {
    /// A connector that dials with `dial` and runs connection drivers on `spawner`.
    pub fn new(dial: Arc<dyn Dial>, spawner: Arc<dyn Spawner>) -> Connector {
        Connector {
            dial,
            spawner,
            idle_cap: None,
        }
    }

    /// A connector that dials and spawns on one runtime, such as `fusebox_tokio::TokioRuntime`.
    pub fn from_runtime<R: Runtime>(runtime: R) -> Connector {
        Connector::new(Arc::new(runtime.clone()), Arc::new(runtime))
    }

    /// The most a server's `Keep-Alive: timeout` may extend a connection's idle life: the pool's
    /// idle timeout, so that a server's announcement only ever shortens it. Unset, the server's
    /// announcement (less the margin) replaces the pool's idle timeout.
    pub fn idle_cap(mut self, cap: Duration) -> Connector {
        self.idle_cap = Some(cap);
        self
    }
}

impl Connect<Origin> for Connector {
    type Conn = HttpConnection;
    type Error = ConnectError;

    async fn connect(&self, origin: &Origin) -> Result<HttpConnection, ConnectError> {
        match origin.scheme() {
            Scheme::Http => {}
        }
        let io = self
            .dial
            .dial(origin.host(), origin.port())
            .await
            .map_err(ConnectError::dial)?;
        let conn = HttpConnection::handshake(io, &*self.spawner, self.idle_cap)
            .await
            .map_err(ConnectError::handshake)?;
        tracing::debug!(%origin, "http connection opened");
        Ok(conn)
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connector")
            .field("idle_cap", &self.idle_cap)
            .finish_non_exhaustive()
    }
}
