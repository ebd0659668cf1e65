//! Configuring a [`Client`], checked when it is built.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::Pool;
use fusebox_core::rt::{Clock, Dial, Runtime, Spawner};

use crate::client::{Client, Inner};
#[cfg(feature = "tls")]
use crate::tls::TlsConfig;
use crate::{Connector, Error};

/// Configures a [`Client`]; made by [`Client::builder`].
///
/// A runtime is required: [`runtime`](Builder::runtime) with `fusebox_tokio::TokioRuntime` or
/// `fusebox_smol::SmolRuntime`, or the clock, spawner and dialer one by one. Defaults:
///
/// | setting | default |
/// | --- | --- |
/// | [`max_per_host`](Builder::max_per_host) | 16 connections per origin |
/// | [`max_total`](Builder::max_total) | no limit over all origins |
/// | [`idle_timeout`](Builder::idle_timeout) | 90 s (shortened by a server's `Keep-Alive: timeout`) |
/// | [`connect_timeout`](Builder::connect_timeout) | 10 s |
/// | [`request_timeout`](Builder::request_timeout) | 30 s |
/// | [`max_body_size`](Builder::max_body_size) | 16 MiB |
/// | `tls` (feature `tls`) | `TlsConfig::default()`: `webpki-roots` roots, SNI, ALPN `http/1.1` |
/// | `tls_handshake_timeout` (feature `tls`) | none of its own: within the connect timeout |
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
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body_size: usize,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
    #[cfg(feature = "tls")]
    tls_handshake_timeout: Option<Duration>,
}

impl Builder {
    pub(crate) fn new() -> Builder {
        Builder {
            clock: None,
            spawner: None,
            dial: None,
            max_per_host: 16,
            max_total: None,
            idle_timeout: Duration::from_secs(90),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body_size: 16 * 1024 * 1024,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            tls_handshake_timeout: None,
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
    pub fn idle_timeout(mut self, timeout: Duration) -> Builder {
        self.idle_timeout = timeout;
        self
    }

    /// How long opening a connection may take: dialing TCP, the TLS handshake of an `https`
    /// origin and the HTTP/1.1 handshake together.
    pub fn connect_timeout(mut self, timeout: Duration) -> Builder {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole request may take, from the call to the last byte of the body: waiting for
    /// a free connection, connecting, sending and reading.
    pub fn request_timeout(mut self, timeout: Duration) -> Builder {
        self.request_timeout = timeout;
        self
    }

    /// The largest response body accepted, in bytes; a longer one fails the request with
    /// [`Error::is_body_too_large`].
    pub fn max_body_size(mut self, bytes: usize) -> Builder {
        self.max_body_size = bytes;
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
        if let Some(total) = self.max_total.filter(|&t| t < self.max_per_host) {
            return Err(Error::build(format_args!(
                "max_total ({total}) is below max_per_host ({}): raise max_total or lower max_per_host",
                self.max_per_host
            )));
        }
        let connector = Connector::new(dial, spawner.clone()).idle_cap(self.idle_timeout);
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
        let pool_spawner = spawner.clone();
        let mut pool = Pool::builder(connector)
            .max_per_key(self.max_per_host)
            .idle_timeout(self.idle_timeout)
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
            max_body_size: self.max_body_size,
            max_attempts: self.max_per_host + 1,
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
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_size", &self.max_body_size);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls)
            .field("tls_handshake_timeout", &self.tls_handshake_timeout);
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fusebox_core::rt::{BoxFuture, BoxIo, ManualClock};
    use std::io;

    #[derive(Debug, Clone)]
    struct Nothing;
    impl Spawner for Nothing {
        fn spawn(&self, _task: BoxFuture<'static, ()>) {}
    }
    impl Dial for Nothing {
        fn dial(&self, _: &str, _: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
            Box::pin(async { Err(io::ErrorKind::Unsupported.into()) })
        }
    }

    fn builder() -> Builder {
        Client::builder()
            .clock(Arc::new(ManualClock::new()))
            .spawner(Arc::new(Nothing))
            .dial(Arc::new(Nothing))
    }

    #[test]
    fn a_runtime_is_required() {
        let e = Client::builder().build().unwrap_err();
        assert!(e.is_builder());
        assert!(e.to_string().contains("call .runtime(rt)"));
        assert!(builder().build().is_ok());
    }

    #[test]
    fn zero_settings_are_refused_by_name() {
        let msg = |b: Builder| b.build().unwrap_err().to_string();
        assert_eq!(
            msg(builder().max_per_host(0)),
            "invalid client configuration: max_per_host must be greater than zero"
        );
        assert!(msg(builder().request_timeout(Duration::ZERO)).contains("request_timeout"));
        assert!(msg(builder().connect_timeout(Duration::ZERO)).contains("connect_timeout"));
        assert!(msg(builder().idle_timeout(Duration::ZERO)).contains("idle_timeout"));
        assert!(msg(builder().max_per_host(4).max_total(2)).contains("raise max_total"));
    }

    #[cfg(feature = "tls")]
    #[test]
    fn tls_handshake_timeout_must_fit_in_the_connect_timeout() {
        let msg = |b: Builder| b.build().unwrap_err().to_string();
        assert!(
            msg(builder().tls_handshake_timeout(Duration::ZERO)).contains("tls_handshake_timeout")
        );
        assert_eq!(
            msg(builder()
                .connect_timeout(Duration::from_secs(2))
                .tls_handshake_timeout(Duration::from_secs(3))),
            "invalid client configuration: tls_handshake_timeout (3s) is above connect_timeout \
             (2s), which bounds the handshake too: lower tls_handshake_timeout or raise \
             connect_timeout"
        );
        assert!(
            builder()
                .connect_timeout(Duration::from_secs(2))
                .tls_handshake_timeout(Duration::from_secs(2))
                .tls(TlsConfig::default())
                .build()
                .is_ok()
        );
    }
}
