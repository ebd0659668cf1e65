//! [`RequestBody`]: what a request sends, held whole or streamed.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;

/// The error type of a streamed request body: any error, boxed.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A request's body: bytes held whole, or any [`http_body::Body`] streamed as it yields.
///
/// Everything a request is usually given turns into one: `Bytes`, `Vec<u8>`, `String`,
/// `&'static str`, `&'static [u8]`, and `()` for no body (as `http::Request::builder().body(())`
/// makes). [`RequestBody::stream`] takes a body of your own, for uploads larger than memory.
///
/// Bodies held whole can be sent twice: a request that meets a keep-alive connection the
/// server has just closed is sent again on another (see [`Client`](crate::Client)). A streamed
/// body is sent again only when hyper hands the request back unwritten; once it has begun to
/// be written it cannot be replayed, and that request fails with the connection's error.
///
/// ```
/// use bytes::Bytes;
/// use http_body_util::{BodyExt, Full};
/// use fusebox_http::RequestBody;
///
/// let whole = RequestBody::from("hello");
/// assert!(whole.is_replayable());
/// let streamed = RequestBody::stream(Full::new(Bytes::from("hello")));
/// assert!(!streamed.is_replayable());
/// let none = RequestBody::from(());
/// assert!(none.is_replayable());
/// ```
pub struct RequestBody {
    repr: Repr,
}

enum Repr {
    /// Held whole; `None` once hyper has taken it.
    Full(Option<Bytes>),
    Stream(UnsyncBoxBody<Bytes, BoxError>),
}

impl RequestBody {
    /// No body.
    pub fn empty() -> RequestBody {
        RequestBody::from(Bytes::new())
    }

    /// Streams `body` as it yields its frames: with chunked transfer encoding, unless its size
    /// hint is exact (or the request has a `Content-Length`).
    pub fn stream<B>(body: B) -> RequestBody
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        RequestBody {
            repr: Repr::Stream(body.map_err(Into::into).boxed_unsync()),
        }
    }

    /// Whether the body is held whole, so that the request can be sent again.
    pub fn is_replayable(&self) -> bool {
        matches!(self.repr, Repr::Full(_))
    }

    /// The body's bytes, if it is held whole.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.repr {
            Repr::Full(bytes) => Some(bytes.as_deref().unwrap_or_default()),
            Repr::Stream(_) => None,
        }
    }

    /// A copy to send again, if the body can be replayed.
    pub(crate) fn try_clone(&self) -> Option<RequestBody> {
        match &self.repr {
            Repr::Full(bytes) => Some(RequestBody {
                repr: Repr::Full(bytes.clone()),
            }),
            Repr::Stream(_) => None,
        }
    }
}

impl http_body::Body for RequestBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().repr {
            Repr::Full(bytes) => Poll::Ready(
                bytes
                    .take()
                    .filter(|b| !b.is_empty())
                    .map(|b| Ok(Frame::data(b))),
            ),
            Repr::Stream(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.repr {
            Repr::Full(bytes) => bytes.as_ref().is_none_or(Bytes::is_empty),
            Repr::Stream(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.repr {
            Repr::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Repr::Stream(body) => body.size_hint(),
        }
    }
}

impl Default for RequestBody {
    fn default() -> RequestBody {
        RequestBody::empty()
    }
}

impl From<Bytes> for RequestBody {
    fn from(bytes: Bytes) -> RequestBody {
        RequestBody {
            repr: Repr::Full(Some(bytes)),
        }
    }
}

impl From<Vec<u8>> for RequestBody {
    fn from(bytes: Vec<u8>) -> RequestBody {
        RequestBody::from(Bytes::from(bytes))
    }
}

impl From<String> for RequestBody {
    fn from(text: String) -> RequestBody {
        RequestBody::from(Bytes::from(text))
    }
}

impl From<&'static str> for RequestBody {
    fn from(text: &'static str) -> RequestBody {
        RequestBody::from(Bytes::from_static(text.as_bytes()))
    }
}

impl From<&'static [u8]> for RequestBody {
    fn from(bytes: &'static [u8]) -> RequestBody {
        RequestBody::from(Bytes::from_static(bytes))
    }
}

impl From<()> for RequestBody {
    fn from((): ()) -> RequestBody {
        RequestBody::empty()
    }
}

impl fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Full(bytes) => f
                .debug_struct("RequestBody")
                .field("bytes", &bytes.as_ref().map_or(0, Bytes::len))
                .finish(),
            Repr::Stream(_) => f
                .debug_struct("RequestBody")
                .field("stream", &true)
                .finish(),
        }
    }
}
