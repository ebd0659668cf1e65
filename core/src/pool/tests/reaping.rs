//! The reaper's cost follows what is due: a round with nothing due visits no key, a round visits
//! only the keys with something due or named by a hang-up, in batches of bounded size.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{IDLE, fx, open, state};
use crate::pool::state::{BATCH, Reaped};

/// `keys` keys with `per_key` idle connections each, all last used at `now`.
fn filled(keys: u8, per_key: u32, now: Instant) -> super::State<u8, super::Conn> {
    let mut st = state(per_key as usize, None);
    for key in 0..keys {
        let busy: Vec<_> = (0..per_key).map(|i| open(&mut st, key, i, now)).collect();
        for (k, idle) in busy {
            st.checkin(k, idle, now, &mut fx());
        }
    }
    st
}

#[test]
fn a_round_with_nothing_due_visits_no_key() {
    let now = Instant::now();
    let mut st = filled(200, 4, now);
    let mut effects = fx();
    let batch = st.reap_batch(now + IDLE / 2, &mut Vec::new(), &mut effects);
    assert_eq!(
        batch,
        Reaped {
            more: false,
            looked: 0
        }
    );
    assert!(effects.close.is_empty());
    st.check_invariants();
}

#[test]
fn a_round_visits_only_the_keys_due() {
    let now = Instant::now();
    let mut st = filled(100, 2, now);
    // Key 7's two connections are used again halfway: at `now + IDLE` only the others expire.
    let half = now + IDLE / 2;
    let (k, a) = open_idle(&mut st, 7, half);
    let (_, b) = open_idle(&mut st, 7, half);
    st.checkin(k, a, half, &mut fx());
    st.checkin(k, b, half, &mut fx());
    let round = |st: &mut super::State<u8, super::Conn>, at: Instant| {
        let (mut looked, mut closed) = (0, 0);
        loop {
            let mut effects = fx();
            let batch = st.reap_batch(at, &mut Vec::new(), &mut effects);
            assert!(batch.looked <= BATCH + 2, "a batch is bounded: {batch:?}");
            looked += batch.looked;
            closed += effects.close.len();
            if !batch.more {
                return (looked, closed);
            }
        }
    };
    // Key 7's entry was early (a lower bound): it is visited once and put at its true expiry.
    assert_eq!(round(&mut st, now + IDLE), (100 * 3, 99 * 2));
    st.check_reaped(now + IDLE);
    assert_eq!(round(&mut st, now + IDLE), (0, 0), "nothing is due twice");
    assert_eq!(
        round(&mut st, half + IDLE),
        (3, 2),
        "key 7 alone, at its expiry"
    );
    st.check_invariants();
}

/// Takes one of `key`'s idle connections at `at` (for it to come back used then).
fn open_idle(
    st: &mut super::State<u8, super::Conn>,
    key: u8,
    at: Instant,
) -> (usize, super::Idle<super::Conn>) {
    match st.checkout(&key, at, false, &mut fx()) {
        super::Checkout::Reuse(k, idle) => (k, idle),
        other => panic!("expected an idle connection, got {other:?}"),
    }
}

#[test]
fn a_round_takes_as_many_batches_as_the_due_need() {
    let now = Instant::now();
    let mut st = filled(200, 8, now);
    let mut batches = 1;
    let mut effects = fx();
    while st
        .reap_batch(now + IDLE, &mut Vec::new(), &mut effects)
        .more
    {
        batches += 1;
    }
    // Every batch is counted, the last one (with nothing more) too.
    assert_eq!(effects.close.len(), 1600);
    assert!(
        batches >= 1600 / BATCH,
        "{batches} batches for 1600 connections"
    );
    assert_eq!(st.stats().total.open(), 0);
    st.check_invariants();
}

#[test]
fn a_hang_up_has_its_key_visited_alone() {
    let now = Instant::now();
    let mut st = filled(50, 3, now);
    let (k, idle) = open_idle(&mut st, 9, now);
    let flag = idle.hung_up.clone();
    st.checkin(k, idle, now, &mut fx());
    flag.store(true, Ordering::Release);
    let mut effects = fx();
    let batch = st.reap_batch(now + Duration::from_secs(1), &mut vec![k], &mut effects);
    assert_eq!(
        batch,
        Reaped {
            more: false,
            looked: 1 + 3
        }
    );
    assert_eq!(effects.close.len(), 1);
    assert_eq!(st.stats_for(&9).unwrap().unusable, 1);
    st.check_invariants();
}

#[test]
fn keys_emptied_elsewhere_are_forgotten_within_a_bounded_number_of_rounds() {
    let now = Instant::now();
    let mut st = state(1, None);
    let busy: Vec<_> = (0..100).map(|key| open(&mut st, key, 0, now)).collect();
    for (k, _) in busy {
        st.discard(k, now, &mut fx());
    }
    let mut rounds = 0;
    while !st.stats().keys.is_empty() {
        st.reap_batch(now, &mut Vec::new(), &mut fx());
        rounds += 1;
        assert!(rounds <= 100, "still {} keys", st.stats().keys.len());
    }
    assert_eq!(st.stats().total.discarded, 100, "their counts are kept");
}
