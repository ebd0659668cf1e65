//! Waiting: woken by releases, served first come first served, no lost wakeup.

use std::sync::{Arc, Mutex};

use fusebox_core::Wait;
use fusebox_tests::{Gauges, Harness, Probe, TestFactory, builder, gauges};

use crate::A;

/// `Wait::Forever` stays pending, unwoken, until a release hands it the connection.
pub(crate) async fn forever_is_woken_by_a_release<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();

    let mut waiter = Probe::new(pool.acquire(&A, Wait::Forever));
    waiter.assert_pending();
    assert!(!waiter.is_woken());
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            waiting: 1,
            ..Gauges::default()
        }
    );

    drop(held);
    assert!(waiter.is_woken(), "a release wakes the waiter");
    let got = waiter.ready().expect("the released connection");
    assert_eq!(got.id(), 1);
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

/// The same with the waiter in a task of the runtime, released from another.
pub(crate) async fn forever_is_woken_across_tasks<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();

    let p = pool.clone();
    let task = h.spawn(async move { p.acquire(&A, Wait::Forever).await.map(|c| c.id()) });
    h.settle("the task to wait", || gauges(&pool, A).waiting == 1)
        .await;
    drop(held);
    assert_eq!(h.join(task).await.expect("the released connection"), 1);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
}

/// Four waiters are served in the order they arrived, each woken alone, and a newcomer never takes
/// a released connection from them.
pub(crate) async fn fifo_order_of_waiters_polled<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let mut held = Some(pool.acquire(&A, Wait::None).await.unwrap());

    let mut waiters: Vec<_> = (0..4)
        .map(|_| Probe::new(pool.acquire(&A, Wait::Forever)))
        .collect();
    for w in &mut waiters {
        w.assert_pending();
    }
    assert_eq!(gauges(&pool, A).waiting, 4);

    for i in 0..waiters.len() {
        drop(held.take());
        let newcomer = pool.acquire(&A, Wait::None).await;
        assert!(newcomer.is_err(), "a newcomer overtook waiter {i}");
        for (j, w) in waiters.iter().enumerate().skip(i) {
            assert_eq!(w.is_woken(), j == i, "after release {i}, waiter {j}");
        }
        let got = waiters[i].ready().expect("the released connection");
        assert_eq!(got.id(), 1);
        held = Some(got);
    }
    drop(held);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(f.attempts(), 1);
}

/// Three waiters in tasks of the runtime acquire in the order they started waiting.
pub(crate) async fn fifo_order_of_waiters_in_tasks<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));

    let mut tasks = Vec::new();
    for i in 0..3 {
        let (p, order) = (pool.clone(), order.clone());
        tasks.push(h.spawn(async move {
            let c = p.acquire(&A, Wait::Forever).await.expect("a connection");
            // Recorded while holding the connection, so the next waiter cannot come first.
            order.lock().unwrap().push(i);
            drop(c);
        }));
        h.settle("the task to wait", || gauges(&pool, A).waiting == i + 1)
            .await;
    }
    drop(held);
    for task in tasks {
        h.join(task).await;
    }
    assert_eq!(*order.lock().unwrap(), [0, 1, 2]);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
}

/// Two releases back to back, with no poll in between, wake both of two waiters (the lost wakeup
/// of async-lock#18 woke one).
pub(crate) async fn two_releases_wake_two_waiters_polled<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w1.assert_pending();
    w2.assert_pending();

    drop(c1);
    drop(c2);
    assert!(w1.is_woken(), "the first waiter is woken");
    assert!(w2.is_woken(), "the second waiter is woken");
    let (g1, g2) = (w1.ready().unwrap(), w2.ready().unwrap());
    assert_eq!([g1.id(), g2.id()], [1, 2]);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 2,
            ..Gauges::default()
        }
    );
}

/// The same with the waiters in tasks of the runtime: both complete while neither returns its
/// connection, so neither can be rescued by the other.
pub(crate) async fn two_releases_wake_two_waiters_in_tasks<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();

    let mut tasks = Vec::new();
    for i in 0..2 {
        let p = pool.clone();
        tasks.push(h.spawn(async move { p.acquire(&A, Wait::Forever).await }));
        h.settle("the task to wait", || gauges(&pool, A).waiting == i + 1)
            .await;
    }
    drop(c1);
    drop(c2);
    let mut got = Vec::new();
    for task in tasks {
        got.push(h.join(task).await.expect("a connection"));
    }
    let mut ids: Vec<u64> = got.iter().map(|c| c.id()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2]);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 2,
            ..Gauges::default()
        }
    );
    drop(got);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 2,
            ..Gauges::default()
        }
    );
}
