//! Random runs against the invariants.

use proptest::prelude::*;

use super::*;
use std::sync::Arc;

use crate::Multiplex;
use crate::pool::state::{Back, Retired, SharedId, Spent, Stream};

/// One step of a random run.
#[derive(Debug, Clone)]
enum Op {
    Acquire {
        key: u8,
        may_wait: bool,
        /// The factory says the key's connections will be multiplexed (in runs with them).
        hint: bool,
    },
    Release(usize),
    Discard(usize),
    /// A connection attempt succeeds; with `Some(n)` (in runs with multiplexed connections) the
    /// connection serves `n` acquires at once.
    ConnectOk(usize, Option<usize>),
    ConnectFail(usize),
    Poll(usize),
    Cancel(usize),
    GiveUp(usize),
    Advance(u64),
    Reap,
    /// A handed-out connection fails the check its taker makes off the lock.
    Reject(usize),
    /// A handle of a multiplexed connection comes back unusable (an HTTP/2 GOAWAY).
    Retire(usize),
    Close,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0u8..3, any::<bool>(), any::<bool>())
            .prop_map(|(key, may_wait, hint)| Op::Acquire { key, may_wait, hint }),
        3 => any::<usize>().prop_map(Op::Release),
        1 => any::<usize>().prop_map(Op::Discard),
        2 => (any::<usize>(), prop::option::of(1usize..4)).prop_map(|(i, n)| Op::ConnectOk(i, n)),
        1 => any::<usize>().prop_map(Op::ConnectFail),
        3 => any::<usize>().prop_map(Op::Poll),
        1 => any::<usize>().prop_map(Op::Cancel),
        1 => any::<usize>().prop_map(Op::GiveUp),
        1 => (0u64..15_000).prop_map(Op::Advance),
        1 => Just(Op::Reap),
        1 => any::<usize>().prop_map(Op::Reject),
        1 => any::<usize>().prop_map(Op::Retire),
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
fn run(ops: Vec<Op>, max_per_key: usize, max_total: Option<usize>, shared: bool) {
    let mut now = Instant::now();
    let mut st = state(max_per_key, max_total);
    // Busy connections, whether each was handed out reused (and may fail its check), and the
    // multiplexed connection it is a handle of.
    let mut busy: Vec<(usize, Idle<Conn>, bool, Option<SharedId>)> = Vec::new();
    let mut connecting: Vec<usize> = Vec::new();
    let mut waiters: Vec<(u8, Waiting<Conn>, u64)> = Vec::new();
    let (mut next_conn, mut arrival) = (0u32, 0u64);
    let on_grant =
        |grant: Grant<Conn>, k, busy: &mut Vec<_>, connecting: &mut Vec<_>, now| match grant {
            Grant::Conn(idle) => busy.push((k, idle, true, None)),
            Grant::Stream(stream) => busy.push(handle(k, stream, now)),
            Grant::Slot => connecting.push(k),
            Grant::Closed => {}
        };
    for op in ops {
        let mut effects = fx();
        match op {
            Op::Acquire {
                key,
                may_wait,
                hint,
            } => match st.checkout_expecting(&key, now, may_wait, hint && shared, &mut effects) {
                Checkout::Reuse(k, idle) => busy.push((k, idle, true, None)),
                Checkout::Stream(k, stream) => busy.push(handle(k, stream, now)),
                Checkout::Connect(k) => connecting.push(k),
                Checkout::Wait(k) => {
                    let w = st.enqueue(k, std::task::Waker::noop(), now);
                    waiters.push((key, w, arrival));
                    arrival += 1;
                }
                Checkout::Full => assert!(!may_wait),
                Checkout::Closed => {}
            },
            Op::Release(i) => match pick(&mut busy, i) {
                Some((k, mut idle, _, None)) => {
                    idle.last_used = now;
                    st.checkin(k, idle, now, &mut effects);
                }
                Some((k, idle, _, Some(id))) => {
                    let back = Back::Used {
                        last_used: now,
                        expires: now.checked_add(IDLE),
                    };
                    let _ = st.stream_back(k, id, Some(idle.conn), back, now, &mut effects);
                }
                None => {}
            },
            Op::Discard(i) => match pick(&mut busy, i) {
                Some((k, _, _, None)) => st.discard(k, now, &mut effects),
                Some((k, _, _, Some(id))) => {
                    let back = Back::Retire(Retired::Discarded);
                    let _ = st.stream_back(k, id, None, back, now, &mut effects);
                }
                None => {}
            },
            Op::Retire(i) => {
                let streams: Vec<usize> =
                    (0..busy.len()).filter(|&j| busy[j].3.is_some()).collect();
                if !streams.is_empty() {
                    let (k, idle, _, id) = busy.remove(streams[i % streams.len()]);
                    let back = Back::Retire(Retired::Spent(Spent::Unusable));
                    let _ = st.stream_back(
                        k,
                        id.expect("a stream"),
                        Some(idle.conn),
                        back,
                        now,
                        &mut effects,
                    );
                }
            }
            Op::ConnectOk(i, streams) => {
                if let Some(k) = pick(&mut connecting, i) {
                    next_conn += 1;
                    let idle = Idle::new(conn(next_conn), now, &LIMITS);
                    match streams.filter(|&n| shared && n > 1) {
                        None => {
                            st.connected(k, &mut effects);
                            busy.push((k, idle, false, None));
                        }
                        Some(n) => {
                            let id = next_conn;
                            let mux = Arc::new(Multiplex::new(n, move || Some(conn(id))));
                            let id = st.connected_shared(k, &idle, mux, now, &mut effects);
                            busy.push((k, idle, false, Some(id)));
                        }
                    }
                }
            }
            Op::ConnectFail(i) => {
                if let Some(k) = pick(&mut connecting, i) {
                    st.connect_failed(k, now, &mut effects);
                }
            }
            Op::Poll(i) => {
                if !waiters.is_empty() {
                    let at = i % waiters.len();
                    if let Some((grant, k)) = waiters[at].1.take() {
                        waiters.remove(at);
                        on_grant(grant, k, &mut busy, &mut connecting, now);
                    }
                }
            }
            Op::Cancel(i) => {
                if let Some((_, w, _)) = pick(&mut waiters, i) {
                    let _ = st.cancel(&w, now, &mut effects);
                }
            }
            Op::GiveUp(i) => {
                if let Some((_, w, _)) = pick(&mut waiters, i)
                    && let Some((grant, k)) = st.give_up(&w, now)
                {
                    on_grant(grant, k, &mut busy, &mut connecting, now);
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
                    let (k, idle, _, id) = busy.remove(handed[i % handed.len()]);
                    if let Some(id) = id {
                        // The taker starts over: a new acquire, as far as the model goes.
                        let _ = st.reject_stream(
                            k,
                            id,
                            Some(idle.conn),
                            Spent::Unusable,
                            now,
                            &mut effects,
                        );
                    } else {
                        match st.reject(k, Some(idle.conn), Spent::Unusable, now, &mut effects) {
                            Checkout::Reuse(k, idle) => busy.push((k, idle, true, None)),
                            Checkout::Stream(k, stream) => busy.push(handle(k, stream, now)),
                            Checkout::Connect(k) => connecting.push(k),
                            Checkout::Closed => {}
                            other => panic!("a rejection gives back {other:?}"),
                        }
                    }
                }
            }
            Op::Close => {
                st.close(now, &mut effects);
                // Every waiter is handed `Closed`; the async layer takes it.
                for (_, w, _) in waiters.drain(..) {
                    let (grant, k) = w.take().expect("every waiter");
                    on_grant(grant, k, &mut busy, &mut connecting, now);
                }
            }
        }
        st.check_invariants();
        // The gauges against what the model holds, and what waiters were handed but have not
        // taken yet: streams are handles of multiplexed connections, busy the exclusive ones.
        let total = (0..3u8).filter_map(|key| st.stats_for(&key)).fold(
            crate::pool::Counts::default(),
            |mut sum, c| {
                sum += c;
                sum
            },
        );
        let handed = |stream: bool| {
            let held = busy.iter().filter(|b| b.3.is_some() == stream).count();
            let granted = (waiters.iter()).filter(|w| w.1.granted_stream() == Some(stream));
            held + granted.count()
        };
        assert_eq!((total.busy, total.streams), (handed(false), handed(true)));
        // Per key, granted waiters come before those still queued, in arrival order.
        for key in 0..3u8 {
            let mut seen_queued = false;
            let mut mine: Vec<_> = waiters.iter().filter(|w| w.0 == key).collect();
            mine.sort_by_key(|w| w.2);
            for w in mine {
                let granted = w.1.is_granted();
                assert!(!(granted && seen_queued), "a later waiter was served first");
                seen_queued |= !granted;
            }
        }
    }
}

/// A stream handed out, as the async layer holds it: a handle (a spare, or made now).
fn handle(
    k: usize,
    stream: Stream<Conn>,
    now: Instant,
) -> (usize, Idle<Conn>, bool, Option<SharedId>) {
    let conn = (stream.handle)
        .or_else(|| stream.mux.share())
        .expect("the test's handles");
    (k, Idle::new(conn, now, &LIMITS), true, Some(stream.id))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_runs_keep_counts_limits_and_order(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, 2, None, false);
    }

    #[test]
    fn random_runs_with_multiplexed_connections(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, 2, None, true);
    }

    #[test]
    fn random_runs_with_multiplexed_connections_and_a_total(
        ops in prop::collection::vec(op(), 1..200)
    ) {
        run(ops, 2, Some(3), true);
    }

    #[test]
    fn random_runs_with_a_total_limit(ops in prop::collection::vec(op(), 1..200)) {
        run(ops, 2, Some(3), false);
    }
}
