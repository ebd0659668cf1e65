//! The `fusebox.request` tracing span: one per request, so that a subscriber sees each request's
//! story (which attempt carried it, on a reused connection or a new one, how it ended) and the
//! events of the pool, the connection and the breaker inside it.

use http::Method;
use tracing::Span;
use tracing::field::Empty;

use crate::{Error, Origin, Response};

/// A span for a request of `method` to `origin`, sent through the breaker named `breaker` if any.
/// `attempt`, `reused` and `status` (or `error`) are filled in as the request goes.
pub(crate) fn request(method: &Method, origin: &Origin, breaker: Option<&str>) -> Span {
    tracing::info_span!(
        "fusebox.request",
        method = %method,
        origin = %origin,
        breaker = breaker,
        attempt = Empty,
        reused = Empty,
        status = Empty,
        error = Empty,
    )
}

/// The request's attempt number (1 for the first), and whether its connection was used before.
pub(crate) fn attempt(span: &Span, attempt: usize, reused: bool) {
    span.record("attempt", attempt);
    span.record("reused", reused);
}

/// How the exchange ended: the response's status, or the error.
pub(crate) fn finished(span: &Span, result: &Result<Response, Error>) {
    match result {
        Ok(response) => span.record("status", response.status().as_u16()),
        Err(e) => span.record("error", tracing::field::display(e)),
    };
}
