//! Tests of the pure state machine: transitions by hand, and random sequences against its
//! invariants.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::state::{Checkout, Effects, Grant, Idle, Limits, State, WaiterId};
use crate::Connection;

#[derive(Debug)]
struct Conn {
    id: u32,
    usable: bool,
    own_timeout: Option<Duration>,
}

impl Connection for Conn {
    fn is_usable(&self) -> bool {
        self.usable
    }
    fn idle_timeout(&self) -> Option<Duration> {
        self.own_timeout
    }
}

fn conn(id: u32) -> Conn {
    Conn {
        id,
        usable: true,
        own_timeout: None,
    }
}

const IDLE: Duration = Duration::from_secs(10);

fn state(max_per_key: usize, max_total: Option<usize>) -> State<u8, Conn> {
    State::new(Limits {
        max_per_key,
        max_total,
        idle_timeout: IDLE,
        max_lifetime: None,
    })
}

fn fx() -> Effects<Conn> {
    Effects::new()
}

/// Connects a new connection for `key` and returns it busy.
fn open(st: &mut State<u8, Conn>, key: u8, id: u32, now: Instant) -> (usize, Idle<Conn>) {
    match st.checkout(&key, now, false, &mut fx()) {
        Checkout::Connect(k) => {
            st.connected(k);
            (k, Idle::new(conn(id), now))
        }
        other => panic!("expected a slot, got {other:?}"),
    }
}

fn wait(st: &mut State<u8, Conn>, key: u8, now: Instant) -> WaiterId {
    match st.checkout(&key, now, true, &mut fx()) {
        Checkout::Wait(k) => st.enqueue(k).0,
        other => panic!("expected to wait, got {other:?}"),
    }
}

fn granted_conn(st: &mut State<u8, Conn>, w: WaiterId) -> u32 {
    match st.take_grant(w) {
        Some((Grant::Conn(idle), _)) => idle.conn.id,
        other => panic!("expected a connection, got {other:?}"),
    }
}

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
        st.take_grant(ws[1]).is_none(),
        "second waiter must not be served first"
    );
    assert!(st.take_grant(ws[2]).is_none());
    let id = granted_conn(&mut st, ws[0]);
    st.checkin(k, Idle::new(conn(id), now), now, &mut fx());
    assert!(st.take_grant(ws[2]).is_none());
    assert_eq!(granted_conn(&mut st, ws[1]), 7);
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
    assert_eq!(granted_conn(&mut st, w), 1);
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
    assert_eq!(granted_conn(&mut st, w1), 1);
    assert_eq!(granted_conn(&mut st, w2), 2);
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
    st.cancel(w1, &mut effects);
    assert_eq!(effects.wakes().count(), 1);
    assert_eq!(granted_conn(&mut st, w2), 1);
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
    st.connect_failed(k, &mut fx());
    assert!(matches!(st.take_grant(w), Some((Grant::Slot, _))));
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
    let (k, c) = (k, Idle::new(conn(1), just_before));
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
    assert!(matches!(st.take_grant(w), Some((Grant::Slot, _))));
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
    st.close(&mut effects);
    assert_eq!(effects.close.iter().map(|c| c.id).collect::<Vec<_>>(), [1]);
    assert_eq!(effects.wakes().count(), 1);
    assert!(matches!(st.take_grant(w), Some((Grant::Closed, _))));
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
    st.discard(k1, &mut fx());
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

/// A waiter woken with no grant (a late notification for its recycled event's previous waiter)
/// listens again through the state, and that listener hears the grant that follows.
#[test]
fn relisten_hears_a_later_grant() {
    use event_listener::Listener;
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, a) = open(&mut st, 1, 1, now);
    let w = match st.checkout(&1, now, true, &mut fx()) {
        Checkout::Wait(k) => {
            let (w, first) = st.enqueue(k);
            drop(first);
            w
        }
        other => panic!("expected to wait, got {other:?}"),
    };
    assert!(st.take_grant(w).is_none());
    let again = st.listen(w);
    let mut effects = fx();
    st.checkin(k, a, now, &mut effects);
    for event in effects.wakes() {
        event.notify(1);
    }
    assert!(again.wait_timeout(Duration::ZERO).is_some(), "notified");
    assert_eq!(granted_conn(&mut st, w), 1);
    st.check_invariants();
}

