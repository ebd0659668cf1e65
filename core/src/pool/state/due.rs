//! The pool-wide order of keys by when their idle connections expire, so that a reaper round
//! visits only keys with something due instead of every key and every idle connection.
//!
//! Each key with an idle connection that can expire has one entry, `(instant, key)`, whose
//! instant is at most the earliest expiry among the key's idle connections: a lower bound, like
//! the LRU index's. Taking a connection out of idle leaves the entry early, never late; the
//! reaper, visiting a key whose entry came due, closes what has expired and puts the key back at
//! its true next expiry.

use std::hash::Hash;
use std::time::Instant;

use super::{KeyId, State, bound};

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Keeps `k`'s entry at or before `expires`, the expiry of a connection just put idle.
    pub(super) fn note_due(&mut self, k: KeyId, expires: Option<Instant>) {
        if let Some(expires) = expires {
            bound::lower(&mut self.due, &mut self.keys[k].due_at, k, expires);
        }
    }

    /// The next key whose entry is due at `now`, taken out of the index.
    pub(super) fn pop_due(&mut self, now: Instant) -> Option<KeyId> {
        let &(at, k) = self.due.first()?;
        if at > now {
            return None;
        }
        self.due.pop_first();
        self.keys[k].due_at = None;
        Some(k)
    }

    /// Whether some key's entry is due at `now`.
    pub(super) fn any_due(&self, now: Instant) -> bool {
        self.due.first().is_some_and(|&(at, _)| at <= now)
    }

    /// Removes `k`'s entry, before the key is removed or its idle list rebuilt.
    pub(super) fn forget_due(&mut self, k: KeyId) {
        bound::forget(&mut self.due, &mut self.keys[k].due_at, k);
    }

    /// Panics unless every idle connection that can expire is covered by its key's entry. For
    /// tests.
    #[cfg(test)]
    pub(super) fn check_due(&self) {
        let indexed = (self.keys.iter())
            .filter(|(_, ks)| ks.due_at.is_some())
            .count();
        assert_eq!(indexed, self.due.len(), "one expiry entry per indexed key");
        for (k, ks) in self.keys.iter() {
            for idle in &ks.idle {
                if let Some(expires) = idle.expires {
                    let at = ks.due_at.expect("a key that can expire is indexed");
                    assert!(at <= expires, "an expiry entry is a lower bound");
                    assert!(self.due.contains(&(at, k)), "the entry is in the index");
                }
            }
        }
    }
}
