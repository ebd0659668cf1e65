//! Resident memory per idle connection and per waiter, from `/proc/self/statm`.
//!
//! Each probe runs in a fresh child process (the benchmark's own binary, with `--probe`): the
//! resident set before and after making `n` items, divided by `n`. A process of its own keeps the
//! heap that an earlier probe freed from absorbing the next probe's allocations.
//!
//! - idle connections: fusebox fills `n / 10` keys with 10 idle connections each; deadpool fills
//!   one pool of `n` objects;
//! - waiters: a pool of one connection, checked out, and `n` acquires of it, each boxed, polled
//!   once with a no-op waker and kept in a `Vec` (reserved before the first reading), so that
//!   each is queued; the figure counts the future, its box and the pool's record of it.

use std::future::Future;
use std::pin::Pin;
use std::process::Command;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use fusebox_core::rt::{ManualClock, ManualSpawner};
use fusebox_core::{Pool, Wait};

use super::table::{format_figure, power_of_ten, section, verdict};
use crate::conn::CounterFactory;
use crate::pool_peers::{BenchPool, Deadpool};
use crate::report::Table;

const IDLE_SIZES: [usize; 2] = [10_000, 100_000];
const WAITER_SIZES: [usize; 2] = [1000, 10_000];

/// Idle connections per key in the fusebox idle probe.
const PER_KEY: usize = 10;

/// What a probe makes and counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// fusebox idle connections over `n / 10` keys.
    FuseboxIdle,
    /// deadpool idle objects in one pool.
    DeadpoolIdle,
    /// Acquires queued on one fusebox key at its limit.
    FuseboxWaiters,
    /// Gets queued on one deadpool pool of one object.
    DeadpoolWaiters,
}

impl Probe {
    /// Every probe.
    pub const ALL: [Probe; 4] = [
        Probe::FuseboxIdle,
        Probe::DeadpoolIdle,
        Probe::FuseboxWaiters,
        Probe::DeadpoolWaiters,
    ];

