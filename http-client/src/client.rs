//! [`Client`]: HTTP/1.1 requests over pooled keep-alive connections.

use std::borrow::Borrow;
use std::fmt;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

use fusebox_core::breaker::{BreakerConfig, RecoveryGroup};
use fusebox_core::rt::{Clock, Spawner};
use fusebox_core::{Counts, Pool, Stats};
use futures_lite::future;
use http::header::HeaderMap;
use http::{Method, Request, Uri};

use crate::body::Deadline;
use crate::builder::Builder;
use crate::conn::Connector;
use crate::origin::LastOrigin;
use crate::prepare::prepare;
use crate::span;
use crate::{Error, Origin, RequestBody, RequestBuilder, Response};

/// An HTTP/1.1 client that keeps connections alive in a [`Pool`] keyed by [`Origin`].
///
/// Cheap to clone: clones share the pool. Every request is bounded: connecting by the connect
/// timeout, the whole request (waiting for a connection, sending, reading the body) by the
/// request timeout (the client's, or the request's own from
/// [`RequestBuilder::timeout`]), and collecting the response body by `max_body_size`.
/// Responses come back as soon as their head has arrived, with a [`Body`](crate::Body) that streams; the
/// connection goes back to the pool once the body has been read to its end.
///
/// Connections are reused per origin (scheme + host + port). One that fails or times out during
/// a request is discarded, never pooled again, and so is one whose response said
/// `Connection: close` (or was HTTP/1.0 without `Connection: keep-alive`).
///
/// # The keep-alive race
///
/// A server may close an idle keep-alive connection just as the client sends a request on it.
/// A request that fails that way on a *reused* connection, before any byte of the response
/// arrived, is sent again on another connection: always when nothing of it was written; when it
/// was written, only if its method is idempotent (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`,
/// `TRACE`) or it carries the [`Retryable`](crate::Retryable) extension, and its body is
/// held whole (a [`RequestBody::stream`] that hyper has begun to write cannot be replayed: that
/// request fails with the connection's error). A request that fails on a connection opened for it is never
/// sent again: that is the server's answer, not a race. Each closed connection met this way is
/// discarded; [`retries`](Client::retries) counts the requests sent again.
///
/// # Early answers
///
/// A server may answer before it has read the whole request body: a `413 Payload Too Large`
/// or a `401` decided from the head. hyper reads the response while it still writes the body,
/// so such an answer is returned to the caller when the server keeps the connection open long
/// enough for it to be read (a pooled connection carries no other request until hyper has
/// finished writing the body): it reads on, or closes gracefully and drains what still comes (a lingering close, as
/// nginx and Apache do). A server that closes at once with the body unread makes its kernel
/// reset the connection, which can destroy the answer before it leaves the server; the request
/// then fails with [`Error::is_reset`], and hyper gives no way to recover an answer that never
/// arrived.
///
/// # Overload
///
/// The wait for a pooled connection has its own limit, the pool timeout (half the request
/// timeout by default), and its own error, [`Error::is_pool_timeout`]: under more load than
/// `max_per_host` connections carry, requests fail fast in the queue instead of getting a
/// connection too late to use it. A request whose deadline has passed when its connection
/// arrives is not sent, and the connection goes back to the pool unused, so that overload
/// never becomes a storm of reconnects.
///
/// # Tracing
///
/// Each request runs in an `INFO` span named `fusebox.request` with the fields `method`,
/// `origin`, `attempt` (1, or 2 when sent again after the keep-alive race), `reused` (whether
/// its connection carried requests before), `status` or `error` (how the exchange ended), and
/// `breaker`, the breaker's name, when a [`FuseClient`](crate::FuseClient) sent it. The
/// client's and the pool's debug events happen inside it. A request a breaker refused is sent
/// nowhere and has no span; the breaker's own events name it.
///
/// ```no_run
/// use fusebox_http::Client;
/// use fusebox_tokio::TokioRuntime;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fusebox_http::Error> {
/// let client = Client::builder().runtime(TokioRuntime::new()).build()?;
/// let response = client.get("http://127.0.0.1:8080/health").await?;
/// println!("{} {}", response.status(), response.text().await?);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: Pool<Origin, Connector>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) spawner: Arc<dyn Spawner>,
    pub(crate) request_timeout: Duration,
    /// The most a request waits for a pooled connection.
    pub(crate) pool_timeout: Duration,
    pub(crate) max_body_size: usize,
    /// Sent with every request that has no header of the same name.
    pub(crate) default_headers: HeaderMap,
    /// How many connections to one host a request may try: each retry discards one.
    pub(crate) max_attempts: usize,
    /// Requests sent again after meeting a closed keep-alive connection.
    pub(crate) retries: AtomicU64,
    /// The origin of the last request, reused by the next one to the same origin.
    pub(crate) last_origin: LastOrigin,
}

