//! How an [`Error`] prints: one line in fusebox's words (`{}`), then the causes (`{:#}`).

use std::error::Error as StdError;
use std::fmt;

use super::kind::{DialFault, Fault, Kind, NoHttp2};
use super::{Error, Repr};
use crate::origin::Origin;

/// ` http://host:port`, or nothing when the origin is not known.
struct At<'a>(Option<&'a Origin>);

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(origin) => write!(f, " {origin}"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = At(self.origin());
        let kind = match &self.repr {
            Repr::Open(open) => {
                return write!(
                    f,
                    "not sent to{at}: {}, {:.1?} ago; requests fail at once until its health \
                     probe succeeds",
                    open.refusal, open.open_for
                );
            }
            Repr::Other(inner) => &inner.kind,
        };
        describe(kind, &at, self.origin(), f)?;
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

fn describe(
    kind: &Kind,
    at: &At<'_>,
    origin: Option<&Origin>,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    match kind {
        Kind::Build(why) => write!(f, "invalid client configuration: {why}"),
        Kind::InvalidUri(why) => write!(f, "unusable request URI: {why}"),
        Kind::InvalidRequest => {
            f.write_str("the request cannot be sent as HTTP/1.1: check its headers and method")
        }
        Kind::Connect(DialFault::Refused) => write!(
            f,
            "could not connect to{at}: the connection was refused; check that the server is up \
             and listens on that port"
        ),
        Kind::Connect(DialFault::Unreachable) => write!(
            f,
            "could not connect to{at}: the host is unreachable; check the address and the \
             network route to it"
        ),
        Kind::Connect(DialFault::Dns) => match origin {
            Some(origin) => write!(
                f,
                "could not connect to{at}: the host name {} did not resolve; check the name and \
                 the resolver",
                origin.host()
            ),
            None => f.write_str(
                "could not connect: the host name did not resolve; check the name and the \
                 resolver",
            ),
        },
        Kind::Connect(DialFault::Other) => write!(
            f,
            "could not connect to{at}: check that the server is up and the address is right"
        ),
        Kind::ConnectTimeout(d) => write!(
            f,
            "connecting to{at} took longer than the connect timeout of {d:?}: check that the \
             server is reachable or raise connect_timeout"
        ),
        Kind::Tls => write!(
            f,
            "the tls handshake with{at} failed: check that the server speaks https on that \
             port, and give a client identity if it asks for one"
        ),
        Kind::Certificate(problem) => write!(f, "{problem}"),
        Kind::TlsTimeout {
            after,
            of_connect: false,
        } => write!(
            f,
            "the tls handshake with{at} took longer than tls_handshake_timeout ({after:?}): the \
             server accepted the connection but did not finish the handshake; check that it \
             speaks https on that port or raise tls_handshake_timeout"
        ),
        Kind::TlsTimeout {
            after,
            of_connect: true,
        } => write!(
            f,
            "the tls handshake with{at} did not finish within the connect timeout of {after:?}: \
             the server accepted the connection but did not finish the handshake; check that it \
             speaks https on that port or raise connect_timeout"
        ),
        Kind::PoolTimeout(d) => write!(
            f,
            "no connection to{at} became free within the pool timeout of {d:?}; the request \
             was not sent: send fewer requests at once, raise max_per_host or pool_timeout"
        ),
        Kind::Timeout {
            after,
            per_request: false,
        } => write!(
            f,
            "no complete response from{at} within the request timeout of {after:?}: raise \
             request_timeout or check the server"
        ),
        Kind::Timeout {
            after,
            per_request: true,
        } => write!(
            f,
            "no complete response from{at} within the request's own timeout of {after:?}: \
             raise its .timeout() or check the server"
        ),
        Kind::Status(status) => match origin {
            Some(origin) => write!(f, "the server {origin} answered {status}"),
            None => write!(f, "the server answered {status}"),
        },
        Kind::Decode => write!(
            f,
            "the response body from{at} could not be decoded as asked: see the cause"
        ),
        Kind::Encode(what) => write!(
            f,
            "the request's {what} could not be encoded: see the cause"
        ),
        Kind::BodyTooLarge { limit } => write!(
            f,
            "the response body from{at} is larger than max_body_size ({limit} bytes): raise \
             max_body_size"
        ),
        Kind::Request { fault, in_body } => {
            let during = if *in_body {
                "while the response body was read"
            } else {
                "before the response arrived"
            };
            match fault {
                Fault::Reset => write!(
                    f,
                    "the connection to{at} was reset {during}: the server or a proxy dropped it; \
                     check the server's logs"
                ),
                Fault::Incomplete => write!(
                    f,
                    "the connection to{at} was closed {during}: the server ended the exchange \
                     early; check the server's logs"
                ),
                Fault::MalformedHead => write!(
                    f,
                    "the response from{at} is not http/1.1: check that the server speaks plain \
                     http on that port (use https:// for a tls port)"
                ),
                Fault::HeadTooLarge(limits) => write!(
                    f,
                    "the response head from{at} is over max_head_size ({} bytes) or \
                     max_headers ({}): raise the limit it exceeds",
                    limits.max_head_size, limits.max_headers
                ),
                Fault::PingTimeout(timeout) => write!(
                    f,
                    "the http/2 connection to{at} was closed {during}: the server did not answer \
                     a ping within http2_keep_alive_timeout ({timeout:?}); check that it is up \
                     and reachable, or raise http2_keep_alive_timeout"
                ),
                Fault::Refused => write!(
                    f,
                    "the http/2 server at{at} refused the request's stream without processing \
                     it: it is over its stream limit or shutting down; send it again later"
                ),
                Fault::Other => write!(
                    f,
                    "the exchange with{at} failed on the connection {during}: see the cause"
                ),
            }
        }
        Kind::Http2Unavailable(why) => {
            match origin {
                Some(origin) => write!(f, "the request to {origin} asked for http/2, but ")?,
                None => f.write_str("the request asked for http/2, but ")?,
            }
            f.write_str(match why {
                NoHttp2::FeatureOff => {
                    "this build of fusebox-http has no http/2: enable its http2 feature, or \
                     leave the request's version at its default"
                }
                NoHttp2::NotConfigured => {
                    "the connection was made for http/1.1 only: connect with an Http2Config, \
                     or leave the request's version at its default"
                }
                NoHttp2::NoPriorKnowledge => {
                    "the origin is plain http and not known to speak http/2: call \
                     http2_prior_knowledge() (or prior knowledge for this origin), use https, \
                     or leave the request's version at its default"
                }
                NoHttp2::NotOffered => {
                    "h2 was not offered in the tls handshake: allow http/2 over alpn, or leave \
                     the request's version at its default"
                }
                NoHttp2::ServerChoseHttp1 => {
                    "the server chose http/1.1 in the tls handshake: leave the request's \
                     version at its default"
                }
            })
        }
        Kind::Closed => {
            f.write_str("the client's connection pool is closed: use a client that was not closed")
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        match &self.repr {
            Repr::Open(open) => {
                d.field("trip", open.refusal.trip())
                    .field("open_for", &open.open_for);
            }
            Repr::Other(inner) => {
                d.field("kind", &inner.kind);
            }
        }
        if let Some(origin) = self.origin() {
            d.field("origin", &format_args!("{origin}"));
        }
        if let Some(source) = StdError::source(self) {
            d.field("source", &source);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.repr {
            Repr::Other(inner) => inner
                .source
                .as_deref()
                .map(|e| e as &(dyn StdError + 'static)),
            Repr::Open(_) => None,
        }
    }
}
