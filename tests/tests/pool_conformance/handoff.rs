//! Hand-offs: a connection or a slot given to a waiter, directly or forwarded from one that was
//! dropped, is checked as one taken from idle, keeps its place by last use when it comes back, and
//! an abandoned connect attempt is gone before its slot goes on.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fusebox_core::{AcquireError, Pooled, Wait};
use fusebox_tests::{
    Gauges, Harness, Probe, TestError, TestFactory, TestPool, TimeControl, builder, gauges,
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

/// A connection granted to a waiter that is dropped before taking it goes to the next waiter only
/// through the checks of a checkout: one that went bad meanwhile is closed and counted, and the
/// next waiter connects instead.
pub(crate) async fn forwarded_grant_is_checked_like_idle<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w1.assert_pending();
    w2.assert_pending();

    drop(c);
    assert!(
        w1.is_woken(),
        "the connection is granted to the first waiter"
    );
    f.mark_unusable(1);
    drop(w1);
    assert!(w2.is_woken(), "the grant goes on to the second waiter");
    let got = w2.ready().expect("a connection");
    assert_eq!(got.id(), 2, "never the connection that went bad");
    h.settle("the unusable connection to close", || f.closed() == [1])
        .await;
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!(
        (counts.created, counts.reused, counts.unusable),
        (2, 0, 1),
        "{counts:?}"
    );
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_counts_balance(&pool);
}

/// A granted waiter whose task runs only after its connection's idle timeout, or its lifetime,
/// has passed gets a fresh connection, and the stale one counts as expired; so does the next
/// waiter of a grant that went stale while forwarded.
pub(crate) async fn late_grant_is_checked_for_expiry<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let idle_timeout = Duration::from_secs(10);
    let lifetime = Duration::from_secs(60);
    let pool = builder(h, &f)
        .max_per_key(1)
        .idle_timeout(idle_timeout)
        .max_lifetime(lifetime)
        .build()
        .unwrap();

    // Past the idle timeout, granted directly.
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    drop(c);
    assert!(w.is_woken());
    h.advance(idle_timeout);
    let c = w.ready().expect("a connection");
    assert_eq!(c.id(), 2, "idle for its whole timeout: not handed out");
    assert_eq!(pool.stats_for(&A).unwrap().expired, 1);

    // Past the maximum lifetime, granted directly.
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    h.advance(lifetime - Duration::from_millis(1));
    drop(c);
    h.advance(Duration::from_millis(1));
    let c = w.ready().expect("a connection");
    assert_eq!(c.id(), 3, "at its lifetime: not handed out");
    assert_eq!(pool.stats_for(&A).unwrap().expired, 2);

    // Past the idle timeout, forwarded from a dropped waiter.
    let mut w1 = Probe::new(pool.acquire(&A, Wait::Forever));
    let mut w2 = Probe::new(pool.acquire(&A, Wait::Forever));
    w1.assert_pending();
    w2.assert_pending();
    drop(c);
    h.advance(idle_timeout);
    drop(w1);
    let c = w2.ready().expect("a connection");
    assert_eq!(c.id(), 4, "went stale while granted: not forwarded");

    let counts = pool.stats_for(&A).unwrap();
    assert_eq!(
        (counts.created, counts.reused, counts.expired),
        (4, 0, 3),
        "{counts:?}"
    );
    h.settle("the stale connections to close", || f.closed() == [1, 2, 3])
        .await;
    drop(c);
    assert_counts_balance(&pool);
}

/// A connection back from a cancelled grant goes to its place by last use: reuse still takes
/// the most recently used connection.
pub(crate) async fn cancelled_grant_keeps_its_place_for_reuse<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();

    drop(c1);
    assert!(w.is_woken(), "1 is granted to the waiter");
    h.let_time_pass();
    drop(c2);
    drop(w);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 2,
            ..Gauges::default()
        }
    );
    let x = pool.acquire(&A, Wait::None).await.unwrap();
    let y = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(
        [x.id(), y.id()],
        [2, 1],
        "2 was used last, 1 came back from the cancelled grant"
    );
}

