//! The pool-wide order of keys by their least recently used idle connection, so that an acquire
//! that must evict under `max_total` finds its victim in O(log keys) instead of a scan.
//!
//! Each key with idle connections has one entry, `(instant, key)`, whose instant is at most the
//! last use of the key's oldest idle connection: a lower bound, not always the exact time. The
//! hot paths leave entries alone (a checkout that empties a key's list, a return behind its
//! oldest), and eviction fixes a stale entry when it meets it: the first entry found exact is
//! the least recently used connection of the pool, since every other entry is at most its key's
//! true oldest.

use std::hash::Hash;

use super::idle::insert_by_last_use;
use super::{Effects, Idle, KeyId, State, bound};

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Puts `idle` in `k`'s idle list, in its place by last use, and keeps the key's entries a
    /// lower bound of its oldest and of its earliest expiry.
    pub(super) fn put_idle(&mut self, k: KeyId, idle: Idle<C>) {
        let last_used = idle.last_used;
        self.note_due(k, idle.expires);
        let ks = &mut self.keys[k];
        insert_by_last_use(&mut ks.idle, idle);
        bound::lower(&mut self.lru, &mut ks.lru_at, k, last_used);
    }

    /// Closes the least recently used idle connection of the pool, if there is one.
    pub(super) fn evict_lru(&mut self, fx: &mut Effects<C>) -> bool {
        while let Some((at, k)) = self.lru.pop_first() {
            let ks = &mut self.keys[k];
            ks.lru_at = None;
            let Some(oldest) = ks.idle.front().map(|idle| idle.last_used) else {
                continue; // emptied since: the key has nothing to evict
            };
            if oldest > at {
                // Stale: back in with its true time, and look again.
                bound::lower(&mut self.lru, &mut ks.lru_at, k, oldest);
                continue;
            }
            let idle = ks.idle.pop_front().expect("the key has an oldest idle");
            ks.counts.evicted += 1;
            fx.close.push(idle.conn);
            self.total -= 1;
            if let Some(next) = ks.idle.front().map(|idle| idle.last_used) {
                bound::lower(&mut self.lru, &mut ks.lru_at, k, next);
            }
            return true;
        }
        false
    }

    /// Removes `k`'s entry, before the key itself is removed (its id may be reused).
    pub(super) fn forget_lru(&mut self, k: KeyId) {
        bound::forget(&mut self.lru, &mut self.keys[k].lru_at, k);
    }

    /// Panics unless every key with idle connections has one entry, at most its oldest's last
    /// use. For tests.
    #[cfg(test)]
    pub(super) fn check_lru(&self) {
        let indexed = self
            .keys
            .iter()
            .filter(|(_, ks)| ks.lru_at.is_some())
            .count();
        assert_eq!(indexed, self.lru.len(), "one LRU entry per indexed key");
        for (k, ks) in self.keys.iter() {
            if let Some(oldest) = ks.idle.front() {
                let at = ks
                    .lru_at
                    .expect("a key with idle connections is in the LRU index");
                assert!(at <= oldest.last_used, "an LRU entry is a lower bound");
                assert!(
                    self.lru.contains(&(at, k)),
                    "the key's entry is in the index"
                );
            }
        }
    }
}
