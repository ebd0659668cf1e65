//! [`Negotiated`]: the connection one dial produced, HTTP/1.1 or HTTP/2, as the server chose.

use http::header::HOST;
use http::{Request, Response, Version};
use hyper::body::Incoming;

use crate::http1::{HttpConnection, SendError};
#[cfg(feature = "http2")]
use crate::http2::Http2Connection;
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
    /// response head. On HTTP/1.1 a `Host` header is added if the request has none; on HTTP/2 a
    /// relative URI is completed with the origin.
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
                if !req.headers().contains_key(HOST) {
                    req.headers_mut().insert(HOST, origin.host_header());
                }
                match conn.send(req).await {
                    Ok(response) => Ok(response),
                    Err(SendError::NotSent(_, error) | SendError::Failed { error, .. }) => {
                        Err(error.with_origin(origin))
                    }
                }
            }
            #[cfg(feature = "http2")]
            Negotiated::Http2(conn) => conn.send(req).await,
        }
    }
}
