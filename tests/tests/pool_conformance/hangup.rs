//! A connection that raises its `Hangup` (its peer closed) leaves the idle count at once, without
//! waiting for the reaper's tick or the next checkout, and is not kept when it comes back busy.

use fusebox_core::Wait;
use fusebox_tests::{Callback, Gauges, Harness, TestFactory, builder, gauges};

use crate::A;

/// Two idle connections, the older hangs up: the reaper (whose tick is an hour away) closes it
/// at once, counted unusable, and the next acquire takes the other.
pub(crate) async fn hung_up_idle_connection_leaves_at_once<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();
    drop((c1, c2));
    assert_eq!(gauges(&pool, A).idle, 2);

    f.hang_up(1);
    h.settle("the hung-up connection to close", || f.closed() == [1])
        .await;
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!(
        Gauges::from(counts),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(counts.unusable, 1);
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(c.id(), 2, "the connection that did not hang up");
    drop(c);
    let total = pool.stats().total;
    let open = (total.idle + total.busy) as u64;
    assert_eq!(total.created, open + total.closed_total(), "{total:?}");
}

/// A busy connection that hangs up is closed when it comes back, though `is_usable` still says
/// yes, and its slot is free for a new connection.
pub(crate) async fn hung_up_busy_connection_is_not_kept<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    f.hang_up(1);
    drop(c1);
    h.settle("the hung-up connection to close", || f.closed() == [1])
        .await;
    // The reaper, woken by the hang-up, may have forgotten the emptied key: count the pool's.
    assert_eq!(pool.stats().total.unusable, 1);
    let c2 = pool
        .acquire(&A, Wait::None)
        .await
        .expect("the slot is free");
    assert_eq!(c2.id(), 2);
}

/// `watch_hangup` panicking costs nothing: the connection is handed out and pooled as usual.
pub(crate) async fn watch_hangup_that_panics_loses_nothing<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    f.panic_next(Callback::WatchHangup, 1);
    let c1 = pool.acquire(&A, Wait::None).await.expect("connected");
    assert_eq!(
        f.panics_left(Callback::WatchHangup),
        0,
        "asked after connect"
    );
    drop(c1);
    let again = pool.acquire(&A, Wait::None).await.expect("reused");
    assert_eq!(again.id(), 1);
    assert_eq!(pool.stats_for(&A).unwrap().created, 1);
}
