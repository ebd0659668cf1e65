//! [`RequestBuilder`]: a request built step by step and sent, in the style of reqwest; and
//! [`Pending`], its sending.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use fusebox_core::rt::BoxFuture;
use http::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use http::uri::PathAndQuery;
use http::{Method, Request, Uri, Version};
use serde::Serialize;

use crate::client::send_timed;
use crate::{Client, Error, FuseClient, RequestBody, Response, Retryable};

/// A request's own timeout, as its builder's [`timeout`](RequestBuilder::timeout) sets it: a
/// request extension that the client takes off before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeout(pub(crate) Duration);

/// Who sends the request.
#[derive(Clone)]
enum Target {
    Client(Client),
    Fuse(FuseClient),
}

/// A request being built, made by [`Client::get`], [`Client::request`], [`FuseClient::get`]
/// and their kin; [`send`](RequestBuilder::send) it, or `.await` it (it is [`IntoFuture`]).
///
/// A step that fails (a header that is not valid, a query that does not encode) does not panic:
/// the error is kept and returned when the request is sent, and later steps do nothing.
///
/// ```no_run
/// use std::time::Duration;
/// use fusebox_http::Client;
/// use fusebox_tokio::TokioRuntime;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fusebox_http::Error> {
/// let client = Client::builder().runtime(TokioRuntime::new()).build()?;
/// let response = client
///     .post("http://127.0.0.1:8080/search")
///     .query(&[("page", "2")])
///     .header("x-trace", "abc")
///     .form(&[("q", "fuse box")])
///     .timeout(Duration::from_secs(2))
///     .send()
///     .await?
///     .error_for_status()?;
/// println!("{}", response.text().await?);
/// # Ok(())
/// # }
/// ```
#[must_use = "a request builder does nothing until it is sent or awaited"]
pub struct RequestBuilder {
    target: Target,
    request: Result<Request<RequestBody>, Error>,
}

impl RequestBuilder {
    pub(crate) fn for_client<U>(client: &Client, method: Method, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .body(RequestBody::empty())
            .map_err(Error::unparsed_uri);
        RequestBuilder {
            target: Target::Client(client.clone()),
            request,
        }
    }

    /// A request to `uri` (absolute, under the service's base URL) for `fuse`; or the error
    /// that the builder keeps (an open breaker's, or a bad path).
    pub(crate) fn for_fuse(
        fuse: &FuseClient,
        method: Method,
        uri: Result<Uri, Error>,
    ) -> RequestBuilder {
        let request = uri.map(|uri| {
            let mut req = Request::new(RequestBody::empty());
            *req.method_mut() = method;
            *req.uri_mut() = uri;
            req
        });
        RequestBuilder {
            target: Target::Fuse(fuse.clone()),
            request,
        }
    }

    fn with(mut self, f: impl FnOnce(&mut Request<RequestBody>) -> Result<(), Error>) -> Self {
        if let Ok(req) = &mut self.request
            && let Err(e) = f(req)
        {
            self.request = Err(e);
        }
        self
    }

    /// Adds a header (after any of the same name). It wins over the client's default of that
    /// name.
    pub fn header<K, V>(self, name: K, value: V) -> RequestBuilder
    where
        K: TryInto<HeaderName>,
        K::Error: Into<http::Error>,
        V: TryInto<HeaderValue>,
        V::Error: Into<http::Error>,
    {
        self.with(|req| {
            let name = name
                .try_into()
                .map_err(|e| Error::invalid_request(e.into()))?;
            let value = value
                .try_into()
                .map_err(|e| Error::invalid_request(e.into()))?;
            req.headers_mut().append(name, value);
            Ok(())
        })
    }

