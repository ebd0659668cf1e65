//! [`FuseClient`]: an HTTP client for one service, behind a circuit breaker.

mod base;
mod builder;
mod deferred;
mod health;
mod judge;

pub(crate) use deferred::Deferred;

pub use builder::FuseBuilder;
pub use judge::{Verdict, default_classifier};

use std::fmt;
use std::sync::Arc;

use fusebox_core::breaker::{Breaker, OwnedPermit, RecoveryGroup, State};
use http::{Method, Request, Uri};

use crate::client::send_timed;
use crate::{Client, Error, Origin, RequestBody, RequestBuilder, Response};
use base::Base;

/// Decides what a request's outcome means to the breaker; see [`FuseBuilder::classify`].
pub(crate) type Classifier = Arc<dyn Fn(&Result<Response, Error>) -> Verdict + Send + Sync>;

/// An HTTP client for one service, with a circuit breaker: after
/// [`failure_threshold`](fusebox_core::breaker::BreakerConfig::failure_threshold) consecutive
/// failures it stops sending requests, and fails them at once with an error that
/// [`is_open`](Error::is_open) and says since when and why, until the service's health probe
/// succeeds again.
///
/// - What counts is decided by a classifier ([`default_classifier`] unless
///   [`FuseBuilder::classify`] sets another): by default a 5xx response, a connect error, a
///   connection that fails during the request, or a timeout is a failure; and a success slower
///   than [`max_delay`](fusebox_core::breaker::BreakerConfig::max_delay), timed from when the
///   request had its connection (not while it queued for one), is a failure too (the response
///   is still returned). Waiting too long for one of the pool's connections is neutral: that is
///   the caller's own load. A `Retry-After` on a 503 or 429 that trips the breaker holds the
///   first probe back (up to
///   [`max_retry_after`](fusebox_core::breaker::BreakerConfig::max_retry_after)).
/// - A response is judged at its head, and its body streams on: a failure or a slow head counts
///   at once; a success counts when the body has been read to its end. A failure while the body
///   streams (the connection reset or closed, the request timeout running out) counts as a
///   failure of that call, as the classifier judges that error (a
///   [`TripReason::Connection`](fusebox_core::breaker::TripReason::Connection) or
///   [`TripReason::Timeout`](fusebox_core::breaker::TripReason::Timeout) by default). A body
///   dropped before its end counts as the success it was judged at the head: nothing failed
///   while it was read (its connection is discarded all the same). A body over
///   `max_body_size` is neutral, as the default classifier judges that error.
/// - Each request is admitted with a [`Permit`](fusebox_core::breaker::Permit): an outcome that
///   arrives after the breaker tripped or recovered meanwhile counts for nothing, and a request
///   dropped before its head arrived counts neither way (a request's own
///   [`timeout`](RequestBuilder::timeout) is seen, as a timeout failure: give the timeout to
///   the request rather than race its future).
/// - While tripped, the [`RecoveryGroup`]'s one recovery task probes the service with a `GET` of
///   the health path, which must answer 2xx within `max_delay`. Clients that share a group share
///   that task, and all close again when it sees the service healthy.
/// - Requests go through a [`Client`], whose connection pool may be shared with other
///   `FuseClient`s and plain requests.
///
/// Cheap to clone: clones share the breaker.
///
/// ```no_run
/// use fusebox_core::breaker::BreakerConfig;
/// use fusebox_http::{Client, FuseClient};
/// use fusebox_tokio::TokioRuntime;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder().runtime(TokioRuntime::new()).build()?;
/// let group = client.recovery_group(BreakerConfig::builder().failure_threshold(3).build()?);
/// let users = FuseClient::builder(client.clone(), "http://127.0.0.1:8080/users")
///     .health_path("/health")
///     .recovery_group(group.clone())
///     .build()?;
/// match users.get("/42").await {
///     Ok(response) => println!("{}", response.text().await?),
///     Err(e) if e.is_open() => println!("not trying: {e}"),
///     Err(e) => println!("failed: {e}"),
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FuseClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: Client,
    base: Base,
    health: Uri,
    breaker: Breaker,
    classify: Classifier,
}

impl FuseClient {
    /// Starts configuring a client for the service at `base_url` (`http://host[:port][/prefix]`
    /// or `https://..`) that sends its requests through `client`.
    pub fn builder(client: Client, base_url: &str) -> FuseBuilder {
        FuseBuilder::new(client, base_url)
    }

