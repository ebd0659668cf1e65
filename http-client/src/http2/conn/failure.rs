//! How a failed stream or connection is sorted into an [`Error`] of its kind, and the bounded
//! waits that let the dispatch task's end say why first.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::Ordering;

use futures_lite::future;

use super::Http2Connection;
use crate::Error;
use crate::error::{Fault, HeadLimits, io_kind};
use crate::http2::refused;

impl Http2Connection {
    /// Sorts a failure of hyper's into an [`Error`] of its kind. A stream that the failing
    /// connection ended is reported as canceled or closed, without the cause: then the cause
    /// is how the dispatch task ended, which it is about to.
    pub(crate) async fn classify(&self, e: hyper::Error, in_body: bool) -> Error {
        if e.is_user() {
            return Error::invalid_request(e);
        }
        if (e.is_canceled() || e.is_closed()) && io_kind(&e).is_none() {
            // The cause may be how the dispatch task ends, which it is about to; but on a
            // connection going away other streams may keep it alive, so the wait is bounded.
            settled(pin!(self.shared.driver.ended())).await;
        }
        // hyper reports the missed ping to the streams it fails; its dispatch task may end
        // without saying so (when it sees the connection task end first), so a stream that
        // learns it tells the requests after it.
        if e.is_timeout() {
            self.shared.ping_timed_out.store(true, Ordering::SeqCst);
        }
        let fault = if self.shared.ping_timed_out.load(Ordering::SeqCst) {
            Fault::PingTimeout(self.shared.keep_alive_timeout.unwrap_or_default())
        } else if refused::by_server(&e).is_some() {
            Fault::Refused
        } else {
            Fault::of(&e, self.shared.driver.ended_with(), NO_HEAD_LIMITS)
        };
        Error::on_connection(fault, in_body, e).with_origin(&self.shared.origin)
    }

    /// Sorts a failure while a response body was read, as far as is known now.
    pub(crate) fn classify_body(&self, e: Box<dyn std::error::Error + Send + Sync>) -> Error {
        let fault = match e.downcast_ref::<hyper::Error>() {
            Some(h) if h.is_timeout() || self.shared.ping_timed_out.load(Ordering::SeqCst) => {
                self.shared.ping_timed_out.store(true, Ordering::SeqCst);
                Fault::PingTimeout(self.shared.keep_alive_timeout.unwrap_or_default())
            }
            Some(h) => Fault::of(h, self.shared.driver.ended_with(), NO_HEAD_LIMITS),
            None => io_kind(&*e).map_or(Fault::Other, Fault::of_io),
        };
        Error::on_connection(fault, true, e)
    }
}

/// What `pending` gives within `ENDING_POLLS` turns of the runtime, or `None`: a bounded wait
/// for what the end of a dispatch task should bring at once (a send's answer, the end itself).
pub(super) async fn settled<F: Future + Unpin>(mut pending: F) -> Option<F::Output> {
    for _ in 0..ENDING_POLLS {
        if let Some(out) = future::poll_once(&mut pending).await {
            return Some(out);
        }
        future::yield_now().await;
    }
    None
}

/// The cause of a request that its connection's end left unanswered.
pub(super) fn unanswered() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::UnexpectedEof,
        "the connection ended with no answer to the request",
    )
}

/// How many times a failed stream lets the runtime run before it gives up waiting for the
/// dispatch task to end and say why.
const ENDING_POLLS: usize = 16;

/// HTTP/2 has no head-size failure of hyper's own to sort: the limits only name themselves.
const NO_HEAD_LIMITS: HeadLimits = HeadLimits {
    max_head_size: 0,
    max_headers: 0,
};
