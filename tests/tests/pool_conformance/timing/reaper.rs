//! The reaper on a clock the test moves: each round closes expired idle connections and forgets
//! empty keys, leaves keys in use alone, and ends with the pool.

use std::time::Duration;

use fusebox_core::Wait;
use fusebox_tests::{Gauges, Probe, TestFactory, TimeControl, builder, gauges};

use super::NS;
use crate::{A, B};

/// Each round, the reaper closes idle connections that expired and forgets keys left with
/// nothing; it ends when the pool is dropped.
pub(crate) async fn reaper_removes_expired_connections_and_empty_keys<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f)
        .max_per_key(1)
        .idle_timeout(Duration::from_secs(10))
        .reap_interval(Duration::from_secs(30))
        .build()
        .unwrap();
    h.run_ready();
    assert_eq!(
        h.pending_sleeps(),
        1,
        "the reaper waits for its first round"
    );

    drop(pool.acquire(&A, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(25));
    drop(pool.acquire(&B, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(5) - NS);
    h.run_ready();
    assert!(pool.stats_for(&A).is_some(), "no round before the interval");
    assert!(f.closed().is_empty());

    h.advance(NS);
    h.run_ready();
    assert_eq!(pool.stats_for(&A), None, "the expired key is forgotten");
    assert_eq!(f.closed(), [1]);
    assert_eq!(
        gauges(&pool, B),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
    let total = pool.stats().total;
    assert_eq!((total.created, total.expired, total.idle), (2, 1, 1));

    h.advance(Duration::from_secs(30));
    h.run_ready();
    assert_eq!(pool.stats_for(&B), None);
    assert_eq!(f.closed(), [1, 2]);
    let stats = pool.stats();
    assert!(stats.keys.is_empty());
    assert_eq!((stats.total.created, stats.total.expired), (2, 2));

    assert_eq!(h.pending_sleeps(), 1);
    drop(pool);
    h.run_ready();
    assert_eq!(h.pending_sleeps(), 0, "the reaper ends with the pool");
}

/// The reaper leaves alone keys with a busy connection or a waiter, and the waiter is still served.
pub(crate) async fn reaper_keeps_keys_in_use<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f)
        .max_per_key(1)
        .idle_timeout(Duration::from_secs(10))
        .reap_interval(Duration::from_secs(30))
        .build()
        .unwrap();
    h.run_ready();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut waiter = Probe::new(pool.acquire(&A, Wait::Forever));
    waiter.assert_pending();
    h.advance(Duration::from_secs(30));
    h.run_ready();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );

    // A key used again after being forgotten starts afresh under the same limits.
    drop(pool.acquire(&B, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(30));
    h.run_ready();
    assert_eq!(pool.stats_for(&B), None);
    drop(held);
    assert_eq!(waiter.ready().expect("still served").id(), 1);
    let b = pool.acquire(&B, Wait::None).await.unwrap();
    assert_eq!(b.id(), 3);
    assert!(
        pool.acquire(&B, Wait::None).await.is_err(),
        "B's limit holds"
    );
}

/// `close()` ends the reaper at once.
pub(crate) async fn reaper_ends_when_the_pool_closes<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    h.run_ready();
    assert_eq!(h.pending_sleeps(), 1);
    pool.close();
    h.run_ready();
    assert_eq!(
        h.pending_sleeps(),
        0,
        "the reaper ends when the pool closes"
    );
}

/// The reaper judges a connection by the shorter of its own idle timeout and the pool's: one that
/// announces decades is still reaped after the pool's timeout, one that announces less sooner.
pub(crate) async fn reaper_takes_the_shorter_idle_timeout<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f)
        .max_per_key(1)
        .idle_timeout(Duration::from_secs(90))
        .reap_interval(Duration::from_secs(100))
        .build()
        .unwrap();
    h.run_ready();
    f.set_conn_idle_timeout(Some(Duration::from_secs(30 * 365 * 24 * 3600)));
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    f.set_conn_idle_timeout(Some(Duration::from_secs(20)));
    drop(pool.acquire(&B, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(100));
    h.run_ready();
    let mut closed = f.closed();
    closed.sort_unstable();
    assert_eq!(closed, [1, 2], "both past their timeout at the round");
    let total = pool.stats().total;
    assert_eq!((total.created, total.expired, total.idle), (2, 2, 0));
}

/// A reap interval too long for the clock to represent either is refused by `build()` or never
/// comes round; the reaper task never panics.
pub(crate) async fn reap_interval_beyond_the_representable_never_reaps<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let built = builder(h, &f)
        .max_per_key(1)
        .reap_interval(Duration::MAX)
        .build();
    let Ok(pool) = built else { return };
    h.run_ready();
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(365 * 24 * 3600));
    h.run_ready();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
}
