//! [`Negotiated`]: the connection one dial produced, HTTP/1.1 or HTTP/2, as the server chose.

use std::future::Future;
use std::time::Duration;

use fusebox_core::{Connection, Hangup, Multiplex};
use http::header::HeaderMap;
use http::{Request, Response, Version};
use hyper::body::Incoming;

use crate::http1::{HttpConnection, SendError};
#[cfg(feature = "http2")]
use crate::http2::Http2Connection;
use crate::prepare::to_http1;
use crate::{Error, Origin, RequestBody};

/// What [`Connector::connect_negotiated`](crate::conn::Connector::connect_negotiated) made: an
/// HTTP/1.1 connection, which carries one request at a time, or (feature `http2`) an HTTP/2
/// connection, which many requests share.
#[derive(Debug)]
#[non_exhaustive]
pub enum Negotiated {
    /// HTTP/1.1: over plain TCP without prior knowledge of HTTP/2, or over TLS when the server
    /// chose `http/1.1` (or HTTP/2 is off).
    Http1(HttpConnection),
    /// HTTP/2: the server chose `h2` by ALPN, or prior knowledge said so.
    #[cfg(feature = "http2")]
    Http2(Http2Connection),
}

impl Negotiated {
    /// The protocol the connection speaks: `HTTP_11` or `HTTP_2`.
    pub fn version(&self) -> Version {
        match self {
            Negotiated::Http1(_) => Version::HTTP_11,
            #[cfg(feature = "http2")]
            Negotiated::Http2(_) => Version::HTTP_2,
        }
    }

    /// The HTTP/2 connection, for a caller that needs one.
    ///
    /// # Errors
    ///
    /// [`Error::is_http2_unavailable`] for an HTTP/1.1 connection, saying why it is not HTTP/2
    /// (the feature is off, no prior knowledge of a plain origin, the server chose `http/1.1`).
    #[cfg(feature = "http2")]
    pub fn into_http2(self) -> Result<Http2Connection, Error> {
        match self {
            Negotiated::Http2(conn) => Ok(conn),
            Negotiated::Http1(conn) => Err(Error::http2_unavailable(conn.no_http2)),
        }
    }

    /// Sends `req` on the connection, for `origin` (the one it was made to), and waits for the
    /// response head. On HTTP/1.1 an absolute URI goes out in origin form (`/path?query`) and a
    /// `Host` header is added if the request has none; on HTTP/2 a relative URI is completed
    /// with the origin.
    ///
    /// # Errors
    ///
    /// [`Error::is_http2_unavailable`] for a request that asks for `Version::HTTP_2` on an
    /// HTTP/1.1 connection (it is not sent); otherwise the errors of the exchange, as a
    /// [`Client`](crate::Client)'s.
    pub async fn send(
        &mut self,
        origin: &Origin,
        mut req: Request<RequestBody>,
    ) -> Result<Response<Incoming>, Error> {
        match self {
            Negotiated::Http1(conn) => {
                if req.version() == Version::HTTP_2 {
                    return Err(Error::http2_unavailable(conn.no_http2).with_origin(origin));
                }
                to_http1(&mut req, origin);
                match conn.send(req).await {
                    Ok(response) => Ok(response),
                    Err(
                        SendError::NotSent(_, error)
                        | SendError::Refused(error)
                        | SendError::Failed { error, .. },
                    ) => Err(error.with_origin(origin)),
                }
            }
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.send(req).await,
        }
    }
}

/// What the client's exchange needs of either protocol.
impl Negotiated {
    /// Sends a request the client prepared, as [`HttpConnection::send`] does.
    pub(crate) async fn send_pooled(
        &mut self,
        origin: &Origin,
        mut req: Request<RequestBody>,
    ) -> Result<Response<Incoming>, SendError> {
        match self {
            Negotiated::Http1(conn) => {
                if req.version() == Version::HTTP_2 {
                    let error = Error::http2_unavailable(conn.no_http2);
                    return Err(SendError::Failed {
                        error,
                        written: false,
                        answered: false,
                    });
                }
                to_http1(&mut req, origin);
                conn.send(req).await
            }
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.send_pooled(req).await,
        }
    }

    /// Whether a request on it may meet a connection the server has ended without a word to
    /// it: an HTTP/1.1 one that served before (the keep-alive race), any HTTP/2 one (`GOAWAY`).
    pub(crate) fn may_be_stale(&self) -> bool {
        match self {
            Negotiated::Http1(conn) => conn.requests_sent() > 0,
            #[cfg(feature = "http2")]
            Negotiated::Http2(_) => true,
        }
    }

    /// Whether the exchange of a request with these headers, or of a response with these,
    /// leaves the connection open: HTTP/2 streams end alone.
    pub(crate) fn keeps_alive(&self, version: Version, headers: &HeaderMap) -> bool {
        match self {
            Negotiated::Http1(_) => HttpConnection::keeps_alive(version, headers),
            #[cfg(feature = "http2")]
            Negotiated::Http2(_) => true,
        }
    }

    /// Sorts a failure while the response body was read.
    pub(crate) fn classify_body(&self, e: Box<dyn std::error::Error + Send + Sync>) -> Error {
        match self {
            Negotiated::Http1(conn) => conn.classify_body(e),
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.classify_body(e),
        }
    }

    /// Takes the idle timeout a response announced, on HTTP/1.1.
    pub(crate) fn learn_keep_alive(&mut self, headers: &HeaderMap) {
        match self {
            Negotiated::Http1(conn) => conn.learn_keep_alive(headers),
            #[cfg(feature = "http2")]
            Negotiated::Http2(_) => {}
        }
    }

    /// Whether it is shared by many requests at once: a request that ends early (dropped, or a
    /// body not read) only resets its own stream then, and leaves the connection to the pool.
    pub(crate) fn is_shared(&self) -> bool {
        !matches!(self, Negotiated::Http1(_))
    }
}

/// Either protocol, to the pool: an HTTP/2 connection is multiplexed, its streams handed out to
/// as many requests at once as the server allows.
impl Connection for Negotiated {
    fn is_usable(&self) -> bool {
        match self {
            Negotiated::Http1(conn) => conn.is_usable(),
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.is_usable(),
        }
    }

    fn idle_timeout(&self) -> Option<Duration> {
        match self {
            Negotiated::Http1(conn) => conn.idle_timeout(),
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.idle_timeout(),
        }
    }

    fn watch_hangup(&mut self, hangup: Hangup) {
        match self {
            Negotiated::Http1(conn) => conn.watch_hangup(hangup),
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.watch_hangup(hangup),
        }
    }

    /// For HTTP/2: as many streams as the server allows, each on a clone of the connection.
    /// The limit is read again as each stream comes back: hyper assumes 100 until the server's
    /// `SETTINGS` arrive, which is usually after the connection is made, and a server may
    /// change it later (requests past its limit meanwhile wait in hyper).
    fn multiplex(&self) -> Option<Multiplex<Self>> {
        match self {
            Negotiated::Http1(_) => None,
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => {
                let streams = conn.max_concurrent_streams();
                let (share, limit) = (conn.clone(), conn.clone());
                let mux = Multiplex::new(streams, move || Some(Negotiated::Http2(share.clone())));
                Some(mux.with_limit(move || limit.max_concurrent_streams()))
            }
        }
    }

    fn close(self) -> impl Future<Output = ()> + Send + 'static {
        let closing: fusebox_core::rt::BoxFuture<'static, ()> = match self {
            Negotiated::Http1(conn) => Box::pin(conn.close()),
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => Box::pin(conn.close()),
        };
        closing
    }
}
