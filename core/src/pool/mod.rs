//! A keyed connection pool: a sub-pool per destination, FIFO-fair waiting, idle expiry.
//!
//! ```
//! use std::convert::Infallible;
//! use std::sync::Arc;
//! use std::time::Duration;
//! use fusebox_core::rt::{ManualClock, ManualSpawner};
//! use fusebox_core::{Connect, Connection, Pool, Wait};
//!
//! struct Conn;
//! impl Connection for Conn {}
//!
//! struct Factory;
//! impl Connect<String> for Factory {
//!     type Conn = Conn;
//!     type Error = Infallible;
//!     async fn connect(&self, _key: &String) -> Result<Conn, Infallible> {
//!         Ok(Conn)
//!     }
//! }
//!
//! let pool = Pool::builder(Factory)
//!     .max_per_key(2)
//!     .idle_timeout(Duration::from_secs(30))
//!     .clock(Arc::new(ManualClock::new()))
//!     .spawner(Arc::new(ManualSpawner::new())) // runs the reaper only when asked
//!     .build()
//!     .unwrap();
//! let key = "db-1".to_string();
//! futures_lite::future::block_on(async {
//!     let first = pool.acquire(&key, Wait::Forever).await.unwrap();
//!     drop(first); // back to the pool
//!     let again = pool.acquire(&key, Wait::None).await.unwrap();
//!     assert_eq!(pool.stats().total.reused, 1);
//!     # drop(again);
//! });
//! ```

mod builder;
mod checkout;
mod deadline;
mod drain;
mod error;
mod guard;
mod hangup;
mod reaper;
mod shards;
mod state;
mod stats;
mod tickets;
mod wait;

pub use builder::Builder;
pub use checkout::Acquire;
pub use error::{AcquireError, BuildError};
pub use guard::Pooled;
pub use hangup::Hangup;
pub use stats::{Counts, Stats};
pub use wait::{Wait, WaitError};

use std::fmt;
use std::hash::Hash;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use parking_lot::MutexGuard;
use std::time::Duration;

use event_listener::Event;

use crate::Connect;
use crate::rt::{Clock, Spawner};
use drain::Drain;
use shards::Shards;
use state::{Effects, Limits, State};

/// What a destination key must be: hashable, comparable and shareable across tasks.
pub trait Key: Eq + Hash + Clone + Send + Sync + 'static {}

impl<T: Eq + Hash + Clone + Send + Sync + 'static> Key for T {}

/// A pool of connections per destination key `K`, made by the factory `F`.
///
/// A cheap handle: clones share one pool. The pool lives until the last handle and the last
/// [`Pooled`] guard are dropped; its reaper task ends then, and idle connections are closed.
pub struct Pool<K: Key, F: Connect<K>> {
    /// The pool once per shard, for its guards to hold; never empty.
    shards: Arc<[Arc<ShardRef<K, F>>]>,
}

/// The pool as the guards of one shard hold it: they clone this, not the pool's own `Arc`, so
/// that guards of different shards never write one reference count from two cores (with one
/// count, two tasks on two keys ran no faster than one: pool_scale, 0.95x). Aligned so that two
/// shards' counts never share a cache line.
#[repr(align(128))]
pub(crate) struct ShardRef<K: Key, F: Connect<K>> {
    inner: Arc<Inner<K, F>>,
    shard: usize,
}

impl<K: Key, F: Connect<K>> ShardRef<K, F> {
    /// One per shard of `inner`.
    fn all(inner: &Arc<Inner<K, F>>) -> Arc<[Arc<ShardRef<K, F>>]> {
        (0..inner.state.len())
            .map(|shard| {
                Arc::new(ShardRef {
                    inner: inner.clone(),
                    shard,
                })
            })
            .collect()
    }
}

pub(crate) struct Inner<K: Key, F: Connect<K>> {
    factory: F,
    clock: Arc<dyn Clock>,
    spawner: Arc<dyn Spawner>,
    connect_timeout: Duration,
    /// Idle for longer than this, a connection is checked before it is handed out.
    check_after: Duration,
    check_timeout: Duration,
    /// A copy of the state's limits, which never change, for checks made off the lock.
    limits: Limits,
    /// The state, in shards by key (see `shards.rs`). parking_lot: under two workers contending
    /// for one lock, std's mutex cost a fifth of the hold-mode throughput (pool_profile fusebox
    /// 2 8 hold multi: 711k against 864k ops/s).
    state: Shards<K, F::Conn>,
    /// Notified when the pool closes or is dropped, to end the reaper at once.
    shutdown: Event,
    /// Raised by a connection that closed, to have the reaper drop it from idle at once.
    hangups: Arc<hangup::Signal>,
    /// What a closed pool still has running, for [`Pool::closed`].
    drain: Arc<Drain>,
}

impl<K: Key, F: Connect<K>> Pool<K, F> {
    /// Starts configuring a pool around `factory`.
    pub fn builder(factory: F) -> Builder<K, F> {
        Builder::new(factory)
    }

