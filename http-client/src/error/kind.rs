//! What went wrong, as the predicates of [`Error`](super::Error) see it, and how a cause from
//! hyper or the socket is sorted into it.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use super::connect::CertificateProblem;

/// The kind of an [`Error`](super::Error) other than a breaker's fail-fast one.
#[derive(Debug)]
pub(super) enum Kind {
    /// The client's configuration was refused at `build()`: what to change.
    Build(Box<str>),
    /// The request's URI names no origin the client can connect to: what to change.
    InvalidUri(Box<str>),
    /// The request could not be turned into an HTTP/1.1 message.
    InvalidRequest,
    /// No connection could be made.
    Connect(DialFault),
    /// Connecting took longer than the connect timeout.
    ConnectTimeout(Duration),
    /// The TLS handshake failed for another reason than the server's certificate.
    Tls,
    /// The server's certificate was rejected.
    Certificate(Box<CertificateProblem>),
    /// The TLS handshake took longer than its own limit, or (`of_connect`) ran into the connect
    /// timeout.
    TlsTimeout { after: Duration, of_connect: bool },
    /// No pooled connection became free within the pool timeout.
    PoolTimeout(Duration),
    /// The whole request took longer than the client's request timeout, or (`per_request`) the
    /// request's own.
    Timeout { after: Duration, per_request: bool },
    /// The server answered with an error status, as `error_for_status` was asked to report.
    Status(http::StatusCode),
    /// The response body is not what it was to be decoded as (JSON of a type).
    Decode,
    /// A part of the request (`what`: its query, form or JSON body) could not be encoded.
    Encode(&'static str),
    /// The response body is longer than the client's limit.
    BodyTooLarge { limit: usize },
    /// The exchange failed on a connection that had been made.
    Request { fault: Fault, in_body: bool },
    /// The client's pool was closed.
    Closed,
    /// The request asked for HTTP/2, which its origin's connection cannot speak: why.
    Http2Unavailable(NoHttp2),
}

/// Why a connection speaks HTTP/1.1 rather than HTTP/2: what a request that asks for
/// `Version::HTTP_2` is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "http2"), allow(dead_code))]
pub(crate) enum NoHttp2 {
    /// fusebox-http was built without its `http2` feature.
    FeatureOff,
    /// The connection was made for HTTP/1.1 only (by a connector without an
    /// HTTP/2 configuration).
    NotConfigured,
    /// A plain `http` origin, and no prior knowledge that it speaks HTTP/2.
    NoPriorKnowledge,
    /// Over TLS, `h2` was not offered: the configuration does not allow it over ALPN.
    NotOffered,
    /// Over TLS, the server chose `http/1.1` (or nothing) in the handshake.
    ServerChoseHttp1,
}

/// Why a TCP connection could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DialFault {
    /// Nothing listens on the port.
    Refused,
    /// No route to the host or its network.
    Unreachable,
    /// The host name did not resolve.
    Dns,
    /// Anything else the dialer reported.
    Other,
}

/// How an exchange failed on an established connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// The connection was reset (or aborted, or written to after the peer's reset).
    Reset,
    /// The connection was closed before the response was complete.
    Incomplete,
    /// The response head is not HTTP/1.1.
    MalformedHead,
    /// The response head is over the client's limits.
    HeadTooLarge(HeadLimits),
    /// The server did not answer an HTTP/2 keep-alive ping within this timeout: the connection
    /// was closed as dead.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    PingTimeout(Duration),
    /// The HTTP/2 server refused the stream without processing it (`REFUSED_STREAM`, or a
    /// graceful `GOAWAY` below it), and the request was not sent again: no attempts were left,
    /// or its body could not be replayed.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    Refused,
    /// Anything else hyper reported.
    Other,
}

/// The limits on a response head, as the connection was built with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadLimits {
    /// The most bytes of status line and headers.
    pub(crate) max_head_size: usize,
    /// The most header lines.
    pub(crate) max_headers: usize,
}

impl DialFault {
    /// Sorts the IO error of a dial to `host` (a name or an IP literal).
    pub(crate) fn of(e: &io::Error, host: &str) -> DialFault {
        use io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => DialFault::Refused,
            K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
                DialFault::Unreachable
            }
            K::TimedOut | K::PermissionDenied | K::ConnectionReset | K::ConnectionAborted => {
                DialFault::Other
            }
            // Resolvers report a name that did not resolve as an uncategorized or "other" error,
            // or as no address found; an IP literal is never resolved.
            _ if host.parse::<std::net::IpAddr>().is_err() => DialFault::Dns,
            _ => DialFault::Other,
        }
    }
}

