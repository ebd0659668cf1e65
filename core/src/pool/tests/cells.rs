//! The cells waiters take their grants from: recycled, never mistaken for another's.

use super::*;

#[test]
fn a_served_waiters_cell_is_reused_once_let_go() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let w = wait(&mut st, 1, now);
    let first = w.cell_addr();
    st.checkin(k, c, now, &mut fx());
    let id = granted_conn(&w);
    drop(w);
    let w = wait(&mut st, 1, now);
    assert_eq!(w.cell_addr(), first, "no allocation for the next wait");
    st.checkin(k, Idle::new(conn(id), now, &LIMITS), now, &mut fx());
    assert_eq!(granted_conn(&w), 1);
    st.check_invariants();
}

#[test]
fn a_cell_still_held_is_not_reused() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let w1 = wait(&mut st, 1, now);
    st.checkin(k, c, now, &mut fx());
    // Granted, not yet taken: its cell is the state's spare, and still w1's.
    let w2 = wait(&mut st, 1, now);
    assert_ne!(w2.cell_addr(), w1.cell_addr());
    assert!(!w2.is_granted());
    assert_eq!(granted_conn(&w1), 1);
    st.check_invariants();
}

/// A granted waiter leaves the state at once and its place may go to a newcomer: dropping the
/// first afterwards forwards its grant and leaves the newcomer's place alone.
#[test]
fn a_cancelled_grant_goes_on_though_its_place_was_reused() {
    let now = Instant::now();
    let mut st = state(1, None);
    let (k, c) = open(&mut st, 1, 1, now);
    let w1 = wait(&mut st, 1, now);
    st.checkin(k, c, now, &mut fx());
    let w2 = wait(&mut st, 1, now);
    let w3 = wait(&mut st, 1, now);
    let later = now + Duration::from_secs(1);
    let _ = st.cancel(&w1, later, &mut fx());
    st.check_invariants();
    assert!(!w3.is_granted(), "w2 came first");
    assert_eq!(granted_conn(&w2), 1);
    let counts = st.stats_for(&1).expect("the key");
    // w1's wait ended with its grant; w2's with the forwarded one, a second later.
    assert_eq!(
        (counts.waits, counts.wait_time, counts.reused, counts.busy),
        (2, Duration::from_secs(1), 1, 1)
    );
    assert!(st.give_up(&w3, later).is_none());
    st.check_invariants();
}
