//! Waiters: queueing, grants, and leaving the queue (served, timed out or dropped).

use std::hash::Hash;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use super::cell::Cell;
use super::{Back, Effects, Grant, KeyId, State, WaiterId, queue};

/// A waiter not yet granted: once granted, it leaves the state for its cell.
pub(super) struct Waiter<C> {
    pub(super) key: KeyId,
    /// Arrival order across keys, for fairness when a slot can go to any key.
    pub(super) seq: u64,
    started: Instant,
    /// Where its grant goes, and its waker.
    cell: Arc<Cell<C>>,
    /// Its place in its key's queue.
    pub(super) link: queue::Link,
}

/// A queued waiter as its ticket holds it: its place in the state, and the cell its grant
/// comes in.
pub(crate) struct Waiting<C> {
    id: WaiterId,
    cell: Arc<Cell<C>>,
}

impl<C> Waiting<C> {
    /// Takes the grant if there is one, else keeps `waker` to be woken by it. Needs no lock of
    /// the pool: the grant was counted when it was made.
    pub(crate) fn poll(&self, waker: &Waker) -> Option<(Grant<C>, KeyId)> {
        self.cell.poll(waker)
    }

    /// Takes the grant, if there is one.
    pub(crate) fn take(&self) -> Option<(Grant<C>, KeyId)> {
        self.cell.take()
    }

    /// Whether it has been handed a grant and not yet taken it. For tests.
    #[cfg(test)]
    pub(crate) fn is_granted(&self) -> bool {
        self.cell.is_granted()
    }

    /// Whether its untaken grant is a connection (`Some(false)`) or a stream. For tests.
    #[cfg(test)]
    pub(crate) fn granted_stream(&self) -> Option<bool> {
        self.cell.granted_stream()
    }

    /// Where its cell lives, to tell a reused cell from a new one. For tests.
    #[cfg(test)]
    pub(crate) fn cell_addr(&self) -> usize {
        Arc::as_ptr(&self.cell).addr()
    }
}

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Queues a waiter for `key` after [`Checkout::Wait`](super::Checkout::Wait), arrived at
    /// `now`, to be woken through `waker` when it is granted. Grants are made and cancelled only
    /// under the pool's lock, and wakers change under the cell's, so no grant can be missed.
    pub(crate) fn enqueue(&mut self, k: KeyId, waker: &Waker, now: Instant) -> Waiting<C> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let cell = self.spares.cell(waker);
        let w = self.waiters.insert(Waiter {
            key: k,
            seq,
            started: now,
            cell: cell.clone(),
            link: Default::default(),
        });
        let front = self.front_seq(k);
        self.keys[k].waiters.push_back(&mut self.waiters, w);
        self.refront(k, front);
        self.waiting += 1;
        Waiting { id: w, cell }
    }

    /// The waiter's time ran out at `now`: it takes a grant that arrived meanwhile, or leaves
    /// the queue and counts as timed out.
    pub(crate) fn give_up(&mut self, w: &Waiting<C>, now: Instant) -> Option<(Grant<C>, KeyId)> {
        // Granted under the lock we hold, or never.
        if let Some(grant) = w.take() {
            return Some(grant);
        }
        let k = self.remove_waiter(w.id, now);
        self.keys[k].counts.timed_out += 1;
        None
    }

    /// The waiter was dropped at `now`: whatever it had been handed goes to the next in line.
    /// Gives back a handle of a multiplexed connection not needed, for the caller to drop off
    /// the lock.
    #[must_use = "a handle not needed is dropped off the lock"]
    pub(crate) fn cancel(
        &mut self,
        w: &Waiting<C>,
        now: Instant,
        fx: &mut Effects<C>,
    ) -> Option<C> {
        self.clock = Some(now);
        let Some((grant, k)) = w.take() else {
            // Ungranted: nothing was handed to it.
            self.remove_waiter(w.id, now);
            return None;
        };
        match grant {
            Grant::Conn(idle) => {
                let ks = &mut self.keys[k];
                ks.busy -= 1;
                // Its grant counted a reuse; it served nothing.
                ks.reused -= 1;
                self.place(k, idle, fx);
            }
            Grant::Stream(s) => {
                self.keys[k].reused -= 1;
                return self.stream_back(k, s.id, s.handle, Back::Unused, now, fx);
            }
            Grant::Slot => {
                self.keys[k].connecting -= 1;
                self.free_slot(k, fx);
            }
            Grant::Closed => {}
        }
        None
    }

    /// Ends an ungranted waiter at `now`, taking it out of its queue if it is still in it.
    /// Returns its key.
    pub(super) fn remove_waiter(&mut self, w: WaiterId, now: Instant) -> KeyId {
        let k = self.waiters[w].key;
        let front = self.front_seq(k);
        if self.keys[k].waiters.remove(&mut self.waiters, w) {
            self.waiting -= 1;
            self.refront(k, front);
        }
        let waiter = self.waiters.remove(w);
        self.count_wait(&waiter, now);
        self.spares.keep(waiter.cell);
        k
    }

    /// Counts the wait of `waiter`, ended at `now`.
    fn count_wait(&mut self, waiter: &Waiter<C>, now: Instant) {
        let counts = &mut self.keys[waiter.key].counts;
        counts.waits += 1;
        let waited = now.saturating_duration_since(waiter.started);
        counts.wait_time = counts.wait_time.saturating_add(waited);
    }

    pub(super) fn pop_waiter(&mut self, k: KeyId) -> Option<WaiterId> {
        let front = self.front_seq(k);
        let w = self.keys[k].waiters.pop_front(&mut self.waiters)?;
        self.refront(k, front);
        self.waiting -= 1;
        Some(w)
    }

    /// Hands waiter `w`, out of its queue already, its grant: it is counted now and leaves the
    /// state, to take the grant from its cell without the pool's lock.
    pub(super) fn grant(&mut self, w: WaiterId, grant: Grant<C>, fx: &mut Effects<C>) {
        let waiter = self.waiters.remove(w);
        self.count_wait(&waiter, self.clock.unwrap_or(waiter.started));
        if let Grant::Conn(_) | Grant::Stream(_) = grant {
            self.keys[waiter.key].reused += 1;
        }
        fx.extend_wake(waiter.cell.fill(grant, waiter.key));
        self.spares.keep(waiter.cell);
    }

    /// The arrival number of `k`'s oldest waiter, as [`State::fronts`] indexes it: only
    /// `max_total` has one key's waiters served before another's, so without it there is no
    /// index to keep (it cost two B-tree updates a hand-off).
    fn front_seq(&self, k: KeyId) -> Option<u64> {
        self.limits.max_total?;
        self.keys[k].waiters.front().map(|w| self.waiters[w].seq)
    }

    /// Keeps `k`'s entry in [`State::fronts`] at its oldest waiter, after its queue changed
    /// from having `before` in front.
    fn refront(&mut self, k: KeyId, before: Option<u64>) {
        let after = self.front_seq(k);
        if after != before {
            if let Some(seq) = before {
                self.fronts.remove(&(seq, k));
            }
            if let Some(seq) = after {
                self.fronts.insert((seq, k));
            }
        }
    }
}
