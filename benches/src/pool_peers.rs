//! One small adapter per pool under test, behind [`BenchPool`].
//!
//! Every pool is configured alike: at most `size` objects, a checkout that waits as long as it
//! takes, objects made by an instant factory, and no health check of its own on checkout (the
//! objects cannot break): bb8's `test_on_check_out` and mobc's are off, qp checks out with
//! `acquire_unchecked`. deadpool always runs its manager's `recycle`, here an empty `async fn`;
//! fusebox always asks the connection's synchronous `is_usable`, here the default `true`.

use std::convert::Infallible;
use std::future::Future;
use std::ops::DerefMut;
use std::time::Duration;

use fusebox_core::rt::{Clock, Spawner};
use fusebox_core::{Pool, Pooled, Wait};

use crate::conn::{Counter, CounterFactory};

/// The longest wait bb8 accepts a checkout to take: long enough to count as forever here.
const BB8_FOREVER: Duration = Duration::from_secs(24 * 60 * 60);

/// A pool as the benchmark drives it: check out one object, waiting as long as it takes.
pub trait BenchPool: Clone + Send + Sync + 'static {
    /// The guard of a checked-out object; dropping it returns the object.
    type Guard<'a>: DerefMut<Target = Counter> + Send
    where
        Self: 'a;

    /// Checks out an object.
    ///
    /// # Panics
    ///
    /// When the pool fails, which none of them should with an infallible factory and no timeout.
    fn get(&self) -> impl Future<Output = Self::Guard<'_>> + Send;
}

/// The key of fusebox's pool: the benchmark uses one destination.
static KEY: u32 = 0;

/// fusebox's pool, with one key and `max_per_key` = size.
#[derive(Clone, Debug)]
pub struct Fusebox(Pool<u32, CounterFactory>);

impl Fusebox {
    /// A pool of at most `size` connections on `runtime` (`TokioRuntime` or `SmolRuntime`).
    ///
    /// # Panics
    ///
    /// When the builder rejects the configuration (a zero `size`).
    pub fn new<R: Clock + Spawner + Clone>(size: usize, runtime: R) -> Self {
        let pool = Pool::builder(CounterFactory)
            .max_per_key(size)
            .runtime(runtime)
            .build()
            .expect("a valid fusebox configuration");
        Fusebox(pool)
    }
}

impl BenchPool for Fusebox {
    type Guard<'a> = Pooled<u32, CounterFactory>;

    async fn get(&self) -> Self::Guard<'_> {
        self.0
            .acquire(&KEY, Wait::Forever)
            .await
            .expect("fusebox checkout")
    }
}

/// deadpool's manager of [`Counter`]s.
#[derive(Debug)]
pub struct DeadpoolManager;

impl deadpool::managed::Manager for DeadpoolManager {
    type Type = Counter;
    type Error = Infallible;

    async fn create(&self) -> Result<Counter, Infallible> {
        Ok(Counter::default())
    }

    async fn recycle(
        &self,
        _conn: &mut Counter,
        _metrics: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<Infallible> {
        Ok(())
    }
}

/// deadpool's managed pool, `max_size` = size, no wait timeout.
#[derive(Clone, Debug)]
pub struct Deadpool(deadpool::managed::Pool<DeadpoolManager>);

impl Deadpool {
    /// A pool of at most `size` objects.
    ///
    /// # Panics
    ///
    /// When the builder rejects the configuration.
    pub fn new(size: usize) -> Self {
        let pool = deadpool::managed::Pool::builder(DeadpoolManager)
            .max_size(size)
            .build()
            .expect("a valid deadpool configuration");
        Deadpool(pool)
    }
}

impl BenchPool for Deadpool {
    type Guard<'a> = deadpool::managed::Object<DeadpoolManager>;

    async fn get(&self) -> Self::Guard<'_> {
        self.0.get().await.expect("deadpool checkout")
    }
}

/// bb8's manager of [`Counter`]s.
#[derive(Debug)]
pub struct Bb8Manager;

impl bb8::ManageConnection for Bb8Manager {
    type Connection = Counter;
    type Error = Infallible;

    async fn connect(&self) -> Result<Counter, Infallible> {
        Ok(Counter::default())
    }

    async fn is_valid(&self, _conn: &mut Counter) -> Result<(), Infallible> {
        Ok(())
    }

    fn has_broken(&self, _conn: &mut Counter) -> bool {
        false
    }
}

/// bb8's pool, `max_size` = size, no check on checkout, a day's connection timeout.
#[derive(Clone, Debug)]
pub struct Bb8(bb8::Pool<Bb8Manager>);

impl Bb8 {
    /// A pool of at most `size` connections; call it inside a tokio runtime (bb8 spawns its
    /// reaper there).
    ///
    /// # Panics
    ///
    /// When `size` does not fit a `u32`.
    pub fn new(size: usize) -> Self {
        let pool = bb8::Pool::builder()
            .max_size(u32::try_from(size).expect("a pool size that fits u32"))
            .test_on_check_out(false)
            .connection_timeout(BB8_FOREVER)
            .build_unchecked(Bb8Manager);
        Bb8(pool)
    }
}

impl BenchPool for Bb8 {
    type Guard<'a> = bb8::PooledConnection<'a, Bb8Manager>;

    async fn get(&self) -> Self::Guard<'_> {
        self.0.get().await.expect("bb8 checkout")
    }
}

/// mobc's manager of [`Counter`]s.
#[derive(Debug)]
pub struct MobcManager;

#[mobc::async_trait]
impl mobc::Manager for MobcManager {
    type Connection = Counter;
    type Error = Infallible;

    async fn connect(&self) -> Result<Counter, Infallible> {
        Ok(Counter::default())
    }

    async fn check(&self, conn: Counter) -> Result<Counter, Infallible> {
        Ok(conn)
    }
}

/// mobc's pool, `max_open` = `max_idle` = size, no check on checkout, no get timeout.
#[derive(Clone, Debug)]
pub struct Mobc(mobc::Pool<MobcManager>);

impl Mobc {
    /// A pool of at most `size` connections, all of which may stay idle; call it inside a tokio
    /// runtime (mobc spawns its cleaner there).
    pub fn new(size: usize) -> Self {
        let size = size as u64;
        let pool = mobc::Pool::builder()
            .max_open(size)
            .max_idle(size)
            .get_timeout(None)
            .test_on_check_out(false)
            .build(MobcManager);
        Mobc(pool)
    }
}

impl BenchPool for Mobc {
    type Guard<'a> = mobc::Connection<MobcManager>;

    async fn get(&self) -> Self::Guard<'_> {
        self.0.get().await.expect("mobc checkout")
    }
}

/// qp's manager of [`Counter`]s.
#[derive(Debug)]
pub struct QpManager;

#[qp::async_trait]
impl qp::resource::Manage for QpManager {
    type Output = Counter;
    type Error = Infallible;

    async fn try_create(&self) -> Result<Counter, Infallible> {
        Ok(Counter::default())
    }
}

/// qp's pool of at most size objects, checked out without validation.
#[derive(Clone)]
pub struct Qp(qp::Pool<QpManager>);

impl Qp {
    /// A pool of at most `size` objects.
    pub fn new(size: usize) -> Self {
        Qp(qp::Pool::new(QpManager, size))
    }
}

impl std::fmt::Debug for Qp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qp")
            .field("max_size", &self.0.max_size())
            .finish()
    }
}

impl BenchPool for Qp {
    type Guard<'a> = qp::Pooled<'a, QpManager>;

    async fn get(&self) -> Self::Guard<'_> {
        self.0.acquire_unchecked().await.expect("qp checkout")
    }
}
