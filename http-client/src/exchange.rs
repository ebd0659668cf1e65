//! The exchange of one request with the pool and a connection: acquire, send, send again after
//! the keep-alive race, and the response whose body carries the connection.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fusebox_core::{AcquireError, Wait};
use http::Request;
use hyper::body::Incoming;

use crate::http1::{ReqBody, SendError};
use crate::inflight::InFlight;
use crate::{Body, Client, Error, Origin, Response, retry, span};

impl Client {
    /// One request, without the request timeout: acquire, send, send again if the connection
    /// turned out closed, up to the response head. `handed` is set to when each connection
    /// arrives.
    pub(crate) async fn exchange(
        &self,
        origin: &Origin,
        mut req: Request<ReqBody>,
        deadline: Option<Instant>,
        limit: (Duration, bool),
        (span, handed): (&tracing::Span, &mut Option<Instant>),
    ) -> Result<Response, Error> {
        let inner = &*self.inner;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let pooled = inner
                .pool
                .acquire(origin, Wait::Up(inner.pool_timeout))
                .await
                .map_err(|e| match e {
                    // Named by the setting, not by the time it took to notice.
                    AcquireError::Timeout { .. } => Error::pool_timeout(inner.pool_timeout),
                    e => Error::acquire(e),
                })?;
            let now = inner.clock.now();
            if deadline.is_some_and(|d| now >= d) {
                // Too late to use it: back to the pool unused, for a request that has time.
                drop(pooled);
                return Err(Error::timeout_of(limit.0, limit.1));
            }
            *handed = Some(now);
            let mut conn = InFlight::new(pooled);
            span::attempt(span, attempts, conn.may_be_stale());
            let may_retry = conn.may_be_stale() && attempts < inner.max_attempts;
            // hyper consumes a request it has begun to write: keep a copy to send again, if its
            // body can be replayed.
            let copy = if may_retry {
                retry::try_clone(&req)
            } else {
                None
            };
            let keep_alive = conn.keeps_alive(req.version(), req.headers());
            match conn.send_pooled(origin, req).await {
                Ok(response) => return Ok(self.read(conn, response, keep_alive, origin)),
                Err(SendError::NotSent(unsent, e)) if may_retry => {
                    // Nothing reached the server: sending again elsewhere is safe for any method.
                    tracing::debug!(%origin, error = %e, "pooled connection was closed; sending again");
                    req = *unsent;
                }
                Err(SendError::Failed {
                    error,
                    written,
                    answered,
                }) if !answered && error.is_incomplete() => match copy {
                    Some(copy) if !written || retry::may_resend_written(&copy) => {
                        tracing::debug!(%origin, error = %error, "pooled connection closed under the request; sending again");
                        req = copy;
                    }
                    _ => return Err(error),
                },
                Err(SendError::Refused(error)) => match copy {
                    // The server says it did not process it: any method may go again.
                    Some(copy) => {
                        tracing::debug!(%origin, error = %error, "stream refused by the server; sending again");
                        req = copy;
                    }
                    None => return Err(error),
                },
                Err(SendError::NotSent(_, error) | SendError::Failed { error, .. }) => {
                    return Err(error);
                }
            }
            inner.retries.fetch_add(1, Ordering::Relaxed);
            // `conn` is dropped here, which discards it.
        }
    }

    /// The response, its body carrying the connection: back to the pool when the body has
    /// been read to its end, unless the exchange ended it (`Connection: close` on either side,
    /// or an HTTP/1.0 response).
    pub(crate) fn read(
        &self,
        mut conn: InFlight,
        response: http::Response<Incoming>,
        keep_alive: bool,
        origin: &Origin,
    ) -> Response {
        let (parts, incoming) = response.into_parts();
        let keep_alive = keep_alive && conn.keeps_alive(parts.version, &parts.headers);
        if keep_alive {
            conn.learn_keep_alive(&parts.headers);
        }
        let body = Body::streaming(
            incoming,
            conn,
            keep_alive,
            origin.clone(),
            self.inner.max_body_size,
        );
        Response::new(http::Response::from_parts(parts, body), origin.clone())
    }
}
