//! Capacity as it frees: who gets a connection or a slot, eviction under `max_total`, and first
//! come, first served across keys.

use std::hash::Hash;

use super::{Effects, Grant, Idle, KeyId, State};

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Whether one more connection fits under `max_total`, evicting the least recently used idle
    /// connection of another key if that makes room.
    pub(super) fn room_in_total(&mut self, fx: &mut Effects<C>) -> bool {
        match self.limits.max_total {
            Some(max) if self.total >= max => self.evict_lru(fx),
            _ => true,
        }
    }

    /// A connection is free for `k`: the oldest waiter it can serve gets it (one of `k`'s, or an
    /// older one of another key held back by `max_total`, for whom it is closed to make room),
    /// else it goes idle in its place by last use (or is closed, once the pool is).
    pub(super) fn place(&mut self, k: KeyId, idle: Idle<C>, fx: &mut Effects<C>) {
        if self.closed {
            self.total -= 1;
            self.keys[k].counts.closed += 1;
            fx.close.push(idle.conn);
            return;
        }
        let own = self.keys[k].waiters.front().map(|w| self.waiters[w].seq);
        if let Some(other) = self.older_starved(k, own) {
            self.keys[k].counts.evicted += 1;
            fx.close.push(idle.conn);
            let w = self.pop_waiter(other).expect("the chosen key has a waiter");
            self.keys[other].connecting += 1;
            self.grant(w, Grant::Slot, fx);
            return;
        }
        match self.pop_waiter(k) {
            Some(w) if idle.mux.is_none() => {
                self.keys[k].busy += 1;
                self.grant(w, Grant::Conn(idle), fx);
            }
            Some(w) => {
                let stream = self.lease_shared(k, idle, fx);
                self.grant(w, stream, fx);
            }
            None => self.put_idle(k, idle),
        }
    }

    /// The key of the oldest waiter held back by `max_total` alone, other than `k`'s, if it came
    /// before `than` (the sequence number of `k`'s oldest waiter, if any).
    pub(super) fn older_starved(&self, k: KeyId, than: Option<u64>) -> Option<KeyId> {
        let max_total = self.limits.max_total?;
        if self.total < max_total || self.waiting == 0 {
            return None;
        }
        // Oldest first, and only those older than `k`'s own: keys at their own limit are
        // skipped, as no room in the total would serve them.
        (self.fronts.iter())
            .take_while(|&&(seq, _)| than.is_none_or(|own| seq < own))
            .find(|&&(_, j)| j != k && self.keys[j].open() < self.limits.max_per_key)
            .map(|&(_, j)| j)
    }

    /// `k` has one connection fewer: the oldest waiter that can use the room gets a slot (one of
    /// `k`'s, or under `max_total` any key's).
    pub(super) fn free_slot(&mut self, k: KeyId, fx: &mut Effects<C>) {
        self.total -= 1;
        if self.limits.max_total.is_some() {
            return self.serve_starved(fx);
        }
        if let Some(w) = self.pop_waiter(k) {
            self.keys[k].connecting += 1;
            self.total += 1;
            self.grant(w, Grant::Slot, fx);
        }
    }

    /// Hands slots to `k`'s waiters while it has room, except while a connection expected to be
    /// multiplexed is being made: then one slot at a time, the others waiting for its streams.
    pub(super) fn serve_slots(&mut self, k: KeyId, fx: &mut Effects<C>) {
        while !self.keys[k].waiters.is_empty()
            && !self.keys[k].awaits_shared()
            && self.keys[k].open() < self.limits.max_per_key
            && self.room_in_total(fx)
        {
            let w = self.pop_waiter(k).expect("a waiter");
            self.keys[k].connecting += 1;
            self.total += 1;
            self.grant(w, Grant::Slot, fx);
        }
    }

    /// Hands slots to waiters whose key is under its own limit but who wait on `max_total`,
    /// oldest first, while there is room or idle connections to evict. Without `max_total` no
    /// such waiter exists.
    #[inline]
    pub(super) fn serve_starved(&mut self, fx: &mut Effects<C>) {
        if let Some(max_total) = self.limits.max_total {
            self.serve_starved_under(max_total, fx);
        }
    }

    pub(super) fn serve_starved_under(&mut self, max_total: usize, fx: &mut Effects<C>) {
        while self.waiting > 0 {
            let oldest = (self.fronts.iter())
                .find(|&&(_, k)| self.keys[k].open() < self.limits.max_per_key)
                .copied();
            let Some((_, k)) = oldest else { return };
            if self.total >= max_total && !self.evict_lru(fx) {
                return;
            }
            let w = self.pop_waiter(k).expect("the chosen key has a waiter");
            self.keys[k].connecting += 1;
            self.total += 1;
            self.grant(w, Grant::Slot, fx);
        }
    }
}
