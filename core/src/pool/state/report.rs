//! What the state reports: the counts of the pool and of each key.

use std::hash::Hash;

use super::State;
use crate::pool::stats::{Counts, Stats};

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Counts of the whole pool and of each key.
    pub(crate) fn stats(&self) -> Stats<K> {
        let mut total = self.retired;
        let keys = self
            .keys
            .iter()
            .map(|(_, ks)| {
                let counts = ks.counts();
                total += counts;
                (ks.key.clone(), counts)
            })
            .collect();
        Stats { total, keys }
    }

    /// Counts of one key, if the pool holds it.
    pub(crate) fn stats_for(&self, key: &K) -> Option<Counts> {
        self.index.get(key).map(|&k| self.keys[k].counts())
    }
}
