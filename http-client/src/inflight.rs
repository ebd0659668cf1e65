//! [`InFlight`]: the guard of a connection while it carries a request.

use std::ops::{Deref, DerefMut};

use fusebox_core::Pooled;

use crate::Origin;
use crate::conn::{Connector, Negotiated};

/// A connection carrying a request: discarded if dropped, returned to the pool only by
/// [`finish`](InFlight::finish) after a complete response. A stream of a shared (HTTP/2)
/// connection goes back either way: ending a request early resets only its stream, and the
/// pool asks the connection whether it is still usable.
pub(crate) struct InFlight {
    pooled: Option<Pooled<Origin, Connector>>,
}

impl InFlight {
    pub(crate) fn new(pooled: Pooled<Origin, Connector>) -> InFlight {
        InFlight {
            pooled: Some(pooled),
        }
    }

    /// The exchange completed: the connection goes back to the pool.
    pub(crate) fn finish(mut self) {
        drop(self.pooled.take());
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(pooled) = self.pooled.take() {
            if pooled.is_shared() {
                return drop(pooled);
            }
            tracing::debug!("discarding a connection whose request did not complete");
            pooled.discard();
        }
    }
}

impl Deref for InFlight {
    type Target = Negotiated;

    fn deref(&self) -> &Negotiated {
        self.pooled
            .as_ref()
            .expect("an in-flight guard holds its connection")
    }
}

impl DerefMut for InFlight {
    fn deref_mut(&mut self) -> &mut Negotiated {
        self.pooled
            .as_mut()
            .expect("an in-flight guard holds its connection")
    }
}
