//! Everything that depends on time, on a clock the test moves: `Wait::Up`, idle expiry, maximum
//! lifetime, the reaper (in [`reaper`]), the connect timeout. Each boundary is checked one
//! nanosecond before and exactly at the instant.

mod reaper;

use std::time::Duration;

use fusebox_core::{AcquireError, Wait};
use fusebox_tests::{Gauges, Probe, TestFactory, TimeControl, builder, gauges};

use crate::{A, B};

// main.rs lists every timed scenario under `timing::`, wherever it lives.
pub(crate) use reaper::{
    reap_interval_beyond_the_representable_never_reaps, reaper_ends_when_the_pool_closes,
    reaper_keeps_keys_in_use, reaper_removes_expired_connections_and_empty_keys,
    reaper_takes_the_shorter_idle_timeout,
};

const NS: Duration = Duration::from_nanos(1);

/// `Wait::Up(d)` is pending and unwoken at `d - 1ns` and fails with a timeout of exactly `d` at
/// `d`, leaving the line; the connection it waited for then goes idle.
pub(crate) async fn wait_up_fails_exactly_at_the_deadline<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let d = Duration::from_millis(250);
    let wait = Wait::from_millis(250).unwrap();
    assert_eq!(wait, Wait::Up(d));

    let mut waiter = Probe::new(pool.acquire(&A, wait));
    waiter.assert_pending();
    h.advance(d - NS);
    assert!(!waiter.is_woken(), "woken before the deadline");
    waiter.assert_pending();
    h.advance(NS);
    assert!(waiter.is_woken(), "not woken at the deadline");
    match waiter.ready() {
        Err(AcquireError::Timeout { waited }) => assert_eq!(waited, d),
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(pool.stats_for(&A).unwrap().timed_out, 1);

    drop(held);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
}

/// `Wait::Up(d)` served at `d - 1ns` returns the connection, and its deadline passing later does
/// nothing.
pub(crate) async fn wait_up_is_served_before_the_deadline<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let d = Duration::from_secs(2);
    let mut waiter = Probe::new(pool.acquire(&A, Wait::Up(d)));
    waiter.assert_pending();

    h.advance(d - NS);
    drop(held);
    assert!(waiter.is_woken());
    let got = waiter.ready().expect("served in time");
    assert_eq!(got.id(), 1);
    h.advance(d);
    h.run_ready();
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            busy: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(pool.stats_for(&A).unwrap().timed_out, 0);
}

/// A connection handed over at the very instant of the deadline, before the waiter runs, is
/// returned rather than lost behind a timeout.
pub(crate) async fn wait_up_takes_a_grant_that_arrives_with_the_deadline<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let d = Duration::from_secs(1);
    let mut waiter = Probe::new(pool.acquire(&A, Wait::Up(d)));
    waiter.assert_pending();

    h.advance(d);
    drop(held);
    let got = waiter.ready().expect("the grant wins over the deadline");
    assert_eq!(got.id(), 1);
    assert_eq!(pool.stats_for(&A).unwrap().timed_out, 0);
    drop(got);
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            idle: 1,
            ..Gauges::default()
        }
    );
}

/// A `Wait::Up` too long for the clock to represent its deadline waits like `Wait::Forever`
/// instead of panicking.
pub(crate) async fn wait_up_beyond_the_representable_waits<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let mut waiter = Probe::new(pool.acquire(&A, Wait::Up(Duration::MAX)));
    waiter.assert_pending();
    h.advance(Duration::from_secs(365 * 24 * 3600));
    waiter.assert_pending();
    drop(held);
    assert_eq!(waiter.ready().expect("served").id(), 1);
}

/// An idle connection is reused up to `idle_timeout - 1ns` after its last use and expired at
/// exactly `idle_timeout`; the time counts from the last use, not from creation.
pub(crate) async fn idle_expiry_at_the_timeout_boundary<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let timeout = Duration::from_secs(30);
    let pool = builder(h, &f)
        .max_per_key(1)
        .idle_timeout(timeout)
        .build()
        .unwrap();
    drop(pool.acquire(&A, Wait::None).await.unwrap());

    for round in 0..2 {
        h.advance(timeout - NS);
        let c = pool.acquire(&A, Wait::None).await.unwrap();
        assert_eq!(c.id(), 1, "round {round}: reused 1ns before the timeout");
    }
    h.advance(timeout);
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(c.id(), 2, "expired at exactly the timeout");
    let counts = pool.stats_for(&A).unwrap();
    assert_eq!((counts.created, counts.reused, counts.expired), (2, 2, 1));
    h.settle("the expired connection to close", || f.closed() == [1])
        .await;
}

/// A connection's own idle timeout can shorten the pool's, never lengthen it.
pub(crate) async fn own_idle_timeout_only_shortens_the_pools<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f)
        .max_per_key(1)
        .idle_timeout(Duration::from_secs(90))
        .build()
        .unwrap();

    let short = Duration::from_secs(5);
    f.set_conn_idle_timeout(Some(short));
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    h.advance(short - NS);
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    h.advance(short);
    assert_eq!(pool.acquire(&A, Wait::None).await.unwrap().id(), 2);

    f.set_conn_idle_timeout(Some(Duration::from_secs(120)));
    drop(pool.acquire(&B, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(90) - NS);
    drop(pool.acquire(&B, Wait::None).await.unwrap());
    h.advance(Duration::from_secs(90));
    let c = pool.acquire(&B, Wait::None).await.unwrap();
    assert_eq!(
        c.id(),
        4,
        "its own 120 s does not keep it past the pool's 90 s"
    );
}

