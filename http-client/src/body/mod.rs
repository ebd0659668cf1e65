//! Bodies both ways: [`Body`], the response body that streams as it arrives and carries its
//! connection (and a [`FuseClient`](crate::FuseClient)'s pending verdict) until its end, and
//! [`RequestBody`], what a request sends.

mod collect;
mod request;

pub use request::RequestBody;

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use fusebox_core::rt::BoxFuture;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;

use crate::fuse::Deferred;
use crate::inflight::InFlight;
use crate::{Error, Origin};

/// A response body: an [`http_body::Body`] that yields the bytes as hyper reads them from the
/// connection, or collects them with [`bytes`](Body::bytes), [`text`](Body::text) and (feature
/// `json`) `json` under the client's `max_body_size`.
///
/// The body carries the connection that its response came on:
///
/// - read to its end, the connection goes back to the pool (unless the exchange ended it: a
///   `Connection: close`, an HTTP/1.0 response);
/// - dropped before its end, the connection is discarded, counted in the pool's `discarded`:
///   nothing is drained, because an unread remainder may be of any size and a drop cannot wait
///   for it. Read small bodies whole (`bytes()`) to keep their connections;
/// - a failure while it streams (the connection reset or closed mid-body, the request timeout)
///   is an [`Error`] of the same kinds as a failure before the head
///   ([`is_body`](Error::is_body), [`is_timeout`](Error::is_timeout)), and discards the
///   connection.
///
/// The request timeout runs on while the body streams: it bounds the whole exchange, from the
/// call to the body's last byte. Give a long download a longer one with
/// [`RequestBuilder::timeout`](crate::RequestBuilder::timeout).
///
/// A body made from bytes (`Body::from("..")`, for tests and classifiers) yields them in one
/// frame and has no size limit.
///
/// ```
/// use http_body_util::BodyExt;
/// use fusebox_http::Body;
///
/// # futures_lite::future::block_on(async {
/// let mut body = Body::from("hello");
/// let frame = body.frame().await.unwrap().unwrap();
/// assert_eq!(frame.into_data().unwrap(), "hello");
/// assert!(body.frame().await.is_none());
/// assert_eq!(Body::from("hi").text().await.unwrap(), "hi");
/// # });
/// ```
pub struct Body {
    repr: Repr,
    /// The most bytes `bytes()` and its kin collect.
    limit: usize,
}

enum Repr {
    /// Made from bytes: one frame, then the end.
    Full(Option<Bytes>),
    /// Read from a connection.
    Streaming(Box<Streaming>),
}

/// A response body being read from its connection.
struct Streaming {
    incoming: Incoming,
    /// The connection, until the body ends or fails: then it is returned or discarded.
    conn: Option<InFlight>,
    /// Whether the connection may carry another request once the body has ended.
    keep_alive: bool,
    /// The rest of the request timeout.
    deadline: Option<Deadline>,
    origin: Origin,
    /// A breaker's verdict, waiting for the body's end.
    deferred: Option<Deferred>,
}

/// The request timeout's sleep, carried from the head into the body.
pub(crate) struct Deadline {
    pub(crate) sleep: BoxFuture<'static, ()>,
    pub(crate) limit: Duration,
    pub(crate) per_request: bool,
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body::from(Bytes::new())
    }

    /// The body of a response that arrived on `conn`; ended at once when hyper says there is
    /// nothing to read (`Content-Length: 0`, `204`, a `HEAD`).
    pub(crate) fn streaming(
        incoming: Incoming,
        conn: InFlight,
        keep_alive: bool,
        origin: Origin,
        limit: usize,
    ) -> Body {
        let mut streaming = Streaming {
            incoming,
            conn: Some(conn),
            keep_alive,
            deadline: None,
            origin,
            deferred: None,
        };
        if http_body::Body::is_end_stream(&streaming.incoming) {
            streaming.finish();
        }
        Body {
            repr: Repr::Streaming(Box::new(streaming)),
            limit,
        }
    }

    /// Lets the request timeout run on while the body streams; dropped if it has ended.
    pub(crate) fn set_deadline(&mut self, deadline: Deadline) {
        if let Repr::Streaming(s) = &mut self.repr
            && s.conn.is_some()
        {
            s.deadline = Some(deadline);
        }
    }

    /// Hands the breaker's verdict to the body, to be recorded at its end; at once if it has
    /// ended (or was made from bytes).
    pub(crate) fn defer(&mut self, deferred: Deferred) {
        match &mut self.repr {
            Repr::Streaming(s) if s.conn.is_some() => s.deferred = Some(deferred),
            _ => deferred.ended(),
        }
    }

    /// Ends the body with `error` (a limit it ran into): the connection is discarded and a
    /// pending verdict hears of the error.
    fn fail(&mut self, error: Error) -> Error {
        match &mut self.repr {
            Repr::Streaming(s) => s.fail(error),
            Repr::Full(bytes) => {
                bytes.take();
                error
            }
        }
    }

    fn origin(&self) -> Option<&Origin> {
        match &self.repr {
            Repr::Streaming(s) => Some(&s.origin),
            Repr::Full(_) => None,
        }
    }
}

