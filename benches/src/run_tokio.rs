//! One round on a fresh tokio multi-thread runtime with two workers.

use std::sync::Arc;
use std::time::Instant;

use crate::pool_peers::BenchPool;
use crate::watchdog::{Progress, Stall, bounded, in_warm_up, watch};
use crate::workload::{Cell, Round, TokioYield, fill, task_loop};

/// The worker threads of the runtime (the machine has two cores).
pub const WORKERS: usize = 2;

/// Runs one round of `cell` on a pool made by `make(size)` inside a fresh runtime: fill the pool,
/// warm up, then measure. Returns the measured operations per second.
///
/// The runtime is shut down in the background afterwards, so tasks stuck in a stalled pool do
/// not hold the process.
///
/// # Errors
///
/// A [`Stall`] when the warm-up or the measured run stops making progress.
///
/// # Panics
///
/// When the runtime cannot be built, or a task panics.
pub fn run_round<B: BenchPool>(
    make: impl FnOnce(usize) -> B,
    cell: Cell,
    round: Round,
) -> Result<f64, Stall> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let outcome = rt.block_on(async {
        let pool = make(cell.size);
        fill(&pool, cell.size).await;
        run_tasks(&pool, cell, round.warmup_ops, round)
            .await
            .map_err(in_warm_up)?;
        run_tasks(&pool, cell, round.ops, round).await
    });
    rt.shutdown_background();
    outcome
}

/// Spawns the cell's tasks sharing `ops` operations and waits for them, under the watchdog.
async fn run_tasks<B: BenchPool>(
    pool: &B,
    cell: Cell,
    ops: u64,
    round: Round,
) -> Result<f64, Stall> {
    let progress = Arc::new(Progress::default());
    let per_task = cell.ops_per_task(ops);
    let expected = per_task * cell.tasks as u64;
    let work = async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..cell.tasks)
            .map(|_| {
                let task =
                    task_loop::<B, TokioYield>(pool.clone(), per_task, cell.mode, progress.clone());
                tokio::spawn(task)
            })
            .collect();
        for task in tasks {
            task.await.expect("a benchmark task panicked");
        }
        expected as f64 / start.elapsed().as_secs_f64()
    };
    let watchdog = watch(&progress, expected, round.limits, tokio::time::sleep);
    bounded(work, watchdog).await
}