/// `max_lifetime` counts from creation however busy the connection is: one reaching it while busy
/// is closed when returned, one reaching it idle is not handed out.
pub(crate) async fn max_lifetime_at_the_boundary<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let lifetime = Duration::from_secs(60);
    let pool = builder(h, &f)
        .max_per_key(1)
        .max_lifetime(lifetime)
        .build()
        .unwrap();
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    h.advance(lifetime - NS);
    let c = pool.acquire(&A, Wait::None).await.unwrap();
    assert_eq!(c.id(), 1, "1ns short of its lifetime");
    h.advance(NS);
    drop(c);
    assert_eq!(gauges(&pool, A), Gauges::default(), "closed on return");
    h.settle("the old connection to close", || f.closed() == [1])
        .await;

    drop(pool.acquire(&A, Wait::None).await.unwrap());
    h.advance(lifetime);
    assert_eq!(pool.acquire(&A, Wait::None).await.unwrap().id(), 3);
    assert_eq!(pool.stats_for(&A).unwrap().expired, 2);
}

/// A connect still pending at `connect_timeout - 1ns` fails with `ConnectTimeout` at exactly the
/// timeout, abandons the attempt, and hands the slot to the next waiter, whose own attempt gets a
/// full timeout.
pub(crate) async fn connect_timeout_at_the_boundary<H: TimeControl>(h: &H) {
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

    h.advance(timeout - NS);
    assert!(!a1.is_woken());
    a1.assert_pending();
    h.advance(NS);
    assert!(a1.is_woken());
    match a1.ready() {
        Err(AcquireError::ConnectTimeout(d)) => assert_eq!(d, timeout),
        other => panic!("expected a connect timeout, got {other:?}"),
    }
    assert_eq!(f.in_flight(), 0, "the timed-out attempt is dropped");
    assert!(w2.is_woken(), "the slot goes to the waiter");
    assert_eq!(
        gauges(&pool, A),
        Gauges {
            connecting: 1,
            ..Gauges::default()
        }
    );
    assert_eq!(pool.stats_for(&A).unwrap().connect_failures, 1);

    w2.assert_pending();
    h.advance(timeout - NS);
    w2.assert_pending();
    f.open();
    assert!(w2.is_woken());
    assert_eq!(w2.ready().expect("connected in time").id(), 1);
}

/// A connect timeout too long for the clock to represent its deadline either is refused by
/// `build()` or never fires; it never panics.
pub(crate) async fn connect_timeout_beyond_the_representable_connects<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let built = builder(h, &f)
        .max_per_key(1)
        .connect_timeout(Duration::MAX)
        .build();
    let Ok(pool) = built else { return };
    let c = pool.acquire(&A, Wait::None).await.expect("a connection");
    assert_eq!(c.id(), 1);
}

/// Every acquire that waited is counted once, with the time it waited: served, timed out, or
/// dropped in line; acquires that did not wait add nothing.
pub(crate) async fn waits_and_wait_time_are_counted<H: TimeControl>(h: &H) {
    let f = TestFactory::new();
    let pool = builder(h, &f).max_per_key(1).build().unwrap();
    let held = pool.acquire(&A, Wait::None).await.unwrap();
    let waits = |pool: &fusebox_tests::TestPool| {
        let c = pool.stats_for(&A).unwrap();
        (c.waits, c.wait_time)
    };
    assert_eq!(waits(&pool), (0, Duration::ZERO), "no wait yet");
    assert!(pool.acquire(&A, Wait::None).await.is_err());
    assert_eq!(
        waits(&pool),
        (0, Duration::ZERO),
        "Wait::None does not wait"
    );

    // Served after 3 s.
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    h.advance(Duration::from_secs(3));
    drop(held);
    let held = w.ready().expect("served");
    assert_eq!(waits(&pool), (1, Duration::from_secs(3)));

    // Timed out after 2 s.
    let mut w = Probe::new(pool.acquire(&A, Wait::Up(Duration::from_secs(2))));
    w.assert_pending();
    h.advance(Duration::from_secs(2));
    assert!(w.ready().unwrap_err().is_timeout());
    assert_eq!(waits(&pool), (2, Duration::from_secs(5)));

    // Dropped in line after 1 s.
    let mut w = Probe::new(pool.acquire(&A, Wait::Forever));
    w.assert_pending();
    h.advance(Duration::from_secs(1));
    drop(w);
    assert_eq!(waits(&pool), (3, Duration::from_secs(6)));

    drop(held);
    drop(pool.acquire(&A, Wait::None).await.unwrap());
    let c = pool.stats_for(&A).unwrap();
    assert_eq!(
        (c.waits, c.wait_time, c.timed_out),
        (3, Duration::from_secs(6), 2)
    );
    assert_eq!(c.created, (c.idle + c.busy) as u64 + c.closed_total());
}
