//! One destination key's part of the pool's state: its idle list, its counts and its queue.

use std::collections::VecDeque;
use std::time::Instant;

use slab::Slab;

use super::queue::Queue;
use super::{Idle, shared};
use crate::pool::stats::Counts;

/// What the pool holds for one key.
pub(super) struct KeyState<K, C> {
    pub(super) key: K,
    /// Oldest first: reuse pops the back (most recently used), eviction the front.
    pub(super) idle: VecDeque<Idle<C>>,
    pub(super) busy: usize,
    pub(super) connecting: usize,
    /// Multiplexed connections serving at least one acquire: see `shared.rs`.
    pub(super) shared: Slab<shared::Master<C>>,
    /// Waiters not yet granted, oldest first.
    pub(super) waiters: Queue,
    pub(super) counts: Counts,
    /// Whether its connections are (expected to be) multiplexed: while one is being made,
    /// acquires wait for its streams instead of making more.
    pub(super) multiplexed: bool,
    /// The instant of the key's entry in [`State::lru`](super::State), if it has one.
    pub(super) lru_at: Option<Instant>,
    /// The instant of the key's entry in [`State::due`](super::State), if it has one.
    pub(super) due_at: Option<Instant>,
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
            ..self.counts
        }
    }
}
