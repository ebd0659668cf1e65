//! The workload: tasks that check an object out and return it, in a loop.

use std::future::Future;
use std::sync::Arc;

use crate::pool_peers::BenchPool;
use crate::watchdog::{Progress, REPORT_EVERY};

/// What a task does with each object it checks out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Check out, touch, return at once.
    GetDrop,
    /// Check out, touch, yield to the scheduler once while holding it, return.
    Hold,
}

impl Mode {
    /// The name of the mode in tables.
    pub fn name(self) -> &'static str {
        match self {
            Mode::GetDrop => "get-and-drop",
            Mode::Hold => "hold across a yield",
        }
    }
}

/// One cell of the matrix: a pool size, a number of concurrent tasks and a mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    /// The pool's maximum number of objects.
    pub size: usize,
    /// Concurrent tasks sharing the operations.
    pub tasks: usize,
    /// What each task does with an object.
    pub mode: Mode,
}

impl Cell {
    /// The operations each task performs so that `total` are performed in all (rounded down).
    pub fn ops_per_task(self, total: u64) -> u64 {
        total / self.tasks as u64
    }
}

/// The runtime's way of yielding to its scheduler once.
pub trait Pause: Send + Sync + 'static {
    /// Yields once.
    fn pause() -> impl Future<Output = ()> + Send;
}

/// `tokio::task::yield_now`.
#[derive(Debug)]
pub struct TokioYield;

impl Pause for TokioYield {
    fn pause() -> impl Future<Output = ()> + Send {
        tokio::task::yield_now()
    }
}

/// `futures_lite::future::yield_now`, for smol.
#[derive(Debug)]
pub struct SmolYield;

impl Pause for SmolYield {
    fn pause() -> impl Future<Output = ()> + Send {
        futures_lite::future::yield_now()
    }
}

/// One task of a round: `ops` checkouts of `pool` in `mode`, reported to `progress`.
pub async fn task_loop<B: BenchPool, P: Pause>(
    pool: B,
    ops: u64,
    mode: Mode,
    progress: Arc<Progress>,
) {
    for done in 1..=ops {
        let mut conn = pool.get().await;
        conn.uses += 1;
        if mode == Mode::Hold {
            P::pause().await;
        }
        drop(conn);
        if done % REPORT_EVERY == 0 {
            progress.add(REPORT_EVERY);
        }
    }
    progress.add(ops % REPORT_EVERY);
}

/// Checks out `size` objects at once, so that the pool has made all it may, and returns them.
pub async fn fill<B: BenchPool>(pool: &B, size: usize) {
    let mut held = Vec::with_capacity(size);
    for _ in 0..size {
        held.push(pool.get().await);
    }
    drop(held);
}

/// How much one round of a cell does, and how long it may take.
#[derive(Clone, Copy, Debug)]
pub struct Round {
    /// Operations measured, over all tasks.
    pub ops: u64,
    /// Operations run before measuring, after filling the pool.
    pub warmup_ops: u64,
    /// The watchdog's limits, for the warm-up and the measured run alike.
    pub limits: crate::watchdog::Limits,
}
