//! Reuse, limits, and what becomes of connections that must not be reused.

use std::time::Duration;

use fusebox_core::{AcquireError, Wait};
use fusebox_tests::{Gauges, Harness, Probe, TestFactory, builder, gauges};

use crate::{A, B, C, D};

/// A returned connection is reused by the next acquire of its key instead of a new connect.
pub(crate) async fn reuse_idle<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();

    let first = pool
        .acquire(&A, Wait::None)
        .await
        .expect("a new connection");
    assert_eq!(first.id(), 1);
    drop(first);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );

    let again = pool.acquire(&A, Wait::None).await.expect("the idle one");
    assert_eq!(again.id(), 1, "the idle connection is reused");
    assert_eq!(f.attempts(), 1, "no second connect");
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!((counts.created, counts.reused), (1, 1));
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
}

/// The most recently returned idle connection is reused first, whatever the order of creation.
pub(crate) async fn lifo_reuse_of_most_recent<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(3).build().unwrap();

    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();
    let c3 = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!([c1.id(), c2.id(), c3.id()], [1, 2, 3]);
    // Returned in the order 2, 3, 1: neither creation order nor its reverse.
    drop(c2);
    drop(c3);
    drop(c1);

    let x = pool.acquire(&A, Wait::None).await.unwrap();
    let y = pool.acquire(&A, Wait::None).await.unwrap();
    let z = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(
        [x.id(), y.id(), z.id()],
        [1, 3, 2],
        "last returned, first reused"
    );
    assert_eq!(f.attempts(), 3);
}

/// A key never has more than `max_per_key` connections; other keys have their own limit.
pub(crate) async fn per_key_limit<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();

    let _a1 = pool.acquire(&A, Wait::None).await.unwrap();
    let _a2 = pool.acquire(&A, Wait::None).await.unwrap();
    let err = pool.acquire(&A, Wait::None).await.unwrap_err();
    assert!(
        matches!(err, AcquireError::Timeout { waited } if waited.is_zero()),
        "{err:?}"
    );
    assert_eq!(f.attempts(), 2, "no connect beyond the limit");

    let b = pool
        .acquire(&B, Wait::None)
        .await
        .expect("another key has its own limit");
    assert_eq!(b.id(), 3);

    let mut waiter = Probe::new(pool.acquire(&A, Wait::Forever));
    waiter.assert_pending();
    assert_eq!(
        f.attempts(),
        3,
        "a waiter does not connect beyond the limit"
    );
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 2,
            waiting: 1,
            ..Gauges::default()
        }
    );
    drop(waiter);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 2,
            ..Gauges::default()
        }
    );
    assert_eq!(pool.stats_for(&A).unwrap().timed_out, 1);
}

/// `Wait::None` (and a zero `Wait::Up`) fails at the first poll when nothing is free, and succeeds
/// when something is.
pub(crate) async fn wait_none_fails_at_once<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();

    for wait in [Wait::None, Wait::Up(Duration::ZERO)] {
        let mut probe = Probe::new(pool.acquire(&A, wait));
        match probe.poll() {
            std::task::Poll::Ready(Err(AcquireError::Timeout { waited })) => {
                assert_eq!(waited, Duration::ZERO)
            }
            other => panic!("{wait:?}: expected an immediate timeout, got {other:?}"),
        }
    }
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(pool.stats_for(&A).unwrap().timed_out, 2);

    drop(held);
    let again = pool.acquire(&A, Wait::None).await;
    assert_eq!(again.expect("an idle connection is free").id(), 1);
}

/// A connection that says it is unusable is closed instead of reused, whether it is returned so
/// or goes bad while idle.
pub(crate) async fn unusable_connection_is_not_reused<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();

    let c = pool.acquire(&A, Wait::None).await.unwrap();
    c.set_usable(false);
    drop(c);
    assert_eq!(gauges(&pool, A), Gauges::default(), "not kept idle");
    h.settle("the unusable connection to close", || f.closed() == [1])
        .await;

    let c = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(c.id(), 2);
    drop(c);
    f.mark_unusable(2);
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(c.id(), 3, "the idle connection went bad: a new one");
    h.settle("the bad idle connection to close", || f.closed() == [1, 2])
        .await;
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!((counts.created, counts.reused, counts.unusable), (3, 0, 2));
    assert_eq!(counts.expired, 0);
    assert_eq!(f.live(), 1);
}

/// `discard()` closes the connection and hands its slot to the longest waiter, which connects.
pub(crate) async fn discard_frees_the_slot_for_a_waiter<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    let mut waiter = Probe::new(pool.acquire(&A, Wait::Forever));
    waiter.assert_pending();

    c.discard();
    assert!(waiter.is_woken(), "the waiter is woken by the discard");
    let got = waiter.ready().expect("a new connection");
    assert_eq!(got.id(), 2, "a discarded connection is never handed out");
    h.settle("the discarded connection to close", || f.closed() == [1])
        .await;
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!((counts.created, counts.reused), (2, 0));
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
}

/// At `max_total`, a new key's acquire closes the least recently used idle connection of another
/// key rather than wait or fail.
pub(crate) async fn max_total_evicts_lru_idle_of_another_key<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(3).build().unwrap();

    let a1 = pool.acquire(&A, Wait::None).await.unwrap();
    let _a2 = pool.acquire(&A, Wait::None).await.unwrap();
    let b1 = pool.acquire(&B, Wait::None).await.unwrap();
    assert_eq!([a1.id(), b1.id()], [1, 3]);
    // B's connection idles first, then A's: B's is the least recently used, though its key was
    // created after A's.
    drop(b1);
    h.let_time_pass();
    drop(a1);

    let c1 = pool
        .acquire(&C, Wait::None)
        .await
        .expect("room made by eviction");
    assert_eq!(c1.id(), 4);
    h.settle("the evicted connection to close", || f.closed() == [3])
        .await;
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(gauges(&pool, B), Gauges::default());
    assert_eq!(pool.stats().total.open(), 3);

    let d1 = pool
        .acquire(&D, Wait::None)
        .await
        .expect("A's idle one is evicted");
    assert_eq!(d1.id(), 5);
    h.settle("the second eviction to close", || f.closed() == [3, 1])
        .await;
    let err = pool.acquire(&B, Wait::None).await.unwrap_err();
    assert!(err.is_timeout(), "all busy at max_total: {err:?}");
    assert_eq!(pool.stats().total.open(), 3);
}

/// A waiter held back by `max_total` (its own key under its limit) gets the room as soon as a
/// connection of another key goes idle, and a newcomer does not take it first.
pub(crate) async fn max_total_waiter_served_when_a_connection_idles<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(2).build().unwrap();
    let a1 = pool.acquire(&A, Wait::None).await.unwrap();
    let _a2 = pool.acquire(&A, Wait::None).await.unwrap();

    let mut waiter = Probe::new(pool.acquire(&B, Wait::Forever));
    waiter.assert_pending();
    assert_eq!(
        gauges(&pool, B),
        Gauges {
            waiting: 1,
            ..Gauges::default()
        }
    );
    let err = pool.acquire(&C, Wait::None).await.unwrap_err();
    assert!(err.is_timeout(), "the pool is full: {err:?}");

    drop(a1);
    assert!(waiter.is_woken(), "the starved waiter is woken");
    let err = pool.acquire(&C, Wait::None).await.unwrap_err();
    assert!(err.is_timeout(), "a newcomer does not overtake: {err:?}");
    let got = waiter.ready().expect("room for B");
    assert_eq!(got.id(), 3);
    h.settle("A's idle connection to be evicted", || f.closed() == [1])
        .await;
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(
        gauges(&pool, B),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
}