impl Client {
    /// Starts configuring a client. A runtime is required; see [`Builder`] for the defaults.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_inner(inner: Inner) -> Client {
        Client {
            inner: Arc::new(inner),
        }
    }

    /// Sends `req` and returns the response once its head has arrived; its [`Body`](crate::Body) streams.
    ///
    /// The URI must be absolute (`http://host[:port]/path` or `https://..`); the request goes
    /// out in origin form (`/path`) with a `Host` header added unless it has one, and the
    /// client's default headers (`User-Agent` among them) under those it has. The body can be
    /// anything that turns into a [`RequestBody`]: `Bytes`, `Vec<u8>`, `String`,
    /// `&'static str`, `()`, or a [`RequestBody::stream`].
    ///
    /// # Errors
    ///
    /// An [`Error`] (its docs list every kind): [`is_invalid_uri`](Error::is_invalid_uri) for
    /// a relative URI, one that is neither `http` nor `https`, a port out of range, or `https`
    /// without the `tls` feature; [`is_connect`](Error::is_connect) when no connection could be
    /// made (with [`is_tls`](Error::is_tls) when the TLS handshake failed, and
    /// [`is_certificate`](Error::is_certificate) when the server's certificate was rejected);
    /// [`is_pool_timeout`](Error::is_pool_timeout) when no pooled connection became free in
    /// time (the request was not sent); [`is_timeout`](Error::is_timeout) when a time limit ran
    /// out; [`is_request`](Error::is_request) when the exchange failed on the connection (reset
    /// or closed midway, a malformed or oversize head). An HTTP error status is not an error:
    /// check [`status`](Response::status), or ask for one with
    /// [`error_for_status`](Response::error_for_status). The body's own errors come when it is
    /// read.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future abandons the request; a connection it was using is discarded, not
    /// returned to the pool (counted in the pool's `discarded`).
    pub async fn send<B: Into<RequestBody>>(&self, req: Request<B>) -> Result<Response, Error> {
        send_timed(self, req, None).await.0
    }

    /// Starts a `GET` of `uri`; send it with [`send`](RequestBuilder::send) or `.await`.
    ///
    /// A `uri` that does not parse is [`is_invalid_uri`](Error::is_invalid_uri) when the
    /// request is sent.
    pub fn get<U>(&self, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.request(Method::GET, uri)
    }

    /// Starts a `POST` of `uri`.
    pub fn post<U>(&self, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.request(Method::POST, uri)
    }

    /// Starts a `PUT` of `uri`.
    pub fn put<U>(&self, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.request(Method::PUT, uri)
    }

    /// Starts a `DELETE` of `uri`.
    pub fn delete<U>(&self, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.request(Method::DELETE, uri)
    }

    /// Starts a `HEAD` of `uri`.
    pub fn head<U>(&self, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.request(Method::HEAD, uri)
    }

    /// Starts a `PATCH` of `uri`.
    pub fn patch<U>(&self, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.request(Method::PATCH, uri)
    }

    /// Starts a request of `method` to `uri`.
    pub fn request<U>(&self, method: Method, uri: U) -> RequestBuilder
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        RequestBuilder::for_client(self, method, uri)
    }

    /// Counts of the connection pool: in total (`created` = connections opened, `reused` =
    /// requests served by an existing connection) and per origin.
    pub fn pool_stats(&self) -> Stats<Origin> {
        self.inner.pool.stats()
    }

    /// Counts of the connections to one origin, or `None` if the pool holds none.
    pub fn pool_stats_for(&self, origin: &Origin) -> Option<Counts> {
        self.inner.pool.stats_for(origin)
    }

    /// How many requests were sent again because they met a pooled connection the server had
    /// just closed (the keep-alive race): see [`Client`]. Over this client and its clones.
    pub fn retries(&self) -> u64 {
        self.inner.retries.load(Ordering::Relaxed)
    }

    /// Closes the client's pool, for this client and its clones: idle connections close now,
    /// busy ones when their request ends, and new requests fail with
    /// [`is_closed`](Error::is_closed).
    pub fn close(&self) {
        self.inner.pool.close();
    }

    /// A new [`RecoveryGroup`] on this client's clock and spawner, to share between the
    /// [`FuseClient`](crate::FuseClient)s of one service.
    pub fn recovery_group(&self, config: BreakerConfig) -> RecoveryGroup {
        RecoveryGroup::new(config, self.inner.clock.clone(), self.inner.spawner.clone())
    }

    /// The clock the client reads time from.
    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("request_timeout", &self.inner.request_timeout)
            .field("pool_timeout", &self.inner.pool_timeout)
            .field("max_body_size", &self.inner.max_body_size)
            .field("pool", &self.inner.pool)
            .finish()
    }
}

