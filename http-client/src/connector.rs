//! [`Connector`]: the factory of HTTP/1.1 connections, one per [`Origin`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::Connect;
#[cfg(any(feature = "tls", feature = "http2"))]
use fusebox_core::rt::Clock;
use fusebox_core::rt::{BoxHyperIo, Dial, Runtime, Spawner, Traffic};

use crate::error::{ConnectError, HeadLimits, NoHttp2};
use crate::http1::{ConnSettings, HttpConnection};
#[cfg(feature = "http2")]
use crate::http2::{Http2Config, Http2Connection};
use crate::io;
use crate::negotiate::Negotiated;
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
    /// When [`connect_negotiated`](Connector::connect_negotiated) speaks HTTP/2, and the clock
    /// its pings are timed on.
    #[cfg(feature = "http2")]
    http2: Option<(Http2Config, Arc<dyn Clock>)>,
}

/// A dialed stream, secured for an `https` origin, and what the server chose by ALPN.
struct Opened {
    io: BoxHyperIo,
    /// What `io` has read and written, counted below hyper.
    traffic: Arc<Traffic>,
    /// `None` for plain TCP; else whether the server chose `h2`.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    chose_h2: Option<bool>,
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
            #[cfg(feature = "http2")]
            http2: None,
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

impl Connector {
    /// Lets [`connect_negotiated`](Connector::connect_negotiated) speak HTTP/2 as `config`
    /// says (by ALPN over TLS, by prior knowledge over plain TCP), with keep-alive pings timed
    /// on `clock`. The pool's connections ([`Connect`]) stay HTTP/1.1.
    #[cfg(feature = "http2")]
    pub fn http2(mut self, config: Http2Config, clock: Arc<dyn Clock>) -> Connector {
        self.http2 = Some((config, clock));
        self
    }

    /// Dials `origin`, runs the TLS handshake of an `https` origin (offering `h2` by ALPN when
    /// HTTP/2 is allowed over it) and starts the protocol the connection speaks: HTTP/2 when
    /// the server chose `h2`, or, over plain TCP, when the `Http2Config` given to `http2`
    /// has prior knowledge of the origin; HTTP/1.1 otherwise (always, without feature `http2` or
    /// an HTTP/2 configuration).
    ///
    /// The result says which, so that HTTP/1.1 connections can be kept for one request at a
    /// time and HTTP/2 ones shared; a request that asks for `Version::HTTP_2` on an HTTP/1.1
    /// one fails with [`Error::is_http2_unavailable`](crate::Error::is_http2_unavailable),
    /// saying why the connection is not HTTP/2.
    ///
    /// # Errors
    ///
    /// As [`Connect::connect`]: the dial, the TLS handshake or the protocol's handshake failed.
    pub async fn connect_negotiated(&self, origin: &Origin) -> Result<Negotiated, ConnectError> {
        #[cfg(feature = "http2")]
        if let Some((config, clock)) = &self.http2 {
            let prior = config.speaks_http2_plain(origin);
            let offer = origin.scheme() == Scheme::Https && config.offers_h2_over_alpn();
            let opened = self.open(origin, offer).await?;
            let why = match opened.chose_h2 {
                Some(true) => None,
                Some(false) if offer => Some(NoHttp2::ServerChoseHttp1),
                Some(false) => Some(NoHttp2::NotOffered),
                None if prior => None,
                None => Some(NoHttp2::NoPriorKnowledge),
            };
            if why.is_none() {
                let conn = Http2Connection::handshake(
                    opened.io,
                    origin,
                    self.spawner.clone(),
                    clock.clone(),
                    config,
                )
                .await
                .map_err(ConnectError::handshake)?;
                tracing::debug!(%origin, "http2 connection opened");
                return Ok(Negotiated::Http2(conn));
            }
            let mut conn = self.start_http1(opened, origin).await?;
            conn.no_http2 = why.unwrap_or(NoHttp2::NotConfigured);
            return Ok(Negotiated::Http1(conn));
        }
        let opened = self.open(origin, false).await?;
        let mut conn = self.start_http1(opened, origin).await?;
        if !cfg!(feature = "http2") {
            conn.no_http2 = NoHttp2::FeatureOff;
        }
        Ok(Negotiated::Http1(conn))
    }

    /// Starts HTTP/1.1 on the `opened` stream.
    async fn start_http1(
        &self,
        opened: Opened,
        origin: &Origin,
    ) -> Result<HttpConnection, ConnectError> {
        let conn =
            HttpConnection::handshake(opened.io, opened.traffic, &*self.spawner, self.settings)
                .await
                .map_err(ConnectError::handshake)?;
        tracing::debug!(%origin, "http connection opened");
        Ok(conn)
    }

