//! One task acquiring and dropping: over many keys, and under `max_total`, where each acquire
//! must evict another key's idle connection.
//!
//! Both run on a tokio current-thread runtime with the pool on `TokioRuntime`, so the pool reads
//! the real clock as a user's would, and a single task pays for every step without another
//! thread's wake-ups in the figure.

use std::time::{Duration, Instant};

use fusebox_core::{Pool, Wait};
use fusebox_tokio::TokioRuntime;

use super::table::{figures_row, format_figure, keys_label, median_of, met, section};
use super::{Keys, Order, Plan, ns_per_op};
use crate::conn::CounterFactory;
use crate::pool_peers::{BenchPool, Deadpool};
use crate::report::{Table, median};

const KEYS: [u32; 3] = [1, 100, 10_000];
const ORDERS: [Order; 3] = [Order::Hot, Order::RoundRobin, Order::Random];
const EVICT_KEYS: [u32; 3] = [10, 1000, 10_000];

/// Long enough that no connection expires during a run.
const NEVER: Duration = Duration::from_secs(3600);

/// How often an evicting run yields, so that the closes it spawned run (and are timed).
const YIELD_EVERY: u64 = 256;

/// How many operations a run does.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Operations measured.
    pub ops: u64,
    /// Operations run first, unmeasured.
    pub warmup: u64,
}

type KeyedPool = Pool<u32, CounterFactory>;

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

fn keyed_pool(max_total: Option<usize>) -> KeyedPool {
    let builder = Pool::builder(CounterFactory)
        .max_per_key(1)
        .idle_timeout(NEVER)
        .runtime(TokioRuntime::new());
    let builder = match max_total {
        Some(max) => builder.max_total(max),
        None => builder,
    };
    builder.build().expect("a valid fusebox configuration")
}

/// Acquires and drops each of the keys `0..keys` once, leaving one idle connection on each.
async fn fill(pool: &KeyedPool, keys: u32) {
    for key in 0..keys {
        drop(
            pool.acquire(&key, Wait::Forever)
                .await
                .expect("a connection"),
        );
    }
}

async fn acquire_drop(pool: &KeyedPool, keys: &mut Keys, ops: u64) {
    for _ in 0..ops {
        let key = keys.next_key();
        let mut conn = pool
            .acquire(&key, Wait::Forever)
            .await
            .expect("a connection");
        conn.uses += 1;
        drop(conn);
    }
}

/// Nanoseconds per acquire+drop of one task visiting the keys `0..keys` in `order`, each of which
/// holds one idle connection.
pub fn fusebox_keys(keys: u32, order: Order, run: Run) -> f64 {
    current_thread().block_on(async {
        let pool = keyed_pool(None);
        fill(&pool, keys).await;
        let mut cursor = Keys::new(order, keys);
        acquire_drop(&pool, &mut cursor, run.warmup).await;
        let start = Instant::now();
        acquire_drop(&pool, &mut cursor, run.ops).await;
        ns_per_op(start.elapsed(), run.ops)
    })
}

/// Nanoseconds per get+drop of one task on one deadpool pool of one object.
pub fn deadpool_hot(run: Run) -> f64 {
    current_thread().block_on(async {
        let pool = Deadpool::new(1);
        crate::workload::fill(&pool, 1).await;
        let get_drop = |ops: u64| {
            let pool = &pool;
            async move {
                for _ in 0..ops {
                    let mut conn = pool.get().await;
                    conn.uses += 1;
                    drop(conn);
                }
            }
        };
        get_drop(run.warmup).await;
        let start = Instant::now();
        get_drop(run.ops).await;
        ns_per_op(start.elapsed(), run.ops)
    })
}

/// One run of evicting acquires.
#[derive(Clone, Copy, Debug)]
pub struct Evicting {
    /// Nanoseconds per acquire+drop, the closes of the evicted connections included.
    pub ns_per_op: f64,
    /// Evictions counted by the pool per measured operation: 1.0 when every acquire evicted.
    pub evicted_per_op: f64,
}

