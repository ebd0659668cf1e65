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
    /// The TLS handshake failed for another reason than the server's certificate.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Tls,
    /// The server's certificate was rejected.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Certificate(Box<CertificateProblem>),
    /// The TLS handshake took longer than the client's `tls_handshake_timeout`.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    TlsTimeout(Duration),
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
    Open { open: OpenError, open_for: Duration },
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
        let open_for = now.saturating_duration_since(e.trip().since);
        Error::new(Kind::Open {
            open: e.clone(),
            open_for,
        })
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
            AcquireError::Connect(e) => {
                let kind = match &e.stage {
                    Stage::Dial | Stage::Handshake | Stage::Unsupported => Kind::Connect,
                    Stage::Tls { certificate: None } => Kind::Tls,
                    Stage::Tls {
                        certificate: Some(problem),
                    } => Kind::Certificate(problem.clone()),
                    Stage::TlsTimeout(d) => Kind::TlsTimeout(*d),
                };
                Error::new(kind).with_source(e)
            }
            AcquireError::ConnectTimeout(d) => Error::new(Kind::ConnectTimeout(d)),
            AcquireError::Closed => Error::new(Kind::Closed),
            // The client acquires with `Wait::Forever` under its own deadline, so the pool never
            // times out a wait; anything else the pool may add later is reported as it says.
            other => Error::new(Kind::Request).with_source(other),
        }
    }

    /// Whether a time limit ran out: the request timeout, the connect timeout or the TLS
    /// handshake timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Timeout(_) | Kind::ConnectTimeout(_) | Kind::TlsTimeout(_)
        )
    }

    /// Whether no connection could be made to the server: refused, unreachable, unknown host,
    /// failed handshake (TLS included: [`is_tls`](Self::is_tls)), or the connect timeout ran out
    /// (then [`is_timeout`](Self::is_timeout) is true too).
    pub fn is_connect(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Connect
                | Kind::ConnectTimeout(_)
                | Kind::Tls
                | Kind::Certificate(_)
                | Kind::TlsTimeout(_)
        )
    }

    /// Whether the TLS handshake with an `https` server failed: its certificate was rejected
    /// ([`is_certificate`](Self::is_certificate)), the handshake broke off (a server that does
    /// not speak TLS on that port, no protocol version or cipher in common, a client
    /// certificate it wanted and did not get) or it took longer than `tls_handshake_timeout`.
    /// [`is_connect`](Self::is_connect) is true too.
    pub fn is_tls(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Tls | Kind::Certificate(_) | Kind::TlsTimeout(_)
        )
    }

    /// Whether the server's certificate was rejected: not signed by a trusted root, not valid
    /// for the host name, expired, or otherwise unusable. The message names the host and the
    /// reason; [`is_tls`](Self::is_tls) and [`is_connect`](Self::is_connect) are true too, and
    /// the cause ([`source`](StdError::source) of the [`ConnectError`]) is rustls's error.
    pub fn is_certificate(&self) -> bool {
        matches!(self.inner.kind, Kind::Certificate(_))
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
            Kind::Open { open, .. } => Some(open.trip()),
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
            Kind::Tls => write!(
                f,
                "the tls handshake with{at} failed: check that the server speaks https on that \
                 port, and give a client identity if it asks for one"
            )?,
            Kind::Certificate(problem) => write!(f, "{problem}")?,
            Kind::TlsTimeout(d) => write!(
                f,
                "the tls handshake with{at} took longer than tls_handshake_timeout ({d:?}): \
                 check that the server speaks https on that port or raise tls_handshake_timeout"
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
            Kind::Open { open, open_for } => write!(
                f,
                "not sent to{at}: {open}, {open_for:.1?} ago; requests fail at once until its \
                 health probe succeeds"
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

/// Why the [`Connector`](crate::Connector) could not open a connection: the TCP dial, the TLS
/// handshake or the HTTP/1.1 handshake failed. The cause is its [`source`](StdError::source):
/// for a failed TLS handshake, rustls's `Error` when rustls reported one.
pub struct ConnectError {
    stage: Stage,
    source: BoxError,
}

#[derive(Debug)]
enum Stage {
    Dial,
    /// The TLS handshake failed: the server's certificate was rejected, or something else.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Tls {
        certificate: Option<Box<CertificateProblem>>,
    },
    /// The TLS handshake took longer than its own timeout.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    TlsTimeout(Duration),
    Handshake,
    /// An origin this build cannot connect to (`https` without the `tls` feature).
    Unsupported,
}

/// A rejected server certificate, said for people: the host, what is wrong and what to change.
#[derive(Debug, Clone)]
pub(crate) struct CertificateProblem {
    /// The host name the certificate was checked for.
    pub(crate) host: Box<str>,
    /// What is wrong, ending with rustls's name for it: `it has expired (Expired)`.
    pub(crate) reason: String,
    /// What to change.
    pub(crate) advice: &'static str,
}

impl fmt::Display for CertificateProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "certificate for host {} is not trusted: {}: {}",
            self.host, self.reason, self.advice
        )
    }
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

    /// The TLS handshake failed with `source`; `certificate` says why, if the server's
    /// certificate was rejected.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls(source: BoxError, certificate: Option<CertificateProblem>) -> ConnectError {
        ConnectError {
            stage: Stage::Tls {
                certificate: certificate.map(Box::new),
            },
            source,
        }
    }

    /// The TLS handshake took longer than `after`.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls_timeout(after: Duration) -> ConnectError {
        ConnectError {
            stage: Stage::TlsTimeout(after),
            source: io::Error::new(io::ErrorKind::TimedOut, "tls handshake timed out").into(),
        }
    }

    /// The origin cannot be connected to by this build.
    pub(crate) fn unsupported(e: OriginError) -> ConnectError {
        ConnectError {
            stage: Stage::Unsupported,
            source: e.into(),
        }
    }

    /// The IO error of the dial (refused, unreachable, unknown host), if that is what failed.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self.stage {
            Stage::Dial => self.source.downcast_ref(),
            _ => None,
        }
    }

    /// Whether the TLS handshake failed or timed out.
    pub fn is_tls(&self) -> bool {
        matches!(self.stage, Stage::Tls { .. } | Stage::TlsTimeout(_))
    }

    /// Whether the TLS handshake failed because the server's certificate was rejected.
    pub fn is_certificate(&self) -> bool {
        matches!(
            self.stage,
            Stage::Tls {
                certificate: Some(_)
            }
        )
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.stage {
            Stage::Dial => f.write_str("tcp connect failed"),
            Stage::Tls { certificate: None } => f.write_str("tls handshake failed"),
            Stage::Tls {
                certificate: Some(problem),
            } => write!(
                f,
                "tls handshake failed: certificate for host {} rejected",
                problem.host
            ),
            Stage::TlsTimeout(d) => write!(f, "tls handshake took longer than {d:?}"),
            Stage::Handshake => f.write_str("http/1.1 handshake failed"),
            Stage::Unsupported => f.write_str("cannot connect to this origin"),
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
        assert!(!Error::timeout(Duration::from_secs(2)).is_tls());
    }

    #[test]
    fn tls_failures_are_connect_failures_with_their_own_message() {
        let origin: Origin = "https://svc.test:8443".parse().unwrap();
        let problem = CertificateProblem {
            host: "svc.test".into(),
            reason: "it has expired (Expired)".into(),
            advice: "the server's certificate must be renewed",
        };
        let cause: BoxError = "invalid peer certificate: Expired".into();
        let e = Error::acquire(AcquireError::Connect(ConnectError::tls(
            cause,
            Some(problem),
        )))
        .with_origin(&origin);
        assert!(e.is_connect() && e.is_tls() && e.is_certificate() && !e.is_timeout());
        assert_eq!(
            e.to_string(),
            "certificate for host svc.test is not trusted: it has expired (Expired): the \
             server's certificate must be renewed"
        );
        assert!(format!("{e:#}").ends_with(
            ": tls handshake failed: certificate for host svc.test rejected: invalid peer \
             certificate: Expired"
        ));

        let e = Error::acquire(AcquireError::Connect(ConnectError::tls(
            "received corrupt message".into(),
            None,
        )))
        .with_origin(&origin);
        assert!(e.is_connect() && e.is_tls() && !e.is_certificate());
        assert!(
            e.to_string()
                .starts_with("the tls handshake with https://svc.test:8443 failed")
        );

        let e = Error::acquire(AcquireError::Connect(ConnectError::tls_timeout(
            Duration::from_secs(1),
        )));
        assert!(e.is_connect() && e.is_tls() && e.is_timeout() && !e.is_certificate());
        assert!(e.to_string().contains("tls_handshake_timeout (1s)"));

        let e = ConnectError::unsupported(OriginError::TlsDisabled);
        assert!(!e.is_tls() && e.io_error().is_none());
        assert!(Error::acquire(AcquireError::Connect(e)).is_connect());
    }
}
