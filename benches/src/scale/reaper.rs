//! The reaper at 10^4 and 10^5 idle connections: the CPU of one round on the manual clock (row
//! 3), and the pool shape and fill that the latency row (`latency.rs`) shares.
//!
//! Every key holds `per_key` idle connections of [`Timed`](super::conn::Timed); with
//! `expiring`, one percent of them are due at each tick (see [`Expiry`]), else none is. The pool's
//! own idle timeout is an hour, so nothing else expires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_core::rt::{ManualClock, ManualSpawner};
use fusebox_core::{Connect, Pool, Wait};

use super::Plan;
use super::conn::{Expiry, TimedFactory};
use super::overlap::{PollLog, longest};
use super::table::{format_figure, met, power_of_ten, section, verdict};
use crate::report::{Table, median};

/// Long enough that no connection expires by the pool's own idle timeout.
pub(super) const NEVER: Duration = Duration::from_secs(3600);

/// The reap interval on the manual clock (the builder's default); its length costs nothing.
const MANUAL_INTERVAL: Duration = Duration::from_secs(30);

pub(super) const TICK_SHAPES: [Shape; 2] = [
    Shape {
        keys: 1000,
        per_key: 10,
    },
    Shape {
        keys: 10_000,
        per_key: 10,
    },
];

/// The size of the pool: `keys` keys of `per_key` idle connections.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Keys, each filled.
    pub keys: u32,
    /// Idle connections per key.
    pub per_key: usize,
}

impl Shape {
    /// Idle connections in all.
    pub fn idle(self) -> usize {
        self.keys as usize * self.per_key
    }
}

pub(super) type TimedPool = Pool<u32, TimedFactory>;

/// Holds `per_key` connections of every key at once, then returns them all to idle.
pub(super) async fn fill<F: Connect<u32>>(pool: &Pool<u32, F>, shape: Shape) {
    let mut held = Vec::with_capacity(shape.per_key);
    for key in 0..shape.keys {
        for _ in 0..shape.per_key {
            held.push(
                pool.acquire(&key, Wait::Forever)
                    .await
                    .expect("a connection"),
            );
        }
        held.clear();
    }
}

/// The rounds of one pool on the manual clock.
#[derive(Clone, Debug)]
pub struct Ticks {
    /// Microseconds of CPU per round: advancing the clock by the interval, then
    /// `run_until_stalled`, which runs the reaper's round and the closes it spawns.
    pub micros: Vec<f64>,
    /// The reaper's longest poll in each round, in microseconds: at least its longest hold of one
    /// shard's lock.
    pub longest_poll_us: Vec<f64>,
    /// Connections the pool counted as expired over those rounds.
    pub expired: u64,
}

/// Fills a pool of `shape` on a [`ManualClock`] and [`ManualSpawner`], then times `ticks`
/// rounds of its reaper.
pub fn manual_ticks(shape: Shape, expiring: bool, ticks: u32) -> Ticks {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let timed = PollLog::new(Arc::new(tasks.clone()));
    let expiry = match expiring {
        true => Expiry {
            groups: u64::from(ticks),
            interval: MANUAL_INTERVAL,
            spared: None,
        },
        false => Expiry::none(MANUAL_INTERVAL),
    };
    let pool: TimedPool = Pool::builder(TimedFactory::new(expiry))
        .max_per_key(shape.per_key)
        .idle_timeout(NEVER)
        .reap_interval(MANUAL_INTERVAL)
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(timed.clone()))
        .build()
        .expect("a valid fusebox configuration");
    // The reaper runs to its first sleep, due one interval after the fill.
    tasks.run_until_stalled();
    futures_lite::future::block_on(fill(&pool, shape));
    let mut micros = Vec::with_capacity(ticks as usize);
    let mut longest_poll_us = Vec::with_capacity(ticks as usize);
    timed.take();
    for _ in 0..ticks {
        let start = Instant::now();
        clock.advance(MANUAL_INTERVAL);
        tasks.run_until_stalled();
        micros.push(start.elapsed().as_secs_f64() * 1e6);
        longest_poll_us.push(longest(&timed.take()).0);
    }
    let expired = pool.stats().total.expired;
    Ticks {
        micros,
        longest_poll_us,
        expired,
    }
}

/// Row 3: the reaper CPU per tick at 10^4 and 10^5 idle, none or one percent due.
pub fn tick_row(plan: &Plan) {
    let mut header = vec!["due at the tick".to_owned()];
    header.extend(TICK_SHAPES.map(shape_label));
    header.extend(["verdict", "expired per tick", "longest poll us", "goal"].map(str::to_owned));
    let mut table = Table::new(header);
    for expiring in [false, true] {
        let mut cells = Vec::new();
        let mut expired_per_tick = 0.0;
        let mut longest_poll = None;
        for shape in TICK_SHAPES {
            let mut micros = Vec::new();
            let mut expired = 0;
            let mut polls = Vec::new();
            for _ in 0..plan.tick_pools {
                let ticks = manual_ticks(shape, expiring, plan.ticks);
                micros.extend(ticks.micros);
                polls.extend(ticks.longest_poll_us);
                expired += ticks.expired;
            }
            eprintln!(
                "reaper longest polls at {}: {polls:.1?} us",
                shape_label(shape)
            );
            longest_poll = median(&polls);
            expired_per_tick = expired as f64 / f64::from(plan.ticks * plan.tick_pools as u32);
            cells.push(median(&micros));
        }
        let name = if expiring { "1% expiring" } else { "none" };
        eprintln!("reaper tick {name}: {cells:?} us");
        let goal = match (expiring, cells.last().copied().flatten()) {
            (false, Some(us)) => met(us < 50.0, "< 50 us at 10^5 idle"),
            _ => "-".to_owned(),
        };
        let mut row = vec![name.to_owned()];
        row.extend(cells.iter().map(|&c| format_figure(c)));
        row.push(verdict(cells[0], cells[cells.len() - 1]));
        row.push(format!("{expired_per_tick:.0}"));
        row.push(format_figure(longest_poll));
        row.push(goal);
        table.row(row);
    }
    let note = "us of CPU per reaper tick (`ManualClock::advance` by the interval, then \
                `ManualSpawner::run_until_stalled`: the round and the closes); expired per tick \
                and the reaper's longest poll in a tick (median over ticks), at the larger size: a \
                poll runs one batch under a shard's lock and yields after it, so it bounds from \
                above what an acquire waits for the reaper.";
    section("3. reaper CPU per tick", note, &table);
}

pub(super) fn shape_label(shape: Shape) -> String {
    format!(
        "{} idle ({} keys x {})",
        power_of_ten(shape.idle()),
        power_of_ten(shape.keys as usize),
        shape.per_key
    )
}
