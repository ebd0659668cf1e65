//! Multiplexed connections (HTTP/2's streams): one connection serves several acquires at once.

use fusebox_core::{AcquireError, Wait};
use fusebox_tests::{Gauges, Harness, Probe, TestFactory, builder, gauges};

use crate::A;

/// Acquires share a connection until its streams are all taken; only then does the pool open
/// another (within `max_per_key`), and past that they wait for a stream, first come first served.
pub(crate) async fn streams_share_a_connection_until_it_is_full<H: Harness>(h: &H) {
    let f = TestFactory::new();
    f.multiplex(2);
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    let first = pool.acquire(&A, Wait::None).await.unwrap();
    let second = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!((first.id(), second.id(), f.created()), (1, 1, 1));
    let third = pool.acquire(&A, Wait::None).await.unwrap();
    let fourth = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!((third.id(), fourth.id(), f.created()), (2, 2, 2));
    let full = pool.acquire(&A, Wait::None).await.unwrap_err();
    assert!(matches!(full, AcquireError::Timeout { .. }), "{full:?}");
    let mut early = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut late = Probe::new(pool.acquire(&A, Wait::Forever));
    early.assert_pending();
    late.assert_pending();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            shared: 2,
            streams: 4,
            waiting: 2,
            ..Gauges::default()
        }
    );

    drop(third);
    assert!(early.is_woken(), "a stream back goes to the oldest waiter");
    let early = early.ready().unwrap();
    assert_eq!(early.id(), 2);
    late.assert_pending();
    drop((first, second, fourth, early));
    assert_eq!(late.ready().unwrap().id(), 1);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 2,
            ..Gauges::default()
        }
    );
    let c = pool.stats().total;
    assert_eq!((c.created, c.reused, c.closed_total()), (2, 4, 0));
    // An idle multiplexed connection serves again, the most recently used first.
    let again = pool.acquire(&A, Wait::None).await.unwrap();
    let and_again = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!((again.id(), and_again.id(), f.created()), (1, 1, 2));
}

/// A handle that comes back unusable (a GOAWAY) retires its connection: no new acquire gets it,
/// it closes when its last handle is back, and the room goes to a new connection.
pub(crate) async fn an_unusable_handle_retires_its_connection<H: Harness>(h: &H) {
    let f = TestFactory::new();
    f.multiplex(3);
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let first = pool.acquire(&A, Wait::None).await.unwrap();
    let second = pool.acquire(&A, Wait::None).await.unwrap();
    f.mark_unusable(1);
    drop(first);
    let mut waiter = Probe::new(pool.acquire(&A, Wait::Forever));
    waiter.assert_pending();
    assert_eq!(
        f.closed_count(),
        0,
        "the retired connection still serves one"
    );
    drop(second);
    h.settle("the retired connection to close", || f.closed() == [1])
        .await;
    assert!(waiter.is_woken(), "its room goes to the waiter");
    let fresh = waiter.ready().unwrap();
    assert_eq!((fresh.id(), f.created()), (2, 2));
    let c = pool.stats().total;
    assert_eq!((c.created, c.unusable, c.shared, c.streams), (2, 1, 1, 1));
    drop(fresh);
    assert_eq!(f.live(), 1);
}

/// Closing the pool retires its multiplexed connections: the handles in use keep working, and
/// the connection closes once the last one is back.
pub(crate) async fn close_waits_for_the_last_handle<H: Harness>(h: &H) {
    let f = TestFactory::new();
    f.multiplex(4);
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let first = pool.acquire(&A, Wait::None).await.unwrap();
    let second = pool.acquire(&A, Wait::None).await.unwrap();
    pool.close();
    assert!(pool.acquire(&A, Wait::None).await.unwrap_err().is_closed());
    drop(first);
    assert_eq!(f.closed_count(), 0);
    second.discard();
    h.settle("the connection to close", || f.closed() == [1])
        .await;
    assert_eq!(f.live(), 0);
    let c = pool.stats().total;
    assert_eq!((c.created, c.closed_total(), c.open()), (1, 1, 0));
}

/// A waiter handed a stream and then dropped gives it to the next in line; the connection serves
/// on, and goes idle once its last handle is back.
pub(crate) async fn a_cancelled_stream_grant_goes_on<H: Harness>(h: &H) {
    let f = TestFactory::new();
    f.multiplex(2);
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let first = pool.acquire(&A, Wait::None).await.unwrap();
    let second = pool.acquire(&A, Wait::None).await.unwrap();
    let mut dropped = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut next = Probe::new(pool.acquire(&A, Wait::Forever));
    dropped.assert_pending();
    next.assert_pending();
    drop(first);
    assert!(dropped.is_woken());
    drop(dropped);
    assert!(next.is_woken(), "the stream goes on to the next waiter");
    let next = next.ready().unwrap();
    assert_eq!((next.id(), f.created()), (1, 1));
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            shared: 1,
            streams: 2,
            ..Gauges::default()
        }
    );
    drop((second, next));
    let c = pool.stats().total;
    assert_eq!((c.idle, c.shared, c.streams, c.waits), (1, 0, 0, 2));
    h.settle("nothing to close", || f.live() == 1).await;
}

/// A factory that does not say its connections multiplex (the default): acquires that arrive
/// while a connection is being made each make one of their own, up to `max_per_key`, rather than
/// wait for streams that may never come.
pub(crate) async fn a_default_factory_connects_side_by_side<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(3).build().unwrap();
    f.hold();
    let mut probes: Vec<_> = (0..3)
        .map(|_| Probe::new(pool.acquire(&A, Wait::Forever)))
        .collect();
    for probe in &mut probes {
        probe.assert_pending();
    }
    assert_eq!(f.in_flight(), 3);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 3,
            ..Gauges::default()
        }
    );
    f.release(3);
    let ids: Vec<u64> = probes
        .into_iter()
        .map(|mut p| p.ready().unwrap().id())
        .collect();
    assert_eq!(f.created(), 3, "{ids:?}");
}