    /// The probe's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Probe::FuseboxIdle => "fusebox-idle",
            Probe::DeadpoolIdle => "deadpool-idle",
            Probe::FuseboxWaiters => "fusebox-waiters",
            Probe::DeadpoolWaiters => "deadpool-waiters",
        }
    }

    /// The probe of that name.
    pub fn from_name(name: &str) -> Option<Probe> {
        Probe::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Makes `n` items in this process and returns the resident bytes each added, or `None`
    /// where Linux does not tell.
    pub fn run_here(self, n: usize) -> Option<f64> {
        let added = match self {
            Probe::FuseboxIdle => fusebox_idle(n)?,
            Probe::DeadpoolIdle => deadpool_idle(n)?,
            Probe::FuseboxWaiters => fusebox_waiters(n)?,
            Probe::DeadpoolWaiters => deadpool_waiters(n)?,
        };
        Some(added as f64 / n.max(1) as f64)
    }

    /// Runs the probe in a child process of the current executable (`--probe NAME N`) and parses
    /// what it prints; `None` when it could not run or told nothing.
    pub fn run_in_child(self, n: usize) -> Option<f64> {
        let exe = std::env::current_exe().ok()?;
        let out = Command::new(exe)
            .args(["--probe", self.name(), &n.to_string()])
            .output()
            .ok()?;
        if !out.status.success() {
            eprintln!(
                "probe {} {n} failed: {}",
                self.name(),
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    }
}

/// The resident set of this process in bytes: resident pages (the second field of
/// `/proc/self/statm`) times the page size.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * page_size())
}

/// The kernel's page size from `/proc/self/smaps` (no libc call in a crate that forbids
/// unsafe code); 4 KiB if it does not say.
fn page_size() -> u64 {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
    smaps
        .lines()
        .find_map(|line| line.strip_prefix("KernelPageSize:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(4096, |kb| kb * 1024)
}

/// Resident bytes added by `make`, whose result is kept until the second reading.
fn added_by<T>(make: impl FnOnce() -> T) -> Option<u64> {
    let before = resident_bytes()?;
    let kept = make();
    let after = resident_bytes()?;
    drop(kept);
    Some(after.saturating_sub(before))
}

fn manual_pool(max_per_key: usize) -> Pool<u32, CounterFactory> {
    Pool::builder(CounterFactory)
        .max_per_key(max_per_key)
        .clock(Arc::new(ManualClock::new()))
        .spawner(Arc::new(ManualSpawner::new()))
        .build()
        .expect("a valid fusebox configuration")
}

fn fusebox_idle(n: usize) -> Option<u64> {
    let pool = manual_pool(PER_KEY);
    let keys = u32::try_from(n / PER_KEY).expect("keys fit u32");
    added_by(|| {
        futures_lite::future::block_on(async {
            let mut held = Vec::with_capacity(PER_KEY);
            for key in 0..keys {
                for _ in 0..PER_KEY {
                    held.push(pool.acquire(&key, Wait::Forever).await.expect("connection"));
                }
                held.clear();
            }
        });
    })
}

fn deadpool_idle(n: usize) -> Option<u64> {
    let pool = Deadpool::new(n);
    added_by(|| futures_lite::future::block_on(crate::workload::fill(&pool, n)))
}

/// Polls `future` once with a waker that does nothing; it must be queued.
fn queue<F: Future>(future: &mut Pin<Box<F>>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        matches!(future.as_mut().poll(&mut cx), Poll::Pending),
        "a waiter found the pool's only connection free"
    );
}

fn fusebox_waiters(n: usize) -> Option<u64> {
    let pool = manual_pool(1);
    let key = 0;
    let held = futures_lite::future::block_on(pool.acquire(&key, Wait::Forever)).expect("first");
    let mut waiters = Vec::with_capacity(n);
    let added = added_by(|| {
        for _ in 0..n {
            let mut waiter = Box::pin(pool.acquire(&key, Wait::Forever));
            queue(&mut waiter);
            waiters.push(waiter);
        }
    });
    drop(waiters);
    drop(held);
    added
}

fn deadpool_waiters(n: usize) -> Option<u64> {
    let pool = Deadpool::new(1);
    let held = futures_lite::future::block_on(pool.get());
    let mut waiters = Vec::with_capacity(n);
    let added = added_by(|| {
        for _ in 0..n {
            let mut waiter = Box::pin(pool.get());
            queue(&mut waiter);
            waiters.push(waiter);
        }
    });
    drop(waiters);
    drop(held);
    added
}

/// Row 7: resident bytes per idle connection and per waiter, at two sizes each.
pub fn memory_row() {
    let header = [
        "item",
        "fusebox",
        "fusebox, 10x",
        "verdict",
        "deadpool",
        "deadpool, 10x",
    ];
    let mut table = Table::new(header);
    let items = [
        (
            "idle connection",
            IDLE_SIZES,
            Probe::FuseboxIdle,
            Probe::DeadpoolIdle,
        ),
        (
            "waiter",
            WAITER_SIZES,
            Probe::FuseboxWaiters,
            Probe::DeadpoolWaiters,
        ),
    ];
    for (item, sizes, ours, theirs) in items {
        let [ours_small, ours_large] = sizes.map(|n| ours.run_in_child(n));
        let [theirs_small, theirs_large] = sizes.map(|n| theirs.run_in_child(n));
        eprintln!("memory {item}: {ours_small:?} {ours_large:?} {theirs_small:?} {theirs_large:?}");
        table.row([
            format!(
                "{item} ({}, {})",
                power_of_ten(sizes[0]),
                power_of_ten(sizes[1])
            ),
            format_figure(ours_small),
            format_figure(ours_large),
            verdict(ours_small, ours_large),
            format_figure(theirs_small),
            format_figure(theirs_large),
        ]);
    }
    let note = "Resident bytes per item (RSS from /proc/self/statm before and after making them, \
                each in a child process): idle connections over n/10 keys of 10 (deadpool: one \
                pool of n), waiters queued on one key at its limit, each a boxed acquire polled \
                once.";
    section("7. memory per idle connection and per waiter", note, &table);
}
