//! One round on a fresh async-executor run by two threads, as smol programs run one.

use std::sync::Arc;
use std::thread;
use std::time::Instant;

use async_executor::Executor;
use async_io::Timer;
use fusebox_smol::SmolRuntime;

use crate::pool_peers::BenchPool;
use crate::watchdog::{Progress, Stall, bounded, in_warm_up, watch};
use crate::workload::{Cell, Round, SmolYield, fill, task_loop};

/// The threads that run the executor (the machine has two cores).
pub const WORKERS: usize = 2;

/// Runs one round of `cell` on a pool made by `make(size, runtime)`: fill the pool, warm up, then
/// measure. Returns the measured operations per second.
///
/// The executor's threads stop when the round ends, stalled or not; tasks stuck in a stalled
/// pool are left behind and do not hold the process.
///
/// # Errors
///
/// A [`Stall`] when the warm-up or the measured run stops making progress.
///
/// # Panics
///
/// When a thread cannot be spawned, or a task panics.
pub fn run_round<B: BenchPool>(
    make: impl FnOnce(usize, SmolRuntime) -> B,
    cell: Cell,
    round: Round,
) -> Result<f64, Stall> {
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let workers: Vec<_> = (0..WORKERS)
        .map(|i| {
            let executor = executor.clone();
            let stopped = stopped.clone();
            thread::Builder::new()
                .name(format!("bench-smol-{i}"))
                .spawn(move || async_io::block_on(executor.run(stopped.recv())))
                .expect("an executor thread")
        })
        .collect();
    let outcome = async_io::block_on(async {
        let pool = make(cell.size, SmolRuntime::with_executor(executor.clone()));
        fill(&pool, cell.size).await;
        run_tasks(&executor, &pool, cell, round.warmup_ops, round)
            .await
            .map_err(in_warm_up)?;
        run_tasks(&executor, &pool, cell, round.ops, round).await
    });
    drop(stop);
    for worker in workers {
        // The executor's own result is only the closed channel.
        let _ = worker.join().expect("an executor thread panicked");
    }
    outcome
}

/// Spawns the cell's tasks sharing `ops` operations and waits for them, under the watchdog.
async fn run_tasks<B: BenchPool>(
    executor: &Executor<'static>,
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
                    task_loop::<B, SmolYield>(pool.clone(), per_task, cell.mode, progress.clone());
                executor.spawn(task)
            })
            .collect();
        for task in tasks {
            task.await;
        }
        expected as f64 / start.elapsed().as_secs_f64()
    };
    let sleep = |d| async move {
        Timer::after(d).await;
    };
    let watchdog = watch(&progress, expected, round.limits, sleep);
    bounded(work, watchdog).await
}
