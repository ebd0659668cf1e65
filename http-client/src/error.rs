//! The client's errors: the opaque [`Error`] of a request, and [`ConnectError`] of the factory.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::{Duration, Instant};

use fusebox_core::AcquireError;
use fusebox_core::breaker::{OpenError, Trip};

use crate::origin::{Origin, OriginError};

type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a request gave no response, or why a client could not be built.
///
/// Opaque: ask it with the `is_*` methods, print it, or walk [`source`](StdError::source) for the
/// cause. `{}` prints one line saying what went wrong and what to change; `{:#}` adds the chain of
/// causes (`: connection refused (os error 111)`).
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
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    origin: Option<Origin>,
    source: Option<BoxError>,
}

#[derive(Debug)]
enum Kind {
    /// The client's configuration was refused at `build()`: what to change.
    Build(Box<str>),
    /// The request's URI names no origin the client can connect to: what to change.
    InvalidUri(Box<str>),
    /// The request could not be turned into an HTTP/1.1 message.
    InvalidRequest,
    /// No connection could be made: refused, unreachable, name not found, handshake failed.
    Connect,
    /// Connecting took longer than the connect timeout.
    ConnectTimeout(Duration),
    /// The whole request took longer than the request timeout.
    Timeout(Duration),
    /// The response body is longer than the client's limit.
    BodyTooLarge { limit: usize },
    /// The request or the response head failed on the connection.
    Request,
    /// The response body failed midway.
    Body,
    /// The client's pool was closed.
    Closed,
    /// A [`FuseClient`](crate::FuseClient)'s breaker is open: the request was not sent.
    Open { trip: Trip, open_for: Duration },
}