/// Acquire+drop under `max_total` = `keys`: the keys `0..keys` start with one idle connection
/// each, then one task cycles through `0..2 * keys`, so that the key it acquires never has an
/// idle connection and the pool must evict the least recently used one of another key. A run
/// stops after `run.ops` operations or `budget`, whichever comes first (the old pool's eviction
/// scanned every key).
pub fn fusebox_evicting(keys: u32, run: Run, budget: Duration) -> Evicting {
    current_thread().block_on(async {
        let pool = keyed_pool(Some(keys as usize));
        fill(&pool, keys).await;
        let cycle = 2 * u64::from(keys);
        let mut next = u64::from(keys);
        evicting_loop(&pool, &mut next, cycle, run.warmup, budget / 4).await;
        let before = pool.stats().total.evicted;
        let start = Instant::now();
        let ops = evicting_loop(&pool, &mut next, cycle, run.ops, budget).await;
        let elapsed = start.elapsed();
        let evicted = pool.stats().total.evicted - before;
        Evicting {
            ns_per_op: ns_per_op(elapsed, ops),
            evicted_per_op: evicted as f64 / ops.max(1) as f64,
        }
    })
}

/// Up to `ops` evicting acquires, or as many as fit in `budget`; returns how many it did.
async fn evicting_loop(
    pool: &KeyedPool,
    next: &mut u64,
    cycle: u64,
    ops: u64,
    budget: Duration,
) -> u64 {
    let start = Instant::now();
    for done in 0..ops {
        let key = u32::try_from(*next % cycle).expect("keys fit u32");
        *next += 1;
        let mut conn = pool
            .acquire(&key, Wait::Forever)
            .await
            .expect("a connection");
        conn.uses += 1;
        drop(conn);
        if (done + 1) % YIELD_EVERY == 0 {
            tokio::task::yield_now().await;
            if start.elapsed() >= budget {
                return done + 1;
            }
        }
    }
    ops
}

/// Row 1: acquire+drop over 1, 10^2 and 10^4 keys in each order; deadpool beside the hot key.
pub fn keys_row(plan: &Plan) {
    let mut header = vec!["order".to_owned()];
    header.extend(KEYS.map(|k| keys_label(k as usize)));
    header.extend(["verdict".to_owned(), "deadpool (1 pool)".to_owned()]);
    let mut table = Table::new(header);
    for order in ORDERS {
        let cells: Vec<Option<f64>> = KEYS
            .iter()
            .map(|&keys| median_of(plan.runs, || fusebox_keys(keys, order, plan.acquire)))
            .collect();
        let deadpool = (order == Order::Hot)
            .then(|| median_of(plan.runs, || deadpool_hot(plan.acquire)))
            .flatten();
        eprintln!(
            "acquire+drop {}: {cells:?} deadpool {deadpool:?}",
            order.name()
        );
        let mut row = figures_row(order.name(), &cells);
        row.push(format_figure(deadpool));
        table.row(row);
    }
    let note = format!(
        "ns per acquire+drop, one task, {} operations per run; every key holds one idle \
         connection.",
        plan.acquire.ops
    );
    section("1. acquire+drop over many keys", &note, &table);
}

/// Row 5: the evicting acquire at 10, 10^3 and 10^4 keys.
pub fn evicting_row(plan: &Plan) {
    let mut header = vec!["pool".to_owned()];
    header.extend(EVICT_KEYS.map(|k| keys_label(k as usize)));
    header.extend(["verdict", "evictions per op", "goal"].map(str::to_owned));
    let mut table = Table::new(header);
    let mut cells = Vec::new();
    let mut evictions = f64::INFINITY;
    for keys in EVICT_KEYS {
        let runs: Vec<_> = (0..plan.runs)
            .map(|_| fusebox_evicting(keys, plan.evict, plan.evict_budget))
            .collect();
        evictions = runs
            .iter()
            .map(|r| r.evicted_per_op)
            .fold(evictions, f64::min);
        cells.push(median(
            &runs.iter().map(|r| r.ns_per_op).collect::<Vec<_>>(),
        ));
    }
    eprintln!("evicting acquire: {cells:?} ns, evictions per op at least {evictions}");
    let goal =
        cells[cells.len() - 1].map_or("-".to_owned(), |ns| met(ns < 2000.0, "< 2 us at 10^4"));
    let mut row = figures_row("fusebox-tokio", &cells);
    row.extend([format!("{evictions:.2}"), goal]);
    table.row(row);
    let note = format!(
        "ns per acquire+drop that evicts: `max_total` = N, one task cycling through 2N keys; \
         at most {} operations or {:?} per run, the closes of the evicted included (the task \
         yields every 256 operations to let them run); evictions per op is the lowest of all \
         runs (1.00: every acquire evicted).",
        plan.evict.ops, plan.evict_budget,
    );
    section("5. evicting acquire under max_total", &note, &table);
}