    /// Sets these headers, replacing those of the same names the request had.
    pub fn headers(self, headers: HeaderMap) -> RequestBuilder {
        self.with(|req| {
            let own = req.headers_mut();
            let mut last = None;
            for (name, value) in headers {
                // `None` names continue the values of the last name.
                let name = match name {
                    Some(name) => {
                        own.remove(&name);
                        last = Some(name.clone());
                        name
                    }
                    None => last.clone().expect("a header map's first entry has a name"),
                };
                own.append(name, value);
            }
            Ok(())
        })
    }

    /// Adds `query` (anything serde serializes as a sequence of pairs: `&[("a", "1")]`, a map,
    /// a struct) to the URI's query, URL-encoded with `serde_urlencoded`.
    pub fn query<T: Serialize + ?Sized>(self, query: &T) -> RequestBuilder {
        self.with(|req| {
            let encoded =
                serde_urlencoded::to_string(query).map_err(|e| Error::encode("query", e))?;
            if encoded.is_empty() {
                return Ok(());
            }
            let uri = req.uri().clone();
            let joined = match uri.query() {
                Some(q) if !q.is_empty() => format!("{}?{q}&{encoded}", uri.path()),
                _ => format!("{}?{encoded}", uri.path()),
            };
            let mut parts = uri.into_parts();
            parts.path_and_query =
                Some(PathAndQuery::try_from(joined).map_err(|e| Error::encode("query", e))?);
            *req.uri_mut() = Uri::from_parts(parts).map_err(|e| Error::encode("query", e))?;
            Ok(())
        })
    }

    /// Sends `form` URL-encoded (`serde_urlencoded`) as the body, with
    /// `Content-Type: application/x-www-form-urlencoded`.
    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> RequestBuilder {
        self.with(|req| {
            let encoded =
                serde_urlencoded::to_string(form).map_err(|e| Error::encode("form", e))?;
            req.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
            *req.body_mut() = RequestBody::from(encoded);
            Ok(())
        })
    }

    /// Sends `json` serialized with `serde_json` as the body, with
    /// `Content-Type: application/json`.
    #[cfg(feature = "json")]
    pub fn json<T: Serialize + ?Sized>(self, json: &T) -> RequestBuilder {
        self.with(|req| {
            let encoded = serde_json::to_vec(json).map_err(|e| Error::encode("json body", e))?;
            req.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            *req.body_mut() = RequestBody::from(encoded);
            Ok(())
        })
    }

    /// The body: bytes, text, `()` for none, or [`RequestBody::stream`].
    pub fn body(self, body: impl Into<RequestBody>) -> RequestBuilder {
        self.with(|req| {
            *req.body_mut() = body.into();
            Ok(())
        })
    }

    /// This request's own time limit, instead of the client's `request_timeout`: from the
    /// send to the response body's last byte (the body streams under it too). A request that
    /// runs out of it fails with [`Error::is_timeout`], its connection discarded (counted in
    /// the pool's `discarded`); a [`FuseClient`] counts it as a timeout failure.
    pub fn timeout(self, timeout: Duration) -> RequestBuilder {
        self.with(|req| {
            req.extensions_mut().insert(Timeout(timeout));
            Ok(())
        })
    }

    /// Marks the request [`Retryable`]: safe to send twice after the keep-alive race, whatever
    /// its method (its body must be replayable too).
    pub fn retryable(self) -> RequestBuilder {
        self.with(|req| {
            req.extensions_mut().insert(Retryable);
            Ok(())
        })
    }

    /// The HTTP version to send: HTTP/1.1 (the default) or HTTP/1.0.
    pub fn version(self, version: Version) -> RequestBuilder {
        self.with(|req| {
            *req.version_mut() = version;
            Ok(())
        })
    }

    /// The request as built so far, or the error a step met.
    ///
    /// # Errors
    ///
    /// The first error a step met.
    pub fn build(self) -> Result<Request<RequestBody>, Error> {
        self.request
    }

