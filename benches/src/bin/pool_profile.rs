//! One pool, one cell, one loop: a target for callgrind and perf, not a benchmark.
//!
//! ```text
//! cargo build --release -p fusebox-benches --features peers --bin pool_profile
//! valgrind --tool=callgrind target/release/pool_profile fusebox 8 1 get 100000
//! ```
//!
//! Arguments, all optional, in order: the pool (`fusebox`, `fusebox-smol`, `deadpool`, `bb8`,
//! `mobc`, `qp`; default `fusebox`), the pool size (8), the number of tasks (1), the mode (`get`
//! for get-and-drop, `hold` for hold across a yield; `get`), the total operations (100000) and the
//! runtime (`current`: a current-thread tokio runtime, deterministic under callgrind; `multi`: a
//! multi-thread one with two workers, as `pool_compare` runs; `current`). `fusebox-smol` always
//! runs on a single-threaded async-executor.
//!
//! The pool is built and filled (as in `pool_compare`) before the loop, so that the cost per
//! operation is best read as the difference between two runs with different operation counts:
//! `(Ir(2n) - Ir(n)) / n`. The program prints the operations per second of the loop, which means
//! little under callgrind.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use fusebox_benches::pool_peers::{Bb8, BenchPool, Deadpool, Fusebox, Mobc, Qp};
use fusebox_benches::watchdog::Progress;
use fusebox_benches::workload::{Cell, Mode, Pause, SmolYield, TokioYield, fill, task_loop};
use fusebox_smol::SmolRuntime;
use fusebox_tokio::TokioRuntime;

/// The parsed command line.
#[derive(Debug, Clone)]
struct Args {
    pool: String,
    cell: Cell,
    ops: u64,
    multi: bool,
}

fn parse() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.into());
    let number = |i: usize, default: &str| {
        arg(i, default)
            .parse::<u64>()
            .map_err(|e| format!("argument {}: {e}", i + 1))
    };
    let mode = match arg(3, "get").as_str() {
        "get" => Mode::GetDrop,
        "hold" => Mode::Hold,
        other => return Err(format!("unknown mode {other}")),
    };
    let multi = match arg(5, "current").as_str() {
        "current" => false,
        "multi" => true,
        other => return Err(format!("unknown runtime {other}")),
    };
    let to_usize = |n: u64| usize::try_from(n).map_err(|e| e.to_string());
    Ok(Args {
        pool: arg(0, "fusebox"),
        cell: Cell {
            size: to_usize(number(1, "8")?)?,
            tasks: to_usize(number(2, "1")?)?,
            mode,
        },
        ops: number(4, "100000")?,
        multi,
    })
}

/// Fills the pool, then runs the cell's tasks to the end; returns operations per second.
async fn run<B: BenchPool, P: Pause>(
    pool: B,
    cell: Cell,
    ops: u64,
    spawn: impl Fn(std::pin::Pin<Box<dyn Future<Output = ()> + Send>>) -> Box<dyn Future<Output = ()>>,
) -> f64 {
    fill(&pool, cell.size).await;
    let progress = Arc::new(Progress::default());
    let per_task = cell.ops_per_task(ops);
    let start = Instant::now();
    let tasks: Vec<_> = (0..cell.tasks)
        .map(|_| {
            let task = task_loop::<B, P>(pool.clone(), per_task, cell.mode, progress.clone());
            spawn(Box::pin(task))
        })
        .collect();
    for task in tasks {
        Box::into_pin(task).await;
    }
    (per_task * cell.tasks as u64) as f64 / start.elapsed().as_secs_f64()
}

fn on_tokio(args: &Args) -> Option<f64> {
    let mut builder = if args.multi {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(2);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let rt = builder.enable_time().build().expect("a tokio runtime");
    let spawn = |task| -> Box<dyn Future<Output = ()>> {
        let handle = tokio::spawn(task);
        Box::new(async move { handle.await.expect("a task panicked") })
    };
    let (cell, ops) = (args.cell, args.ops);
    rt.block_on(async {
        let size = cell.size;
        Some(match args.pool.as_str() {
            "fusebox" => {
                let pool = Fusebox::new(size, TokioRuntime::new());
                run::<_, TokioYield>(pool, cell, ops, spawn).await
            }
            "deadpool" => run::<_, TokioYield>(Deadpool::new(size), cell, ops, spawn).await,
            "bb8" => run::<_, TokioYield>(Bb8::new(size), cell, ops, spawn).await,
            "mobc" => run::<_, TokioYield>(Mobc::new(size), cell, ops, spawn).await,
            "qp" => run::<_, TokioYield>(Qp::new(size), cell, ops, spawn).await,
            _ => return None,
        })
    })
}

fn on_smol(args: &Args) -> f64 {
    let executor = Arc::new(async_executor::Executor::new());
    let pool = Fusebox::new(args.cell.size, SmolRuntime::with_executor(executor.clone()));
    let ex = executor.clone();
    let spawn = move |task| -> Box<dyn Future<Output = ()>> { Box::new(ex.spawn(task)) };
    futures_lite::future::block_on(
        executor.run(run::<_, SmolYield>(pool, args.cell, args.ops, spawn)),
    )
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("pool_profile: {e}");
            return ExitCode::from(2);
        }
    };
    let rate = if args.pool == "fusebox-smol" {
        Some(on_smol(&args))
    } else {
        on_tokio(&args)
    };
    match rate {
        Some(rate) => {
            println!("{} {:?}: {rate:.0} ops/s", args.pool, args);
            ExitCode::SUCCESS
        }
        None => {
            eprintln!("pool_profile: unknown pool {}", args.pool);
            ExitCode::from(2)
        }
    }
}
