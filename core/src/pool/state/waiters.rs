//! Waiters: queueing, grants, and leaving the queue (served, timed out or dropped).

use std::hash::Hash;
use std::task::Waker;
use std::time::Duration;

use super::{Back, Effects, Grant, KeyId, State, Waiter, WaiterId};

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Queues a waiter for `key` after [`Checkout::Wait`](super::Checkout::Wait), to be woken
    /// through `waker` when it is granted. Grants and wakers change only under the pool's lock,
    /// so no grant can be missed.
    pub(crate) fn enqueue(&mut self, k: KeyId, waker: &Waker) -> WaiterId {
        let seq = self.next_seq;
        self.next_seq += 1;
        let w = self.waiters.insert(Waiter {
            key: k,
            seq,
            grant: None,
            waker: Some(waker.clone()),
            link: Default::default(),
        });
        let front = self.front_seq(k);
        self.keys[k].waiters.push_back(&mut self.waiters, w);
        self.refront(k, front);
        self.waiting += 1;
        w
    }

    /// A waiter polled again: takes its grant, ending it after `waited`, or keeps `waker` to be
    /// woken by the grant.
    pub(crate) fn poll_grant(
        &mut self,
        w: WaiterId,
        waker: &Waker,
        waited: Duration,
    ) -> Option<(Grant<C>, KeyId)> {
        let taken = self.take_grant(w, waited);
        if taken.is_none() {
            match &mut self.waiters[w].waker {
                Some(kept) if kept.will_wake(waker) => {}
                slot => *slot = Some(waker.clone()),
            }
        }
        taken
    }

    /// Takes the waiter's grant, with its key, if it has one, ending the waiter after `waited`.
    pub(crate) fn take_grant(
        &mut self,
        w: WaiterId,
        waited: Duration,
    ) -> Option<(Grant<C>, KeyId)> {
        self.waiters[w].grant.as_ref()?;
        let (k, grant) = self.remove_waiter(w, waited);
        if let Some(Grant::Conn(_) | Grant::Stream(_)) = grant {
            self.keys[k].counts.reused += 1;
        }
        Some((grant?, k))
    }

    /// The waiter's time ran out after `waited`: it takes a grant that arrived meanwhile, or
    /// leaves the queue and counts as timed out.
    pub(crate) fn give_up(&mut self, w: WaiterId, waited: Duration) -> Option<(Grant<C>, KeyId)> {
        if let Some(grant) = self.take_grant(w, waited) {
            return Some(grant);
        }
        let (k, _) = self.remove_waiter(w, waited);
        self.keys[k].counts.timed_out += 1;
        None
    }

    /// The waiter was dropped after `waited`: whatever it had been handed goes to the next in
    /// line. Gives back a handle of a multiplexed connection not needed, for the caller to drop
    /// off the lock.
    #[must_use = "a handle not needed is dropped off the lock"]
    pub(crate) fn cancel(
        &mut self,
        w: WaiterId,
        waited: Duration,
        fx: &mut Effects<C>,
    ) -> Option<C> {
        let (k, grant) = self.remove_waiter(w, waited);
        // Ungranted, it has left its queue already: nothing was handed to it.
        match grant {
            Some(Grant::Conn(idle)) => {
                self.keys[k].busy -= 1;
                self.place(k, idle, fx);
            }
            Some(Grant::Stream(s)) => return self.stream_back(k, s.id, s.handle, Back::Unused, fx),
            Some(Grant::Slot) => {
                self.keys[k].connecting -= 1;
                self.free_slot(k, fx);
            }
            Some(Grant::Closed) | None => {}
        }
        None
    }

    /// Ends a waiter that waited `waited`, taking it out of its queue if it is still in it.
    /// Returns its key and grant.
    pub(super) fn remove_waiter(
        &mut self,
        w: WaiterId,
        waited: Duration,
    ) -> (KeyId, Option<Grant<C>>) {
        let k = self.waiters[w].key;
        let front = self.front_seq(k);
        if self.keys[k].waiters.remove(&mut self.waiters, w) {
            self.waiting -= 1;
            self.refront(k, front);
        }
        let waiter = self.waiters.remove(w);
        let counts = &mut self.keys[waiter.key].counts;
        counts.waits += 1;
        counts.wait_time = counts.wait_time.saturating_add(waited);
        (waiter.key, waiter.grant)
    }

    pub(super) fn pop_waiter(&mut self, k: KeyId) -> Option<WaiterId> {
        let front = self.front_seq(k);
        let w = self.keys[k].waiters.pop_front(&mut self.waiters)?;
        self.refront(k, front);
        self.waiting -= 1;
        Some(w)
    }

    pub(super) fn grant(&mut self, w: WaiterId, grant: Grant<C>, fx: &mut Effects<C>) {
        let waiter = &mut self.waiters[w];
        waiter.grant = Some(grant);
        fx.extend_wake(waiter.waker.take());
    }

    /// Whether a waiter has been handed its grant and not yet taken it. For tests.
    #[cfg(test)]
    pub(crate) fn is_granted(&self, w: WaiterId) -> bool {
        self.waiters[w].grant.is_some()
    }

    /// What a waiter has been handed and not yet taken, if anything. For tests.
    #[cfg(test)]
    pub(crate) fn grant_of(&self, w: WaiterId) -> Option<&Grant<C>> {
        self.waiters[w].grant.as_ref()
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
