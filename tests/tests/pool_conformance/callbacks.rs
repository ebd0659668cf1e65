//! The connection's own callbacks (`is_usable`, `idle_timeout`, `close`) run off the pool's
//! lock: one that panics costs no capacity and leaves the counts true, and one that calls back
//! into the pool does not deadlock.

use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use fusebox_core::Wait;
use fusebox_tests::{
    Callback, Gauges, Harness, SETTLE_BOUND, TestFactory, TestPool, builder, gauges,
};

use crate::{A, B};

/// `created` is what is open plus what was closed, for every reason.
#[track_caller]
fn assert_counts_balance(pool: &TestPool) {
    let total = pool.stats().total;
    assert_eq!(
        total.created,
        (total.idle + total.busy) as u64 + total.closed_total(),
        "{total:?}"
    );
}

/// The pool serves `max_per_key` connections of `A` at once, and another key once they are back.
async fn assert_full_capacity(pool: &TestPool) {
    let c1 = pool.acquire(&A, Wait::None).await.expect("first of two");
    let c2 = pool.acquire(&A, Wait::None).await.expect("second of two");
    assert!(pool.acquire(&A, Wait::None).await.is_err(), "A's limit");
    drop((c1, c2));
    let b = pool.acquire(&B, Wait::None).await.expect("room for B");
    drop(b);
}

/// `is_usable` panicking when a connection comes back, and when an idle one is taken: each time
/// the connection is closed as unusable, and the pool still serves `max_per_key` connections
/// under a `max_total` of the same size.
pub(crate) async fn is_usable_that_panics_loses_no_capacity<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();

    f.panic_next(Callback::IsUsable, 1);
    drop(c1);
    assert_eq!(f.panics_left(Callback::IsUsable), 0, "asked on return");
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        },
        "closed, not kept"
    );
    drop(c2);
    f.panic_next(Callback::IsUsable, 1);
    let c3 = pool
        .acquire(&A, Wait::None)
        .await
        .expect("a new connection");
    assert_eq!(f.panics_left(Callback::IsUsable), 0, "asked on checkout");
    assert_eq!(c3.id(), 3, "the idle one whose check panicked is closed");
    drop(c3);
    h.settle("both connections to close", || f.closed_count() == 2)
        .await;
    let mut closed = f.closed();
    closed.sort_unstable();
    assert_eq!(closed, [1, 2]);
    assert_eq!(pool.stats_for(&A).unwrap().unusable, 2);

    assert_full_capacity(&pool).await;
    assert_counts_balance(&pool);
}

/// `idle_timeout` panicking when a connection comes back counts as "none of its own": the
/// connection is kept under the pool's timeout, and nothing is lost.
pub(crate) async fn idle_timeout_that_panics_loses_no_capacity<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();

    f.panic_next(Callback::IdleTimeout, 2);
    drop(c1);
    drop(c2);
    assert_eq!(f.panics_left(Callback::IdleTimeout), 0);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 2,
            ..Gauges::default()
        }
    );
    let again = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(again.id(), 2, "kept and reused");
    drop(again);

    assert_full_capacity(&pool).await;
    h.settle("B's eviction of an idle A connection", || {
        f.closed_count() == 1
    })
    .await;
    assert_counts_balance(&pool);
}

/// `close` panicking (on the pool's spawner) ends only that close: the pool still serves, and
/// when it is closed every other connection is closed through `close()`.
pub(crate) async fn close_that_panics_loses_no_capacity<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(3).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    f.panic_next(Callback::Close, 1);
    c1.discard();
    h.settle("the discarded connection's close to panic", || {
        f.panics_left(Callback::Close) == 0 && f.live() == 0
    })
    .await;
    assert_full_capacity(&pool).await;

    // Three idle connections, one close that panics: the other two are closed.
    let a1 = pool.acquire(&A, Wait::None).await.unwrap();
    let a2 = pool.acquire(&A, Wait::None).await.unwrap();
    let b = pool.acquire(&B, Wait::None).await.unwrap();
    drop((a1, a2, b));
    assert_eq!(pool.stats().total.idle, 3);
    f.panic_next(Callback::Close, 1);
    pool.close();
    h.settle("every connection to be closed or dropped", || f.live() == 0)
        .await;
    assert_eq!(f.panics_left(Callback::Close), 0);
    assert_eq!(f.closed_count(), f.created() - 2, "only the two panics");
    let total = pool.stats().total;
    assert_eq!(total.open(), 0, "{total:?}");
    assert_counts_balance(&pool);
}

/// Every callback calls back into the pool (`stats()`), first from another thread, bounded, then
/// from its own: neither blocks, since no callback runs under the pool's lock.
pub(crate) async fn callbacks_that_call_the_pool_do_not_deadlock<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let blocked = Arc::new(Mutex::new(Vec::new()));
    {
        let (pool, seen, blocked) = (pool.clone(), seen.clone(), blocked.clone());
        f.on_callback(move |callback| {
            seen.lock().unwrap().insert(callback);
            let (tx, rx) = mpsc::channel();
            let p = pool.clone();
            std::thread::spawn(move || {
                let _ = p.stats();
                let _ = tx.send(());
            });
            if rx.recv_timeout(SETTLE_BOUND).is_err() {
                // The pool's lock is held around this callback: calling `stats()` here would
                // deadlock this thread.
                blocked.lock().unwrap().push(callback);
                return;
            }
            let _ = pool.stats();
        });
    }

    // Returned (is_usable, idle_timeout), taken from idle (is_usable), then returned unusable
    // and closed (close).
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(c.id(), 1);
    c.set_usable(false);
    drop(c);
    h.settle("the unusable connection to close", || f.closed() == [1])
        .await;
    f.clear_hooks();

    let seen = seen.lock().unwrap().clone();
    for callback in [
        Callback::IsUsable,
        Callback::IdleTimeout,
        Callback::Close,
        Callback::WatchHangup,
    ] {
        assert!(seen.contains(&callback), "{callback:?} was not called");
    }
    assert_eq!(
        *blocked.lock().unwrap(),
        [],
        "callbacks called with the pool's lock held"
    );
    assert_counts_balance(&pool);
}
