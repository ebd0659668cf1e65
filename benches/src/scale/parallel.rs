//! Tasks on keys of their own, on two cores: does a second task on a second key add work done?
//!
//! Each task loops get-and-drop (pool_compare's `task_loop`) on a tokio multi-thread runtime of
//! two workers. fusebox: one pool, task `i` on key `i`, one connection per key; and, to tell
//! what the tasks meet in one pool from what the path costs, a pool per task. deadpool: one pool
//! of one object per task, which is what a keyed user of deadpool would build. No pool: a
//! connection allocated and freed per operation, sharing nothing between the tasks, so its
//! scaling is what the two cores give at the time (less than 2.0 when others load them).

use std::sync::Arc;
use std::time::Instant;

use fusebox_core::{Pool, Pooled, Wait};
use fusebox_tokio::TokioRuntime;

use super::Plan;
use super::table::section;
use crate::conn::{Counter, CounterFactory};
use crate::pool_peers::{BenchPool, Deadpool};
use crate::report::{Rate, Table};
use crate::watchdog::{Limits, Progress, Stall, bounded, in_warm_up, watch};
use crate::workload::{Mode, TokioYield, task_loop};

/// One key of a shared fusebox pool, as a [`BenchPool`].
#[derive(Clone, Debug)]
pub struct OnKey {
    pool: Pool<u32, CounterFactory>,
    key: u32,
}

impl BenchPool for OnKey {
    type Guard<'a> = Pooled<u32, CounterFactory>;

    async fn get(&self) -> Self::Guard<'_> {
        (self.pool)
            .acquire(&self.key, Wait::Forever)
            .await
            .expect("fusebox checkout")
    }
}

/// A connection made for each get and freed at its drop, as a [`BenchPool`].
#[derive(Clone, Copy, Debug)]
pub struct Unpooled;

impl BenchPool for Unpooled {
    type Guard<'a> = Box<Counter>;

    async fn get(&self) -> Self::Guard<'_> {
        Box::default()
    }
}

/// The pools whose tasks are measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// One fusebox pool, a key per task.
    Fusebox,
    /// A fusebox pool per task, as deadpool: what the pool's path costs on two cores when its
    /// tasks share no pool.
    FuseboxPerTask,
    /// A deadpool pool per task.
    Deadpool,
    /// No pool: each get allocates a connection and the drop frees it; what the machine allows
    /// two tasks that share nothing at that moment.
    Unpooled,
}

/// Operations per second of `tasks` tasks, each on its own key (or pool), over one round of
/// `ops` operations per task after a warm-up of `warmup`.
///
/// # Errors
///
/// A [`Stall`] when the round stopped making progress.
pub fn ops_per_sec(
    peer: Peer,
    tasks: u32,
    ops: u64,
    warmup: u64,
    limits: Limits,
) -> Result<f64, Stall> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let outcome = rt.block_on(async {
        match peer {
            Peer::Fusebox => {
                let pool = fusebox();
                let keys = (0..tasks).map(|key| OnKey {
                    pool: pool.clone(),
                    key,
                });
                measure(keys.collect(), ops, warmup, limits).await
            }
            Peer::FuseboxPerTask => {
                let keys = (0..tasks).map(|key| OnKey {
                    pool: fusebox(),
                    key,
                });
                measure(keys.collect(), ops, warmup, limits).await
            }
            Peer::Deadpool => {
                let pools = (0..tasks).map(|_| Deadpool::new(1)).collect();
                measure(pools, ops, warmup, limits).await
            }
            Peer::Unpooled => {
                let pools = (0..tasks).map(|_| Unpooled).collect();
                measure(pools, ops, warmup, limits).await
            }
        }
    });
    rt.shutdown_background();
    outcome
}

/// A pool of one connection per key; call it inside a tokio runtime.
fn fusebox() -> Pool<u32, CounterFactory> {
    Pool::builder(CounterFactory)
        .max_per_key(1)
        .runtime(TokioRuntime::new())
        .build()
        .expect("a valid fusebox configuration")
}

