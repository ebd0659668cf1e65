//! Bounds a round in time: a pool that stops making progress is reported as stalled.
//!
//! The tasks of a round report their completed operations to a shared [`Progress`] every
//! [`REPORT_EVERY`] operations (rarely enough not to disturb the measurement); [`watch`] samples
//! it and gives up when it has not moved for [`Limits::quiet`], or when the round has run for
//! [`Limits::cap`] in all.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many operations a task completes between two reports to [`Progress`].
pub const REPORT_EVERY: u64 = 64;

/// How often the watchdog samples the progress.
const TICK: Duration = Duration::from_millis(50);

/// The operations completed so far in a round, over all its tasks.
#[derive(Debug, Default)]
pub struct Progress(AtomicU64);

impl Progress {
    /// Adds `ops` completed operations.
    pub fn add(&self, ops: u64) {
        self.0.fetch_add(ops, Ordering::Relaxed);
    }

    /// The operations completed so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// How long a round may go without progress, and how long it may take in all.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The longest time without a completed operation before the round counts as stalled.
    pub quiet: Duration,
    /// The longest a round may take in all.
    pub cap: Duration,
}

/// Why a round was given up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stall {
    /// Operations completed before the round was given up.
    pub done: u64,
    /// Operations the round should have completed.
    pub expected: u64,
    /// Whether it was given up for running past [`Limits::cap`] rather than for no progress.
    pub over_cap: bool,
    /// Whether it happened in the warm-up rather than in the measured run.
    pub in_warm_up: bool,
}

impl fmt::Display for Stall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = if self.in_warm_up {
            "warm-up"
        } else {
            "measured run"
        };
        let why = if self.over_cap {
            "ran past the time cap"
        } else {
            "no progress within the quiet limit"
        };
        write!(
            f,
            "{run} stopped at {} of {} ops, {why}",
            self.done, self.expected
        )
    }
}

/// Resolves with a [`Stall`] once `progress` has not moved for `limits.quiet`, or once
/// `limits.cap` has passed; `sleep` is the runtime's timer.
pub async fn watch<S, Fut>(progress: &Progress, expected: u64, limits: Limits, sleep: S) -> Stall
where
    S: Fn(Duration) -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    let mut last = progress.get();
    let mut moved = start;
    loop {
        sleep(TICK).await;
        let now = Instant::now();
        let done = progress.get();
        if done != last {
            last = done;
            moved = now;
        }
        let over_cap = now - start >= limits.cap;
        if over_cap || now - moved >= limits.quiet {
            return Stall {
                done,
                expected,
                over_cap,
                in_warm_up: false,
            };
        }
    }
}

/// Runs `work` unless `watchdog` resolves first.
///
/// # Errors
///
/// The [`Stall`] of the watchdog, when it resolved first; `work` is dropped then.
pub async fn bounded<T>(
    work: impl Future<Output = T>,
    watchdog: impl Future<Output = Stall>,
) -> Result<T, Stall> {
    futures_lite::future::or(async { Ok(work.await) }, async { Err(watchdog.await) }).await
}

/// Marks a stall as one of the warm-up.
pub fn in_warm_up(stall: Stall) -> Stall {
    Stall {
        in_warm_up: true,
        ..stall
    }
}