/// Whether an IO error says that the peer reset the connection, as a read, a write or a
/// connect sees it.
pub(crate) fn is_reset(kind: io::ErrorKind) -> bool {
    matches!(
        kind,
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

impl Fault {
    /// Sorts a failure of hyper's on a connection. `ended` is how the connection's driver
    /// ended, when it ended with an IO error: hyper reports a request that the closing
    /// connection dropped as canceled or closed, without the cause.
    pub(crate) fn of(e: &hyper::Error, ended: Option<io::ErrorKind>, limits: HeadLimits) -> Fault {
        if e.is_parse() {
            // hyper's client has no predicate for a head over the limits; its message says it.
            if e.to_string().starts_with("message head is too large") {
                return Fault::HeadTooLarge(limits);
            }
            return Fault::MalformedHead;
        }
        if let Some(kind) = io_kind(e) {
            return Fault::of_io(kind);
        }
        if e.is_incomplete_message() {
            return Fault::Incomplete;
        }
        if e.is_canceled() || e.is_closed() {
            return match ended {
                Some(kind) => Fault::of_io(kind),
                None => Fault::Incomplete,
            };
        }
        Fault::Other
    }

    /// Sorts an IO error met during the exchange.
    pub(crate) fn of_io(kind: io::ErrorKind) -> Fault {
        if is_reset(kind) {
            Fault::Reset
        } else if kind == io::ErrorKind::UnexpectedEof {
            Fault::Incomplete
        } else {
            Fault::Other
        }
    }

    /// Whether the connection ended before the response was complete (closed or reset).
    pub(crate) fn is_incomplete(self) -> bool {
        matches!(self, Fault::Reset | Fault::Incomplete)
    }
}

/// The kind of the first IO error in `e`'s chain of causes.
pub(crate) fn io_kind(e: &(dyn StdError + 'static)) -> Option<io::ErrorKind> {
    let mut next = Some(e);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dial_errors_are_sorted_by_kind_and_host() {
        let of = |kind: io::ErrorKind, host| DialFault::of(&kind.into(), host);
        assert_eq!(
            of(io::ErrorKind::ConnectionRefused, "a.test"),
            DialFault::Refused
        );
        assert_eq!(
            of(io::ErrorKind::HostUnreachable, "10.0.0.1"),
            DialFault::Unreachable
        );
        assert_eq!(
            of(io::ErrorKind::NetworkUnreachable, "a.test"),
            DialFault::Unreachable
        );
        assert_eq!(of(io::ErrorKind::Other, "no-such.test"), DialFault::Dns);
        assert_eq!(
            of(io::ErrorKind::InvalidInput, "no-such.test"),
            DialFault::Dns
        );
        assert_eq!(of(io::ErrorKind::Other, "127.0.0.1"), DialFault::Other);
        assert_eq!(of(io::ErrorKind::TimedOut, "a.test"), DialFault::Other);
    }

    #[test]
    fn io_errors_of_the_exchange_are_resets_or_closes() {
        assert_eq!(Fault::of_io(io::ErrorKind::ConnectionReset), Fault::Reset);
        assert_eq!(Fault::of_io(io::ErrorKind::BrokenPipe), Fault::Reset);
        assert_eq!(Fault::of_io(io::ErrorKind::ConnectionAborted), Fault::Reset);
        assert_eq!(
            Fault::of_io(io::ErrorKind::UnexpectedEof),
            Fault::Incomplete
        );
        assert_eq!(Fault::of_io(io::ErrorKind::Other), Fault::Other);
        assert!(Fault::Reset.is_incomplete() && Fault::Incomplete.is_incomplete());
        assert!(!Fault::MalformedHead.is_incomplete() && !Fault::Other.is_incomplete());
    }

    #[test]
    fn the_first_io_error_in_a_chain_is_found() {
        let io = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        let wrapped = io::Error::other(io);
        assert_eq!(io_kind(&wrapped), Some(io::ErrorKind::Other));
        let plain: Box<dyn StdError + Send + Sync> = "not io".into();
        assert_eq!(io_kind(&*plain), None);
    }
}
