//! A key's waiters in arrival order, linked through the waiter slab: push, pop and removal from
//! anywhere in O(1), so that a timeout storm on a long queue stays linear.

use slab::Slab;

use super::{Waiter, WaiterId};

/// Where a waiter sits in its key's queue.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Link {
    prev: Option<WaiterId>,
    next: Option<WaiterId>,
    queued: bool,
}

/// A FIFO of waiter ids whose links live in the waiters themselves.
///
/// The length first: it is what every checkout and return reads, and `KeyState` places it last
/// in the line it keeps for them.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub(super) struct Queue {
    len: usize,
    head: Option<WaiterId>,
    tail: Option<WaiterId>,
}

impl Queue {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The oldest waiter.
    pub(super) fn front(&self) -> Option<WaiterId> {
        self.head
    }

    pub(super) fn push_back<C>(&mut self, slab: &mut Slab<Waiter<C>>, w: WaiterId) {
        slab[w].link = Link {
            prev: self.tail,
            next: None,
            queued: true,
        };
        match self.tail {
            Some(t) => slab[t].link.next = Some(w),
            None => self.head = Some(w),
        }
        self.tail = Some(w);
        self.len += 1;
    }

    pub(super) fn pop_front<C>(&mut self, slab: &mut Slab<Waiter<C>>) -> Option<WaiterId> {
        let w = self.head?;
        self.remove(slab, w);
        Some(w)
    }

    /// Takes `w` out of the queue if it is in it; whether it was.
    pub(super) fn remove<C>(&mut self, slab: &mut Slab<Waiter<C>>, w: WaiterId) -> bool {
        let link = std::mem::take(&mut slab[w].link);
        if !link.queued {
            return false;
        }
        match link.prev {
            Some(p) => slab[p].link.next = link.next,
            None => self.head = link.next,
        }
        match link.next {
            Some(n) => slab[n].link.prev = link.prev,
            None => self.tail = link.prev,
        }
        self.len -= 1;
        true
    }

    /// Empties the queue, unlinking every waiter in it.
    pub(super) fn clear<C>(&mut self, slab: &mut Slab<Waiter<C>>) {
        while self.pop_front(slab).is_some() {}
    }

    /// The waiters, oldest first. For tests.
    #[cfg(test)]
    pub(super) fn iter<'a, C>(
        &self,
        slab: &'a Slab<Waiter<C>>,
    ) -> impl Iterator<Item = WaiterId> + 'a {
        std::iter::successors(self.head, |&w| slab[w].link.next)
    }
}
