//! When a request that met a closing keep-alive connection may be sent again, and
//! [`Retryable`], the mark that allows it for methods that are not idempotent.

use http::{Method, Request};

use crate::http1::ReqBody;

/// Marks a request as safe to send twice, as a request extension: if it was written to a
/// reused keep-alive connection that the server closed before any of the response arrived
/// (the stale-connection race), the client sends it again on another connection even when its
/// method is not idempotent (`POST`, `PATCH`).
///
/// Without the mark, such a request is sent again only when nothing of it was written, or when
/// its method is idempotent (`GET`, `HEAD`, `PUT`, `DELETE`, `OPTIONS`, `TRACE`): a `POST` that
/// reached a server which then closed the connection may have been acted on, and only the
/// caller knows whether doing it twice is harmless (an idempotency key, an upsert).
///
/// With a [`RequestBuilder`](crate::RequestBuilder), `.retryable()` adds it.
///
/// ```
/// use fusebox_http::Retryable;
///
/// let mut req = http::Request::post("http://127.0.0.1:8080/jobs")
///     .header("idempotency-key", "8f14e45f")
///     .body("{}")
///     .unwrap();
/// req.extensions_mut().insert(Retryable);
/// # drop(req);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retryable;

/// A copy of `req` to send again after the race, if its body can be replayed (held whole).
pub(crate) fn try_clone(req: &Request<ReqBody>) -> Option<Request<ReqBody>> {
    let mut copy = Request::new(req.body().try_clone()?);
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    *copy.extensions_mut() = req.extensions().clone();
    Some(copy)
}

/// Whether a request that was written may be sent again after the race: an idempotent method
/// (RFC 9110, 9.2.2) or the caller's [`Retryable`] mark. Its body must be replayable as well:
/// the caller holds a copy only of bodies held whole ([`try_clone`]).
pub(crate) fn may_resend_written(req: &Request<ReqBody>) -> bool {
    let idempotent = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    );
    idempotent || req.extensions().get::<Retryable>().is_some()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http_body_util::Full;

    use super::*;

    fn req(method: Method) -> Request<ReqBody> {
        Request::builder()
            .method(method)
            .uri("/")
            .body(ReqBody::from("x"))
            .unwrap()
    }

    #[test]
    fn only_bodies_held_whole_are_copied() {
        let mut whole = req(Method::POST);
        whole.extensions_mut().insert(Retryable);
        let copy = try_clone(&whole).unwrap();
        assert_eq!(copy.body().as_bytes(), Some(&b"x"[..]));
        assert!(copy.extensions().get::<Retryable>().is_some());
        let streamed = Request::new(ReqBody::stream(Full::new(Bytes::from("x"))));
        assert!(try_clone(&streamed).is_none());
    }

    #[test]
    fn idempotent_methods_and_marked_requests_may_be_resent() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            assert!(may_resend_written(&req(m.clone())), "{m}");
        }
        for m in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert!(!may_resend_written(&req(m.clone())), "{m}");
        }
        let mut post = req(Method::POST);
        post.extensions_mut().insert(Retryable);
        assert!(may_resend_written(&post));
    }
}
