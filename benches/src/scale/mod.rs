//! The pool at scale: what each operation costs as keys, idle connections and waiters grow.
//!
//! The measurements behind `pool_scale`, one module per kind of workload:
//!
//! - [`acquire`]: one task that acquires and drops, over many keys (hot key, round robin,
//!   random) and under `max_total`, where every acquire evicts another key's idle connection;
//! - [`handoff`]: one connection handed from task to task along a queue of waiters;
//! - [`reaper`]: the reaper's round on a manual clock (with its longest poll, [`polls`]), and the
//!   worst acquire latency while it runs on a real runtime;
//! - [`parallel`]: two tasks on two keys against one task on one key, on two workers;
//! - [`memory`]: resident bytes per idle connection and per waiter, each probe in a fresh child
//!   process so that one probe's freed memory does not hide the next one's.
//!
//! Each module measures its rows and prints their section (`*_row`); what they share lives here
//! (the [`Plan`] of a run, key orders), in [`table`] (verdicts, labels, sections) and in
//! [`conn`] (the connection whose idle timeout the benchmark chooses).

pub mod acquire;
pub mod conn;
pub mod handoff;
pub mod latency;
pub mod memory;
pub mod overlap;
pub mod parallel;
pub mod reaper;
pub mod table;

use std::time::Duration;

use crate::watchdog::Limits;
use crate::workload::Round;
use acquire::Run;

/// How much each row does: `--quick` runs in under a minute, the full run in a few on two cores.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Whether this is the quick run.
    pub quick: bool,
    /// Runs per cell; the cell is their median.
    pub runs: usize,
    /// One run of acquire+drop over keys.
    pub acquire: Run,
    /// One round of hand-offs.
    pub handoff: Round,
    /// Reaper ticks timed per pool.
    pub ticks: u32,
    /// Pools filled per reaper cell.
    pub tick_pools: usize,
    /// Runs per latency cell.
    pub latency_runs: usize,
    /// One run of evicting acquires, at most.
    pub evict: Run,
    /// The longest an evicting run may take.
    pub evict_budget: Duration,
    /// Operations per task in a round across cores.
    pub parallel_ops: u64,
    /// The watchdog's limits for the rounds that run many tasks.
    pub limits: Limits,
}

impl Plan {
    /// The plan of the quick run, or of the full one.
    pub fn new(quick: bool) -> Plan {
        let limits = Limits {
            quiet: Duration::from_secs(2),
            cap: Duration::from_secs(30),
        };
        let scale = if quick { 1 } else { 4 };
        Plan {
            quick,
            runs: if quick { 3 } else { 7 },
            acquire: Run {
                ops: 250_000 * scale,
                warmup: 25_000 * scale,
            },
            handoff: Round {
                ops: if quick { 1 << 16 } else { 1 << 18 },
                warmup_ops: 1 << 13,
                limits,
            },
            ticks: if quick { 3 } else { 5 },
            tick_pools: if quick { 1 } else { 3 },
            latency_runs: if quick { 1 } else { 5 },
            evict: Run {
                ops: 25_000 * scale,
                warmup: 2_500 * scale,
            },
            evict_budget: Duration::from_millis(250 * scale),
            parallel_ops: if quick { 1 << 18 } else { 1 << 20 },
            limits,
        }
    }
}

/// The order in which one task visits the keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Always key 0.
    Hot,
    /// 0, 1, .. n-1, 0, ..
    RoundRobin,
    /// Uniformly at random, from a fixed seed.
    Random,
}

impl Order {
    /// The name of the order in tables.
    pub fn name(self) -> &'static str {
        match self {
            Order::Hot => "hot key",
            Order::RoundRobin => "round robin",
            Order::Random => "random",
        }
    }
}

/// The keys `0..n` in an [`Order`], endlessly.
#[derive(Clone, Debug)]
pub struct Keys {
    order: Order,
    n: u32,
    next: u32,
    rng: XorShift,
}

impl Keys {
    /// The keys `0..n` in `order`; `n` is at least 1.
    pub fn new(order: Order, n: u32) -> Keys {
        Keys {
            order,
            n: n.max(1),
            next: 0,
            rng: XorShift::new(0x9E37_79B9_7F4A_7C15),
        }
    }

    /// The next key.
    #[inline]
    pub fn next_key(&mut self) -> u32 {
        match self.order {
            Order::Hot => 0,
            Order::RoundRobin => {
                let key = self.next;
                self.next = if key + 1 == self.n { 0 } else { key + 1 };
                key
            }
            // The modulo's bias is below 10^-5 for n up to 10^4; it does not matter here.
            Order::Random => (self.rng.next_u64() % u64::from(self.n)) as u32,
        }
    }
}

/// Marsaglia's xorshift64: enough randomness for a key order, with no dependency.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator from a non-zero seed (zero is replaced, as it would stay zero).
    pub fn new(seed: u64) -> XorShift {
        XorShift(if seed == 0 { 1 } else { seed })
    }

    /// The next value.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// Nanoseconds per operation of a run that took `elapsed` for `ops` operations.
pub fn ns_per_op(elapsed: Duration, ops: u64) -> f64 {
    elapsed.as_secs_f64() * 1e9 / ops.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_orders() {
        let mut rr = Keys::new(Order::RoundRobin, 3);
        let seen: Vec<u32> = (0..5).map(|_| rr.next_key()).collect();
        assert_eq!(seen, [0, 1, 2, 0, 1]);
        let mut random = Keys::new(Order::Random, 10);
        assert!((0..1000).all(|_| random.next_key() < 10));
        let mut hot = Keys::new(Order::Hot, 10);
        assert_eq!(hot.next_key(), 0);
    }
}
