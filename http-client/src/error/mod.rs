//! The client's errors: the opaque [`Error`] of a request, and [`ConnectError`] of the factory.
//!
//! One fault is one kind, whatever the timing: `kind.rs` sorts what hyper, the socket and the
//! pool report into the kinds the predicates ask about, `display.rs` says each in one line.

mod connect;
mod display;
mod kind;
mod status;
#[cfg(test)]
mod tests;

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, Instant};

use fusebox_core::AcquireError;
use fusebox_core::breaker::{OpenError, Trip};

#[cfg_attr(not(feature = "tls"), allow(unused_imports))]
pub(crate) use connect::CertificateProblem;
pub use connect::ConnectError;
#[cfg(feature = "tls")]
pub(crate) use kind::is_reset;
pub(crate) use kind::{Fault, HeadLimits, NoHttp2, io_kind};

use crate::origin::{Origin, OriginError};
use connect::Stage;
use kind::{DialFault, Kind};

type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a request gave no response, or why a client could not be built.
///
/// Opaque: ask it with the `is_*` methods, print it, or walk [`source`](StdError::source) for the
/// cause. `{}` prints one line in fusebox's words: what failed, for which origin, and what to
/// change; `{:#}` adds the chain of causes (`: tcp connect failed: connection refused`).
///
/// The kinds, and the predicates that are true for each:
///
/// | what happened | predicates |
/// | --- | --- |
/// | no connection could be made | [`is_connect`](Self::is_connect), with [`is_refused`](Self::is_refused), [`is_unreachable`](Self::is_unreachable), [`is_dns`](Self::is_dns), [`is_tls`](Self::is_tls) / [`is_certificate`](Self::is_certificate), or [`is_timeout`](Self::is_timeout) for the connect or TLS handshake timeout |
/// | the exchange failed on a connection that was made | [`is_request`](Self::is_request), with [`is_incomplete`](Self::is_incomplete) (closed or reset before the response was complete; [`is_reset`](Self::is_reset) when a reset was seen), [`is_malformed`](Self::is_malformed), [`is_head_too_large`](Self::is_head_too_large); [`is_body`](Self::is_body) when it happened while the body was read |
/// | no pooled connection became free in time | [`is_pool_timeout`](Self::is_pool_timeout) and [`is_timeout`](Self::is_timeout) |
/// | the request timeout ran out (the client's, or the request's own, before or while the body streamed) | [`is_timeout`](Self::is_timeout) |
/// | `error_for_status` met a 4xx or 5xx | [`is_status`](Self::is_status), and [`status`](Self::status) |
/// | a body could not be decoded (`json()`) | [`is_decode`](Self::is_decode) |
/// | a header, query, form or JSON body of a built request was unusable | [`is_invalid_request`](Self::is_invalid_request) |
/// | the response body was over the limit | [`is_body_too_large`](Self::is_body_too_large) |
/// | a breaker failed the request at once | [`is_open`](Self::is_open) |
///
/// A server that accepts a connection and resets it at once is always [`is_request`] and
/// [`is_reset`](Self::is_reset), never a connect error: it did accept. A server that closes is
/// [`is_incomplete`](Self::is_incomplete); whether a reset is seen too depends on TCP timing
/// (writing to a closed connection draws a reset), so branch on `is_incomplete` for both.
///
/// [`is_request`]: Self::is_request
///
/// ```
/// # async fn demo(client: fusebox_http::Client) {
/// match client.get("http://127.0.0.1:9/").await {
///     Ok(response) => println!("status {}", response.status()),
///     Err(e) if e.is_connect() => eprintln!("server down? {e:#}"),
///     Err(e) if e.is_timeout() => eprintln!("too slow: {e}"),
///     Err(e) => eprintln!("{e:#}"),
/// }
/// # }
/// ```
pub struct Error {
    repr: Repr,
}

/// A breaker's fail-fast error is kept inline, so that making and dropping one allocates
/// nothing; every other error is boxed, so that a `Result` stays small on the fast path.
enum Repr {
    Open(Open),
    Other(Box<Inner>),
}

/// An open breaker's answer: the trip, how long it has been open, and the service's origin.
struct Open {
    refusal: OpenError,
    open_for: Duration,
    origin: Option<Origin>,
}

struct Inner {
    kind: Kind,
    origin: Option<Origin>,
    source: Option<BoxError>,
}

