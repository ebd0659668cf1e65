//! The second pass: every hand-off checked, first come first served across keys, idle order by
//! last use whatever path a connection came back by, a connection's own idle timeout only
//! shortening the pool's, and counts that balance.

use super::*;
use crate::pool::state::Spent;

/// A waiter handed a connection that fails its check keeps its place: it gets a slot to connect,
/// and the closed connection is counted.
#[test]
fn a_rejected_grant_keeps_the_waiters_room_and_is_counted() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let w = wait(&mut st, 1, now);
    let later = wait(&mut st, 1, now);
    st.checkin(k, c, now, &mut fx());
    let Some((Grant::Conn(idle), k)) = w.take() else {
        panic!("expected a connection");
    };
    let mut effects = fx();
    match st.reject(k, Some(idle.conn), Spent::Unusable, now, &mut effects) {
        Checkout::Connect(_) => {}
        other => panic!("expected a slot for the same waiter, got {other:?}"),
    }
    assert_eq!(effects.close.len(), 1);
    assert!(
        !later.is_granted(),
        "the later waiter does not jump the queue"
    );
    st.connected(k, &mut fx());
    let counts = st.stats_for(&1).unwrap();
    assert_eq!((counts.unusable, counts.created, counts.busy), (1, 2, 1));
    st.check_invariants();
}

/// A rejected connection taken from idle makes way for the next idle one of its key.
#[test]
fn a_rejected_idle_connection_makes_way_for_the_next() {
    let now = Instant::now();
    let mut st = state(2, None);
    let (k, a) = open(&mut st, 1, 1, now);
    let (_, b) = open(&mut st, 1, 2, now);
    st.checkin(k, a, now, &mut fx());
    st.checkin(k, b, now + Duration::from_secs(1), &mut fx());
    let Checkout::Reuse(k, b) = st.checkout(&1, now, false, &mut fx()) else {
        panic!("expected a reuse");
    };
    assert_eq!(b.conn.id, 2);
    match st.reject(k, Some(b.conn), Spent::Expired, now, &mut fx()) {
        Checkout::Reuse(_, a) => assert_eq!(a.conn.id, 1),
        other => panic!("expected the other idle connection, got {other:?}"),
    }
    st.check_invariants();
}

/// A connection back from a cancelled grant goes to its place by last use: the most recently
/// used one is still reused first, and eviction still takes the least recently used.
#[test]
fn a_connection_back_from_a_cancelled_grant_keeps_its_place_by_last_use() {
    let t0 = Instant::now();
    let mut st = state(2, None);
    let (k, a) = open(&mut st, 1, 1, t0);
    let (_, b) = open(&mut st, 1, 2, t0);
    let w = wait(&mut st, 1, t0);
    st.checkin(k, a, t0 + Duration::from_secs(1), &mut fx());
    st.checkin(k, b, t0 + Duration::from_secs(2), &mut fx());
    let _ = st.cancel(&w, t0 + Duration::from_secs(2), &mut fx());
    st.check_invariants();
    match st.checkout(&1, t0 + Duration::from_secs(3), false, &mut fx()) {
        Checkout::Reuse(_, idle) => assert_eq!(idle.conn.id, 2, "the most recently used"),
        other => panic!("expected a reuse, got {other:?}"),
    }
}

/// A connection's own idle timeout can shorten the pool's, never lengthen it.
#[test]
fn a_connections_own_idle_timeout_only_shortens_the_pools() {
    let now = Instant::now();
    let mut st = state(2, None);
    let (k, mut long) = open(&mut st, 1, 1, now);
    let (_, mut short) = open(&mut st, 1, 2, now);
    long.conn.own_timeout = Some(Duration::from_secs(100 * 365 * 24 * 3600));
    short.conn.own_timeout = Some(Duration::from_secs(1));
    st.checkin(k, long, now, &mut fx());
    st.checkin(k, short, now, &mut fx());
    let mut effects = fx();
    st.reap(now + Duration::from_secs(1), &mut effects);
    assert_eq!(
        effects.close.len(),
        1,
        "the short one expired at its own 1 s"
    );
    let mut effects = fx();
    st.reap(now + IDLE, &mut effects);
    assert_eq!(
        effects.close.len(),
        1,
        "the long one expired at the pool's idle timeout"
    );
    assert_eq!(st.stats().total.expired, 2);
}

/// Under `max_total`, a released connection goes to the oldest waiter it can serve: an older
/// waiter of another key, held back by the total, is served first (its key gets the room, the
/// connection is closed for it), before a later waiter of the connection's own key.
#[test]
fn under_max_total_the_oldest_waiter_is_served_whichever_key() {
    let now = Instant::now();
    let mut st = state(2, Some(2));
    let (ka, a1) = open(&mut st, 1, 1, now);
    let (_, a2) = open(&mut st, 1, 2, now);
    let b = wait(&mut st, 2, now);
    let a_later = wait(&mut st, 1, now);
    let mut effects = fx();
    st.checkin(ka, a1, now, &mut effects);
    assert_eq!(effects.close.len(), 1, "a1 is closed to make room for b");
    assert!(b.is_granted(), "b waited longer");
    assert!(!a_later.is_granted());
    assert!(matches!(b.take(), Some((Grant::Slot, _))));
    st.checkin(ka, a2, now, &mut fx());
    assert_eq!(granted_conn(&a_later), 2);
    assert_eq!(st.stats_for(&1).unwrap().evicted, 1);
    st.check_invariants();
}

/// Waits are counted with their time: until the grant, or until given up.
#[test]
fn waits_are_counted_with_their_time() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let w = wait(&mut st, 1, now);
    let gone = wait(&mut st, 1, now);
    st.checkin(k, c, now + Duration::from_millis(30), &mut fx());
    w.take().unwrap();
    assert!(st.give_up(&gone, now + Duration::from_millis(50)).is_none());
    let counts = st.stats().total;
    assert_eq!(
        (counts.waits, counts.wait_time),
        (2, Duration::from_millis(80))
    );
}
