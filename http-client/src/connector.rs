//! [`Connector`]: the factory of HTTP/1.1 connections, one per [`Origin`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::Connect;
#[cfg(feature = "tls")]
use fusebox_core::rt::Clock;
use fusebox_core::rt::{Dial, Runtime, Spawner};

use crate::error::{ConnectError, HeadLimits};
use crate::http1::{ConnSettings, HttpConnection};
use crate::origin::{Origin, Scheme};
#[cfg(feature = "tls")]
use crate::tls::{self, HandshakeTimeout, TlsConfig};

/// Opens HTTP/1.1 connections to an [`Origin`]: dials TCP through the runtime's [`Dial`], runs
/// the TLS handshake for an `https` origin (feature `tls`), runs hyper's handshake and spawns
/// the connection driver on the runtime's [`Spawner`].
///
/// TLS is set by a `tls::TlsConfig` (`Connector::tls`; by default servers are verified against
/// the `webpki-roots` roots). The whole of a connect, TLS handshake included, is bounded by the
/// pool's connect timeout; the handshake can have a shorter limit of its own
/// (`Connector::tls_handshake_timeout`).
///
/// The [`Client`](crate::Client) builds one for its pool; build one yourself to pool HTTP
/// connections under a [`Pool`](fusebox_core::Pool) of your own.
///
/// ```
/// use fusebox_core::{Pool, Wait};
/// use fusebox_http::Origin;
/// use fusebox_http::conn::Connector;
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
    settings: ConnSettings,
    #[cfg(feature = "tls")]
    tls: TlsConfig,
    #[cfg(feature = "tls")]
    handshake_timeout: Option<HandshakeTimeout>,
    /// The pool's connect timeout, so that a TLS handshake that stalls fails as a TLS timeout
    /// just before it runs out.
    #[cfg(feature = "tls")]
    connect_timeout: Option<HandshakeTimeout>,
}

/// The most bytes of a response head, status line and headers, by default.
pub(crate) const DEFAULT_MAX_HEAD_SIZE: usize = 64 * 1024;
/// The most header lines of a response by default (hyper's default).
pub(crate) const DEFAULT_MAX_HEADERS: usize = 100;

impl Connector {
    /// A connector that dials with `dial` and runs connection drivers on `spawner`.
    pub fn new(dial: Arc<dyn Dial>, spawner: Arc<dyn Spawner>) -> Connector {
        Connector {
            dial,
            spawner,
            settings: ConnSettings {
                idle_cap: None,
                limits: HeadLimits {
                    max_head_size: DEFAULT_MAX_HEAD_SIZE,
                    max_headers: DEFAULT_MAX_HEADERS,
                },
            },
            #[cfg(feature = "tls")]
            tls: TlsConfig::default(),
            #[cfg(feature = "tls")]
            handshake_timeout: None,
            #[cfg(feature = "tls")]
            connect_timeout: None,
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
        self.settings.idle_cap = Some(cap);
        self
    }

    /// The most bytes of a response head (status line and headers) and the most header lines;
    /// a response over either fails with [`Error::is_head_too_large`](crate::Error::is_head_too_large).
    /// Defaults: 64 KiB and 100.
    pub fn head_limits(mut self, max_head_size: usize, max_headers: usize) -> Connector {
        self.settings.limits = HeadLimits {
            max_head_size,
            max_headers,
        };
        self
    }

    /// Tells the connector the pool's connect timeout, read on `clock`: a TLS handshake still
    /// running just before it runs out fails as a TLS timeout ([`Error::is_tls`](crate::Error::is_tls)),
    /// not as a bare connect timeout.
    #[cfg_attr(not(feature = "tls"), allow(unused_variables, unused_mut))]
    pub(crate) fn within_connect_timeout(
        mut self,
        timeout: Duration,
        clock: Arc<dyn fusebox_core::rt::Clock>,
    ) -> Connector {
        #[cfg(feature = "tls")]
        {
            self.connect_timeout = Some(HandshakeTimeout {
                after: timeout,
                clock,
            });
        }
        self
    }

    /// The TLS settings of `https` connections (default: [`TlsConfig::default`]).
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Connector {
        self.tls = tls;
        self
    }

    /// Limits the TLS handshake alone to `timeout` on `clock`, so that a server that accepts
    /// the TCP connection but never completes the handshake fails with its own error
    /// ([`Error::is_tls`](crate::Error::is_tls) and [`is_timeout`](crate::Error::is_timeout))
    /// before the pool's connect timeout, which bounds dial and handshake together, runs out.
    #[cfg(feature = "tls")]
    pub fn tls_handshake_timeout(mut self, timeout: Duration, clock: Arc<dyn Clock>) -> Connector {
        self.handshake_timeout = Some(HandshakeTimeout {
            after: timeout,
            clock,
        });
        self
    }
}

impl Connect<Origin> for Connector {
    type Conn = HttpConnection;
    type Error = ConnectError;

    async fn connect(&self, origin: &Origin) -> Result<HttpConnection, ConnectError> {
        origin
            .check_supported()
            .map_err(ConnectError::unsupported)?;
        #[cfg(feature = "tls")]
        let started = self.connect_timeout.as_ref().map(|t| t.clock.now());
        let dialed = self.dial.dial(origin.host(), origin.port()).await;
        let io = match (origin.scheme(), dialed) {
            (Scheme::Http, Ok(io)) => io,
            (Scheme::Http, Err(e)) => return Err(ConnectError::dial_to(e, origin.host())),
            #[cfg(feature = "tls")]
            (Scheme::Https, Ok(io)) => {
                let limit = tls::HandshakeLimit {
                    own: self.handshake_timeout.as_ref(),
                    connect: self.connect_timeout.as_ref().zip(started),
                };
                tls::handshake(&self.tls, io, origin.host(), limit).await?
            }
            #[cfg(feature = "tls")]
            (Scheme::Https, Err(e)) if crate::error::is_reset(e.kind()) => {
                // Accepted and reset before the handshake began: a handshake that broke off,
                // as a reset a moment later would be.
                return Err(ConnectError::tls(Box::new(e), None));
            }
            #[cfg(feature = "tls")]
            (Scheme::Https, Err(e)) => return Err(ConnectError::dial_to(e, origin.host())),
            #[cfg(not(feature = "tls"))]
            (Scheme::Https, _) => unreachable!("refused by check_supported"),
        };
        let conn = HttpConnection::handshake(io, &*self.spawner, self.settings)
            .await
            .map_err(ConnectError::handshake)?;
        tracing::debug!(%origin, "http connection opened");
        Ok(conn)
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Connector");
        d.field("settings", &self.settings);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls)
            .field("handshake_timeout", &self.handshake_timeout);
        d.finish_non_exhaustive()
    }
}