    /// Sends the request: [`Client::send`] or, for a [`FuseClient`]'s builder,
    /// [`FuseClient::send`] (through its breaker).
    ///
    /// # Errors
    ///
    /// The error a step of the builder met, else those of the `send` it goes through.
    pub fn send(self) -> Pending {
        let req = match self.request {
            Ok(req) => req,
            // Allocates nothing: an open breaker's refusal stays free.
            Err(e) => return Pending::failed(e),
        };
        let running: BoxFuture<'static, Timed> = match self.target {
            // The client's own future, owning the client: no wrapper to hold the request again.
            Target::Client(client) => Box::pin(send_timed(client, req, None)),
            Target::Fuse(fuse) => Box::pin(async move { (fuse.send(req).await, None) }),
        };
        Pending {
            repr: PendingRepr::Running(running),
        }
    }
}

impl IntoFuture for RequestBuilder {
    type Output = Result<Response, Error>;
    type IntoFuture = Pending;

    fn into_future(self) -> Pending {
        self.send()
    }
}

impl fmt::Debug for RequestBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RequestBuilder");
        match &self.request {
            Ok(req) => d
                .field("method", req.method())
                .field("uri", req.uri())
                .field("headers", req.headers()),
            Err(e) => d.field("error", e),
        };
        d.finish_non_exhaustive()
    }
}

/// A request being sent by a [`RequestBuilder`]: resolves to its [`Response`].
///
/// # Cancel safety
///
/// As [`Client::send`]: dropping it abandons the request, and a connection it was using is
/// discarded (counted in the pool's `discarded`).
#[must_use = "futures do nothing unless polled"]
pub struct Pending {
    repr: PendingRepr,
}

/// What a request's future gives: the result, and when a connection was handed to it (unused
/// here).
type Timed = (Result<Response, Error>, Option<Instant>);

enum PendingRepr {
    Failed(Option<Error>),
    Running(BoxFuture<'static, Timed>),
}

impl Pending {
    fn failed(e: Error) -> Pending {
        Pending {
            repr: PendingRepr::Failed(Some(e)),
        }
    }
}

impl Future for Pending {
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Response, Error>> {
        match &mut self.get_mut().repr {
            PendingRepr::Failed(e) => {
                Poll::Ready(Err(e.take().expect("a Pending polled after it was ready")))
            }
            PendingRepr::Running(f) => f.as_mut().poll(cx).map(|(result, _)| result),
        }
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::builder()
            .runtime(fusebox_tokio::TokioRuntime::new())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn steps_shape_the_request() {
        let c = client();
        let req = c
            .post("http://a.test/p?x=1")
            .query(&[("q", "a b"), ("n", "2")])
            .header("x-a", "1")
            .form(&[("k", "v&w")])
            .retryable()
            .timeout(Duration::from_millis(5))
            .build()
            .unwrap();
        assert_eq!(req.uri(), "http://a.test/p?x=1&q=a+b&n=2");
        assert_eq!(req.headers()["x-a"], "1");
        assert_eq!(
            req.headers()[CONTENT_TYPE],
            "application/x-www-form-urlencoded"
        );
        assert_eq!(req.body().as_bytes(), Some(&b"k=v%26w"[..]));
        assert!(req.extensions().get::<Retryable>().is_some());
        assert_eq!(
            req.extensions().get::<Timeout>(),
            Some(&Timeout(Duration::from_millis(5)))
        );
    }

    #[tokio::test]
    async fn errors_wait_for_the_send() {
        let c = client();
        let e = c.get("http://a.test/").header("bad header", "x").build();
        assert!(e.unwrap_err().is_invalid_request());
        let e = c.get("http://a test/").header("x", "y").build();
        assert!(e.unwrap_err().is_invalid_uri());
        let mut replaced = HeaderMap::new();
        replaced.insert("x-a", HeaderValue::from_static("2"));
        let req = c
            .get("http://a.test/")
            .header("x-a", "1")
            .headers(replaced)
            .build();
        assert_eq!(req.unwrap().headers().get_all("x-a").iter().count(), 1);
    }
}
