//! The state's invariants, checked by the tests after every step.

use std::hash::Hash;

use super::State;

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// Panics if the counts disagree with each other or with the limits. For tests.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let open: usize = self.keys.iter().map(|(_, ks)| ks.open()).sum();
        assert_eq!(open, self.total, "total open");
        let queued: usize = self.keys.iter().map(|(_, ks)| ks.waiters.len()).sum();
        assert_eq!(queued, self.waiting, "waiting");
        for (k, ks) in self.keys.iter() {
            let queue: Vec<_> = ks.waiters.iter(&self.waiters).collect();
            assert_eq!(queue.len(), ks.waiters.len(), "queue length");
            assert!(
                queue.iter().all(|&w| self.waiters[w].key == k),
                "a queue holds its key's ungranted waiters"
            );
            assert!(
                queue
                    .windows(2)
                    .all(|p| self.waiters[p[0]].seq < self.waiters[p[1]].seq),
                "a queue is in arrival order"
            );
            assert!(ks.open() <= self.limits.max_per_key, "per-key limit");
            let c = &ks.counts;
            assert_eq!(
                c.created,
                (ks.idle.len() + ks.busy + ks.shared.len()) as u64 + c.closed_total(),
                "created = open + closed"
            );
            assert!(
                ks.idle
                    .iter()
                    .zip(ks.idle.iter().skip(1))
                    .all(|(a, b)| a.last_used <= b.last_used),
                "idle ordered by last use"
            );
            if !ks.waiters.is_empty() {
                assert!(ks.idle.is_empty(), "a key with waiters keeps no idle");
            }
            self.check_shared(k);
        }
        if let Some(max) = self.limits.max_total {
            assert!(self.total <= max, "total limit");
        }
        let fronts: std::collections::BTreeSet<_> = (self.keys.iter())
            .filter(|_| self.limits.max_total.is_some())
            .filter_map(|(k, ks)| ks.waiters.front().map(|w| (self.waiters[w].seq, k)))
            .collect();
        assert_eq!(fronts, self.fronts, "the index of waiting keys");
        self.check_lru();
        self.check_due();
        // Liveness: a key with waiters is at its limit, or the pool is at its total with nothing
        // idle to evict.
        let idle_anywhere = self.keys.iter().any(|(_, ks)| !ks.idle.is_empty());
        for (_, ks) in self.keys.iter() {
            if !ks.waiters.is_empty() {
                let at_total = self.limits.max_total.is_some_and(|m| self.total >= m);
                assert!(
                    ks.open() >= self.limits.max_per_key
                        || (at_total && !idle_anywhere)
                        || ks.awaits_shared(),
                    "a waiter waits with room free"
                );
            }
        }
    }
}