impl Error {
    fn new(kind: Kind) -> Error {
        Error {
            repr: Repr::Other(Box::new(Inner {
                kind,
                origin: None,
                source: None,
            })),
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        if let Repr::Other(inner) = &mut self.repr {
            inner.source = Some(source.into());
        }
        self
    }

    /// Names the origin the request was for. Allocates nothing: an [`Origin`] clone shares its
    /// host.
    pub(crate) fn with_origin(mut self, origin: &Origin) -> Error {
        match &mut self.repr {
            Repr::Open(open) => open.origin = Some(origin.clone()),
            Repr::Other(inner) => inner.origin = Some(origin.clone()),
        }
        self
    }

    fn kind(&self) -> Option<&Kind> {
        match &self.repr {
            Repr::Other(inner) => Some(&inner.kind),
            Repr::Open(_) => None,
        }
    }

    pub(crate) fn build(message: impl fmt::Display) -> Error {
        Error::new(Kind::Build(message.to_string().into_boxed_str()))
    }

    pub(crate) fn invalid_uri(e: OriginError) -> Error {
        let error = Error::new(Kind::InvalidUri(e.to_string().into_boxed_str()));
        match e {
            OriginError::InvalidUri(cause) => error.with_source(cause),
            _ => error,
        }
    }

    /// A URI that did not even parse, as `http::Request`'s builder reports it.
    pub(crate) fn unparsed_uri(cause: http::Error) -> Error {
        Error::new(Kind::InvalidUri("not a valid URI".into())).with_source(cause)
    }

    pub(crate) fn invalid_request(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::InvalidRequest).with_source(source)
    }

    /// A URI the client cannot use, with what to change.
    pub(crate) fn unusable_uri(why: impl fmt::Display) -> Error {
        Error::new(Kind::InvalidUri(why.to_string().into_boxed_str()))
    }

    /// The fail-fast error of an open breaker, at `now`. Allocates nothing, and neither does
    /// [`with_origin`](Self::with_origin) on it.
    pub(crate) fn open(e: &OpenError, now: Instant) -> Error {
        let open_for = now.saturating_duration_since(e.trip().since);
        Error {
            repr: Repr::Open(Open {
                refusal: e.clone(),
                open_for,
                origin: None,
            }),
        }
    }

    #[cfg(test)]
    pub(crate) fn timeout(after: Duration) -> Error {
        Error::timeout_of(after, false)
    }

    /// The request timeout ran out: the client's, or (`per_request`) the request's own.
    pub(crate) fn timeout_of(after: Duration, per_request: bool) -> Error {
        Error::new(Kind::Timeout { after, per_request })
    }

    /// No pooled connection became free within `after`.
    pub(crate) fn pool_timeout(after: Duration) -> Error {
        Error::new(Kind::PoolTimeout(after))
    }

    pub(crate) fn body_too_large(limit: usize) -> Error {
        Error::new(Kind::BodyTooLarge { limit })
    }

    /// The request asked for HTTP/2, which cannot be had, as `why` says.
    pub(crate) fn http2_unavailable(why: NoHttp2) -> Error {
        Error::new(Kind::Http2Unavailable(why))
    }

    /// The exchange failed on an established connection, as `fault` says; `in_body` when the
    /// response head had arrived and its body was being read.
    pub(crate) fn on_connection(fault: Fault, in_body: bool, source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Request { fault, in_body }).with_source(source)
    }

    pub(crate) fn acquire(e: AcquireError<ConnectError>) -> Error {
        match e {
            AcquireError::Connect(e) => {
                let kind = match &e.stage {
                    Stage::Dial(fault) => Kind::Connect(*fault),
                    Stage::Handshake | Stage::Unsupported => Kind::Connect(DialFault::Other),
                    Stage::Reset => Kind::Request {
                        fault: Fault::Reset,
                        in_body: false,
                    },
                    Stage::Tls { certificate: None } => Kind::Tls,
                    Stage::Tls {
                        certificate: Some(problem),
                    } => Kind::Certificate(problem.clone()),
                    Stage::TlsTimeout { after, of_connect } => Kind::TlsTimeout {
                        after: *after,
                        of_connect: *of_connect,
                    },
                };
                Error::new(kind).with_source(e)
            }
            AcquireError::ConnectTimeout(d) => Error::new(Kind::ConnectTimeout(d)),
            AcquireError::Timeout { waited } => Error::pool_timeout(waited),
            AcquireError::Closed => Error::new(Kind::Closed),
            other => Error::new(Kind::Request {
                fault: Fault::Other,
                in_body: false,
            })
            .with_source(other),
        }
    }

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
    /// the cause ([`source`](StdError::source) of the [`ConnectError`]) is rustls's error.
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
