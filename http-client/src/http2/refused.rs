//! Whether the server refused a stream without processing it, so that its request may be sent
//! again whatever its method (RFC 9113, section 8.7).

use std::error::Error as StdError;

use h2::Reason;

/// How the server refused a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A graceful `GOAWAY` (`NO_ERROR`) below the stream: the connection takes no new streams.
    GoingAway,
    /// A `RST_STREAM` with `REFUSED_STREAM` (over the server's stream limit, say): the
    /// connection serves on.
    Stream,
}

/// h2's word, carried by `e`, that the server did not process the stream. A `GOAWAY` with an
/// error code says nothing of the streams below its last id, so it is not taken as one.
pub(crate) fn by_server(e: &hyper::Error) -> Option<Refusal> {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(cause) = source {
        if let Some(h2) = cause.downcast_ref::<h2::Error>() {
            return match (h2.is_remote(), h2.reason()) {
                (true, Some(Reason::NO_ERROR)) if h2.is_go_away() => Some(Refusal::GoingAway),
                (true, Some(Reason::REFUSED_STREAM)) if h2.is_reset() => Some(Refusal::Stream),
                _ => None,
            };
        }
        source = cause.source();
    }
    None
}
