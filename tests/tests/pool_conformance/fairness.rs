//! First come, first served across keys under `max_total`: freed capacity goes to the oldest
//! waiter it can serve, whichever key that waiter waits on.

use fusebox_core::Wait;
use fusebox_tests::{Gauges, Harness, Probe, TestFactory, builder, gauges};

use crate::{A, B};

/// B's waiter, held back by `max_total` alone, came before A's: a released A connection is closed
/// (an eviction) to let B connect, and A's later waiter waits for the next release. Then the
/// other way round: A's older waiter keeps A's released connection.
pub(crate) async fn older_waiter_of_another_key_is_served_first<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(2).build().unwrap();
    let a1 = pool.acquire(&A, Wait::None).await.unwrap();
    let a2 = pool.acquire(&A, Wait::None).await.unwrap();

    let mut wb = Probe::new(pool.acquire(&B, Wait::Forever));
    wb.assert_pending();
    let mut wa = Probe::new(pool.acquire(&A, Wait::Forever));
    wa.assert_pending();
    assert_eq!(pool.stats().total.waiting, 2);

    drop(a1);
    assert!(wb.is_woken(), "B's older waiter is served first");
    assert!(!wa.is_woken(), "A's later waiter waits its turn");
    wa.assert_pending();
    let b = wb.ready().expect("room for B");
    assert_eq!(b.id(), 3);
    h.settle("A's released connection to be evicted", || {
        f.closed() == [1]
    })
    .await;
    assert_eq!(pool.stats_for(&A).unwrap().evicted, 1);

    drop(a2);
    assert!(wa.is_woken(), "now A's waiter is the oldest");
    let a = wa.ready().expect("A's released connection");
    assert_eq!(a.id(), 2);

    // A's waiter first, B's after: A's released connection stays with A.
    let mut wa = Probe::new(pool.acquire(&A, Wait::Forever));
    wa.assert_pending();
    let mut wb = Probe::new(pool.acquire(&B, Wait::Forever));
    wb.assert_pending();
    drop(a);
    assert!(wa.is_woken() && !wb.is_woken(), "A's waiter is older");
    let a = wa.ready().expect("A's released connection");
    assert_eq!(a.id(), 2);
    drop(b);
    assert!(wb.is_woken());
    assert_eq!(wb.ready().expect("B's released connection").id(), 3);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    let total = pool.stats().total;
    assert_eq!((total.created, total.evicted), (3, 1), "{total:?}");
    assert_eq!(
        total.created,
        (total.idle + total.busy) as u64 + total.closed_total()
    );
}
