//! [`Http2Config`]: when a connection speaks HTTP/2, and how it checks that its peer is alive.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{Error, Origin, Scheme};

/// How long a ping may go unanswered, unless set: hyper's default.
const DEFAULT_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// When the [`Connector`](crate::conn::Connector)'s
/// [`connect_negotiated`](crate::conn::Connector::connect_negotiated) speaks HTTP/2, and the
/// keep-alive pings of its HTTP/2 connections; made by [`Http2Config::builder`].
///
/// - Over TLS, ALPN offers `h2` and `http/1.1` (unless [`over_alpn(false)`](Http2ConfigBuilder::over_alpn)),
///   and the connection speaks what the server chose.
/// - Over plain TCP, HTTP/2 only with prior knowledge: for every origin
///   ([`prior_knowledge`](Http2ConfigBuilder::prior_knowledge)) or for some
///   ([`prior_knowledge_for`](Http2ConfigBuilder::prior_knowledge_for)); otherwise HTTP/1.1.
/// - With a [`keep_alive_interval`](Http2ConfigBuilder::keep_alive_interval), a connection
///   sends a `PING` when it has read nothing for that long, and closes when no answer comes
///   within the [`keep_alive_timeout`](Http2ConfigBuilder::keep_alive_timeout): its streams
///   fail with [`Error::is_ping_timeout`].
///
/// ```
/// use std::time::Duration;
/// use fusebox_http::conn::Http2Config;
///
/// let config = Http2Config::builder()
///     .prior_knowledge_for("http://127.0.0.1:8080".parse().unwrap())
///     .keep_alive_interval(Duration::from_secs(10))
///     .keep_alive_timeout(Duration::from_secs(5))
///     .build()
///     .unwrap();
/// assert!(config.speaks_http2_plain(&"http://127.0.0.1:8080".parse().unwrap()));
/// assert!(!config.speaks_http2_plain(&"http://127.0.0.1:9090".parse().unwrap()));
///
/// let zero = Http2Config::builder().keep_alive_interval(Duration::ZERO).build();
/// assert!(zero.unwrap_err().is_builder());
/// ```
#[derive(Clone)]
pub struct Http2Config {
    inner: Arc<Settings>,
}

/// The checked settings, shared by the clones of a config.
#[derive(Debug, Clone, Default)]
struct Settings {
    prior_knowledge: bool,
    prior_knowledge_for: HashSet<Origin>,
    /// Whether ALPN may offer `h2`. `Default` leaves it off; the builder starts with it on.
    over_alpn: bool,
    keep_alive: Option<KeepAlive>,
}

/// The keep-alive pings of an HTTP/2 connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeepAlive {
    /// How long the connection may read nothing before it sends a ping.
    pub(crate) interval: Duration,
    /// How long a ping may go unanswered before the connection closes.
    pub(crate) timeout: Duration,
    /// Whether to ping while no stream is open.
    pub(crate) while_idle: bool,
}

impl Http2Config {
    /// Starts configuring HTTP/2: `h2` offered over ALPN, no prior knowledge, no pings.
    pub fn builder() -> Http2ConfigBuilder {
        Http2ConfigBuilder {
            settings: Settings {
                over_alpn: true,
                ..Settings::default()
            },
            keep_alive_interval: None,
            keep_alive_timeout: None,
            keep_alive_while_idle: false,
        }
    }

    /// Whether a plain `http` connection to `origin` speaks HTTP/2 (prior knowledge).
    pub fn speaks_http2_plain(&self, origin: &Origin) -> bool {
        origin.scheme() == Scheme::Http
            && (self.inner.prior_knowledge || self.inner.prior_knowledge_for.contains(origin))
    }

    /// Whether a TLS handshake offers `h2` by ALPN.
    pub fn offers_h2_over_alpn(&self) -> bool {
        self.inner.over_alpn
    }

    /// The keep-alive pings, if they are on.
    pub(crate) fn keep_alive(&self) -> Option<KeepAlive> {
        self.inner.keep_alive
    }
}

impl fmt::Debug for Http2Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http2Config")
            .field("prior_knowledge", &self.inner.prior_knowledge)
            .field("prior_knowledge_for", &self.inner.prior_knowledge_for.len())
            .field("over_alpn", &self.inner.over_alpn)
            .field("keep_alive", &self.inner.keep_alive)
            .finish()
    }
}

/// Configures an [`Http2Config`]; made by [`Http2Config::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until .build() is called"]
pub struct Http2ConfigBuilder {
    settings: Settings,
    keep_alive_interval: Option<Duration>,
    keep_alive_timeout: Option<Duration>,
    keep_alive_while_idle: bool,
}

impl Http2ConfigBuilder {
    /// Speaks HTTP/2 from the first byte on every plain `http` connection, without asking: for
    /// servers known to speak it (prior knowledge, RFC 9113 section 3.3). A server that does
    /// not fails the connection's first request.
    pub fn prior_knowledge(mut self) -> Http2ConfigBuilder {
        self.settings.prior_knowledge = true;
        self
    }

