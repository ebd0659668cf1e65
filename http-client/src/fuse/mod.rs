//! [`FuseClient`]: an HTTP client for one service, behind a circuit breaker.

mod base;
mod builder;
mod health;
mod judge;

pub use builder::FuseBuilder;
pub use judge::{Verdict, default_classifier};

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use fusebox_core::breaker::{Breaker, Permit, RecoveryGroup, State};
use http::{Request, Response, Uri};

use crate::{Client, Error, Origin};
use base::Base;

/// Decides what a request's outcome means to the breaker; see [`FuseBuilder::classify`].
pub(crate) type Classifier = Arc<dyn Fn(&Result<Response<Bytes>, Error>) -> Verdict + Send + Sync>;

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
/// - Each request is admitted with a [`Permit`](fusebox_core::breaker::Permit): an outcome that
///   arrives after the breaker tripped or recovered meanwhile counts for nothing, and a request
///   dropped before it ends counts neither way.
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
///     Ok(response) => println!("{}", response.status()),
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

    /// Sends `req` unless the breaker is open, and counts the outcome.
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
    /// As [`Client::send`]; a request dropped before it ends counts neither way.
    pub async fn send<B: Into<Bytes>>(&self, req: Request<B>) -> Result<Response<Bytes>, Error> {
        let inner = &*self.inner;
        let permit = inner.admit()?;
        let (mut parts, body) = req.into_parts();
        parts.uri = inner.base.resolve(&parts.uri)?;
        let (result, connected) = inner
            .client
            .send_timed(Request::from_parts(parts, body))
            .await;
        let now = inner.client.clock().now();
        let elapsed = connected.map(|at| now.saturating_duration_since(at));
        let max_delay = inner.breaker.config().max_delay();
        // Neutral (`None`): the permit is dropped and counts neither way.
        if let Some(outcome) =
            judge::outcome((inner.classify)(&result), &result, elapsed, max_delay)
        {
            permit.record(now, outcome);
        }
        result
    }

    /// Sends a `GET` of `path` (under the base URL) unless the breaker is open.
    ///
    /// # Errors
    ///
    /// As [`send`](FuseClient::send).
    pub async fn get(&self, path: &str) -> Result<Response<Bytes>, Error> {
        // Refuse before building the request: a refusal allocates nothing.
        let _ = self.inner.admit()?;
        let uri = self.inner.base.join(path)?;
        self.send(Request::get(uri).body(Bytes::new()).expect("a valid GET"))
            .await
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
    /// The breaker's permit, or the fail-fast error (returned without yielding).
    fn admit(&self) -> Result<Permit<'_>, Error> {
        self.breaker.check().map_err(|open| {
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
            assert_send(&fuse.get("/"));
            assert_send(&fuse.send(Request::new(Bytes::new())));
        }
    }
}
