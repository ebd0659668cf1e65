//! The pooled object of the pool benchmarks: an in-memory connection, made instantly.

use std::convert::Infallible;

use fusebox_core::{Connect, Connection};

/// A trivial connection: a counter of its uses, so that each checkout touches the object.
#[derive(Debug, Default)]
pub struct Counter {
    /// How many times this connection was checked out.
    pub uses: u64,
}

impl Connection for Counter {}

/// Makes [`Counter`]s at once, for any key; the factory of the fusebox pool and of every peer.
#[derive(Clone, Copy, Debug, Default)]
pub struct CounterFactory;

impl<K: Sync> Connect<K> for CounterFactory {
    type Conn = Counter;
    type Error = Infallible;

    async fn connect(&self, _key: &K) -> Result<Counter, Infallible> {
        Ok(Counter::default())
    }
}
