//! The reaper at 10^4 and 10^5 idle connections: the CPU of one round, and what an acquire of
//! another key waits while a round runs.
//!
//! Every key holds `per_key` idle connections of [`Timed`](super::conn::Timed); with
//! `expiring`, one percent of them are due at each tick (see [`Expiry`]), else none is. The pool's
//! own idle timeout is an hour, so nothing else expires.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_core::rt::{ManualClock, ManualSpawner};
use fusebox_core::{Connect, Pool, Wait};
use fusebox_tokio::TokioRuntime;

use super::Plan;
use super::conn::{Expiry, TimedFactory};
use super::polls::LongestPoll;
use super::table::{format_figure, met, power_of_ten, section, verdict};
use crate::report::{Table, median};

/// Long enough that no connection expires by the pool's own idle timeout.
const NEVER: Duration = Duration::from_secs(3600);

/// The reap interval on the manual clock (the builder's default); its length costs nothing.
const MANUAL_INTERVAL: Duration = Duration::from_secs(30);

/// Groups of one percent with a timeout of their own in a latency run: more than the ticks of
/// the fill and the measured window together, so that each tick of the window finds one due.
const LATENCY_GROUPS: u64 = 40;

const TICK_SHAPES: [Shape; 2] = [
    Shape {
        keys: 1000,
        per_key: 10,
    },
    Shape {
        keys: 10_000,
        per_key: 10,
    },
];
const LATENCY_INTERVAL: Duration = Duration::from_millis(20);
const LATENCY_TICKS: u32 = 10;

/// How long the spinning control keeps the other worker busy per interval: about a 1% tick's
/// CPU at 10^5 idle (row 3).
const SPIN: Duration = Duration::from_millis(2);

/// The goal for the slowest acquire during a tick: slower ones are counted.
pub const SLOW: Duration = Duration::from_micros(100);

/// The key the latency task acquires; its connection never expires.
pub const HOT: u32 = u32::MAX;

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

type TimedPool = Pool<u32, TimedFactory>;

/// Holds `per_key` connections of every key at once, then returns them all to idle.
async fn fill<F: Connect<u32>>(pool: &Pool<u32, F>, shape: Shape) {
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
    let timed = LongestPoll::new(tasks.clone());
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
        longest_poll_us.push(timed.take().as_secs_f64() * 1e6);
    }
    let expired = pool.stats().total.expired;
    Ticks {
        micros,
        longest_poll_us,
        expired,
    }
}

/// What one task's acquires of the hot key took while the reaper ticked.
#[derive(Clone, Copy, Debug)]
pub struct Latency {
    /// Acquires measured.
    pub acquires: u64,
    /// The 99.9th percentile, in microseconds.
    pub p999_us: f64,
    /// The slowest, in microseconds.
    pub max_us: f64,
    /// Acquires that took longer than [`SLOW`].
    pub slow: u64,
    /// Connections expired during the measured window.
    pub expired: u64,
}

/// How a latency run ticks.
#[derive(Clone, Copy, Debug)]
pub struct Ticking {
    /// The reap interval; `None` for a baseline with no tick in the window.
    pub interval: Option<Duration>,
    /// Whether one percent of the connections is due at each tick.
    pub expiring: bool,
    /// With no tick: a bare timer task that wakes the runtime every `baseline` instead and spins
    /// for this long, the control that has the reaper's wake-ups (and as much CPU) without its
    /// work; `None` for no such task.
    pub bare_timer: Option<Duration>,
    /// The measured window lasts this many intervals.
    pub ticks: u32,
    /// The most acquires recorded; the window ends earlier if they are reached.
    pub max_acquires: usize,
}

/// Fills a pool of `shape` on a tokio multi-thread runtime of two workers, then times each
/// acquire+drop of a hot key (one more key, never expiring) by one task for `ticking.ticks`
/// intervals, while the reaper runs on the other worker.
pub fn latency_during_ticks(shape: Shape, ticking: Ticking, baseline: Duration) -> Latency {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let interval = ticking.interval.unwrap_or(NEVER);
    let window = ticking.interval.unwrap_or(baseline) * ticking.ticks;
    let expiry = Expiry {
        groups: if ticking.expiring { LATENCY_GROUPS } else { 0 },
        interval,
        spared: Some(HOT),
    };
    let latency = rt.block_on(async {
        let pool = Pool::builder(TimedFactory::new(expiry))
            .max_per_key(shape.per_key)
            .idle_timeout(NEVER)
            .reap_interval(interval)
            .runtime(TokioRuntime::new())
            .build()
            .expect("a valid fusebox configuration");
        fill(&pool, shape).await;
        drop(
            pool.acquire(&HOT, Wait::Forever)
                .await
                .expect("a connection"),
        );
        let before = pool.stats().total.expired;
        let timer = ticking.bare_timer.map(|busy| {
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(baseline).await;
                    let start = Instant::now();
                    while start.elapsed() < busy {
                        std::hint::spin_loop();
                    }
                }
            })
        });
        let hot = tokio::spawn(hot_loop(pool.clone(), window, ticking.max_acquires));
        let mut samples = hot.await.expect("the latency task panicked");
        timer.inspect(tokio::task::JoinHandle::abort);
        let expired = pool.stats().total.expired - before;
        samples.sort_unstable();
        let slow_ns = u32::try_from(SLOW.as_nanos()).expect("fits u32");
        let slow = samples.len() - samples.partition_point(|&ns| ns <= slow_ns);
        let at = |q: f64| {
            let i = ((samples.len() as f64 * q) as usize).min(samples.len().saturating_sub(1));
            f64::from(samples.get(i).copied().unwrap_or(0)) / 1e3
        };
        Latency {
            acquires: samples.len() as u64,
            p999_us: at(0.999),
            max_us: at(1.0),
            slow: slow as u64,
            expired,
        }
    });
    rt.shutdown_background();
    latency
}

