//! The pool's state in shards, so that keys which share nothing share no lock.
//!
//! Without `max_total`, keys are independent: no transition of one key reads or changes another's
//! idle list, waiters or counts. The pool then splits its state into [`SHARDS`] shards, each a
//! whole [`State`] behind a lock of its own, and a key lives in the shard its hash picks. An
//! acquire on one key waits only for work on keys of its own shard, each step of which is bounded,
//! and tasks on keys of different shards run on different cores without meeting.
//!
//! With `max_total`, the total, eviction of another key's idle connection and first come, first
//! served across keys need one view of every key, so the pool keeps a single shard. Every
//! transition under its lock is bounded all the same (O(log n) in keys and idle connections, the
//! reaper in batches), so one key's work never stalls another's for long.
//!
//! The state machine stays as it was, pure and tested alone: a shard is a [`State`] that happens
//! to hold fewer keys.

use std::hash::{BuildHasher, Hash};

use foldhash::quality::RandomState;
use parking_lot::{Mutex, MutexGuard};

use super::state::{Limits, State};
use super::stats::{Counts, Stats};

/// Shards of a pool without `max_total`: enough that two busy keys rarely meet on two cores,
/// few enough that an empty pool stays small.
pub(super) const SHARDS: usize = 16;

/// One shard, aligned so that two shards' locks never share a cache line.
#[repr(align(128))]
struct Shard<K, C>(Mutex<State<K, C>>);

pub(super) struct Shards<K, C> {
    shards: Box<[Shard<K, C>]>,
    /// Picks a key's shard. A hasher of its own, so that a shard's index does not see its keys
    /// all agree in the hash bits the router used; foldhash's quality variant, as the fast one
    /// left one shard of 16 with 18 of 1000 small integer keys under some seed.
    router: RandomState,
}

impl<K: Eq + Hash + Clone, C> Shards<K, C> {
    pub(super) fn new(limits: Limits) -> Self {
        let count = if limits.max_total.is_some() {
            1
        } else {
            SHARDS
        };
        Shards {
            shards: (0..count)
                .map(|_| Shard(Mutex::new(State::new(limits))))
                .collect(),
            router: RandomState::default(),
        }
    }

    /// The shard `key` lives in.
    #[inline]
    pub(super) fn of(&self, key: &K) -> usize {
        match self.shards.len() {
            1 => 0,
            // The hash's high bits, scaled to `n`.
            n => ((u128::from(self.router.hash_one(key)) * n as u128) >> 64) as usize,
        }
    }

    pub(super) fn lock(&self, shard: usize) -> MutexGuard<'_, State<K, C>> {
        self.shards[shard].0.lock()
    }

    pub(super) fn len(&self) -> usize {
        self.shards.len()
    }

    /// Each shard's state, for a pool being dropped.
    pub(super) fn states_mut(&mut self) -> impl Iterator<Item = &mut State<K, C>> {
        self.shards.iter_mut().map(|shard| shard.0.get_mut())
    }

    /// Connections open or being made, over all shards.
    pub(super) fn open_total(&self) -> usize {
        (0..self.len()).map(|s| self.lock(s).open_total()).sum()
    }

    /// Counts over all shards, each read under its own lock.
    pub(super) fn stats(&self) -> Stats<K> {
        let mut all = Stats {
            total: Counts::default(),
            keys: Vec::new(),
        };
        for s in 0..self.len() {
            let Stats { total, keys } = self.lock(s).stats();
            all.total += total;
            all.keys.extend(keys);
        }
        all
    }

    /// Counts of one key, if the pool holds it.
    pub(super) fn stats_for(&self, key: &K) -> Option<Counts> {
        self.lock(self.of(key)).stats_for(key)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits(max_total: Option<usize>) -> Limits {
        Limits {
            max_per_key: 1,
            max_total,
            idle_timeout: Duration::from_secs(1),
            max_lifetime: None,
        }
    }

    #[test]
    fn keys_spread_over_every_shard_and_stay_in_theirs() {
        let shards: Shards<u32, ()> = Shards::new(limits(None));
        assert_eq!(shards.len(), SHARDS);
        let mut used = [0usize; SHARDS];
        for key in 0..1000 {
            assert_eq!(shards.of(&key), shards.of(&key), "a key has one shard");
            used[shards.of(&key)] += 1;
        }
        assert!(
            used.iter().all(|&n| n > 20),
            "1000 keys over 16 shards: {used:?}"
        );
    }

    #[test]
    fn keys_of_two_shards_share_no_lock() {
        let shards: Shards<u32, ()> = Shards::new(limits(None));
        let a = shards.of(&0);
        let b = (1..1000)
            .find(|key| shards.of(key) != a)
            .expect("a key in another shard");
        let _held = shards.lock(a);
        assert!(shards.shards[shards.of(&b)].0.try_lock().is_some());
    }

    #[test]
    fn a_total_limit_keeps_one_shard() {
        let shards: Shards<u32, ()> = Shards::new(limits(Some(4)));
        assert_eq!(shards.len(), 1);
        assert!((0..100).all(|key| shards.of(&key) == 0));
    }
}