async fn measure<B: BenchPool>(
    pools: Vec<B>,
    ops: u64,
    warmup: u64,
    limits: Limits,
) -> Result<f64, Stall> {
    for pool in &pools {
        crate::workload::fill(pool, 1).await;
    }
    run(&pools, warmup, limits).await.map_err(in_warm_up)?;
    run(&pools, ops, limits).await
}

/// One task per pool, `ops` each, under the watchdog; operations per second in all.
async fn run<B: BenchPool>(pools: &[B], ops: u64, limits: Limits) -> Result<f64, Stall> {
    let progress = Arc::new(Progress::default());
    let expected = ops * pools.len() as u64;
    let work = async {
        let start = Instant::now();
        let handles: Vec<_> = pools
            .iter()
            .map(|pool| {
                let task =
                    task_loop::<B, TokioYield>(pool.clone(), ops, Mode::GetDrop, progress.clone());
                tokio::spawn(task)
            })
            .collect();
        for handle in handles {
            handle.await.expect("a benchmark task panicked");
        }
        expected as f64 / start.elapsed().as_secs_f64()
    };
    let watchdog = watch(&progress, expected, limits, tokio::time::sleep);
    bounded(work, watchdog).await
}

const PEERS: [(Peer, &str); 4] = [
    (Peer::Fusebox, "fusebox-tokio (one pool)"),
    (Peer::FuseboxPerTask, "fusebox-tokio (a pool per task)"),
    (Peer::Deadpool, "deadpool (a pool per task)"),
    (Peer::Unpooled, "no pool (the machine's ceiling)"),
];

/// Row 6: one task on one key against two tasks on two keys; fusebox and deadpool with a pool per
/// task, and no pool, beside.
pub fn parallel_row(plan: &Plan) {
    let header = [
        "pool",
        "1 task, 1 key",
        "2 tasks, 2 keys",
        "scaling (ideal 2.0)",
        "verdict",
    ];
    let mut table = Table::new(header);
    // Rounds interleave (A1 A2 B1 B2 C1 C2, A1 ..) so that the load of the shared cores falls on
    // every pool alike; each round's two-task run follows its one-task run at once.
    let mut pairs: Vec<Vec<Result<(f64, f64), Stall>>> = vec![Vec::new(); PEERS.len()];
    for _ in 0..plan.runs {
        for ((peer, _), pairs) in PEERS.iter().zip(&mut pairs) {
            if pairs.last().is_some_and(Result::is_err) {
                continue;
            }
            let rate = |tasks| {
                let warmup = plan.parallel_ops / 8;
                ops_per_sec(*peer, tasks, plan.parallel_ops, warmup, plan.limits)
            };
            pairs.push(rate(1).and_then(|one| Ok((one, rate(2)?))));
        }
    }
    for ((_, name), pairs) in PEERS.iter().zip(&pairs) {
        let ones: Vec<_> = pairs.iter().map(|p| p.map(|(one, _)| one)).collect();
        let twos: Vec<_> = pairs.iter().map(|p| p.map(|(_, two)| two)).collect();
        let (one, two) = (Rate::from_rounds(&ones), Rate::from_rounds(&twos));
        let ratios: Vec<_> = pairs
            .iter()
            .map(|p| p.map(|(one, two)| two / one))
            .collect();
        let scaling = Rate::from_rounds(&ratios).per_sec();
        eprintln!("across cores {name}: {one} {two} {scaling:?}");
        let verdict_cell = scaling.map_or("-".to_owned(), |s| match s >= 1.5 {
            true => "scales".to_owned(),
            false => format!("x{s:.2}, not 2"),
        });
        table.row([
            (*name).to_owned(),
            one.to_string(),
            two.to_string(),
            scaling.map_or("-".to_owned(), |s| format!("{s:.2}")),
            verdict_cell,
        ]);
    }
    let note = format!(
        "Operations per second in all, get-and-drop, {} per task per round; tokio multi-thread, \
         2 workers; scaling is the median over rounds of the two-task rate divided by the \
         one-task rate just before it; verdict `scales` at 1.5 or more. `no pool` shares nothing \
         between its tasks: its ratio is what the shared cores allowed during the run.",
        plan.parallel_ops
    );
    section("6. keys on two cores", &note, &table);
}