/// Acquire+drop of the hot key until `window` has passed or `max` are recorded; the nanoseconds
/// of each.
async fn hot_loop(pool: TimedPool, window: Duration, max: usize) -> Vec<u32> {
    let mut samples = Vec::with_capacity(max);
    let start = Instant::now();
    while samples.len() < max {
        let before = Instant::now();
        let mut conn = pool
            .acquire(&HOT, Wait::Forever)
            .await
            .expect("a connection");
        conn.uses += 1;
        drop(conn);
        let after = Instant::now();
        let ns = (after - before).as_nanos();
        samples.push(u32::try_from(ns).unwrap_or(u32::MAX));
        if after - start >= window {
            break;
        }
    }
    samples
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
                poll runs one batch under a shard's lock, and the next shards' while each is done \
                in one, so it bounds from above what an acquire waits for the reaper.";
    section("3. reaper CPU per tick", note, &table);
}

/// Row 4: acquire latency during reaper ticks at 10^5 idle, against a baseline with none.
pub fn latency_row(plan: &Plan) {
    let shape = TICK_SHAPES[1];
    let header = [
        "due at each tick",
        "acquires",
        "expired per tick",
        "p99.9 us",
        "max us",
        "worst max us",
        "over 100 us",
        "verdict",
        "goal",
    ];
    let mut table = Table::new(header);
    let cases = [
        ("no tick (baseline)", None, false, None),
        (
            "no tick, a bare timer (control)",
            None,
            false,
            Some(Duration::ZERO),
        ),
        ("no tick, a timer spinning 2 ms", None, false, Some(SPIN)),
        ("none", Some(LATENCY_INTERVAL), false, None),
        ("1% expiring", Some(LATENCY_INTERVAL), true, None),
    ];
    let mut control_max = None;
    for (name, interval, expiring, bare_timer) in cases {
        let ticking = Ticking {
            interval,
            expiring,
            bare_timer,
            ticks: LATENCY_TICKS,
            max_acquires: 4_000_000,
        };
        let runs: Vec<_> = (0..plan.latency_runs)
            .map(|_| latency_during_ticks(shape, ticking, LATENCY_INTERVAL))
            .collect();
        let of = |f: fn(&Latency) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        let max = of(|l| l.max_us);
        let worst = runs.iter().map(|l| l.max_us).max_by(f64::total_cmp);
        let acquires = of(|l| l.acquires as f64).unwrap_or(0.0);
        let expired = of(|l| l.expired as f64).unwrap_or(0.0) / f64::from(LATENCY_TICKS);
        eprintln!("latency {name}: max {max:?} worst {worst:?} us, {acquires} acquires");
        let (verdict_cell, goal) = match interval {
            None => {
                if bare_timer == Some(Duration::ZERO) {
                    control_max = max;
                }
                ("-".to_owned(), "-".to_owned())
            }
            Some(_) => (
                verdict(control_max, max),
                worst.map_or("-".to_owned(), |w| met(w < 100.0, "worst < 100 us")),
            ),
        };
        table.row([
            name.to_owned(),
            format!("{acquires:.0}"),
            format!("{expired:.0}"),
            format_figure(of(|l| l.p999_us)),
            format_figure(max),
            format_figure(worst),
            format_figure(of(|l| l.slow as f64)),
            verdict_cell,
            goal,
        ]);
    }
    let note = format!(
        "One task timing each acquire+drop of a hot key at {} while the reaper ticks every {:?} \
         for {LATENCY_TICKS} intervals; tokio multi-thread, 2 workers; p99.9 and max are medians \
         of {} runs, worst max the slowest of all, over 100 us a median count. The control has no \
         reaper tick but a bare timer task waking the runtime's other worker as often: its spikes \
         are the machine's (a shared core woken, preemption), not the pool's; verdict: max \
         against the control.",
        shape_label(shape),
        LATENCY_INTERVAL,
        plan.latency_runs,
    );
    section("4. acquire latency during reaper ticks", &note, &table);
}

fn shape_label(shape: Shape) -> String {
    format!(
        "{} idle ({} keys x {})",
        power_of_ten(shape.idle()),
        power_of_ten(shape.keys as usize),
        shape.per_key
    )
}