/// One step of a random run.
#[derive(Debug, Clone)]
enum Op {
    Acquire { key: u8, may_wait: bool },
    Release(usize),
    Discard(usize),
    ConnectOk(usize),
    ConnectFail(usize),
    Poll(usize),
    Cancel(usize),
    GiveUp(usize),
    Advance(u64),
    Reap,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, any::<bool>()).prop_map(|(key, may_wait)| Op::Acquire { key, may_wait }),
        3 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Discard),
        2 => any::<usize>().prop_map(Op::ConnectOk),
        1 => any::<usize>().prop_map(Op::ConnectFail),
        3 => any::<usize>().prop_map(Op::Poll),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => any::<usize>().prop_map(Op::GiveUp),
        1 => (0u64..15_000).prop_map(Op::Advance),
        1 => Just(Op::Reap),
    ]
}

fn pick<T>(v: &mut Vec<T>, i: usize) -> Option<T> {
    (!v.is_empty()).then(|| v.remove(i % v.len()))
}

/// Drives the state machine through a random run, as the async layer would, checking after every
/// step that the counts add up, that no limit is exceeded and that each key's waiters are granted
/// in arrival order.
fn run(ops: Vec<Op>, max_per_key: usize, max_total: Option<usize>) {
    let mut now = Instant::now();
    let mut st = state(max_per_key, max_total);
    let mut busy: Vec<(usize, Idle<Conn>)> = Vec::new();
    let mut connecting: Vec<usize> = Vec::new();
    let mut waiters: Vec<(u8, WaiterId, u64)> = Vec::new();
    let (mut next_conn, mut arrival) = (0u32, 0u64);
    let on_grant = |grant: Grant<Conn>, k, busy: &mut Vec<_>, connecting: &mut Vec<_>| match grant {
        Grant::Conn(idle) => busy.push((k, idle)),
        Grant::Slot => connecting.push(k),
        Grant::Closed => unreachable!("never closed here"),
    };
    for op in ops {
        let mut effects = fx();
        match op {
            Op::Acquire { key, may_wait } => match st.checkout(&key, now, may_wait, &mut effects) {
                Checkout::Reuse(k, idle) => busy.push((k, idle)),
                Checkout::Connect(k) => connecting.push(k),
                Checkout::Wait(k) => {
                    let (w, _) = st.enqueue(k);
                    waiters.push((key, w, arrival));
                    arrival += 1;
                }
                Checkout::Full => assert!(!may_wait),
                Checkout::Closed => unreachable!(),
            },
            Op::Release(i) => {
                if let Some((k, mut idle)) = pick(&mut busy, i) {
                    idle.last_used = now;
                    st.checkin(k, idle, now, &mut effects);
                }
            }
            Op::Discard(i) => {
                if let Some((k, _)) = pick(&mut busy, i) {
                    st.discard(k, &mut effects);
                }
            }
            Op::ConnectOk(i) => {
                if let Some(k) = pick(&mut connecting, i) {
                    st.connected(k);
                    next_conn += 1;
                    busy.push((k, Idle::new(conn(next_conn), now)));
                }
            }
            Op::ConnectFail(i) => {
                if let Some(k) = pick(&mut connecting, i) {
                    st.connect_failed(k, &mut effects);
                }
            }
            Op::Poll(i) => {
                if !waiters.is_empty() {
                    let at = i % waiters.len();
                    if let Some((grant, k)) = st.take_grant(waiters[at].1) {
                        waiters.remove(at);
                        on_grant(grant, k, &mut busy, &mut connecting);
                    }
                }
            }
            Op::Cancel(i) => {
                if let Some((_, w, _)) = pick(&mut waiters, i) {
                    st.cancel(w, &mut effects);
                }
            }
            Op::GiveUp(i) => {
                if let Some((_, w, _)) = pick(&mut waiters, i)
                    && let Some((grant, k)) = st.give_up(w)
                {
                    on_grant(grant, k, &mut busy, &mut connecting);
                }
            }
            Op::Advance(ms) => now += Duration::from_millis(ms),
            Op::Reap => st.reap(now, &mut effects),
        }
        st.check_invariants();
        // Per key, granted waiters come before those still queued, in arrival order.
        for key in 0..3u8 {
            let mut seen_queued = false;
            let mut mine: Vec<_> = waiters.iter().filter(|w| w.0 == key).collect();
            mine.sort_by_key(|w| w.2);
            for w in mine {
                let granted = st.is_granted(w.1);
                assert!(!(granted && seen_queued), "a later waiter was served first");
                seen_queued |= !granted;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_runs_keep_counts_limits_and_order(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, 2, None);
    }

    #[test]
    fn random_runs_with_a_total_limit(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, 2, Some(3));
    }
}
