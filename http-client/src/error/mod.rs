//! The client's errors: the opaque [`Error`] of a request, and [`ConnectError`] of the factory.
//!
//! One fault is one kind, whatever the timing: `kind.rs` sorts what hyper, the socket and the
//! pool report into the kinds the predicates ask about, `display.rs` says each in one line.

mod connect;
mod display;
mod kind;
mod predicates;
mod status;
#[cfg(test)]
mod tests;

use std::error::Error as StdError;
use std::fmt;
use std::time::{Duration, Instant};

use fusebox_core::AcquireError;
use fusebox_core::breaker::OpenError;

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
}