    /// Acquires a connection to `key`, waiting as `wait` allows.
    ///
    /// Takes the most recently used idle connection that is neither expired nor unusable (closing
    /// those that are); else, under the key's limit, connects through the factory; else waits
    /// its turn: waiters are served first come, first served.
    ///
    /// # Errors
    ///
    /// [`AcquireError::Timeout`] when the wait runs out, [`AcquireError::Closed`] once the pool is
    /// closed, [`AcquireError::Connect`] or [`AcquireError::ConnectTimeout`] when connecting fails.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future at any point leaks nothing: a place in line is given up, and a
    /// connection or slot handed to it goes to the next waiter.
    pub fn acquire<'a>(&'a self, key: &'a K, wait: Wait) -> Acquire<'a, K, F> {
        Acquire::new(&self.shards[self.inner().state.of(key)], key, wait)
    }

    /// Closes the pool: new acquires fail, waiters fail with [`AcquireError::Closed`], idle
    /// connections are closed now and busy ones when they are returned.
    pub fn close(&self) {
        let now = self.inner().clock.now();
        let mut fx = Effects::new();
        for s in 0..self.inner().state.len() {
            self.inner().lock(s).close(now, &mut fx);
        }
        self.inner().drain.mark_closed();
        self.inner().apply(fx);
        self.inner().shutdown.notify(usize::MAX);
    }

    /// Resolves once the pool is closed and done: [`close`](Pool::close) was called, every
    /// connection (busy ones included, when they came back) has been closed, and the reaper has
    /// ended. Before `close` it waits for it.
    ///
    /// The future owns a handle to the pool: it can be spawned or stored.
    pub fn closed(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner().clone();
        async move {
            loop {
                let listener = inner.drain.listen();
                if inner.drain.is_closed()
                    && inner.state.open_total() == 0
                    && inner.drain.tasks_done()
                {
                    return;
                }
                listener.await;
            }
        }
    }

    /// Like [`acquire`](Pool::acquire), with a key and a pool handle of its own: the future is
    /// `'static`, so it can be spawned, stored and sent to another thread as it is.
    ///
    /// # Errors
    ///
    /// As [`acquire`](Pool::acquire).
    ///
    /// # Cancel safety
    ///
    /// As [`acquire`](Pool::acquire).
    pub fn acquire_owned(
        &self,
        key: K,
        wait: Wait,
    ) -> impl Future<Output = Result<Pooled<K, F>, AcquireError<F::Error>>> + Send + 'static {
        let pool = self.clone();
        async move { pool.acquire(&key, wait).await }
    }

    /// Whether [`close`](Pool::close) was called.
    pub fn is_closed(&self) -> bool {
        self.inner().lock(0).is_closed()
    }

    /// Counts of the whole pool and of each key it holds.
    pub fn stats(&self) -> Stats<K> {
        self.inner().state.stats()
    }

    /// Counts of one key, or `None` if the pool does not hold it (never used, or removed by the
    /// reaper).
    pub fn stats_for(&self, key: &K) -> Option<Counts> {
        self.inner().state.stats_for(key)
    }

    /// The factory the pool connects with.
    pub fn factory(&self) -> &F {
        &self.inner().factory
    }
}

impl<K: Key, F: Connect<K>> Pool<K, F> {
    /// The pool's shared part, as every shard holds it.
    fn inner(&self) -> &Arc<Inner<K, F>> {
        &self.shards[0].inner
    }
}

impl<K: Key, F: Connect<K>> Clone for Pool<K, F> {
    fn clone(&self) -> Self {
        Pool {
            shards: self.shards.clone(),
        }
    }
}

impl<K: Key, F: Connect<K>> fmt::Debug for Pool<K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.inner().state.stats().total;
        f.debug_struct("Pool").field("total", &total).finish()
    }
}

impl<K: Key, F: Connect<K>> Inner<K, F> {
    fn lock(&self, shard: usize) -> MutexGuard<'_, State<K, F::Conn>> {
        self.state.lock(shard)
    }

    /// Hands a new connection its [`Hangup`], off the lock; a panic there is ignored.
    fn watch_hangup(&self, shard: usize, k: state::KeyId, idle: &mut state::Idle<F::Conn>) {
        let hangup = Hangup::new(idle.hung_up.clone(), self.hangups.clone(), (shard, k));
        let conn = &mut idle.conn;
        let _ = catch_unwind(AssertUnwindSafe(|| {
            crate::Connection::watch_hangup(conn, hangup)
        }));
    }

    /// Acts on what a transition asked for, with the lock released.
    #[inline]
    fn apply(&self, fx: Effects<F::Conn>) {
        if fx.is_empty() {
            fx.forget_empty();
        } else {
            self.apply_slow(fx);
        }
        if self.drain.is_closed() {
            self.drain.notify(); // a closed pool's open count may have dropped
        }
    }

    #[cold]
    fn apply_slow(&self, mut fx: Effects<F::Conn>) {
        for waker in fx.wakes() {
            waker.wake();
        }
        if !fx.close.is_empty() {
            let conns = std::mem::take(&mut fx.close);
            self.spawner.spawn(Box::pin(self.drain.close_all(conns)));
        }
    }
}

impl<K: Key, F: Connect<K>> Drop for Inner<K, F> {
    fn drop(&mut self) {
        self.shutdown.notify(usize::MAX);
        let now = self.clock.now();
        let mut fx = Effects::new();
        for state in self.state.states_mut() {
            state.close(now, &mut fx);
        }
        self.apply(fx);
    }
}

#[cfg(test)]
mod tests;
