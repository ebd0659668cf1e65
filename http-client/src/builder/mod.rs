//! Configuring a [`Client`], checked when it is built.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use fusebox_core::Pool;
use fusebox_core::rt::{Clock, Dial, Runtime, Spawner};
use http::header::{HeaderMap, HeaderValue, USER_AGENT};

use crate::Error;
use crate::client::{Client, Inner};
use crate::conn::Connector;
use crate::connector::{DEFAULT_MAX_HEAD_SIZE, DEFAULT_MAX_HEADERS};
#[cfg(feature = "http2")]
use crate::http2::{Http2Config, Http2ConfigBuilder};
use crate::origin::LastOrigin;
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;

/// The least `max_head_size` may be: hyper's smallest read buffer.
const MIN_HEAD_SIZE: usize = 8192;

/// The `User-Agent` a client sends unless told otherwise.
const DEFAULT_USER_AGENT: &str = concat!("fusebox/", env!("CARGO_PKG_VERSION"));

/// Configures a [`Client`]; made by [`Client::builder`].
///
/// A runtime is required: [`runtime`](Builder::runtime) with `fusebox_tokio::TokioRuntime` or
/// `fusebox_smol::SmolRuntime`, or the clock, spawner and dialer one by one. Defaults:
///
/// | setting | default |
/// | --- | --- |
/// | [`max_per_host`](Builder::max_per_host) | 16 connections per origin |
/// | [`max_total`](Builder::max_total) | no limit over all origins |
/// | [`idle_timeout`](Builder::idle_timeout) | 4 s (shortened by a server's `Keep-Alive: timeout`) |
/// | [`reap_interval`](Builder::reap_interval) | 1 s |
/// | [`connect_timeout`](Builder::connect_timeout) | 10 s |
/// | [`request_timeout`](Builder::request_timeout) | 30 s |
/// | [`pool_timeout`](Builder::pool_timeout) | half the request timeout |
/// | [`max_body_size`](Builder::max_body_size) | 16 MiB |
/// | [`max_head_size`](Builder::max_head_size) | 64 KiB |
/// | [`max_headers`](Builder::max_headers) | 100 |
/// | [`default_headers`](Builder::default_headers) | none |
/// | [`user_agent`](Builder::user_agent) | `fusebox/<version>` |
/// | `tls` (feature `tls`) | `TlsConfig::default()`: `webpki-roots` roots, SNI, ALPN `http/1.1` |
/// | `tls_handshake_timeout` (feature `tls`) | none of its own: within the connect timeout |
/// | `http2_*` (feature `http2`) | `h2` offered over ALPN (the pool then hands out the streams of one connection to many requests), no prior knowledge, no pings |
///
/// ```
/// use std::time::Duration;
/// use fusebox_http::Client;
/// use fusebox_tokio::TokioRuntime;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let client = Client::builder()
///     .runtime(TokioRuntime::new())
///     .max_per_host(4)
///     .request_timeout(Duration::from_secs(5))
///     .max_body_size(1024 * 1024)
///     .build()
///     .unwrap();
/// # drop(client);
///
/// let err = Client::builder().build().unwrap_err();
/// assert!(err.is_builder());
/// # }
/// ```
#[must_use = "a builder does nothing until .build() is called"]
pub struct Builder {
    clock: Option<Arc<dyn Clock>>,
    spawner: Option<Arc<dyn Spawner>>,
    dial: Option<Arc<dyn Dial>>,
    max_per_host: usize,
    max_total: Option<usize>,
    idle_timeout: Duration,
    reap_interval: Duration,
    connect_timeout: Duration,
    request_timeout: Duration,
    pool_timeout: Option<Duration>,
    max_body_size: usize,
    max_head_size: usize,
    max_headers: usize,
    default_headers: HeaderMap,
    /// `Err` for a value that is not a valid header value, reported at `build()`.
    user_agent: Result<HeaderValue, ()>,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
    #[cfg(feature = "tls")]
    tls_handshake_timeout: Option<Duration>,
    #[cfg(feature = "http2")]
    http2: Http2ConfigBuilder,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            clock: None,
            spawner: None,
            dial: None,
            max_per_host: 16,
            max_total: None,
            idle_timeout: Duration::from_secs(4),
            reap_interval: Duration::from_secs(1),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            pool_timeout: None,
            max_body_size: 16 * 1024 * 1024,
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
            default_headers: HeaderMap::new(),
            user_agent: Ok(HeaderValue::from_static(DEFAULT_USER_AGENT)),
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: None,
            #[cfg(feature = "http2")]
            http2: Http2Config::builder(),
        }
    }

    /// Takes the clock, the spawner and the dialer from one runtime, such as
    /// `fusebox_tokio::TokioRuntime` or `fusebox_smol::SmolRuntime`.
    pub fn runtime<R: Runtime>(self, runtime: R) -> Builder {
        self.clock(Arc::new(runtime.clone()))
            .spawner(Arc::new(runtime.clone()))
            .dial(Arc::new(runtime))
    }

    /// The clock that timeouts and idle times are read from.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Builder {
        self.clock = Some(clock);
        self
    }

    /// The spawner that runs connection drivers and the pool's reaper.
    pub fn spawner(mut self, spawner: Arc<dyn Spawner>) -> Builder {
        self.spawner = Some(spawner);
        self
    }

    /// The dialer that opens TCP connections.
    pub fn dial(mut self, dial: Arc<dyn Dial>) -> Builder {
        self.dial = Some(dial);
        self
    }

    /// The most connections open to one origin at once; more requests wait for one to be free.
    pub fn max_per_host(mut self, max: usize) -> Builder {
        self.max_per_host = max;
        self
    }

    /// The most connections open over all origins. At the limit, an idle connection to another
    /// origin is closed to make room.
    pub fn max_total(mut self, max: usize) -> Builder {
        self.max_total = Some(max);
        self
    }

    /// How long a connection may sit idle before it is closed. A server's
    /// `Keep-Alive: timeout=N` shortens it for that server's connections (to N s less a margin).
    ///
    /// The default, 4 s, is below the idle timeouts of common servers that close without
    /// announcing it first: Node.js and Apache close idle connections after 5 s, nginx after
    /// 75 s, and a client that keeps a connection longer than its server sends requests into
    /// connections being closed. (Such a request is sent again when that is safe, see
    /// [`Client`]; a shorter idle timeout makes it rare.) Raise it for a server known to keep
    /// connections longer, to reconnect less often after pauses.
    pub fn idle_timeout(mut self, timeout: Duration) -> Builder {
        self.idle_timeout = timeout;
        self
    }

    /// How often the pool's reaper closes idle connections whose idle timeout ran out, or that
    /// the server closed (their driver saw the close): until then they still count in
    /// [`Client::pool_stats`]'s `idle`, though a request never gets one.
    pub fn reap_interval(mut self, interval: Duration) -> Builder {
        self.reap_interval = interval;
        self
    }

    /// How long opening a connection may take: dialing TCP, the TLS handshake of an `https`
    /// origin and the HTTP/1.1 handshake together.
    pub fn connect_timeout(mut self, timeout: Duration) -> Builder {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole request may take, from the call to the last byte of the body: waiting for
    /// a free connection, connecting, sending, and reading the body as it streams (so a long
    /// download needs a longer one: give it its own with
    /// [`RequestBuilder::timeout`](crate::RequestBuilder::timeout)).
    pub fn request_timeout(mut self, timeout: Duration) -> Builder {
        self.request_timeout = timeout;
        self
    }

    /// How long a request may wait for a pooled connection when all of its origin's
    /// `max_per_host` connections are busy; it then fails with [`Error::is_pool_timeout`]
    /// without being sent. Unset, half the request timeout: a request that gets its connection
    /// still has half its time for the exchange, so that under overload requests fail fast in
    /// the queue rather than time out mid-response and cost their connection. A pool timeout
    /// close to the request timeout brings that back: in `examples/overload.rs` (2,000 tasks,
    /// 16 connections, 1 s request timeout, a 10 ms server) the default opened 16 connections,
    /// a 1 s pool timeout about 2,600. Connecting is not waiting: it is bounded by the connect
    /// timeout.
    pub fn pool_timeout(mut self, timeout: Duration) -> Builder {
        self.pool_timeout = Some(timeout);
        self
    }

    /// The most bytes of a response head, status line and headers; a larger head fails the
    /// request with [`Error::is_head_too_large`]. At least 8 KiB.
    pub fn max_head_size(mut self, bytes: usize) -> Builder {
        self.max_head_size = bytes;
        self
    }

    /// The most header lines of a response; more fail the request with
    /// [`Error::is_head_too_large`]. Above 100, hyper keeps the headers of each response on the
    /// heap rather than the stack, which costs a little.
    pub fn max_headers(mut self, count: usize) -> Builder {
        self.max_headers = count;
        self
    }

    /// The largest response body that [`Body::bytes`](crate::Body::bytes) (and `text`, `json`)
    /// collects, in bytes; a longer one fails the read with [`Error::is_body_too_large`]. A
    /// body read frame by frame, as it streams, is not limited.
    pub fn max_body_size(mut self, bytes: usize) -> Builder {
        self.max_body_size = bytes;
        self
    }

    /// Headers sent with every request that has none of the same name (a request's own
    /// headers win). Replaces the defaults set before; a `User-Agent` among them wins over
    /// [`user_agent`](Builder::user_agent).
    pub fn default_headers(mut self, headers: HeaderMap) -> Builder {
        self.default_headers = headers;
        self
    }

    /// The `User-Agent` header sent with requests that have none; `fusebox/<version>` unless
    /// set. A value that is not a valid header value fails [`build`](Builder::build).
    pub fn user_agent<V: TryInto<HeaderValue>>(mut self, value: V) -> Builder {
        self.user_agent = value.try_into().map_err(drop);
        self
    }

    /// The TLS settings of `https` connections: roots to trust, a client identity. Unset, the
    /// client uses [`TlsConfig::default`]: servers verified against the `webpki-roots` roots.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, tls: TlsConfig) -> Builder {
        self.tls = Some(tls);
        self
    }

    /// How long the TLS handshake alone may take, within the connect timeout (which bounds
    /// dial and handshake together, and so the handshake too when this is unset). A handshake
    /// that runs out fails with [`Error::is_tls`] and [`Error::is_timeout`], and a message that
    /// says the server accepted the connection but did not finish the handshake.
    #[cfg(feature = "tls")]
    pub fn tls_handshake_timeout(mut self, timeout: Duration) -> Builder {
        self.tls_handshake_timeout = Some(timeout);
        self
    }

    /// Checks the configuration and builds the client, whose pool starts its reaper on the
    /// spawner.
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`] for a missing runtime, a zero limit or a zero duration, or a
    /// `tls_handshake_timeout` above the connect timeout; the message names the setting to
    /// change.
    pub fn build(self) -> Result<Client, Error> {
        let (Some(clock), Some(spawner), Some(dial)) = (self.clock, self.spawner, self.dial) else {
            return Err(Error::build(
                "no runtime: call .runtime(rt) with a fusebox-tokio or fusebox-smol runtime, \
                 or .clock(..), .spawner(..) and .dial(..)",
            ));
        };
        let positive = |ok: bool, what: &str| {
            if ok {
                Ok(())
            } else {
                Err(Error::build(format_args!(
                    "{what} must be greater than zero"
                )))
            }
        };
        positive(self.max_per_host > 0, "max_per_host")?;
        positive(self.max_total != Some(0), "max_total")?;
        positive(!self.idle_timeout.is_zero(), "idle_timeout")?;
        positive(!self.connect_timeout.is_zero(), "connect_timeout")?;
        positive(!self.request_timeout.is_zero(), "request_timeout")?;
        positive(!self.reap_interval.is_zero(), "reap_interval")?;
        positive(self.max_headers > 0, "max_headers")?;
        let pool_timeout = self.pool_timeout.unwrap_or(self.request_timeout / 2);
        positive(!pool_timeout.is_zero(), "pool_timeout")?;
        if self.max_head_size < MIN_HEAD_SIZE {
            return Err(Error::build(format_args!(
                "max_head_size ({}) is below {MIN_HEAD_SIZE} bytes, the least a response head \
                 may be given: raise max_head_size",
                self.max_head_size
            )));
        }
        if let Some(total) = self.max_total.filter(|&t| t < self.max_per_host) {
            return Err(Error::build(format_args!(
                "max_total ({total}) is below max_per_host ({}): raise max_total or lower max_per_host",
                self.max_per_host
            )));
        }
        let mut default_headers = self.default_headers;
        match self.user_agent {
            Ok(agent) => {
                default_headers.entry(USER_AGENT).or_insert(agent);
            }
            Err(()) => {
                return Err(Error::build(
                    "user_agent is not a valid header value: use visible ASCII characters",
                ));
            }
        }
        let connector = Connector::new(dial, spawner.clone())
            .idle_cap(self.idle_timeout)
            .head_limits(self.max_head_size, self.max_headers)
            .within_connect_timeout(self.connect_timeout, clock.clone());
        #[cfg(feature = "tls")]
        let connector = {
            let mut connector = connector;
            if let Some(tls) = self.tls {
                connector = connector.tls(tls);
            }
            if let Some(timeout) = self.tls_handshake_timeout {
                positive(!timeout.is_zero(), "tls_handshake_timeout")?;
                if timeout > self.connect_timeout {
                    return Err(Error::build(format_args!(
                        "tls_handshake_timeout ({timeout:?}) is above connect_timeout ({:?}), \
                         which bounds the handshake too: lower tls_handshake_timeout or raise \
                         connect_timeout",
                        self.connect_timeout
                    )));
                }
                connector = connector.tls_handshake_timeout(timeout, clock.clone());
            }
            connector
        };
        #[cfg(feature = "http2")]
        let connector = connector.http2(self.http2.check("http2_")?, clock.clone());
        let pool_spawner = spawner.clone();
        let mut pool = Pool::builder(connector)
            .max_per_key(self.max_per_host)
            .idle_timeout(self.idle_timeout)
            .reap_interval(self.reap_interval)
            .connect_timeout(self.connect_timeout)
            .clock(clock.clone())
            .spawner(pool_spawner);
        if let Some(total) = self.max_total {
            pool = pool.max_total(total);
        }
        let pool = pool.build().map_err(Error::build)?;
        Ok(Client::from_inner(Inner {
            pool,
            clock,
            spawner,
            request_timeout: self.request_timeout,
            pool_timeout,
            max_body_size: self.max_body_size,
            default_headers,
            max_attempts: self.max_per_host + 1,
            retries: AtomicU64::new(0),
            last_origin: LastOrigin::default(),
        }))
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Builder");
        d.field("has_runtime", &self.dial.is_some())
            .field("max_per_host", &self.max_per_host)
            .field("max_total", &self.max_total)
            .field("idle_timeout", &self.idle_timeout)
            .field("reap_interval", &self.reap_interval)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("pool_timeout", &self.pool_timeout)
            .field("max_body_size", &self.max_body_size)
            .field("max_head_size", &self.max_head_size)
            .field("max_headers", &self.max_headers)
            .field("default_headers", &self.default_headers)
            .field("user_agent", &self.user_agent);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls)
            .field("tls_handshake_timeout", &self.tls_handshake_timeout);
        #[cfg(feature = "http2")]
        d.field("http2", &self.http2);
        d.finish()
    }
}

#[cfg(feature = "http2")]
mod http2;
#[cfg(test)]
mod tests;