impl Error {
    fn new(kind: Kind) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                origin: None,
                source: None,
            }),
        }
    }

    fn with_source(mut self, source: impl Into<BoxError>) -> Error {
        self.inner.source = Some(source.into());
        self
    }

    pub(crate) fn with_origin(mut self, origin: &Origin) -> Error {
        self.inner.origin = Some(origin.clone());
        self
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

    /// The fail-fast error of an open breaker, at `now`.
    pub(crate) fn open(e: &OpenError, now: Instant) -> Error {
        let trip = *e.trip();
        let open_for = now.saturating_duration_since(trip.since);
        Error::new(Kind::Open { trip, open_for })
    }

    pub(crate) fn timeout(after: Duration) -> Error {
        Error::new(Kind::Timeout(after))
    }

    pub(crate) fn body_too_large(limit: usize) -> Error {
        Error::new(Kind::BodyTooLarge { limit })
    }

    pub(crate) fn request(source: hyper::Error) -> Error {
        Error::new(Kind::Request).with_source(source)
    }

    pub(crate) fn body(source: impl Into<BoxError>) -> Error {
        Error::new(Kind::Body).with_source(source)
    }

    pub(crate) fn acquire(e: AcquireError<ConnectError>) -> Error {
        match e {
            AcquireError::Connect(e) => Error::new(Kind::Connect).with_source(e),
            AcquireError::ConnectTimeout(d) => Error::new(Kind::ConnectTimeout(d)),
            AcquireError::Closed => Error::new(Kind::Closed),
            // The client acquires with `Wait::Forever` under its own deadline, so the pool never
            // times out a wait; anything else the pool may add later is reported as it says.
            other => Error::new(Kind::Request).with_source(other),
        }
    }

    /// Whether a time limit ran out: the request timeout or the connect timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.inner.kind, Kind::Timeout(_) | Kind::ConnectTimeout(_))
    }

    /// Whether no connection could be made to the server: refused, unreachable, unknown host,
    /// failed handshake, or the connect timeout ran out (then [`is_timeout`](Self::is_timeout) is
    /// true too).
    pub fn is_connect(&self) -> bool {
        matches!(self.inner.kind, Kind::Connect | Kind::ConnectTimeout(_))
    }

    /// Whether the response body was longer than the client's `max_body_size`.
    pub fn is_body_too_large(&self) -> bool {
        matches!(self.inner.kind, Kind::BodyTooLarge { .. })
    }

    /// Whether the request or response failed on an open connection: reset, closed midway, or a
    /// malformed response. The body failing midway is [`is_body`](Self::is_body).
    pub fn is_request(&self) -> bool {
        matches!(self.inner.kind, Kind::Request)
    }

    /// Whether reading the response body failed midway (not for a body over the limit).
    pub fn is_body(&self) -> bool {
        matches!(self.inner.kind, Kind::Body)
    }

    /// Whether the request's URI was unusable: relative, without a host, or not `http`.
    pub fn is_invalid_uri(&self) -> bool {
        matches!(self.inner.kind, Kind::InvalidUri(_))
    }

    /// Whether the request could not be sent as HTTP/1.1 (e.g. an unusable header).
    pub fn is_invalid_request(&self) -> bool {
        matches!(self.inner.kind, Kind::InvalidRequest)
    }

    /// Whether the client's connection pool was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self.inner.kind, Kind::Closed)
    }

    /// Whether the client's builder refused its configuration.
    pub fn is_builder(&self) -> bool {
        matches!(self.inner.kind, Kind::Build(_))
    }

    /// Whether a [`FuseClient`](crate::FuseClient) failed the request at once, without sending
    /// it, because its circuit breaker is open; [`trip`](Self::trip) says since when and why.
    pub fn is_open(&self) -> bool {
        matches!(self.inner.kind, Kind::Open { .. })
    }

    /// The trip of the open breaker that failed the request ([`is_open`](Self::is_open)): when
    /// it tripped, after how many failures, and the last failure.
    pub fn trip(&self) -> Option<&Trip> {
        match &self.inner.kind {
            Kind::Open { trip, .. } => Some(trip),
            _ => None,
        }
    }

    /// The origin (`http://host:port`) the request was for, when known.
    pub fn origin(&self) -> Option<&Origin> {
        self.inner.origin.as_ref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = match &self.inner.origin {
            Some(origin) => format!(" {origin}"),
            None => String::new(),
        };
        match &self.inner.kind {
            Kind::Build(why) => write!(f, "invalid client configuration: {why}")?,
            Kind::InvalidUri(why) => write!(f, "unusable request URI: {why}")?,
            Kind::InvalidRequest => f.write_str("the request cannot be sent as HTTP/1.1")?,
            Kind::Connect => write!(
                f,
                "could not connect to{at}: check that the server is up and the address is right"
            )?,
            Kind::ConnectTimeout(d) => write!(
                f,
                "connecting to{at} took longer than the connect timeout of {d:?}: \
                 check that the server is reachable or raise connect_timeout"
            )?,
            Kind::Timeout(d) => write!(
                f,
                "no complete response from{at} within the request timeout of {d:?}: \
                 raise request_timeout or check the server"
            )?,
            Kind::BodyTooLarge { limit } => write!(
                f,
                "the response body from{at} is larger than max_body_size ({limit} bytes): \
                 raise max_body_size"
            )?,
            Kind::Request => write!(f, "the request to{at} failed on the connection")?,
            Kind::Body => write!(f, "reading the response body from{at} failed")?,
            Kind::Closed => f.write_str("the client's connection pool is closed")?,
            Kind::Open { trip, open_for } => write!(
                f,
                "service{at} is open: its circuit breaker tripped {open_for:.1?} ago after {} \
                 consecutive failures (last: {}); requests fail at once until its health probe \
                 succeeds",
                trip.failures, trip.reason
            )?,
        }
        if f.alternate() {
            let mut source = StdError::source(self);
            while let Some(e) = source {
                write!(f, ": {e}")?;
                source = e.source();
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind);
        if let Some(origin) = &self.inner.origin {
            d.field("origin", &format_args!("{origin}"));
        }
        if let Some(source) = &self.inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// Why the [`Connector`](crate::Connector) could not open a connection: the TCP dial or the
/// HTTP/1.1 handshake failed. The cause is its [`source`](StdError::source).
pub struct ConnectError {
    stage: Stage,
    source: BoxError,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    Dial,
    Handshake,
}

impl ConnectError {
    pub(crate) fn dial(e: io::Error) -> ConnectError {
        ConnectError {
            stage: Stage::Dial,
            source: e.into(),
        }
    }

    pub(crate) fn handshake(e: hyper::Error) -> ConnectError {
        ConnectError {
            stage: Stage::Handshake,
            source: e.into(),
        }
    }

    /// The IO error of the dial (refused, unreachable, unknown host), if that is what failed.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self.stage {
            Stage::Dial => self.source.downcast_ref(),
            Stage::Handshake => None,
        }
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stage {
            Stage::Dial => f.write_str("tcp connect failed"),
            Stage::Handshake => f.write_str("http/1.1 handshake failed"),
        }
    }
}

impl fmt::Debug for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectError")
            .field("stage", &self.stage)
            .field("source", &self.source)
            .finish()
    }
}

impl StdError for ConnectError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_send_sync_and_small() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert_send_sync::<ConnectError>();
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn predicates_follow_the_kind() {
        let origin: Origin = "http://127.0.0.1:1".parse().unwrap();
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let e =
            Error::acquire(AcquireError::Connect(ConnectError::dial(refused))).with_origin(&origin);
        assert!(e.is_connect() && !e.is_timeout());
        assert_eq!(
            e.to_string(),
            "could not connect to http://127.0.0.1:1: check that the server is up and the address is right"
        );
        assert!(format!("{e:#}").ends_with(": tcp connect failed: connection refused"));

        let e = Error::acquire(AcquireError::ConnectTimeout(Duration::from_secs(1)));
        assert!(e.is_connect() && e.is_timeout());
        let e = Error::timeout(Duration::from_secs(2));
        assert!(e.is_timeout() && !e.is_connect());
        assert!(Error::body_too_large(10).is_body_too_large());
        assert!(Error::acquire(AcquireError::Closed).is_closed());
    }
}
