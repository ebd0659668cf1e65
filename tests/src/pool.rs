//! Building test pools and reading their counts.

use std::time::Duration;

use fusebox_core::pool::Builder;
use fusebox_core::{Counts, Pool};

use crate::{Harness, TestFactory};

/// The pool the scenarios use: string keys, [`TestFactory`] connections.
pub type TestPool = Pool<char, TestFactory>;

/// A builder around `factory` on the harness's clock and spawner, with a reap interval of an hour
/// so that the reaper stays out of scenarios that are not about it. The caller sets
/// `max_per_key` and anything else.
pub fn builder<H: Harness>(h: &H, factory: &TestFactory) -> Builder<char, TestFactory> {
    Pool::builder(factory.clone())
        .clock(h.clock())
        .spawner(h.spawner())
        .reap_interval(Duration::from_secs(3600))
}

/// The gauges of a [`Counts`]: what is there now, as one comparable value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Idle connections.
    pub idle: usize,
    /// Busy connections.
    pub busy: usize,
    /// Connections being established.
    pub connecting: usize,
    /// Multiplexed connections serving acquires.
    pub shared: usize,
    /// Acquires those serve.
    pub streams: usize,
    /// Waiting acquires.
    pub waiting: usize,
}

impl From<Counts> for Gauges {
    fn from(c: Counts) -> Self {
        Gauges {
            idle: c.idle,
            busy: c.busy,
            connecting: c.connecting,
            shared: c.shared,
            streams: c.streams,
            waiting: c.waiting,
        }
    }
}

/// The gauges of `key` in `pool`; all zero if the pool does not hold the key.
pub fn gauges(pool: &TestPool, key: char) -> Gauges {
    pool.stats_for(&key).map(Gauges::from).unwrap_or_default()
}
