//! Tests that need no runtime to speak of: configuration checks, the seed's signed milliseconds,
//! and where the pool calls its spawner.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fusebox_core::rt::{BoxFuture, ManualClock, Spawner};
use fusebox_core::{BuildError, Pool, Wait};
use fusebox_tests::{ManualHarness, TestFactory, TestPool, TimeControl, builder};

use crate::A;

/// Counts the tasks spawned on it and drops them.
#[derive(Default)]
struct CountingSpawner(AtomicUsize);

impl Spawner for CountingSpawner {
    fn spawn(&self, _task: BoxFuture<'static, ()>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn build_rejects_missing_zero_and_contradictory_config() {
    let spawns = Arc::new(CountingSpawner::default());
    let base = || {
        Pool::<char, TestFactory>::builder(TestFactory::new())
            .clock(Arc::new(ManualClock::new()))
            .spawner(spawns.clone())
    };
    let zero = Duration::ZERO;
    let cases: Vec<(_, BuildError)> = vec![
        (base(), BuildError::MissingMaxPerKey),
        (base().max_per_key(0), BuildError::Zero("max_per_key")),
        (
            base().max_per_key(1).max_total(0),
            BuildError::Zero("max_total"),
        ),
        (
            base().max_per_key(1).idle_timeout(zero),
            BuildError::Zero("idle_timeout"),
        ),
        (
            base().max_per_key(1).max_lifetime(zero),
            BuildError::Zero("max_lifetime"),
        ),
        (
            base().max_per_key(1).reap_interval(zero),
            BuildError::Zero("reap_interval"),
        ),
        (
            base().max_per_key(1).connect_timeout(zero),
            BuildError::Zero("connect_timeout"),
        ),
        (
            base().max_per_key(4).max_total(3),
            BuildError::MaxTotalBelowMaxPerKey {
                max_total: 3,
                max_per_key: 4,
            },
        ),
        (
            Pool::builder(TestFactory::new()).max_per_key(1),
            BuildError::MissingRuntime,
        ),
        (
            Pool::builder(TestFactory::new())
                .max_per_key(1)
                .clock(Arc::new(ManualClock::new())),
            BuildError::MissingRuntime,
        ),
        (
            Pool::builder(TestFactory::new())
                .max_per_key(1)
                .spawner(spawns.clone()),
            BuildError::MissingRuntime,
        ),
    ];
    for (builder, expected) in cases {
        let described = format!("{builder:?}");
        let err = builder.build().unwrap_err();
        assert_eq!(err, expected, "{described}");
        let message = err.to_string();
        assert!(
            message.starts_with(|c: char| c.is_lowercase()) && !message.ends_with('.'),
            "error messages are lowercase without a final period: {message:?}"
        );
    }
    assert_eq!(
        spawns.0.load(Ordering::SeqCst),
        0,
        "a refused pool starts no reaper"
    );

    let smallest = Duration::from_nanos(1);
    base()
        .max_per_key(4)
        .max_total(4)
        .idle_timeout(smallest)
        .max_lifetime(smallest)
        .reap_interval(smallest)
        .connect_timeout(smallest)
        .build()
        .expect("the smallest valid values");
    assert_eq!(spawns.0.load(Ordering::SeqCst), 1, "the reaper is started");
}

#[test]
fn wait_from_signed_millis() {
    assert_eq!(Wait::from_millis(-1), Ok(Wait::Forever));
    assert_eq!(Wait::from_millis(0), Ok(Wait::None));
    assert_eq!(Wait::from_millis(1), Ok(Wait::Up(Duration::from_millis(1))));
    assert_eq!(
        Wait::from_millis(250),
        Ok(Wait::Up(Duration::from_millis(250)))
    );
    assert_eq!(
        Wait::from_millis(i64::MAX),
        Ok(Wait::Up(Duration::from_millis(i64::MAX as u64)))
    );
    assert_eq!(Wait::try_from(-1i64), Ok(Wait::Forever));
    for bad in [-2, -1000, i64::MIN] {
        let err = Wait::from_millis(bad).unwrap_err();
        assert_eq!(err.millis(), bad);
        assert_eq!(Wait::try_from(bad), Err(err));
        assert!(err.to_string().contains(&bad.to_string()), "{err}");
    }
}

/// A spawner that checks, each time it is called, whether the pool's lock is free: it asks for
/// the pool's stats from another thread and sees whether they come back.
struct LockProbingSpawner {
    pool: Mutex<Option<TestPool>>,
    under_lock: AtomicUsize,
    inner: Arc<dyn Spawner>,
}

impl Spawner for LockProbingSpawner {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        let pool = self.pool.lock().unwrap().clone();
        if let Some(pool) = pool {
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                let _ = pool.stats();
                let _ = tx.send(());
            });
            if rx.recv_timeout(Duration::from_secs(2)).is_err() {
                self.under_lock.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.inner.spawn(task);
    }
}

/// The pool never calls its spawner (a user callback) with its lock held: here, an acquire that
/// closes a bad idle connection on its way to a good one.
#[test]
fn spawner_is_not_called_under_the_pool_lock() {
    let h = ManualHarness::new();
    let f = TestFactory::new();
    let spawner = Arc::new(LockProbingSpawner {
        pool: Mutex::new(None),
        under_lock: AtomicUsize::new(0),
        inner: fusebox_tests::Harness::spawner(&h),
    });
    let pool = builder(&h, &f)
        .max_per_key(2)
        .spawner(spawner.clone())
        .build()
        .unwrap();
    let (c1, c2) = futures_lite::future::block_on(async {
        let c1 = pool.acquire(&A, Wait::None).await.unwrap();
        let c2 = pool.acquire(&A, Wait::None).await.unwrap();
        (c1, c2)
    });
    drop(c1);
    drop(c2);
    f.mark_unusable(2);
    *spawner.pool.lock().unwrap() = Some(pool.clone());

    let c = futures_lite::future::block_on(pool.acquire(&A, Wait::None)).unwrap();
    assert_eq!(c.id(), 1);
    *spawner.pool.lock().unwrap() = None;
    h.run_ready();
    assert_eq!(f.closed(), [2]);
    assert_eq!(
        spawner.under_lock.load(Ordering::SeqCst),
        0,
        "the spawner was called with the pool's lock held"
    );
}