/// As [`Client::send`], and the instant (on the client's clock) at which the
/// connection that carried the last attempt was handed to the request; `None` if the
/// request never got a connection. A breaker times a call from there, not from when it
/// began to queue.
///
/// The exchange runs in a `fusebox.request` span (see [`Client`]), naming `breaker` when a
/// [`FuseClient`](crate::FuseClient) sends.
///
/// Generic over how it holds the client, so that a [`RequestBuilder`] owns it in a `'static`
/// future without a wrapper future around this one: each wrapper would hold the request again
/// (an async fn keeps its arguments for its whole life), and this future is boxed per request.
pub(crate) async fn send_timed<C: Borrow<Client>, B: Into<RequestBody>>(
    client: C,
    req: Request<B>,
    breaker: Option<&str>,
) -> (Result<Response, Error>, Option<Instant>) {
    let this = client.borrow();
    let (origin, req, own) =
        match prepare(req, &this.inner.default_headers, &this.inner.last_origin) {
            Ok(prepared) => prepared,
            Err(e) => return (Err(e), None),
        };
    let span = span::request(req.method(), &origin, breaker);
    let (limit, per_request) = match own {
        Some(own) => (own.0, true),
        None => (this.inner.request_timeout, false),
    };
    let clock = &this.inner.clock;
    let start = clock.now();
    let mut sleep = clock.sleep_from(start, limit);
    let mut handed = None;
    let result = {
        // Pinned in place and polled by hand, inside its span, before the timeout: `or` and
        // `instrument` would each move it, and it is most of the request's future.
        let mut exchange = pin!(this.exchange(
            &origin,
            req,
            start.checked_add(limit),
            (limit, per_request),
            (&span, &mut handed),
        ));
        future::poll_fn(|cx| {
            if let Poll::Ready(result) = span.in_scope(|| exchange.as_mut().poll(cx)) {
                return Poll::Ready(result);
            }
            (sleep.as_mut().poll(cx)).map(|()| Err(Error::timeout_of(limit, per_request)))
        })
        .await
    };
    let result = result.map(|mut response| {
        // The same deadline bounds the body.
        response.body_mut().set_deadline(Deadline {
            sleep,
            limit,
            per_request,
        });
        response
    });
    let result = result.map_err(|e| e.with_origin(&origin));
    span::finished(&span, &result);
    (result, handed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_and_its_futures_are_send() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        fn assert_send<T: Send>(_: &T) {}
        let client: Option<Client> = None;
        if let Some(client) = client {
            assert_send_sync(&client);
            assert_send(&client.get("http://x/"));
            assert_send(&client.get("http://x/").send());
            assert_send(&client.send(Request::new(())));
            assert_send(&send_timed(&client, Request::new(()), None));
            assert_send(&send_timed(client.clone(), Request::new(()), None));
        }
    }
}
