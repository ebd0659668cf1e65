//! What the async layer must do once the pool's lock is released.

use std::task::Waker;

/// Connections to close and waiters to wake, collected under the lock.
#[derive(Debug)]
pub(crate) struct Effects<C> {
    /// Connections to close.
    pub(crate) close: Vec<C>,
    /// The first waiter to wake; most transitions wake at most one, and this keeps them from
    /// allocating.
    wake: Option<Waker>,
    /// Any further waiters to wake.
    wake_more: Vec<Waker>,
}

impl<C> Effects<C> {
    pub(crate) fn new() -> Self {
        Effects {
            close: Vec::new(),
            wake: None,
            wake_more: Vec::new(),
        }
    }

    pub(crate) fn wake(&mut self, waker: Waker) {
        match self.wake {
            None => self.wake = Some(waker),
            Some(_) => self.wake_more.push(waker),
        }
    }

    pub(crate) fn extend_wake(&mut self, waker: Option<Waker>) {
        if let Some(waker) = waker {
            self.wake(waker);
        }
    }

    /// Whether there is nothing to do: the common case, checked first.
    pub(crate) fn is_empty(&self) -> bool {
        self.wake.is_none() && self.close.is_empty()
    }

    /// Lets go of an empty `Effects` without its drop glue, which every transition paid for
    /// nothing: empty, it owns no allocation, as nothing was ever pushed to it.
    pub(crate) fn forget_empty(self) {
        debug_assert!(self.is_empty() && self.wake_more.capacity() == 0);
        // (A `Vec` of a zero-sized type has the largest capacity, and no allocation.)
        debug_assert!(self.close.capacity() == 0 || size_of::<C>() == 0);
        std::mem::forget(self);
    }

    /// The waiters to wake, in the order they were granted.
    pub(crate) fn wakes(&mut self) -> impl Iterator<Item = Waker> + '_ {
        self.wake.take().into_iter().chain(self.wake_more.drain(..))
    }
}
