//! A deadline whose timer is made only when it is first needed: an acquire's connect or check
//! that is ready on its first poll (an in-memory connection, a check with nothing to ask) never
//! registers a timer with the runtime.

use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::FutureExt;

use crate::rt::{BoxFuture, Clock};

/// Due `span` after `from`, as [`Clock::sleep_from`] would be, with its sleep made on the first
/// [`poll`](Deadline::poll).
pub(super) struct Deadline {
    from: Instant,
    span: Duration,
    sleep: Option<BoxFuture<'static, ()>>,
}

impl Deadline {
    pub(super) fn new(from: Instant, span: Duration) -> Self {
        Deadline {
            from,
            span,
            sleep: None,
        }
    }

    /// Ready once the deadline has passed on `clock`.
    pub(super) fn poll(&mut self, clock: &dyn Clock, cx: &mut Context<'_>) -> Poll<()> {
        let (from, span) = (self.from, self.span);
        (self.sleep)
            .get_or_insert_with(|| clock.sleep_from(from, span))
            .poll(cx)
    }
}
