//! The end of a pool: `close()`, and dropping the last handle.

use fusebox_core::{AcquireError, Wait};
use fusebox_tests::{Gauges, Harness, Probe, TestFactory, builder, gauges};

use crate::{A, B};

/// `close()`: new acquires fail `Closed`, waiters are woken and fail `Closed`, idle connections
/// are closed at once and busy ones when they come back.
pub(crate) async fn close_fails_waiters_and_closes_idle_then_busy<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    drop(pool.acquire(&B, Wait::None).await.unwrap());
    let busy = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(busy.id(), 2);
    let mut waiters: Vec<_> = (0..3)
        .map(|_| Probe::new(pool.acquire(&A, Wait::Forever)))
        .collect();
    for w in &mut waiters {
        w.assert_pending();
    }
    assert!(!pool.is_closed());

    pool.close();
    assert!(pool.is_closed());
    for w in &mut waiters {
        assert!(w.is_woken(), "close wakes every waiter");
        assert!(matches!(w.ready(), Err(AcquireError::Closed)));
    }
    for key in [A, B] {
        for wait in [Wait::None, Wait::Forever] {
            let err = pool.acquire(&key, wait).await.unwrap_err();
            assert!(err.is_closed(), "{key} {wait:?}: {err:?}");
        }
    }
    h.settle("the idle connection to close", || f.closed() == [1])
        .await;
    assert_eq!(gauges(&pool, B), Gauges::default());
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(f.closed(), [1], "the busy connection is left alone");

    drop(busy);
    assert_eq!(gauges(&pool, A), Gauges::default());
    h.settle("the busy connection to close on return", || {
        f.closed() == [1, 2]
    })
    .await;
    assert_eq!(f.live(), 0);
    let total = pool.stats().total;
    assert_eq!((total.idle, total.busy, total.waiting), (0, 0, 0));
}

/// `closed()` resolves only once the pool is closed and every connection, the busy one when it
/// comes back, has been closed (and the reaper has ended).
pub(crate) async fn closed_waits_for_the_last_connection<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    let busy = pool.acquire(&B, Wait::None).await.unwrap();
    let done = h.spawn(pool.closed());
    pool.close();
    h.settle("the idle connection to close", || f.closed() == [1])
        .await;
    assert!(!done.is_finished(), "a busy connection is still open");
    drop(busy);
    h.settle("closed() to resolve", || done.is_finished()).await;
    assert_eq!(f.live(), 0);
}

/// A connect in flight when the pool closes leaks nothing: whatever the acquire returns, its
/// connection ends up closed.
pub(crate) async fn close_with_a_connect_in_flight_leaks_nothing<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    f.hold();
    let mut connecting = Probe::new(pool.acquire(&A, Wait::Forever));
    connecting.assert_pending();
    pool.close();
    f.open();
    match connecting.ready() {
        Ok(conn) => drop(conn),
        Err(err) => assert!(err.is_closed(), "{err:?}"),
    }
    assert_eq!(gauges(&pool, A), Gauges::default());
    h.settle("the connection to close", || f.closed() == [1])
        .await;
    assert_eq!(f.live(), 0);
}

/// When the last handle and guard are gone, idle connections are closed on the spawner.
pub(crate) async fn dropping_the_pool_closes_idle_connections<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    let busy = pool.acquire(&B, Wait::None).await.unwrap();
    drop(pool);
    // The guard keeps the pool, and so the idle connection, alive.
    assert_eq!(f.live(), 2);
    drop(busy);
    h.settle("both connections to close", || f.closed_count() == 2)
        .await;
    assert_eq!(f.live(), 0);
}
