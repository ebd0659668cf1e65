//! What an [`Error`] says about itself: its kind, as predicates, and what it carries.

use fusebox_core::breaker::Trip;

use super::kind::{DialFault, Kind};
use super::{Error, Fault, Repr};
use crate::origin::Origin;

impl Error {
    /// Whether a time limit ran out: the request timeout, the connect timeout, the TLS
    /// handshake timeout, or the pool timeout (then [`is_pool_timeout`](Self::is_pool_timeout)
    /// is true too).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind(),
            Some(
                Kind::Timeout { .. }
                    | Kind::ConnectTimeout(_)
                    | Kind::TlsTimeout { .. }
                    | Kind::PoolTimeout(_)
            )
        )
    }

    /// Whether the request gave up waiting for a pooled connection: every connection to the
    /// origin was busy for the whole pool timeout. The request was not sent, and the server
    /// was not at fault: the caller asked for more than `max_per_host` connections carry, so
    /// a breaker must not count it as a failure of the service.
    /// [`is_timeout`](Self::is_timeout) is true too; [`is_connect`](Self::is_connect) and
    /// [`is_request`](Self::is_request) are false.
    pub fn is_pool_timeout(&self) -> bool {
        matches!(self.kind(), Some(Kind::PoolTimeout(_)))
    }

    /// Whether no connection could be made to the server: refused, unreachable, unknown host,
    /// failed TLS handshake ([`is_tls`](Self::is_tls)), or the connect timeout ran out (then
    /// [`is_timeout`](Self::is_timeout) is true too).
    pub fn is_connect(&self) -> bool {
        matches!(
            self.kind(),
            Some(
                Kind::Connect(_)
                    | Kind::ConnectTimeout(_)
                    | Kind::Tls
                    | Kind::Certificate(_)
                    | Kind::TlsTimeout { .. }
            )
        )
    }

    /// Whether the connection was refused: nothing listens on the port.
    pub fn is_refused(&self) -> bool {
        matches!(self.kind(), Some(Kind::Connect(DialFault::Refused)))
    }

    /// Whether the host or its network could not be reached.
    pub fn is_unreachable(&self) -> bool {
        matches!(self.kind(), Some(Kind::Connect(DialFault::Unreachable)))
    }

    /// Whether the host name did not resolve to an address.
    pub fn is_dns(&self) -> bool {
        matches!(self.kind(), Some(Kind::Connect(DialFault::Dns)))
    }

    /// Whether the TLS handshake with an `https` server failed: its certificate was rejected
    /// ([`is_certificate`](Self::is_certificate)), the handshake broke off (a server that does
    /// not speak TLS on that port, no protocol version or cipher in common, a client
    /// certificate it wanted and did not get) or it did not finish in time (then
    /// [`is_timeout`](Self::is_timeout) is true too). [`is_connect`](Self::is_connect) is true
    /// too.
    pub fn is_tls(&self) -> bool {
        matches!(
            self.kind(),
            Some(Kind::Tls | Kind::Certificate(_) | Kind::TlsTimeout { .. })
        )
    }

    /// Whether the server's certificate was rejected: not signed by a trusted root, not valid
    /// for the host name, expired, or otherwise unusable. The message names the host and the
    /// reason; [`is_tls`](Self::is_tls) and [`is_connect`](Self::is_connect) are true too, and
    /// the cause ([`source`](std::error::Error::source) of the [`ConnectError`](super::ConnectError)) is rustls's error.
    pub fn is_certificate(&self) -> bool {
        matches!(self.kind(), Some(Kind::Certificate(_)))
    }

    /// Whether the response body was longer than the client's `max_body_size`.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self.kind(), Some(Kind::BodyTooLarge { .. }))
    }

    /// Whether the exchange failed on a connection after it was made: reset or closed before
    /// the response was complete ([`is_incomplete`](Self::is_incomplete)), a response that is
    /// not HTTP/1.1 ([`is_malformed`](Self::is_malformed)) or whose head is over the limits
    /// ([`is_head_too_large`](Self::is_head_too_large)), in the head or in the body
    /// ([`is_body`](Self::is_body)).
    pub fn is_request(&self) -> bool {
        matches!(self.kind(), Some(Kind::Request { .. }))
    }

    /// Whether the connection ended, closed or reset, before the response was complete.
    /// [`is_request`](Self::is_request) is true too, and [`is_reset`](Self::is_reset) when a
    /// reset was seen.
    pub fn is_incomplete(&self) -> bool {
        self.fault().is_some_and(Fault::is_incomplete)
    }

    /// Whether the connection was reset (by the server, or a proxy between): the server
    /// accepted and reset it at once, or reset it during the exchange.
    /// [`is_incomplete`](Self::is_incomplete) and [`is_request`](Self::is_request) are true
    /// too.
    pub fn is_reset(&self) -> bool {
        self.fault() == Some(Fault::Reset)
    }

    /// Whether the response was not HTTP/1.1: a server that speaks another protocol on that
    /// port (TLS, HTTP/2 alone) or a broken one.
    pub fn is_malformed(&self) -> bool {
        self.fault() == Some(Fault::MalformedHead)
    }

    /// Whether the response head was over the client's `max_head_size` or `max_headers`; the
    /// message names both limits.
    pub fn is_head_too_large(&self) -> bool {
        matches!(self.fault(), Some(Fault::HeadTooLarge(_)))
    }

    /// Whether the exchange failed while the response body was read: the head had arrived.
    /// [`is_request`](Self::is_request) is true too. (A body over the limit is
    /// [`is_body_too_large`](Self::is_body_too_large) instead.)
    pub fn is_body(&self) -> bool {
        matches!(self.kind(), Some(Kind::Request { in_body: true, .. }))
    }

    /// Whether an HTTP/2 connection closed because the server did not answer a keep-alive ping
    /// within `http2_keep_alive_timeout`: the peer or the network is gone. Every stream that
    /// was open on it fails with this error; [`is_request`](Self::is_request) is true too (and
    /// [`is_body`](Self::is_body) if the head had arrived), [`is_timeout`](Self::is_timeout) is
    /// not (no request or connect timeout ran out).
    pub fn is_ping_timeout(&self) -> bool {
        matches!(self.fault(), Some(Fault::PingTimeout(_)))
    }

    /// Whether the request asked for HTTP/2 (`Version::HTTP_2`) and its origin's connection
    /// cannot speak it: the `http2` feature is off, a plain `http` origin without prior
    /// knowledge, `h2` not offered over ALPN, or a TLS server that chose `http/1.1`. The message
    /// says which, and what to change; the request was not sent.
    pub fn is_http2_unavailable(&self) -> bool {
        matches!(self.kind(), Some(Kind::Http2Unavailable(_)))
    }

    fn fault(&self) -> Option<Fault> {
        match self.kind() {
            Some(Kind::Request { fault, .. }) => Some(*fault),
            _ => None,
        }
    }

    /// Whether the request's URI was unusable: relative, without a host, with a port out of
    /// range, or not `http`/`https`.
    pub fn is_invalid_uri(&self) -> bool {
        matches!(self.kind(), Some(Kind::InvalidUri(_)))
    }

    /// Whether the request could not be sent as HTTP/1.1 (e.g. an unusable header).
    pub fn is_invalid_request(&self) -> bool {
        matches!(self.kind(), Some(Kind::InvalidRequest | Kind::Encode(_)))
    }

    /// Whether the client's connection pool was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.kind(), Some(Kind::Closed))
    }

    /// Whether the client's builder refused its configuration.
    pub fn is_builder(&self) -> bool {
        matches!(self.kind(), Some(Kind::Build(_)))
    }

    /// Whether a [`FuseClient`](crate::FuseClient) failed the request at once, without sending
    /// it, because its circuit breaker is open; [`trip`](Self::trip) says since when and why.
    ///
    /// Such an answer comes back without yielding to the runtime: a caller that loops on
    /// requests while the breaker is open must back off (sleep, or wait for the breaker)
    /// rather than retry at once, or it spins.
    pub fn is_open(&self) -> bool {
        matches!(self.repr, Repr::Open(_))
    }

    /// The trip of the open breaker that failed the request ([`is_open`](Self::is_open)): when
    /// it tripped, after how many failures, and the last failure.
    pub fn trip(&self) -> Option<&Trip> {
        match &self.repr {
            Repr::Open(open) => Some(open.refusal.trip()),
            Repr::Other(_) => None,
        }
    }

    /// The origin (`http://host:port`) the request was for, when known.
    pub fn origin(&self) -> Option<&Origin> {
        match &self.repr {
            Repr::Open(open) => open.origin.as_ref(),
            Repr::Other(inner) => inner.origin.as_ref(),
        }
    }
}