    /// As [`prior_knowledge`](Self::prior_knowledge), for plain connections to `origin` only.
    /// May be called many times.
    pub fn prior_knowledge_for(mut self, origin: Origin) -> Http2ConfigBuilder {
        self.settings.prior_knowledge_for.insert(origin);
        self
    }

    /// Whether TLS handshakes offer `h2` by ALPN (default: yes). Off, `https` connections speak
    /// HTTP/1.1.
    pub fn over_alpn(mut self, allow: bool) -> Http2ConfigBuilder {
        self.settings.over_alpn = allow;
        self
    }

    /// Sends a `PING` on a connection that has read nothing for `interval`; unset, no pings.
    pub fn keep_alive_interval(mut self, interval: Duration) -> Http2ConfigBuilder {
        self.keep_alive_interval = Some(interval);
        self
    }

    /// How long a ping may go unanswered before the connection is closed as dead (default
    /// 20 s). Needs a [`keep_alive_interval`](Self::keep_alive_interval).
    pub fn keep_alive_timeout(mut self, timeout: Duration) -> Http2ConfigBuilder {
        self.keep_alive_timeout = Some(timeout);
        self
    }

    /// Whether to ping while no stream is open too (default: no), to find dead idle connections
    /// before a request does. Off, hyper arms the first ping only when its connection task runs
    /// with a stream open, which a request sent on a quiet connection may not bring about (the
    /// task can write the request just before hyper counts its stream): turn it on when the
    /// first request on a connection must be covered by the pings too.
    pub fn keep_alive_while_idle(mut self, enabled: bool) -> Http2ConfigBuilder {
        self.keep_alive_while_idle = enabled;
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`] for a zero keep-alive interval or timeout, or a timeout without an
    /// interval; the message names the setting to change.
    pub fn build(self) -> Result<Http2Config, Error> {
        self.check("")
    }

    /// Checks the settings, naming them with `prefix` (`http2_` for the client's builder).
    pub(crate) fn check(mut self, prefix: &str) -> Result<Http2Config, Error> {
        if self.keep_alive_interval == Some(Duration::ZERO) {
            return Err(Error::build(format_args!(
                "{prefix}keep_alive_interval must be greater than zero: a zero interval would \
                 ping without pause"
            )));
        }
        if self.keep_alive_timeout == Some(Duration::ZERO) {
            return Err(Error::build(format_args!(
                "{prefix}keep_alive_timeout must be greater than zero"
            )));
        }
        self.settings.keep_alive = match (self.keep_alive_interval, self.keep_alive_timeout) {
            (Some(interval), timeout) => Some(KeepAlive {
                interval,
                timeout: timeout.unwrap_or(DEFAULT_KEEP_ALIVE_TIMEOUT),
                while_idle: self.keep_alive_while_idle,
            }),
            (None, Some(_)) => {
                return Err(Error::build(format_args!(
                    "{prefix}keep_alive_timeout is set but no {prefix}keep_alive_interval: \
                     set the interval too, or pings are never sent"
                )));
            }
            (None, None) => None,
        };
        Ok(Http2Config {
            inner: Arc::new(self.settings),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(s: &str) -> Origin {
        s.parse().unwrap()
    }

    #[test]
    fn prior_knowledge_is_for_plain_origins_only() {
        let all = Http2Config::builder().prior_knowledge().build().unwrap();
        assert!(all.speaks_http2_plain(&origin("http://a.test:80")));
        assert!(!all.speaks_http2_plain(&origin("https://a.test:443")));
        let one = Http2Config::builder()
            .prior_knowledge_for(origin("http://a.test:8080"))
            .build()
            .unwrap();
        assert!(one.speaks_http2_plain(&origin("http://a.test:8080")));
        assert!(!one.speaks_http2_plain(&origin("http://a.test:8081")));
        assert!(one.offers_h2_over_alpn());
        let none = Http2Config::builder().over_alpn(false).build().unwrap();
        assert!(!none.offers_h2_over_alpn());
        assert!(!none.speaks_http2_plain(&origin("http://a.test:80")));
    }

    #[test]
    fn keep_alive_is_checked() {
        let secs = Duration::from_secs;
        let on = Http2Config::builder()
            .keep_alive_interval(secs(10))
            .build()
            .unwrap();
        let ka = on.keep_alive().unwrap();
        assert_eq!(
            (ka.interval, ka.timeout, ka.while_idle),
            (secs(10), secs(20), false)
        );
        assert_eq!(Http2Config::builder().build().unwrap().keep_alive(), None);
        let message = |b: Http2ConfigBuilder| b.check("http2_").unwrap_err().to_string();
        assert_eq!(
            message(Http2Config::builder().keep_alive_interval(Duration::ZERO)),
            "invalid client configuration: http2_keep_alive_interval must be greater than zero: \
             a zero interval would ping without pause"
        );
        assert!(
            message(
                Http2Config::builder()
                    .keep_alive_interval(secs(1))
                    .keep_alive_timeout(Duration::ZERO)
            )
            .ends_with("http2_keep_alive_timeout must be greater than zero")
        );
        assert!(
            message(Http2Config::builder().keep_alive_timeout(secs(1)))
                .contains("set the interval too")
        );
    }
}
