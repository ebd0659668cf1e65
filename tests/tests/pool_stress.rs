//! 64 tasks on a multi-threaded tokio runtime hammer 8 keys with bounded loops (every kind of
//! wait, cancellation at a random point, discards, connections going bad); afterwards the pool's
//! counts add up and no connection or slot has leaked. And a fairness run: under `max_total`, how
//! long acquires wait when every key competes for the same few connections.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fusebox_core::{Pool, Wait};
use fusebox_tests::{SETTLE_BOUND, TestFactory, TestPool};
use fusebox_tokio::TokioRuntime;
use futures_lite::future::poll_once;

const KEYS: [char; 8] = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const TASKS: u64 = 64;
const ROUNDS: usize = 200;
/// Generous: the whole run takes well under a second; only a lost wakeup or a leaked slot, which
/// would leave a waiter waiting forever, gets near it.
const RUN_BOUND: Duration = Duration::from_secs(60);

/// What the workers saw, to compare with the pool's own counts.
#[derive(Default, Debug)]
struct Tally {
    acquired: AtomicU64,
    refused: AtomicU64,
    cancelled: AtomicU64,
    made_unusable: AtomicU64,
    discarded: AtomicU64,
}

fn add(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

async fn worker(pool: TestPool, tally: Arc<Tally>, seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    for _ in 0..ROUNDS {
        let key = KEYS[rng.usize(..KEYS.len())];
        let conn = match rng.u8(..10) {
            0 => match pool.acquire(&key, Wait::None).await {
                Ok(conn) => Some(conn),
                Err(err) => {
                    assert!(err.is_timeout(), "{err:?}");
                    add(&tally.refused);
                    None
                }
            },
            // Poll once, then drop: cancelled in line, mid-connect, or just after a handover.
            1 => match poll_once(pool.acquire(&key, Wait::Forever)).await {
                Some(result) => Some(result.expect("a connection")),
                None => {
                    add(&tally.cancelled);
                    None
                }
            },
            2 => Some(
                pool.acquire(&key, Wait::Up(Duration::from_secs(30)))
                    .await
                    .expect("served long before the deadline"),
            ),
            _ => Some(
                pool.acquire(&key, Wait::Forever)
                    .await
                    .expect("a connection"),
            ),
        };
        let Some(conn) = conn else {
            tokio::task::yield_now().await;
            continue;
        };
        add(&tally.acquired);
        match rng.u8(..20) {
            0 => {
                add(&tally.discarded);
                conn.discard();
            }
            1 => {
                add(&tally.made_unusable);
                conn.set_usable(false);
                drop(conn);
            }
            2..=9 => {
                tokio::task::yield_now().await;
                drop(conn);
            }
            _ => drop(conn),
        }
    }
}

fn hammer(max_per_key: usize, max_total: Option<usize>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let f = TestFactory::new();
    f.yield_in_connect(true);
    runtime.block_on(async {
        let mut builder = Pool::builder(f.clone())
            .max_per_key(max_per_key)
            .runtime(TokioRuntime::new());
        if let Some(max_total) = max_total {
            builder = builder.max_total(max_total);
        }
        let pool: TestPool = builder.build().unwrap();
        let tally = Arc::new(Tally::default());

        let workers: Vec<_> = (0..TASKS)
            .map(|seed| tokio::spawn(worker(pool.clone(), tally.clone(), seed)))
            .collect();
        let all = async {
            for w in workers {
                w.await.expect("a worker panicked");
            }
        };
        tokio::time::timeout(RUN_BOUND, all)
            .await
            .expect("the workers stalled: a lost wakeup or a leaked slot");

        let stats = pool.stats();
        let total = stats.total;
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        assert_eq!(
            (total.busy, total.connecting, total.waiting),
            (0, 0, 0),
            "{total:?}"
        );
        let mut idle = 0;
        for (key, counts) in &stats.keys {
            assert!(counts.open() <= max_per_key, "{key}: {counts:?}");
            idle += counts.idle;
        }
        assert_eq!(idle, total.idle, "the total is the sum of the keys");
        if let Some(max_total) = max_total {
            assert!(total.idle <= max_total, "{total:?}");
        }
        assert_eq!(
            total.created + total.reused,
            n(&tally.acquired),
            "every acquire was a new or a reused connection: {total:?} {tally:?}"
        );
        assert_eq!(total.timed_out, n(&tally.refused), "{total:?} {tally:?}");
        assert_eq!(
            total.unusable,
            n(&tally.made_unusable),
            "{total:?} {tally:?}"
        );
        assert_eq!(
            total.created,
            (total.idle + total.busy) as u64 + total.closed_total(),
            "every connection made is open or was closed for a counted reason: {total:?}"
        );
        // 64 tasks on 8 keys of 2 or 3 connections: many waited, and waiting took time.
        assert!(
            total.waits > 0 && total.wait_time > Duration::ZERO,
            "{total:?}"
        );
        assert_eq!(total.connect_failures, 0);
        assert_eq!(total.created, f.created() as u64);
        assert!(f.attempts() >= f.created());
        // The run went through the paths it is meant to: contention, refusals, cancellations.
        assert!(n(&tally.acquired) > TASKS * ROUNDS as u64 / 2, "{tally:?}");
        assert!(
            n(&tally.refused) > 0 && n(&tally.cancelled) > 0,
            "{tally:?}"
        );
        assert!(
            total.reused > 0 && n(&tally.discarded) > 0,
            "{total:?} {tally:?}"
        );

        // Every connection not idle was closed through `close()`, on the runtime.
        settle("the closes to run", || {
            f.live() == total.idle && f.closed_count() + total.idle == f.created()
        })
        .await;
        assert_eq!(f.in_flight(), 0, "no connect left running");

        // Still healthy: every key serves at once.
        for key in KEYS {
            drop(pool.acquire(&key, Wait::None).await.expect("a free key"));
        }
        drop(pool);
        // Every connection ever made was closed through `close()`, none merely dropped.
        settle("the pool's drop to close the idle", || {
            f.live() == 0 && f.closed_count() == f.created()
        })
        .await;
    });
}

/// Yields until `cond` holds, failing after [`SETTLE_BOUND`].
async fn settle(what: &str, mut cond: impl FnMut() -> bool) {
    let bound = Instant::now() + SETTLE_BOUND;
    while !cond() {
        assert!(Instant::now() < bound, "gave up waiting for {what}");
        tokio::task::yield_now().await;
    }
}

#[test]
fn hammer_8_keys_from_64_tasks() {
    hammer(2, None);
}

#[test]
fn hammer_8_keys_from_64_tasks_under_max_total() {
    hammer(3, Some(12));
}

/// One acquire of the fairness run: its place in arrival order, its place in the order acquires
/// were served, and how long it waited.
#[derive(Debug, Clone, Copy)]
struct Served {
    arrived: u64,
    served: u64,
    waited: Duration,
}

/// For each acquire, how many that arrived after it were served before it: zero for all under
/// strict first come first served (a little more, since arrival and service are stamped outside
/// the pool's lock). The worst.
fn worst_overtaking(runs: &[Served]) -> u64 {
    let mut by_arrival = runs.to_vec();
    by_arrival.sort_unstable_by_key(|r| r.arrived);
    // Walking back from the latest arrival: `later` holds the service ranks of those that arrived
    // after the current one, sorted.
    let mut later: Vec<u64> = Vec::with_capacity(runs.len());
    let mut worst = 0;
    for r in by_arrival.iter().rev() {
        let at = later.partition_point(|&s| s < r.served);
        worst = worst.max(at as u64);
        later.insert(at, r.served);
    }
    worst
}

/// 64 tasks on 8 keys share 8 connections (`max_total` 8, up to 8 per key), each acquiring at
/// random keys and holding the connection across a yield: with first come first served across
/// keys, no acquire waits for long while others, later, are served. Prints the waits
/// (`cargo test -p fusebox-tests --test pool_stress -- --nocapture fair`).
#[test]
fn fair_across_keys_under_max_total() {
    const ROUNDS: u64 = 50;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    let f = TestFactory::new();
    f.yield_in_connect(true);
    runtime.block_on(async {
        let pool: TestPool = Pool::builder(f.clone())
            .max_per_key(8)
            .max_total(8)
            .runtime(TokioRuntime::new())
            .build()
            .unwrap();
        let arrivals = Arc::new(AtomicU64::new(0));
        let services = Arc::new(AtomicU64::new(0));
        let runs = Arc::new(Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..TASKS)
            .map(|seed| {
                let (pool, arrivals, services, runs) = (
                    pool.clone(),
                    arrivals.clone(),
                    services.clone(),
                    runs.clone(),
                );
                tokio::spawn(async move {
                    let mut rng = fastrand::Rng::with_seed(seed);
                    for _ in 0..ROUNDS {
                        let key = KEYS[rng.usize(..KEYS.len())];
                        let start = Instant::now();
                        let arrived = arrivals.fetch_add(1, Ordering::SeqCst);
                        let conn = pool.acquire(&key, Wait::Forever).await.expect("served");
                        let served = services.fetch_add(1, Ordering::SeqCst);
                        let waited = start.elapsed();
                        runs.lock().unwrap().push(Served {
                            arrived,
                            served,
                            waited,
                        });
                        for _ in 0..rng.usize(1..4) {
                            tokio::task::yield_now().await;
                        }
                        drop(conn);
                    }
                })
            })
            .collect();
        let all = async {
            for w in workers {
                w.await.expect("a worker panicked");
            }
        };
        tokio::time::timeout(RUN_BOUND, all)
            .await
            .expect("the workers stalled: a lost wakeup or a leaked slot");

        let runs = runs.lock().unwrap().clone();
        assert_eq!(runs.len() as u64, TASKS * ROUNDS);
        let mut waits: Vec<Duration> = runs.iter().map(|r| r.waited).collect();
        waits.sort_unstable();
        let at = |q: f64| waits[((waits.len() - 1) as f64 * q) as usize];
        let total = pool.stats().total;
        println!(
            "fairness: {} acquires from {TASKS} tasks on {} keys, max_total 8: wait median {:?}, \
             p99 {:?}, worst {:?}; worst overtaking {} (later arrivals served first); \
             pool: {} waits, {:?} waited, {} evicted",
            runs.len(),
            KEYS.len(),
            at(0.5),
            at(0.99),
            at(1.0),
            worst_overtaking(&runs),
            total.waits,
            total.wait_time,
            total.evicted,
        );
        assert!(total.open() <= 8, "{total:?}");
        assert!(
            total.waits > 0 && total.wait_time > Duration::ZERO,
            "{total:?}"
        );
        assert_eq!(
            total.created,
            (total.idle + total.busy) as u64 + total.closed_total(),
            "{total:?}"
        );
    });
}
