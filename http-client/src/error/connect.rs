//! [`ConnectError`]: why the [`Connector`](crate::conn::Connector) could not open a connection.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use super::BoxError;
use super::kind::{DialFault, is_reset};
use crate::origin::OriginError;

/// Why the [`Connector`](crate::conn::Connector) could not open a connection: the TCP dial, the TLS
/// handshake or the HTTP/1.1 handshake failed. The cause is its [`source`](StdError::source):
/// for a failed TLS handshake, rustls's `Error` when rustls reported one.
pub struct ConnectError {
    pub(super) stage: Stage,
    source: BoxError,
}

#[derive(Debug)]
pub(super) enum Stage {
    /// The TCP dial failed.
    Dial(DialFault),
    /// The server accepted the TCP connection and reset it at once.
    Reset,
    /// The TLS handshake failed: the server's certificate was rejected, or something else.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    Tls {
        certificate: Option<Box<CertificateProblem>>,
    },
    /// The TLS handshake took longer than its own timeout, or (`of_connect`) ran into the
    /// connect timeout.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    TlsTimeout {
        after: Duration,
        of_connect: bool,
    },
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
    /// The dial failed with `e`, the host unknown (so never a name that did not resolve).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn dial(e: io::Error) -> ConnectError {
        ConnectError::dial_to(e, "127.0.0.1")
    }

    /// The dial to `host` failed with `e`. A connection reset while connecting means the
    /// server accepted and reset it: reported like a reset on the connection, so that one
    /// fault is one error whatever the timing.
    pub(crate) fn dial_to(e: io::Error, host: &str) -> ConnectError {
        let stage = if is_reset(e.kind()) {
            Stage::Reset
        } else {
            Stage::Dial(DialFault::of(&e, host))
        };
        ConnectError {
            stage,
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

    /// The TLS handshake took longer than `after`: its own timeout, or the connect timeout
    /// when `of_connect`.
    #[cfg_attr(not(feature = "tls"), allow(dead_code))]
    pub(crate) fn tls_timeout(after: Duration, of_connect: bool) -> ConnectError {
        ConnectError {
            stage: Stage::TlsTimeout { after, of_connect },
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
            Stage::Dial(_) | Stage::Reset => self.source.downcast_ref(),
            _ => None,
        }
    }

    /// Whether the TLS handshake failed or timed out.
    pub fn is_tls(&self) -> bool {
        matches!(self.stage, Stage::Tls { .. } | Stage::TlsTimeout { .. })
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
            Stage::Dial(_) => f.write_str("tcp connect failed"),
            Stage::Reset => f.write_str("the server reset the new connection"),
            Stage::Tls { certificate: None } => f.write_str("tls handshake failed"),
            Stage::Tls {
                certificate: Some(problem),
            } => write!(
                f,
                "tls handshake failed: certificate for host {} rejected",
                problem.host
            ),
            Stage::TlsTimeout { after, .. } => {
                write!(f, "tls handshake took longer than {after:?}")
            }
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
