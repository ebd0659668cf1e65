//! The transitions by hand.

use super::*;

#[test]
fn reuses_most_recently_used_first() {
    let now = Instant::now();
    let mut st = state(2, None);
    let (k, a) = open(&mut st, 1, 1, now);
    let (_, b) = open(&mut st, 1, 2, now);
    st.checkin(k, a, now, &mut fx());
    st.checkin(k, b, now + Duration::from_secs(1), &mut fx());
    match st.checkout(&1, now + Duration::from_secs(2), false, &mut fx()) {
        Checkout::Reuse(_, idle) => assert_eq!(idle.conn.id, 2),
        other => panic!("expected reuse, got {other:?}"),
    }
    st.check_invariants();
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 7, now);
    let ws: Vec<_> = (0..3).map(|_| wait(&mut st, 1, now)).collect();
    st.checkin(k, c, now, &mut fx());
    assert!(
        ws[1].take().is_none(),
        "second waiter must not be served first"
    );
    assert!(ws[2].take().is_none());
    let id = granted_conn(&ws[0]);
    st.checkin(k, Idle::new(conn(id), now, &LIMITS), now, &mut fx());
    assert!(ws[2].take().is_none());
    assert_eq!(granted_conn(&ws[1]), 7);
    st.check_invariants();
}

#[test]
fn a_newcomer_does_not_overtake_a_waiter() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let w = wait(&mut st, 1, now);
    st.checkin(k, c, now, &mut fx());
    // The connection went to the waiter, not to the idle list a newcomer could take from.
    assert!(matches!(
        st.checkout(&1, now, false, &mut fx()),
        Checkout::Full
    ));
    assert_eq!(granted_conn(&w), 1);
}

#[test]
fn two_releases_grant_two_waiters() {
    let now = Instant::now();
    let mut st = state(2, None);
    let (k, a) = open(&mut st, 1, 1, now);
    let (_, b) = open(&mut st, 1, 2, now);
    let (w1, w2) = (wait(&mut st, 1, now), wait(&mut st, 1, now));
    let mut effects = fx();
    st.checkin(k, a, now, &mut effects);
    st.checkin(k, b, now, &mut effects);
    assert_eq!(
        effects.wakes().count(),
        2,
        "each release wakes its own waiter"
    );
    assert_eq!(granted_conn(&w1), 1);
    assert_eq!(granted_conn(&w2), 2);
    st.check_invariants();
}

#[test]
fn a_cancelled_grant_passes_to_the_next_waiter() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let (w1, w2) = (wait(&mut st, 1, now), wait(&mut st, 1, now));
    st.checkin(k, c, now, &mut fx());
    let mut effects = fx();
    let _ = st.cancel(&w1, now, &mut effects);
    assert_eq!(effects.wakes().count(), 1);
    assert_eq!(granted_conn(&w2), 1);
    st.check_invariants();
}

#[test]
fn a_failed_connect_hands_its_slot_to_a_waiter() {
    let now = Instant::now();
    let mut st = state(1, None);
    let k = match st.checkout(&1, now, false, &mut fx()) {
        Checkout::Connect(k) => k,
        other => panic!("{other:?}"),
    };
    let w = wait(&mut st, 1, now);
    st.connect_failed(k, now, &mut fx());
    assert!(matches!(w.take(), Some((Grant::Slot, _))));
    let counts = st.stats_for(&1).unwrap();
    assert_eq!((counts.connecting, counts.connect_failures), (1, 1));
    st.check_invariants();
}

#[test]
fn idle_expiry_is_at_the_boundary() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    st.checkin(k, c, now, &mut fx());
    let just_before = now + IDLE - Duration::from_nanos(1);
    assert!(matches!(
        st.checkout(&1, just_before, false, &mut fx()),
        Checkout::Reuse(..)
    ));
    // Returned at `just_before`, it expires at `just_before + IDLE` exactly.
    let (k, c) = (k, Idle::new(conn(1), just_before, &LIMITS));
    st.checkin(k, c, just_before, &mut fx());
    let mut effects = fx();
    assert!(matches!(
        st.checkout(&1, just_before + IDLE, false, &mut effects),
        Checkout::Connect(_)
    ));
    assert_eq!(effects.close.len(), 1);
    assert_eq!(st.stats_for(&1).unwrap().expired, 1);
}

#[test]
fn a_connection_own_timeout_overrides_the_pool() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, mut c) = open(&mut st, 1, 1, now);
    c.conn.own_timeout = Some(Duration::from_secs(2));
    st.checkin(k, c, now, &mut fx());
    let mut effects = fx();
    st.reap(now + Duration::from_secs(2), &mut effects);
    assert_eq!(effects.close.len(), 1);
}

#[test]
fn reap_forgets_empty_keys_but_keeps_their_counts() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    st.checkin(k, c, now, &mut fx());
    st.reap(now + IDLE, &mut fx());
    assert!(st.stats_for(&1).is_none());
    let total = st.stats().total;
    assert_eq!((total.created, total.expired, total.idle), (1, 1, 0));
}

#[test]
fn max_total_evicts_the_least_recently_used_idle_of_another_key() {
    let now = Instant::now();
    let mut st = state(2, Some(2));
    let (ka, a) = open(&mut st, 1, 1, now);
    let (kb, b) = open(&mut st, 2, 2, now);
    st.checkin(ka, a, now, &mut fx());
    st.checkin(kb, b, now + Duration::from_secs(1), &mut fx());
    let mut effects = fx();
    assert!(matches!(
        st.checkout(&3, now, false, &mut effects),
        Checkout::Connect(_)
    ));
    assert_eq!(effects.close.iter().map(|c| c.id).collect::<Vec<_>>(), [1]);
    st.check_invariants();
}