    /// Sends `req` unless the breaker is open, and counts the outcome (at the head, or at the
    /// body's end for a success: see [`FuseClient`]).
    ///
    /// The URI may be a path (`/users?id=1`), which goes under the base URL, or an absolute URI
    /// of the service's origin.
    ///
    /// # Errors
    ///
    /// [`Error::is_open`] at once, without sending, while the breaker is open; otherwise the
    /// errors of [`Client::send`], and [`Error::is_invalid_uri`] for an absolute URI of another
    /// origin.
    ///
    /// # Cancel safety
    ///
    /// As [`Client::send`]; a request dropped before its head arrived counts neither way.
    pub async fn send<B: Into<RequestBody>>(&self, req: Request<B>) -> Result<Response, Error> {
        let inner = &*self.inner;
        let permit = inner.admit()?;
        let (mut parts, body) = req.into_parts();
        parts.uri = inner.base.resolve(&parts.uri)?;
        let req = Request::from_parts(parts, body);
        let (mut result, connected) =
            send_timed(&inner.client, req, Some(inner.breaker.name())).await;
        let now = inner.client.clock().now();
        let elapsed = connected.map(|at| now.saturating_duration_since(at));
        let max_delay = inner.breaker.config().max_delay();
        let verdict = (inner.classify)(&result);
        let outcome = judge::outcome(verdict, &result, elapsed, max_delay);
        match (&mut result, outcome) {
            // A failure, or a slow head, counts now; a success waits for the body's end, and so
            // does a neutral head, in case the body fails.
            (Ok(response), None | Some(fusebox_core::breaker::Outcome::Success)) => {
                let deferred = Deferred::new(permit, outcome, inner.classify.clone());
                response.body_mut().defer(deferred);
            }
            (_, Some(outcome)) => drop(permit.record(outcome)),
            // Neutral (`None`): the permit is dropped and counts neither way.
            (Err(_), None) => {}
        }
        result
    }

    /// Starts a `GET` of `path` (under the base URL; a query may follow it); send it with
    /// [`send`](RequestBuilder::send) or `.await`. While the breaker is open, the builder holds
    /// the fail-fast error, and sending it returns that without allocating.
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    /// Starts a `POST` of `path` (under the base URL).
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }

    /// Starts a `PUT` of `path` (under the base URL).
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.request(Method::PUT, path)
    }

    /// Starts a `DELETE` of `path` (under the base URL).
    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.request(Method::DELETE, path)
    }

    /// Starts a request of `method` to `path` (under the base URL). Sent, it goes through the
    /// breaker as [`send`](FuseClient::send) does.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        // Refuse before building the request: a refusal allocates nothing.
        let uri = self
            .inner
            .admit()
            .and_then(|_permit| self.inner.base.join(path));
        RequestBuilder::for_fuse(self, method, uri)
    }

    /// What the breaker is doing: closed, open, or recovering.
    pub fn state(&self) -> State {
        self.inner.breaker.state()
    }

    /// Whether requests go through now (one atomic load).
    pub fn is_closed(&self) -> bool {
        self.inner.breaker.is_closed()
    }

    /// The breaker, for its counts and configuration.
    pub fn breaker(&self) -> &Breaker {
        &self.inner.breaker
    }

    /// The recovery group the breaker recovers with.
    pub fn recovery_group(&self) -> &RecoveryGroup {
        self.inner.breaker.group()
    }

    /// The client that carries the requests.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The service's origin.
    pub fn origin(&self) -> &Origin {
        self.inner.base.origin()
    }

    /// The URI the health probe gets.
    pub fn health_uri(&self) -> &Uri {
        &self.inner.health
    }
}

impl Inner {
    /// The breaker's permit, or the fail-fast error (returned without yielding). The permit
    /// owns a handle to the breaker, so that it can ride in a streaming body.
    fn admit(&self) -> Result<OwnedPermit, Error> {
        self.breaker.check_owned().map_err(|open| {
            Error::open(&open, self.client.clock().now()).with_origin(self.base.origin())
        })
    }
}

impl fmt::Debug for FuseClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FuseClient")
            .field("origin", &format_args!("{}", self.inner.base.origin()))
            .field("health", &self.inner.health)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuse_client_and_its_futures_are_send() {
        fn assert_send_sync<T: Send + Sync>(_: &T) {}
        fn assert_send<T: Send>(_: &T) {}
        let fuse: Option<FuseClient> = None;
        if let Some(fuse) = fuse {
            assert_send_sync(&fuse);
            assert_send(&fuse.get("/").send());
            assert_send(&fuse.send(Request::new(())));
        }
    }
}
