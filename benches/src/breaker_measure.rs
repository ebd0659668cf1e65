//! The meters of `breaker_compare`: nanoseconds per call on one thread and on two threads calling
//! the same breaker, and heap allocations per call.

use std::alloc::System;
use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use stats_alloc::{Region, StatsAlloc};

use crate::breaker_peers::Meter;

/// Calls `op` `calls` times in a loop and returns the time it took.
///
/// Each result is made to exist, in place, and then dropped: `black_box(&result)` rather than
/// `black_box(result)`, whose by-value copy of a large result (fusebox's `Result<(), OpenError>`
/// is 40 bytes) costs a reload that stalls on the stores just made, which is the harness's cost,
/// not the breaker's. A caller branches on the result or returns it.
#[inline]
fn timed<R>(calls: u64, op: &impl Fn() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        let result = op();
        black_box(&result);
    }
    start.elapsed()
}

fn ns_per_call(elapsed: Duration, calls: u64) -> f64 {
    elapsed.as_secs_f64() * 1e9 / calls as f64
}

/// Nanoseconds per call of `calls` calls in a row on the calling thread.
#[derive(Clone, Copy, Debug)]
pub struct OneThread {
    /// Calls per measurement.
    pub calls: u64,
}

impl Meter for OneThread {
    fn measure<R, F: Fn() -> R + Sync>(&self, op: F) -> f64 {
        ns_per_call(timed(self.calls, &op), self.calls)
    }
}

/// Nanoseconds per call when two threads call the same breaker at once, `calls` calls each: the
/// mean over both threads of each thread's time divided by its calls (the latency a caller sees
/// per call under contention).
#[derive(Clone, Copy, Debug)]
pub struct TwoThreads {
    /// Calls per thread and measurement.
    pub calls: u64,
}

impl Meter for TwoThreads {
    fn measure<R, F: Fn() -> R + Sync>(&self, op: F) -> f64 {
        let start = Barrier::new(2);
        let elapsed: Vec<Duration> = thread::scope(|s| {
            let run = || {
                start.wait();
                timed(self.calls, &op)
            };
            let other = s.spawn(run);
            let mine = run();
            let theirs = other.join().expect("a measuring thread panicked");
            vec![mine, theirs]
        });
        let total: f64 = elapsed.iter().map(|&e| ns_per_call(e, self.calls)).sum();
        total / elapsed.len() as f64
    }
}

/// Heap allocations per call, counted by the bench's global allocator over `calls` calls on the
/// calling thread.
///
/// The allocator counts every thread's allocations; the bench runs nothing else meanwhile (the
/// tokio runtime's worker is idle), so what it counts is the calls'.
#[derive(Debug)]
pub struct Allocations {
    /// The counting allocator installed as `#[global_allocator]`.
    pub alloc: &'static StatsAlloc<System>,
    /// Calls per measurement.
    pub calls: u64,
}

impl Meter for Allocations {
    fn measure<R, F: Fn() -> R + Sync>(&self, op: F) -> f64 {
        let region = Region::new(self.alloc);
        timed(self.calls, &op);
        region.change().allocations as f64 / self.calls as f64
    }
}
