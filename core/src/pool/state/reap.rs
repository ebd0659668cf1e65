//! The reaper's work on the state: closing idle connections that expired or hung up, in bounded
//! batches, and forgetting keys with nothing left.
//!
//! A batch visits keys named by a hang-up and keys whose expiry entry (see `due.rs`) came due; a
//! round with nothing due costs a look at the first entry and a short sweep for empty keys, so its
//! cost does not grow with the number of keys or idle connections.

use std::hash::Hash;
use std::time::Instant;

use super::{Effects, KeyId, Spent, State};

/// At most this many idle connections are looked at per batch, so that the lock is never held
/// for long: the reaper releases it between batches. At 10^5 idle with 1% expiring, a batch of
/// 256 held it up to about 140 us (cold caches, 2026-12-02); 64 held it 41-59 us (median).
pub(crate) const BATCH: usize = 64;

/// Keys looked at per batch for emptiness, in turn over the key slab: keys emptied by something
/// other than the reaper are forgotten within a bounded number of rounds. Each shard sweeps, so a
/// tick with nothing due reads 16 x 8 key slots (with 32 it cost 21 us at 10^4 keys, cold).
const SWEEP: usize = 8;

/// What a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reaped {
    /// Work remains for another batch.
    pub(crate) more: bool,
    /// Keys visited plus idle connections looked at: the batch's cost.
    pub(crate) looked: usize,
}

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// One batch of a reaper round at `now`: visits the keys in `hung_up` (taking them from it)
    /// and the keys due, closing what expired or hung up.
    pub(crate) fn reap_batch(
        &mut self,
        now: Instant,
        hung_up: &mut Vec<KeyId>,
        fx: &mut Effects<C>,
    ) -> Reaped {
        self.clock = Some(now);
        let mut looked = 0;
        while looked < BATCH {
            let next = match hung_up.pop() {
                // A hang-up's key may be gone, its slot reused: a visit closes nothing good.
                Some(k) if self.keys.contains(k) => Some(k),
                Some(_) => continue,
                None => self.pop_due(now),
            };
            let Some(k) = next else { break };
            looked += 1 + self.reap_key(k, now, fx);
        }
        // Serving may evict, and an eviction may empty a key: the sweep comes after it.
        self.serve_starved(fx);
        self.sweep_empty();
        Reaped {
            more: !hung_up.is_empty() || self.any_due(now),
            looked,
        }
    }

    /// A whole round at once, with no hang-up raised. For tests.
    #[cfg(test)]
    pub(crate) fn reap(&mut self, now: Instant, fx: &mut Effects<C>) {
        // Bounded, so that a round that never ends fails the test instead of hanging it.
        let most = 1 + self.total / BATCH + self.keys.len();
        let batches = (0..=most).take_while(|_| self.reap_batch(now, &mut Vec::new(), fx).more);
        assert!(batches.count() < most, "a round ends");
        for _ in 0..self.keys.capacity() / SWEEP {
            self.sweep_empty();
        }
    }

    /// Panics if a round at `now` left an expired idle connection or an empty key. For tests.
    #[cfg(test)]
    pub(crate) fn check_reaped(&self, now: Instant) {
        for (_, ks) in self.keys.iter() {
            assert!(!ks.is_empty(), "a round forgets empty keys");
            assert!(
                ks.idle.iter().all(|idle| !idle.is_expired(now)),
                "a round closes every expired idle connection"
            );
        }
    }

    /// Closes `k`'s idle connections that expired or hung up, re-indexes the key at its next
    /// expiry, and forgets it if nothing is left. Returns how many connections it looked at.
    fn reap_key(&mut self, k: KeyId, now: Instant, fx: &mut Effects<C>) -> usize {
        self.forget_due(k);
        let ks = &mut self.keys[k];
        let before = ks.idle.len();
        let (mut unusable, mut next) = (0, None::<Instant>);
        // Once around the list in place, oldest first: what is kept goes back in the same order,
        // with no new list to allocate.
        for _ in 0..before {
            let idle = ks
                .idle
                .pop_front()
                .expect("the list holds `before` connections");
            match idle.reap_check(now) {
                Ok(()) => {
                    next = match (next, idle.expires) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    ks.idle.push_back(idle);
                }
                Err(why) => {
                    unusable += u64::from(why == Spent::Unusable);
                    fx.close.push(idle.conn);
                }
            }
        }
        let closed = before - ks.idle.len();
        ks.counts.unusable += unusable;
        ks.counts.expired += closed as u64 - unusable;
        self.total -= closed;
        // The LRU entry stays a lower bound: only connections were taken out.
        self.note_due(k, next);
        self.forget_if_empty(k);
        before
    }

    /// Looks at the next few slots of the key slab and forgets keys with nothing left.
    fn sweep_empty(&mut self) {
        let slots = self.keys.capacity();
        for _ in 0..SWEEP.min(slots) {
            self.sweep_at = (self.sweep_at + 1) % slots;
            self.forget_if_empty(self.sweep_at);
        }
    }

    /// Forgets key `k` (keeping its counts) if it has nothing open and nobody waiting.
    fn forget_if_empty(&mut self, k: KeyId) {
        if self.keys.get(k).is_some_and(|ks| ks.is_empty()) {
            self.forget_lru(k);
            self.forget_due(k);
            let ks = self.keys.remove(k);
            self.index.remove(&ks.key);
            self.retired += ks.counts();
        }
    }
}