/// The same, seen by eviction: at `max_total`, another key's acquire closes the least recently
/// used idle connection, not the one that came back from the cancelled grant most recently.
pub(crate) async fn cancelled_grant_keeps_its_place_for_eviction<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(2).max_total(2).build().unwrap();
    let c1 = pool.acquire(&A, Wait::None).await.unwrap();
    let c2 = pool.acquire(&A, Wait::None).await.unwrap();
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();

    drop(c1);
    assert!(w.is_woken(), "1 is granted to the waiter");
    h.let_time_pass();
    drop(c2);
    drop(w);
    let b = pool
        .acquire(&B, Wait::None)
        .await
        .expect("room by eviction");
    assert_eq!(b.id(), 3);
    h.settle("the evicted connection to close", || !f.closed().is_empty())
        .await;
    assert_eq!(f.closed(), [1], "1 is the least recently used");
    assert_eq!(pool.stats_for(&A).unwrap().evicted, 1);
    assert_eq!(pool.acquire(&A, Wait::None).await.unwrap().id(), 2);
    assert_counts_balance(&pool);
}

type Owned = Pin<
    Box<dyn Future<Output = Result<Pooled<char, TestFactory>, AcquireError<TestError>>> + Send>,
>;

/// A waiter that a hook can poll: the test's and the hook's hands on one probe.
type Shared = Arc<Mutex<Probe<Owned>>>;

fn waiter(pool: &TestPool) -> Shared {
    let p = pool.clone();
    let fut: Owned = Box::pin(async move { p.acquire(&A, Wait::Forever).await });
    Arc::new(Mutex::new(Probe::new(fut)))
}

/// When the first attempt's future is dropped, the next waiter is polled at once (as another
/// thread would run it): at that instant it must not have the slot yet.
fn poll_on_connect_drop(f: &TestFactory, next: &Shared) {
    let next = next.clone();
    f.on_connect_drop(move || {
        let _ = next.lock().unwrap().poll();
    });
}

/// An acquire dropped while connecting drops its connect future before its slot goes to the next
/// waiter: never two attempts alive at once under `max_per_key` 1.
pub(crate) async fn abandoned_connect_is_gone_before_its_slot_goes_on<H: Harness>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    f.hold();
    let mut a1 = Probe::new(pool.acquire(&A, Wait::Forever));
    a1.assert_pending();
    let w2 = waiter(&pool);
    w2.lock().unwrap().assert_pending();
    assert_eq!(f.in_flight(), 1);
    poll_on_connect_drop(&f, &w2);

    drop(a1);
    assert_eq!(
        f.max_in_flight(),
        1,
        "the next waiter connected while the abandoned attempt was alive"
    );
    f.clear_hooks();
    let mut w2 = w2.lock().unwrap();
    assert!(w2.is_woken(), "the slot goes to the waiter");
    w2.assert_pending();
    assert_eq!(f.in_flight(), 1, "the waiter connects");
    f.open();
    assert_eq!(w2.ready().expect("a connection").id(), 1);
    assert_eq!(f.max_in_flight(), 1);
    assert_eq!(pool.stats_for(&A).unwrap().connect_failures, 0);
}

/// A connect that times out is dropped before its slot goes to the next waiter.
pub(crate) async fn timed_out_connect_is_gone_before_its_slot_goes_on<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let timeout = Duration::from_secs(2);
    let pool = builder(h, &f)
        .max_per_key(1)
        .connect_timeout(timeout)
        .build()
        .unwrap();
    f.hold();
    let mut a1 = Probe::new(pool.acquire(&A, Wait::Forever));
    a1.assert_pending();
    let w2 = waiter(&pool);
    w2.lock().unwrap().assert_pending();
    poll_on_connect_drop(&f, &w2);

    h.advance(timeout);
    match a1.ready() {
        Err(AcquireError::ConnectTimeout(d)) => assert_eq!(d, timeout),
        other => panic!("expected a connect timeout, got {other:?}"),
    }
    assert_eq!(
        f.max_in_flight(),
        1,
        "the next waiter connected while the timed-out attempt was alive"
    );
    f.clear_hooks();
    let mut w2 = w2.lock().unwrap();
    w2.assert_pending();
    assert_eq!(f.in_flight(), 1, "the waiter connects");
    f.open();
    assert_eq!(w2.ready().expect("a connection").id(), 1);
    assert_eq!(f.max_in_flight(), 1);
    assert_eq!(pool.stats_for(&A).unwrap().connect_failures, 1);
}