#[test]
fn a_waiter_held_back_by_max_total_gets_a_slot_when_another_key_frees_one() {
    let now = Instant::now();
    let mut st = state(2, Some(2));
    let (ka, a) = open(&mut st, 1, 1, now);
    let (_, _b) = open(&mut st, 1, 2, now);
    let w = wait(&mut st, 2, now);
    st.checkin(ka, a, now, &mut fx());
    assert!(matches!(w.take(), Some((Grant::Slot, _))));
    st.check_invariants();
}

#[test]
fn close_fails_waiters_and_closes_idle_now_and_busy_on_return() {
    let now = Instant::now();
    let mut st = state(2, None);
    let (k1, a) = open(&mut st, 1, 1, now);
    st.checkin(k1, a, now, &mut fx());
    let (k2, b) = open(&mut st, 2, 2, now);
    let (_, c) = open(&mut st, 2, 3, now);
    let w = wait(&mut st, 2, now);
    let mut effects = fx();
    st.close(now, &mut effects);
    assert_eq!(effects.close.iter().map(|c| c.id).collect::<Vec<_>>(), [1]);
    assert_eq!(effects.wakes().count(), 1);
    assert!(matches!(w.take(), Some((Grant::Closed, _))));
    assert!(matches!(
        st.checkout(&1, now, true, &mut fx()),
        Checkout::Closed
    ));
    let mut effects = fx();
    st.checkin(k2, b, now, &mut effects);
    st.checkin(k2, c, now, &mut effects);
    assert_eq!(effects.close.len(), 2);
    st.check_invariants();
    assert_eq!(st.stats().total.open(), 0);
}

/// The last key looked up is tried before the index: it must never stand for another key, also
/// once the reaper removed it and its slot went to a new key.
#[test]
fn last_key_shortcut_never_mixes_keys() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k1, _a) = open(&mut st, 1, 1, now);
    st.discard(k1, now, &mut fx());
    st.reap(now, &mut fx());
    assert_eq!(st.stats_for(&1), None, "key 1 removed");
    // Key 2 takes key 1's slot; key 1 comes back in a new one.
    let (k2, b) = open(&mut st, 2, 2, now);
    let (k1, c) = open(&mut st, 1, 3, now);
    assert_ne!(k1, k2);
    st.checkin(k2, b, now, &mut fx());
    st.checkin(k1, c, now, &mut fx());
    for (key, id) in [(1, 3), (2, 2), (2, 2), (1, 3), (1, 3)] {
        let (k, idle) = match st.checkout(&key, now, false, &mut fx()) {
            Checkout::Reuse(k, idle) => (k, idle),
            other => panic!("expected a reuse, got {other:?}"),
        };
        assert_eq!(idle.conn.id, id, "key {key}");
        st.checkin(k, idle, now, &mut fx());
    }
    assert_eq!(st.stats_for(&1).map(|c| c.reused), Some(3));
    assert_eq!(st.stats_for(&2).map(|c| c.reused), Some(2));
    st.check_invariants();
}

/// A waiter polled again with no grant yet keeps its newest waker, and the grant that follows
/// wakes exactly that one.
#[test]
fn a_grant_wakes_the_waiters_newest_waker() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::task::{Wake, Waker};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let (first, second) = (
        Arc::new(Count(AtomicUsize::new(0))),
        Arc::new(Count(AtomicUsize::new(0))),
    );
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, a) = open(&mut st, 1, 1, now);
    let w = match st.checkout(&1, now, true, &mut fx()) {
        Checkout::Wait(k) => st.enqueue(k, &Waker::from(first.clone()), now),
        other => panic!("expected to wait, got {other:?}"),
    };
    assert!(w.poll(&Waker::from(second.clone())).is_none());
    let mut effects = fx();
    st.checkin(k, a, now, &mut effects);
    effects.wakes().for_each(Waker::wake);
    assert_eq!((first.0.load(SeqCst), second.0.load(SeqCst)), (0, 1));
    assert_eq!(granted_conn(&w), 1);
    st.check_invariants();
}

#[test]
fn eviction_takes_the_pools_least_recently_used_though_an_index_entry_is_stale() {
    let t = |s: u64| Instant::now() + Duration::from_secs(s);
    let mut st = state(2, Some(2));
    // A's connection idles at 0, is taken and comes back at 2: A's index entry still says 0.
    let (a, ca) = open(&mut st, 1, 1, t(0));
    st.checkin(a, ca, t(0), &mut fx());
    let Checkout::Reuse(a, ca) = st.checkout(&1, t(1), false, &mut fx()) else {
        panic!("expected a reuse of A's connection");
    };
    st.checkin(a, ca, t(2), &mut fx());
    // B's idles at 1: the least recently used of the pool.
    let (b, cb) = open(&mut st, 2, 2, t(1));
    st.checkin(b, cb, t(1), &mut fx());
    let mut effects = fx();
    assert!(matches!(
        st.checkout(&3, t(3), false, &mut effects),
        Checkout::Connect(_)
    ));
    let evicted: Vec<u32> = effects.close.iter().map(|c| c.id).collect();
    assert_eq!(
        evicted,
        [2],
        "B's connection, used at 1, not A's, used at 2"
    );
    st.check_invariants();
}
