//! One destination key's part of the pool's state: its idle list, its counts and its queue.

use std::collections::VecDeque;
use std::time::Instant;

use slab::Slab;

use super::queue::Queue;
use super::{Idle, shared};
use crate::pool::stats::Counts;

/// What the pool holds for one key.
///
/// Laid out by use, as the pool touches a key it last used long ago (with many keys, round robin)
/// once per checkout and once per return: the first cache line holds what both read and write,
/// the second what both read, mostly to find it empty, the rest what only the rarer paths need.
/// Without the order, the five lines the fields spread over were all fetched on every checkout.
#[repr(C, align(64))]
pub(super) struct KeyState<K, C> {
    /// Oldest first: reuse pops the back (most recently used), eviction the front.
    pub(super) idle: VecDeque<Idle<C>>,
    /// The instant of the key's entry in [`State::lru`](super::State), if it has one.
    pub(super) lru_at: Option<Instant>,
    pub(super) busy: usize,
    /// Acquires served by an existing connection ([`Counts::reused`], kept apart from the other
    /// counters for its line).
    pub(super) reused: u64,
    // The second line: the queue's length ends it (see `Queue`).
    /// Multiplexed connections serving at least one acquire: see `shared.rs`.
    pub(super) shared: Slab<shared::Master<C>>,
    /// The instant of the key's entry in [`State::due`](super::State), if it has one.
    pub(super) due_at: Option<Instant>,
    /// Waiters not yet granted, oldest first.
    pub(super) waiters: Queue,
    // The rest.
    pub(super) connecting: usize,
    /// Whether its connections are (expected to be) multiplexed: while one is being made,
    /// acquires wait for its streams instead of making more.
    pub(super) multiplexed: bool,
    pub(super) key: K,
    pub(super) counts: Counts,
}

impl<K, C> KeyState<K, C> {
    pub(super) fn new(key: K) -> Self {
        KeyState {
            key,
            idle: VecDeque::new(),
            busy: 0,
            connecting: 0,
            shared: Slab::new(),
            multiplexed: false,
            waiters: Queue::default(),
            counts: Counts::default(),
            reused: 0,
            lru_at: None,
            due_at: None,
        }
    }

    pub(super) fn open(&self) -> usize {
        self.idle.len() + self.busy + self.connecting + self.shared.len()
    }

    /// Whether acquires wait for a connection being made, expected to be multiplexed.
    pub(super) fn awaits_shared(&self) -> bool {
        self.multiplexed && self.connecting > 0
    }

    pub(super) fn is_empty(&self) -> bool {
        self.open() == 0 && self.waiters.is_empty()
    }

    pub(super) fn counts(&self) -> Counts {
        Counts {
            idle: self.idle.len(),
            busy: self.busy,
            connecting: self.connecting,
            shared: self.shared.len(),
            streams: self.shared.iter().map(|(_, m)| m.in_use()).sum(),
            waiting: self.waiters.len(),
            reused: self.reused,
            ..self.counts
        }
    }
}

#[cfg(test)]
mod tests {
    use std::mem::{align_of, offset_of, size_of};

    use super::*;

    type Ks = KeyState<u32, ()>;

    #[test]
    fn what_every_checkout_touches_fits_in_the_first_two_lines() {
        assert_eq!(align_of::<Ks>(), 64);
        let ends = [
            offset_of!(Ks, idle) + size_of::<VecDeque<Idle<()>>>(),
            offset_of!(Ks, lru_at) + size_of::<Option<Instant>>(),
            offset_of!(Ks, busy) + size_of::<usize>(),
            offset_of!(Ks, reused) + size_of::<u64>(),
        ];
        assert!(ends.iter().all(|&end| end <= 64), "first line: {ends:?}");
        let second = [
            offset_of!(Ks, shared) + size_of::<Slab<shared::Master<()>>>(),
            offset_of!(Ks, due_at) + size_of::<Option<Instant>>(),
            // The queue's length is its first field.
            offset_of!(Ks, waiters) + size_of::<usize>(),
        ];
        assert!(
            second.iter().all(|&end| end <= 128),
            "second line: {second:?}"
        );
    }
}
