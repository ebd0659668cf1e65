//! Reading a response body whole, within a size limit: [`Body::bytes`], [`Body::text`] and
//! [`Body::json`].

use bytes::{Bytes, BytesMut};
use http_body::Body as _;
use http_body_util::BodyExt;

use super::Body;
use crate::Error;

impl Body {
    /// Reads the body to its end and returns it whole; the connection then goes back to the
    /// pool.
    ///
    /// A body that arrives in one piece is returned without copying.
    ///
    /// # Errors
    ///
    /// [`Error::is_body_too_large`] once more than the client's `max_body_size` bytes arrive,
    /// or at once when the announced length (`Content-Length`) is over it; the connection is
    /// discarded. A failure of the connection while the body streams
    /// ([`Error::is_body`]) or the request timeout running out ([`Error::is_timeout`]).
    pub async fn bytes(mut self) -> Result<Bytes, Error> {
        let limit = self.limit;
        let too_large = |body: &Body| {
            let e = Error::body_too_large(limit);
            match body.origin() {
                Some(origin) => e.with_origin(origin),
                None => e,
            }
        };
        if usize::try_from(self.size_hint().lower()).map_or(true, |len| len > limit) {
            let e = too_large(&self);
            return Err(self.fail(e));
        }
        let mut first: Option<Bytes> = None;
        let mut rest = BytesMut::new();
        let mut total = 0usize;
        while let Some(frame) = self.frame().await {
            let Ok(data) = frame?.into_data() else {
                continue; // trailers
            };
            total = total.saturating_add(data.len());
            if total > limit {
                let e = too_large(&self);
                return Err(self.fail(e));
            }
            match &first {
                None => first = Some(data),
                Some(head) => {
                    if rest.is_empty() {
                        rest.extend_from_slice(head);
                    }
                    rest.extend_from_slice(&data);
                }
            }
        }
        Ok(if rest.is_empty() {
            first.unwrap_or_default()
        } else {
            rest.freeze()
        })
    }

    /// Reads the body whole as text ([`bytes`](Body::bytes)), decoded as UTF-8: invalid
    /// sequences become `U+FFFD` (the replacement character), as a browser shows them, rather
    /// than failing the read.
    ///
    /// # Errors
    ///
    /// As [`bytes`](Body::bytes).
    pub async fn text(self) -> Result<String, Error> {
        let bytes = self.bytes().await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Reads the body whole ([`bytes`](Body::bytes)) and parses it as JSON into `T`.
    ///
    /// # Errors
    ///
    /// As [`bytes`](Body::bytes); [`Error::is_decode`] when the body is not JSON of `T`'s
    /// shape.
    #[cfg(feature = "json")]
    pub async fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let origin = self.origin().cloned();
        let bytes = self.bytes().await?;
        serde_json::from_slice(&bytes).map_err(|e| {
            let e = Error::decode(e);
            match &origin {
                Some(origin) => e.with_origin(origin),
                None => e,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;

    use super::*;

    #[test]
    fn bodies_made_from_bytes_collect_whole() {
        assert_eq!(block_on(Body::from("abc").bytes()).unwrap(), "abc");
        assert_eq!(block_on(Body::empty().bytes()).unwrap(), "");
        let lossy = block_on(Body::from(&b"a\xffb"[..]).text()).unwrap();
        assert_eq!(lossy, "a\u{fffd}b");
        let mut limited = Body::from("0123456789");
        limited.limit = 4;
        assert!(block_on(limited.bytes()).unwrap_err().is_body_too_large());
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_bodies_parse_or_fail_as_decode_errors() {
        let n: Vec<u32> = block_on(Body::from("[1,2]").json()).unwrap();
        assert_eq!(n, [1, 2]);
        let e = block_on(Body::from("nope").json::<Vec<u32>>()).unwrap_err();
        assert!(e.is_decode(), "{e:?}");
    }
}
