//! What the async layer must do once the pool's lock is released.

use std::sync::Arc;

use event_listener::Event;

/// Connections to close and waiters to wake, collected under the lock.
#[derive(Debug)]
pub(crate) struct Effects<C> {
    /// Connections to close.
    pub(crate) close: Vec<C>,
    /// The first waiter to wake; most transitions wake at most one, and this keeps them from
    /// allocating.
    wake: Option<Arc<Event>>,
    /// Any further waiters to wake.
    wake_more: Vec<Arc<Event>>,
}

impl<C> Effects<C> {
    pub(crate) fn new() -> Self {
        Effects {
            close: Vec::new(),
            wake: None,
            wake_more: Vec::new(),
        }
    }

    pub(crate) fn wake(&mut self, event: Arc<Event>) {
        match self.wake {
            None => self.wake = Some(event),
            Some(_) => self.wake_more.push(event),
        }
    }

    /// Whether there is nothing to do: the common case, checked first.
    pub(crate) fn is_empty(&self) -> bool {
        self.wake.is_none() && self.close.is_empty()
    }

    /// The waiters to wake, in the order they were granted.
    pub(crate) fn wakes(&mut self) -> impl Iterator<Item = Arc<Event>> + '_ {
        self.wake.take().into_iter().chain(self.wake_more.drain(..))
    }
}
