//! Random runs against the invariants.

use proptest::prelude::*;

use super::*;
use crate::pool::state::Spent;

/// One step of a random run.
#[derive(Debug, Clone)]
enum Op {
    Acquire {
        key: u8,
        may_wait: bool,
    },
    Release(usize),
    Discard(usize),
    ConnectOk(usize),
    ConnectFail(usize),
    Poll(usize),
    Cancel(usize),
    GiveUp(usize),
    Advance(u64),
    Reap,
    /// A handed-out connection fails the check its taker makes off the lock.
    Reject(usize),
    Close,
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
        1 => any::<usize>().prop_map(Op::Reject),
        // Rare: after it, the run only winds down.
        1 => (0u8..20).prop_map(|n| if n == 0 { Op::Close } else { Op::Reap }),
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
    // Busy connections, and whether each was handed out reused (and may fail its check).
    let mut busy: Vec<(usize, Idle<Conn>, bool)> = Vec::new();
    let mut connecting: Vec<usize> = Vec::new();
    let mut waiters: Vec<(u8, WaiterId, u64)> = Vec::new();
    let (mut next_conn, mut arrival) = (0u32, 0u64);
    let on_grant = |grant: Grant<Conn>, k, busy: &mut Vec<_>, connecting: &mut Vec<_>| match grant {
        Grant::Conn(idle) => busy.push((k, idle, true)),
        Grant::Slot => connecting.push(k),
        Grant::Closed => {}
    };
    for op in ops {
        let mut effects = fx();
        match op {
            Op::Acquire { key, may_wait } => match st.checkout(&key, now, may_wait, &mut effects) {
                Checkout::Reuse(k, idle) => busy.push((k, idle, true)),
                Checkout::Connect(k) => connecting.push(k),
                Checkout::Wait(k) => {
                    let w = st.enqueue(k, std::task::Waker::noop());
                    waiters.push((key, w, arrival));
                    arrival += 1;
                }
                Checkout::Full => assert!(!may_wait),
                Checkout::Closed => {}
            },
            Op::Release(i) => {
                if let Some((k, mut idle, _)) = pick(&mut busy, i) {
                    idle.last_used = now;
                    st.checkin(k, idle, now, &mut effects);
                }
            }
            Op::Discard(i) => {
                if let Some((k, _, _)) = pick(&mut busy, i) {
                    st.discard(k, &mut effects);
                }
            }
            Op::ConnectOk(i) => {
                if let Some(k) = pick(&mut connecting, i) {
                    st.connected(k);
                    next_conn += 1;
                    busy.push((k, Idle::new(conn(next_conn), now, &LIMITS), false));
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
                    if let Some((grant, k)) = st.take_grant(waiters[at].1, Duration::ZERO) {
                        waiters.remove(at);
                        on_grant(grant, k, &mut busy, &mut connecting);
                    }
                }
            }
            Op::Cancel(i) => {
                if let Some((_, w, _)) = pick(&mut waiters, i) {
                    st.cancel(w, Duration::ZERO, &mut effects);
                }
            }
            Op::GiveUp(i) => {
                if let Some((_, w, _)) = pick(&mut waiters, i)
                    && let Some((grant, k)) = st.give_up(w, Duration::ZERO)
                {
                    on_grant(grant, k, &mut busy, &mut connecting);
                }
            }
            Op::Advance(ms) => now += Duration::from_millis(ms),
            Op::Reap => {
                st.reap(now, &mut effects);
                st.check_reaped(now);
            }
            Op::Reject(i) => {
                let handed: Vec<usize> = (0..busy.len()).filter(|&j| busy[j].2).collect();
                if !handed.is_empty() {
                    let (k, idle, _) = busy.remove(handed[i % handed.len()]);
                    match st.reject(k, Some(idle.conn), Spent::Unusable, now, &mut effects) {
                        Checkout::Reuse(k, idle) => busy.push((k, idle, true)),
                        Checkout::Connect(k) => connecting.push(k),
                        Checkout::Closed => {}
                        other => panic!("a rejection gives back {other:?}"),
                    }
                }
            }
            Op::Close => {
                st.close(&mut effects);
                // Every waiter is handed `Closed`; the async layer takes it.
                for (_, w, _) in waiters.drain(..) {
                    let (grant, k) = st.take_grant(w, Duration::ZERO).expect("every waiter");
                    on_grant(grant, k, &mut busy, &mut connecting);
                }
            }
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
