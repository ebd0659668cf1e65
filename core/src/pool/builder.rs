//! Configuring a pool, checked when it is built.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use event_listener::Event;

use super::shards::Shards;
use super::state::Limits;
use super::{BuildError, Inner, Key, Pool, ShardRef, reaper};
use crate::Connect;
use crate::rt::{Clock, Spawner};

/// Configures a [`Pool`]; made by [`Pool::builder`].
///
/// `max_per_key` and a runtime (a clock and a spawner) are required. Defaults: no total limit, an
/// idle timeout of 90 s, no maximum lifetime, a reap interval of 30 s, a connect timeout of 10 s,
/// and a [`check`](crate::Connection::check) of connections idle for over 500 ms, bounded by 5 s.
#[must_use = "a builder does nothing until .build() is called"]
pub struct Builder<K, F> {
    factory: F,
    max_per_key: Option<usize>,
    max_total: Option<usize>,
    idle_timeout: Duration,
    max_lifetime: Option<Duration>,
    reap_interval: Duration,
    connect_timeout: Duration,
    check_after: Duration,
    check_timeout: Duration,
    clock: Option<Arc<dyn Clock>>,
    spawner: Option<Arc<dyn Spawner>>,
    _key: PhantomData<fn(&K)>,
}

impl<K: Key, F: Connect<K>> Builder<K, F> {
    pub(crate) fn new(factory: F) -> Self {
        Builder {
            factory,
            max_per_key: None,
            max_total: None,
            idle_timeout: Duration::from_secs(90),
            max_lifetime: None,
            reap_interval: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            check_after: Duration::from_millis(500),
            check_timeout: Duration::from_secs(5),
            clock: None,
            spawner: None,
            _key: PhantomData,
        }
    }

    /// The most connections open (idle, busy or connecting) to one key. Required, above zero.
    pub fn max_per_key(mut self, max: usize) -> Self {
        self.max_per_key = Some(max);
        self
    }

    /// The most connections open over all keys. At the limit, the least recently used idle
    /// connection of another key is closed to make room before anyone waits.
    pub fn max_total(mut self, max: usize) -> Self {
        self.max_total = Some(max);
        self
    }

    /// How long a connection may sit idle after its last use before it is closed. A connection's
    /// own [`idle_timeout`](crate::Connection::idle_timeout) overrides it.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// How long a connection may live from its creation, however often it is used.
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = Some(lifetime);
        self
    }

    /// How often the reaper task closes expired idle connections and forgets empty keys.
    pub fn reap_interval(mut self, interval: Duration) -> Self {
        self.reap_interval = interval;
        self
    }

    /// How long the factory may take to connect.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The clock that all of the pool's time is read from.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How long a connection must have been idle for the pool to run its asynchronous
    /// [`check`](crate::Connection::check) before handing it out (default 500 ms; zero checks
    /// every time, `Duration::MAX` never). Connections used more recently are handed out at once.
    pub fn check_after(mut self, idle_for: Duration) -> Self {
        self.check_after = idle_for;
        self
    }

    /// How long one [`check`](crate::Connection::check) may take before the connection is dropped
    /// as failed (default 5 s; above zero).
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        self.check_timeout = timeout;
        self
    }

    /// The spawner that runs the reaper and closes connections.
    pub fn spawner(mut self, spawner: Arc<dyn Spawner>) -> Self {
        self.spawner = Some(spawner);
        self
    }

    /// Takes both clock and spawner from one runtime, such as `fusebox_tokio::TokioRuntime`.
    pub fn runtime<R: Clock + Spawner + Clone>(self, runtime: R) -> Self {
        self.clock(Arc::new(runtime.clone()))
            .spawner(Arc::new(runtime))
    }

    /// Checks the configuration, builds the pool and starts its reaper on the spawner.
    ///
    /// # Errors
    ///
    /// A [`BuildError`] for a missing `max_per_key` or runtime, a zero limit or duration, or a
    /// `max_total` below `max_per_key`.
    pub fn build(self) -> Result<Pool<K, F>, BuildError> {
        let max_per_key = self.max_per_key.ok_or(BuildError::MissingMaxPerKey)?;
        let nonzero = |ok: bool, what| {
            if ok {
                Ok(())
            } else {
                Err(BuildError::Zero(what))
            }
        };
        nonzero(max_per_key > 0, "max_per_key")?;
        nonzero(self.max_total != Some(0), "max_total")?;
        nonzero(!self.idle_timeout.is_zero(), "idle_timeout")?;
        nonzero(self.max_lifetime != Some(Duration::ZERO), "max_lifetime")?;
        nonzero(!self.reap_interval.is_zero(), "reap_interval")?;
        nonzero(!self.connect_timeout.is_zero(), "connect_timeout")?;
        nonzero(!self.check_timeout.is_zero(), "check_timeout")?;
        if let Some(max_total) = self.max_total.filter(|&t| t < max_per_key) {
            return Err(BuildError::MaxTotalBelowMaxPerKey {
                max_total,
                max_per_key,
            });
        }
        let (Some(clock), Some(spawner)) = (self.clock, self.spawner) else {
            return Err(BuildError::MissingRuntime);
        };
        let limits = Limits {
            max_per_key,
            max_total: self.max_total,
            idle_timeout: self.idle_timeout,
            max_lifetime: self.max_lifetime,
        };
        let inner = Arc::new(Inner {
            factory: self.factory,
            clock,
            spawner,
            connect_timeout: self.connect_timeout,
            check_after: self.check_after,
            check_timeout: self.check_timeout,
            limits,
            state: Shards::new(limits),
            shutdown: Event::new(),
            hangups: Arc::default(),
            drain: Arc::default(),
        });
        // Marks the reaper running for `Pool::closed` from now until the task ends or is dropped.
        let running = inner.drain.reaper();
        let reap = reaper::run(Arc::downgrade(&inner), self.reap_interval);
        inner.spawner.spawn(Box::pin(async move {
            reap.await;
            drop(running);
        }));
        Ok(Pool {
            shards: ShardRef::all(&inner),
        })
    }
}

impl<K, F> fmt::Debug for Builder<K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("max_per_key", &self.max_per_key)
            .field("max_total", &self.max_total)
            .field("idle_timeout", &self.idle_timeout)
            .field("max_lifetime", &self.max_lifetime)
            .field("reap_interval", &self.reap_interval)
            .field("connect_timeout", &self.connect_timeout)
            .field("check_after", &self.check_after)
            .field("check_timeout", &self.check_timeout)
            .field("has_clock", &self.clock.is_some())
            .field("has_spawner", &self.spawner.is_some())
            .finish()
    }
}
