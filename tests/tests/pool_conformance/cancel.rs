//! Cancellation at every await point of an acquire, and failed connects: nothing leaks.

use fusebox_core::{AcquireError, Wait};
use fusebox_tests::{Gauges, Harness, Probe, TestError, TestFactory, builder, gauges};

use crate::{A, B};

/// A waiter dropped in line leaves the line; the connection goes to the one behind it, or idle.
pub(crate) async fn dropped_while_waiting<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w1.assert_pending();
    w2.assert_pending();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            waiting: 2,
            ..Gauges::default()
        }
    );

    drop(w1);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );
    drop(held);
    assert!(w2.is_woken());
    let got = w2.ready().expect("the connection skips the dropped waiter");
    assert_eq!(got.id(), 1);
    drop(got);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );

    // Alone in line: the connection goes back to idle.
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    drop(w);
    drop(held);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
    assert_eq!((f.created(), f.live()), (1, 1));
}

/// A waiter dropped after it was handed a connection but before it polled again passes the
/// connection on to the next waiter, or to idle; a handover never taken counts as no reuse.
pub(crate) async fn dropped_after_being_handed_a_connection<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w1.assert_pending();
    w2.assert_pending();

    drop(held);
    assert!(w1.is_woken() && !w2.is_woken());
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );
    drop(w1);
    assert!(
        w2.is_woken(),
        "the next waiter gets what the dropped one was handed"
    );
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    let got = w2.ready().expect("the handed-over connection");
    assert_eq!(got.id(), 1);
    drop(got);

    // Nobody behind: the connection goes idle.
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    drop(held);
    assert!(w.is_woken());
    drop(w);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
    let counts = pool.stats_for(&A).unwrap();
    // Acquired: `held`, `got`, `held` again.
    assert_eq!((counts.created, counts.reused), (1, 2));
    assert_eq!((f.created(), f.live()), (1, 1));
}

/// A waiter dropped after it was handed a slot (to connect with) but before it polled again
/// passes the slot on; nothing connects for it.
pub(crate) async fn dropped_after_being_handed_a_slot<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w1.assert_pending();
    w2.assert_pending();

    held.discard();
    assert!(w1.is_woken() && !w2.is_woken());
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );
    drop(w1);
    assert!(w2.is_woken(), "the next waiter gets the slot");
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(f.attempts(), 1, "nothing connected for the dropped waiter");

    let got = w2.ready().expect("a new connection");
    assert_eq!(got.id(), 2);
    assert_eq!(f.attempts(), 2);
    h.settle("the discarded connection to close", || f.closed() == [1])
        .await;
    drop(got);

    // Nobody behind: the slot is simply freed.
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    held.discard();
    assert!(w.is_woken());
    drop(w);
    assert_eq!(gauges(&pool, A), Gauges::default());
    h.settle("both discarded connections to close", || {
        f.closed() == [1, 2]
    })
    .await;
}

/// An acquire dropped while its connect is in flight abandons the connect and frees the slot for
/// the next waiter; an abandoned connect is not a failure.
pub(crate) async fn dropped_while_connecting<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    f.hold();
    let mut a1 = Probe::new(pool.acquire(&A, Wait::Forever));
    a1.assert_pending();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(f.in_flight(), 1);
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w2.assert_pending();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );

    drop(a1);
    assert_eq!(f.in_flight(), 0, "the connect is abandoned");
    assert!(w2.is_woken(), "the slot goes to the waiter");
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            ..Gauges::default()
        }
    );
    w2.assert_pending();
    assert_eq!(f.in_flight(), 1, "the waiter connects");
    f.open();
    assert!(w2.is_woken());
    let got = w2.ready().expect("a connection");
    assert_eq!(got.id(), 1);
    assert_eq!(pool.stats_for(&A).unwrap().connect_failures, 0);

    // Nobody behind (the waiter behind gave up first): the slot is simply freed.
    f.hold();
    let mut b = Probe::new(pool.acquire(&B, Wait::Forever));
    b.assert_pending();
    let mut c = Probe::new(pool.acquire(&B, Wait::Forever));
    c.assert_pending();
    drop(c);
    drop(b);
    assert_eq!(gauges(&pool, B), Gauges::default());
    assert_eq!(f.in_flight(), 0);
    drop(got);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
}

/// A failed connect fails its acquire, frees its slot and wakes the next waiter, which connects.
pub(crate) async fn connect_failure_frees_the_slot_and_wakes_a_waiter<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    f.hold();
    f.fail_next(1);
    let mut a1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    a1.assert_pending();
    w2.assert_pending();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );

    f.release(1);
    assert!(a1.is_woken());
    let err = a1.ready().unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert!(matches!(err, AcquireError::Connect(TestError)), "{err:?}");
    assert!(w2.is_woken(), "the freed slot wakes the waiter");
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            ..Gauges::default()
        }
    );

    f.open();
    let got = w2.ready().expect("the waiter connects");
    assert_eq!(got.id(), 1);
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!((counts.created, counts.connect_failures), (1, 1));
    assert_eq!(f.attempts(), 2);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
}

/// A failed connect with nobody waiting leaves the key empty and usable.
pub(crate) async fn connect_failure_alone_leaks_nothing<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    f.fail_next(1);
    let err = pool.acquire(&A, Wait::None).await.unwrap_err();
    assert!(matches!(err, AcquireError::Connect(TestError)), "{err:?}");
    assert_eq!(gauges(&pool, A), Gauges::default());
    let got = pool
        .acquire(&A, Wait::None)
        .await
        .expect("the slot is free");
    assert_eq!(got.id(), 1);
    assert_eq!(pool.stats_for(&A).unwrap().connect_failures, 1);
}
