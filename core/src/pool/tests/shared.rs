//! Multiplexed connections by hand: a stream that fails its taker's check, and a stream limit
//! the peer changes (`Multiplex::with_limit`), asked again off the lock as each handle comes
//! back (by the guard's drop; here by the test).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::Multiplex;
use crate::pool::state::{Back, Checkout, Retired, SharedId, Spent, Stream};

/// A multiplexed connection for key 0 whose maker holds the first stream, with `limit` as its
/// peer's limit (initially `initial`).
fn shared(
    st: &mut State<u8, Conn>,
    initial: usize,
    now: Instant,
) -> (Arc<AtomicUsize>, Arc<Multiplex<Conn>>, SharedId) {
    let limit = Arc::new(AtomicUsize::new(initial));
    let seen = limit.clone();
    let mux = Multiplex::new(initial, move || Some(conn(0)))
        .with_limit(move || seen.load(Ordering::Relaxed));
    let mux = Arc::new(mux);
    let k = match st.checkout(&0, now, false, &mut fx()) {
        Checkout::Connect(k) => k,
        other => panic!("expected a slot, got {other:?}"),
    };
    let idle = Idle::new(conn(1), now, &LIMITS);
    let id = st.connected_shared(k, &idle, mux.clone(), now, &mut fx());
    (limit, mux, id)
}

fn stream(st: &mut State<u8, Conn>, now: Instant) -> Stream<Conn> {
    match st.checkout(&0, now, true, &mut fx()) {
        Checkout::Stream(_, stream) => stream,
        other => panic!("expected a stream, got {other:?}"),
    }
}

fn back(now: Instant) -> Back {
    Back::Used {
        last_used: now,
        expires: None,
    }
}

#[test]
fn a_limit_the_peer_lowered_sends_the_next_acquire_to_a_new_connection() {
    let t0 = Instant::now();
    let mut st = state(2, None);
    let (limit, mux, id) = shared(&mut st, 4, t0);
    let s1 = stream(&mut st, t0);
    limit.store(1, Ordering::Relaxed);
    mux.refresh();
    drop(st.stream_back(0, id, s1.handle, back(t0), t0, &mut fx()));
    // One stream in use, the maker's, at the new limit of 1: no room on it.
    match st.checkout(&0, t0, true, &mut fx()) {
        Checkout::Connect(_) => {}
        other => panic!("expected a slot for a second connection, got {other:?}"),
    }
}

#[test]
fn a_limit_the_peer_raised_serves_every_waiter_it_has_room_for() {
    let t0 = Instant::now();
    let mut st = state(1, None);
    let (limit, mux, id) = shared(&mut st, 2, t0);
    let s1 = stream(&mut st, t0);
    let w3 = wait(&mut st, 0, t0);
    let w4 = wait(&mut st, 0, t0);
    limit.store(4, Ordering::Relaxed);
    mux.refresh();
    drop(st.stream_back(0, id, s1.handle, back(t0), t0, &mut fx()));
    for w in [w3, w4] {
        assert!(
            matches!(w.take(), Some((Grant::Stream(_), _))),
            "a waiter served"
        );
    }
    assert_eq!(st.stats_for(&0).map(|c| c.streams), Some(3));
}

#[test]
fn a_panicking_limit_keeps_the_one_last_learnt() {
    let mux = Multiplex::new(3, || Some(conn(0))).with_limit(|| panic!("peer limit"));
    mux.refresh();
    assert_eq!(mux.streams(), 3);
}

#[test]
fn a_stream_that_fails_its_check_counts_no_reuse() {
    let t0 = Instant::now();
    let mut st = state(1, None);
    let (_, _, id) = shared(&mut st, 4, t0);
    let s1 = stream(&mut st, t0);
    assert_eq!(st.stats_for(&0).map(|c| c.reused), Some(1));
    drop(st.reject_stream(0, id, s1.handle, Spent::Unusable, t0, &mut fx()));
    let c = st.stats_for(&0).unwrap();
    assert_eq!((c.reused, c.streams, c.shared), (0, 1, 1), "{c:?}");
}

#[test]
fn a_stream_in_use_when_the_pool_closes_counts_as_closed_by_it() {
    let t0 = Instant::now();
    let mut st = state(1, None);
    let (_, _, id) = shared(&mut st, 4, t0);
    let s1 = stream(&mut st, t0);
    st.close(t0, &mut fx());
    let discarded = Back::Retire(Retired::Discarded);
    drop(st.stream_back(0, id, s1.handle, discarded, t0, &mut fx()));
    drop(st.stream_back(0, id, Some(conn(1)), back(t0), t0, &mut fx()));
    let c = st.stats_for(&0).unwrap_or_else(|| st.stats().total);
    assert_eq!((c.closed, c.discarded, c.shared), (1, 0, 0), "{c:?}");
}
