//! Counts the pool reports through [`Pool::stats`](super::Pool::stats).

use std::ops::AddAssign;
use std::time::Duration;

use super::state::Spent;

/// Counts of one destination key, or of the whole pool.
///
/// The first six are gauges (what is there now); the rest are counters since the key was first
/// used (for the total: since the pool was built). Every connection made is open or was closed
/// for one reason: `created == idle + busy + shared + closed_total()` at all times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Connections sitting idle, ready for reuse.
    pub idle: usize,
    /// Connections handed out and not yet returned.
    pub busy: usize,
    /// Connections being established.
    pub connecting: usize,
    /// Multiplexed connections serving acquires now (an HTTP/2 connection's streams), each
    /// counted once however many it serves; with none, such a connection is idle.
    pub shared: usize,
    /// Acquires served now by the multiplexed connections in `shared`.
    pub streams: usize,
    /// Acquires waiting for a connection.
    pub waiting: usize,
    /// Connections established.
    pub created: u64,
    /// Acquires served by an existing connection.
    pub reused: u64,
    /// Connections closed because they outlived their idle timeout or maximum lifetime.
    pub expired: u64,
    /// Connections closed because they said they were no longer usable
    /// ([`Connection::is_usable`](crate::Connection::is_usable) returned `false`, or panicked).
    pub unusable: u64,
    /// Idle connections closed to make room under `max_total` for another key.
    pub evicted: u64,
    /// Connections their user discarded ([`Pooled::discard`](super::Pooled::discard)).
    pub discarded: u64,
    /// Connections closed because the pool was closed.
    pub closed: u64,
    /// Acquires that gave up waiting: a [`Wait::Up`](super::Wait::Up) that ran out, or a
    /// [`Wait::None`](super::Wait::None) that found no connection.
    pub timed_out: u64,
    /// Connection attempts that failed or timed out.
    pub connect_failures: u64,
    /// Acquires that had to wait (served, timed out or dropped).
    pub waits: u64,
    /// The time those acquires spent waiting, added up.
    pub wait_time: Duration,
}

impl Counts {
    /// Connections this key holds or is making: idle + busy + connecting + shared.
    pub fn open(&self) -> usize {
        self.idle + self.busy + self.connecting + self.shared
    }

    /// Connections closed, for every reason: expired + unusable + evicted + discarded + closed.
    pub fn closed_total(&self) -> u64 {
        self.expired + self.unusable + self.evicted + self.discarded + self.closed
    }

    pub(crate) fn count_closed(&mut self, why: Spent) {
        match why {
            Spent::Expired => self.expired += 1,
            Spent::Unusable => self.unusable += 1,
        }
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.idle += o.idle;
        self.busy += o.busy;
        self.connecting += o.connecting;
        self.shared += o.shared;
        self.streams += o.streams;
        self.waiting += o.waiting;
        self.created += o.created;
        self.reused += o.reused;
        self.expired += o.expired;
        self.timed_out += o.timed_out;
        self.connect_failures += o.connect_failures;
        self.unusable += o.unusable;
        self.evicted += o.evicted;
        self.discarded += o.discarded;
        self.closed += o.closed;
        self.waits += o.waits;
        self.wait_time = self.wait_time.saturating_add(o.wait_time);
    }
}

/// A snapshot of the pool: the total and each destination key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Stats<K> {
    /// Counts over the whole pool, including keys the reaper has removed.
    pub total: Counts,
    /// Counts of each key the pool holds now.
    pub keys: Vec<(K, Counts)>,
}