    /// Dials `origin` and secures the stream of an `https` one, offering `h2` by ALPN if
    /// `offer_h2`.
    #[cfg_attr(not(feature = "tls"), allow(unused_variables))]
    async fn open(&self, origin: &Origin, offer_h2: bool) -> Result<Opened, ConnectError> {
        origin
            .check_supported()
            .map_err(ConnectError::unsupported)?;
        let traffic = Arc::new(Traffic::default());
        match origin.scheme() {
            Scheme::Http => {
                let io = io::dial_plain(&*self.dial, origin.host(), origin.port(), traffic.clone())
                    .await
                    .map_err(|e| ConnectError::dial_to(e, origin.host()))?;
                Ok(Opened {
                    io,
                    traffic,
                    chose_h2: None,
                })
            }
            #[cfg(feature = "tls")]
            Scheme::Https => self.open_tls(origin, offer_h2, traffic).await,
            #[cfg(not(feature = "tls"))]
            Scheme::Https => unreachable!("refused by check_supported"),
        }
    }

    /// Dials an `https` origin and runs the TLS handshake over the dialed stream.
    #[cfg(feature = "tls")]
    #[cfg_attr(not(feature = "http2"), allow(unused_variables))]
    async fn open_tls(
        &self,
        origin: &Origin,
        offer_h2: bool,
        traffic: Arc<Traffic>,
    ) -> Result<Opened, ConnectError> {
        let started = self.connect_timeout.as_ref().map(|t| t.clock.now());
        let io = match self.dial.dial(origin.host(), origin.port()).await {
            Ok(io) => io,
            Err(e) if crate::error::is_reset(e.kind()) => {
                // Accepted and reset before the handshake began: a handshake that broke off,
                // as a reset a moment later would be.
                return Err(ConnectError::tls(Box::new(e), None));
            }
            Err(e) => return Err(ConnectError::dial_to(e, origin.host())),
        };
        let limit = tls::HandshakeLimit {
            own: self.handshake_timeout.as_ref(),
            connect: self.connect_timeout.as_ref().zip(started),
        };
        #[cfg(feature = "http2")]
        let config = if offer_h2 {
            self.tls.rustls_config_h2()
        } else {
            self.tls.rustls_config()
        };
        #[cfg(not(feature = "http2"))]
        let config = self.tls.rustls_config();
        let secured = tls::handshake(config, io, origin.host(), limit).await?;
        #[cfg(feature = "http2")]
        let chose_h2 = secured.alpn.as_deref() == Some(tls::ALPN_H2);
        #[cfg(not(feature = "http2"))]
        let chose_h2 = false;
        Ok(Opened {
            io: io::bridge(secured.io, traffic.clone()),
            traffic,
            chose_h2: Some(chose_h2),
        })
    }
}

impl Connect<Origin> for Connector {
    type Conn = Negotiated;
    type Error = ConnectError;

    /// Opens a connection as [`connect_negotiated`](Connector::connect_negotiated) does: the
    /// pool keeps an HTTP/1.1 one for one request at a time, and hands out the streams of an
    /// HTTP/2 one to many (see [`Connection::multiplex`](fusebox_core::Connection::multiplex)).
    async fn connect(&self, origin: &Origin) -> Result<Negotiated, ConnectError> {
        self.connect_negotiated(origin).await
    }

    /// Expected for a plain origin spoken to by prior knowledge, and for a TLS origin that is
    /// offered `h2`: then a burst of first requests waits for the first connection's ALPN
    /// instead of opening one connection each (a server that chooses HTTP/1.1 costs that burst
    /// one handshake's wait, after which its requests connect side by side).
    fn multiplexes(&self, origin: &Origin) -> bool {
        #[cfg(feature = "http2")]
        if let Some((config, _)) = &self.http2 {
            return config.speaks_http2_plain(origin)
                || (origin.scheme() == Scheme::Https && config.offers_h2_over_alpn());
        }
        let _ = origin;
        false
    }
}

impl fmt::Debug for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Connector");
        d.field("settings", &self.settings);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls)
            .field("handshake_timeout", &self.handshake_timeout);
        #[cfg(feature = "http2")]
        d.field("http2", &self.http2.as_ref().map(|(config, _)| config));
        d.finish_non_exhaustive()
    }
}