impl Streaming {
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let Some(conn) = &self.conn else {
            return Poll::Ready(None);
        };
        if let Some(deadline) = &mut self.deadline
            && deadline.sleep.as_mut().poll(cx).is_ready()
        {
            let error = Error::timeout_of(deadline.limit, deadline.per_request);
            return Poll::Ready(Some(Err(self.fail(error.with_origin(&self.origin)))));
        }
        match http_body::Body::poll_frame(Pin::new(&mut self.incoming), cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(None) => {
                self.finish();
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                if http_body::Body::is_end_stream(&self.incoming) {
                    self.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                let error = conn.classify_body(Box::new(e)).with_origin(&self.origin);
                Poll::Ready(Some(Err(self.fail(error))))
            }
        }
    }

    /// The body was read to its end: the connection goes back to the pool if the exchange
    /// keeps it alive, and a pending verdict is recorded as judged at the head.
    fn finish(&mut self) {
        self.deadline = None;
        if let Some(conn) = self.conn.take() {
            if self.keep_alive {
                conn.finish();
            } else {
                tracing::debug!("closing a connection the exchange ended");
                drop(conn);
            }
        }
        if let Some(deferred) = self.deferred.take() {
            deferred.ended();
        }
    }

    /// The body failed: the connection is discarded, and a pending verdict judges the error.
    fn fail(&mut self, error: Error) -> Error {
        self.deadline = None;
        drop(self.conn.take());
        match self.deferred.take() {
            Some(deferred) => deferred.failed(error),
            None => error,
        }
    }
}

impl Drop for Streaming {
    /// Dropped before its end: the connection is discarded (by `InFlight`'s drop) and a pending
    /// verdict is recorded as judged at the head: nothing failed while the body was read.
    fn drop(&mut self) {
        if let Some(deferred) = self.deferred.take() {
            deferred.ended();
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        match &mut self.get_mut().repr {
            Repr::Full(bytes) => Poll::Ready(
                bytes
                    .take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            Repr::Streaming(s) => s.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.repr {
            Repr::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Repr::Streaming(s) => s.conn.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.repr {
            Repr::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Repr::Streaming(s) if s.conn.is_none() => SizeHint::with_exact(0),
            Repr::Streaming(s) => s.incoming.size_hint(),
        }
    }
}

impl Default for Body {
    fn default() -> Body {
        Body::empty()
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Body {
        Body {
            repr: Repr::Full(Some(bytes)),
            limit: usize::MAX,
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body::from(Bytes::from(bytes))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Body {
        Body::from(Bytes::from(text))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Body {
        Body::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for Body {
    fn from(bytes: &'static [u8]) -> Body {
        Body::from(Bytes::from_static(bytes))
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Body");
        match &self.repr {
            Repr::Full(bytes) => d.field("bytes", &bytes.as_ref().map_or(0, Bytes::len)),
            Repr::Streaming(s) => d
                .field("origin", &format_args!("{}", s.origin))
                .field("ended", &s.conn.is_none()),
        };
        d.finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bodies_are_send() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<super::Body>();
        assert_send::<super::RequestBody>();
    }
}
