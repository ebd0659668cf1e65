//! Reading a response body whole, within a size limit.

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Body, Incoming};

use crate::Error;
use crate::conn::HttpConnection;

/// Reads `body` to its end, failing with [`Error::is_body_too_large`] once more than `limit`
/// bytes arrive, or at once when the announced length (`Content-Length`) is over the limit; a
/// failure of the connection that carries it is sorted by `conn`.
///
/// A body that arrives in one chunk is returned without copying.
pub(crate) async fn collect(
    body: Incoming,
    limit: usize,
    conn: &HttpConnection,
) -> Result<Bytes, Error> {
    let announced = body.size_hint().lower();
    if usize::try_from(announced).map_or(true, |len| len > limit) {
        return Err(Error::body_too_large(limit));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(Error::body_too_large(limit)),
        Err(e) => Err(conn.classify_body(e)),
    }
}
