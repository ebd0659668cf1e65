//! [`Response`]: a response whose body streams, with its head at hand.

use std::fmt;

use bytes::Bytes;
use http::{Extensions, HeaderMap, StatusCode, Version};

use crate::{Body, Error, Origin};

/// A response: its head, read, and its [`Body`], streaming.
///
/// The body carries the response's connection until it has been read to its end; read it
/// ([`bytes`](Response::bytes), [`text`](Response::text), `json` (feature `json`), or frame by
/// frame from [`body_mut`](Response::body_mut) or [`into_body`](Response::into_body)) to give
/// the connection back to the pool. A response dropped unread discards it (see [`Body`]).
///
/// ```no_run
/// # async fn demo(client: fusebox_http::Client) -> Result<(), fusebox_http::Error> {
/// let response = client.get("http://127.0.0.1:8080/users/42").await?.error_for_status()?;
/// println!("{} {:?}", response.status(), response.headers().get("content-type"));
/// let text = response.text().await?;
/// # drop(text);
/// # Ok(())
/// # }
/// ```
pub struct Response {
    inner: http::Response<Body>,
    origin: Option<Origin>,
}

impl Response {
    pub(crate) fn new(inner: http::Response<Body>, origin: Origin) -> Response {
        Response {
            inner,
            origin: Some(origin),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.inner.status()
    }

    /// The HTTP version of the response.
    pub fn version(&self) -> Version {
        self.inner.version()
    }

    /// The response's headers.
    pub fn headers(&self) -> &HeaderMap {
        self.inner.headers()
    }

    /// The response's headers, to change.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        self.inner.headers_mut()
    }

    /// The response's extensions.
    pub fn extensions(&self) -> &Extensions {
        self.inner.extensions()
    }

    /// The response's extensions, to change.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        self.inner.extensions_mut()
    }

    /// The origin (`http://host:port`) that answered, when the response came from a client.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// The body, to read frame by frame ([`http_body_util::BodyExt::frame`]).
    pub fn body_mut(&mut self) -> &mut Body {
        self.inner.body_mut()
    }

    /// The body, without the head.
    pub fn into_body(self) -> Body {
        self.inner.into_body()
    }

    /// The `http` crate's response, for code that takes one.
    pub fn into_http(self) -> http::Response<Body> {
        self.inner
    }

    /// Reads the body whole: [`Body::bytes`].
    ///
    /// # Errors
    ///
    /// As [`Body::bytes`].
    pub async fn bytes(self) -> Result<Bytes, Error> {
        self.into_body().bytes().await
    }

    /// Reads the body whole as text: [`Body::text`].
    ///
    /// # Errors
    ///
    /// As [`Body::bytes`].
    pub async fn text(self) -> Result<String, Error> {
        self.into_body().text().await
    }

    /// Reads the body whole and parses it as JSON: [`Body::json`].
    ///
    /// # Errors
    ///
    /// As [`Body::json`].
    #[cfg(feature = "json")]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        self.into_body().json().await
    }

    /// The response if its status is not an error; an [`Error::is_status`] naming the origin
    /// and the status for a 4xx or 5xx one. The body of an error response is dropped, which
    /// discards its connection unless it had ended (an empty body).
    ///
    /// # Errors
    ///
    /// [`Error::is_status`] for a 4xx or 5xx status.
    pub fn error_for_status(self) -> Result<Response, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// As [`error_for_status`](Response::error_for_status), keeping the response.
    ///
    /// # Errors
    ///
    /// [`Error::is_status`] for a 4xx or 5xx status.
    pub fn error_for_status_ref(&self) -> Result<&Response, Error> {
        match self.status_error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    fn status_error(&self) -> Option<Error> {
        let status = self.status();
        if !(status.is_client_error() || status.is_server_error()) {
            return None;
        }
        let e = Error::bad_status(status);
        Some(match &self.origin {
            Some(origin) => e.with_origin(origin),
            None => e,
        })
    }
}

impl From<http::Response<Body>> for Response {
    fn from(inner: http::Response<Body>) -> Response {
        Response {
            inner,
            origin: None,
        }
    }
}

impl From<Response> for http::Response<Body> {
    fn from(response: Response) -> http::Response<Body> {
        response.inner
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Response");
        if let Some(origin) = &self.origin {
            d.field("origin", &format_args!("{origin}"));
        }
        d.field("status", &self.status())
            .field("version", &self.version())
            .field("headers", self.headers())
            .field("body", self.inner.body())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_become_errors() {
        let with = |code: u16| {
            Response::from(
                http::Response::builder()
                    .status(code)
                    .body(Body::empty())
                    .unwrap(),
            )
        };
        assert!(with(200).error_for_status().is_ok());
        assert!(with(302).error_for_status_ref().is_ok());
        let e = with(404).error_for_status().unwrap_err();
        assert!(e.is_status() && !e.is_request());
        assert_eq!(e.status(), Some(StatusCode::NOT_FOUND));
        let e = with(503).error_for_status_ref().unwrap_err();
        assert_eq!(e.to_string(), "the server answered 503 Service Unavailable");
    }
}
