//! Counts the pool reports through [`Pool::stats`](super::Pool::stats).

use std::ops::AddAssign;

/// Counts of one destination key, or of the whole pool.
///
/// The first four are gauges (what is there now); the rest are counters since the key was first
/// used (for the total: since the pool was built).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counts {
    /// Connections sitting idle, ready for reuse.
    pub idle: usize,
    /// Connections handed out and not yet returned.
    pub busy: usize,
    /// Connections being established.
    pub connecting: usize,
    /// Acquires waiting for a connection.
    pub waiting: usize,
    /// Connections established.
    pub created: u64,
    /// Acquires served by an existing connection.
    pub reused: u64,
    /// Idle connections closed because they outlived their idle timeout or maximum lifetime, or
    /// were found unusable.
    pub expired: u64,
    /// Acquires that gave up waiting: a [`Wait::Up`](super::Wait::Up) that ran out, or a
    /// [`Wait::None`](super::Wait::None) that found no connection.
    pub timed_out: u64,
    /// Connection attempts that failed or timed out.
    pub connect_failures: u64,
}

impl Counts {
    /// Connections this key holds or is making: idle + busy + connecting.
    pub fn open(&self) -> usize {
        self.idle + self.busy + self.connecting
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.idle += o.idle;
        self.busy += o.busy;
        self.connecting += o.connecting;
        self.waiting += o.waiting;
        self.created += o.created;
        self.reused += o.reused;
        self.expired += o.expired;
        self.timed_out += o.timed_out;
        self.connect_failures += o.connect_failures;
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
