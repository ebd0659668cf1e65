//! Row 4: what one task's acquires of a hot key take on a real runtime while the reaper ticks at
//! 10^5 idle, against a baseline with no tick and two controls that wake (and keep busy) the
//! runtime's other worker without the pool.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_core::{Pool, Wait};
use fusebox_tokio::TokioRuntime;

use super::Plan;
use super::conn::{Expiry, TimedFactory};
use super::overlap::{PollLog, attribute, longest};
use super::reaper::{NEVER, Shape, TICK_SHAPES, TimedPool, fill, shape_label};
use super::table::{format_figure, met, section, verdict};
use crate::report::{Table, median};

/// Groups of one percent with a timeout of their own in a latency run: more than the ticks of
/// the fill and the measured window together, so that each tick of the window finds one due.
const LATENCY_GROUPS: u64 = 40;

const LATENCY_INTERVAL: Duration = Duration::from_millis(20);

const LATENCY_TICKS: u32 = 10;

/// How long the spinning control keeps the other worker busy per interval: about a 1% tick's
/// CPU at 10^5 idle (row 3).
const SPIN: Duration = Duration::from_millis(2);

/// The goal for the slowest acquire during a tick: slower ones are counted.
pub const SLOW: Duration = Duration::from_micros(100);

/// The key the latency task acquires; its connection never expires.
pub const HOT: u32 = u32::MAX;

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
    /// Slow acquires that overlapped a poll of the reaper, and of a close task.
    pub slow_in_polls: (usize, usize),
    /// The longest poll of the reaper and of a close task, in microseconds.
    pub longest_polls: (f64, f64),
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
    let log = PollLog::new(Arc::new(TokioRuntime::from_handle(rt.handle().clone())));
    let latency = rt.block_on(async {
        let pool = Pool::builder(TimedFactory::new(expiry))
            .max_per_key(shape.per_key)
            .idle_timeout(NEVER)
            .reap_interval(interval)
            .runtime(TokioRuntime::new())
            .spawner(Arc::new(log.clone()))
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
        let (mut samples, slow_spans) = hot.await.expect("the latency task panicked");
        timer.inspect(tokio::task::JoinHandle::abort);
        let expired = pool.stats().total.expired - before;
        let polls = log.take();
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
            slow_in_polls: attribute(&slow_spans, &polls),
            longest_polls: longest(&polls),
        }
    });
    rt.shutdown_background();
    latency
}

/// Acquire+drop of the hot key until `window` has passed or `max` are recorded; the nanoseconds
/// of each.
async fn hot_loop(
    pool: TimedPool,
    window: Duration,
    max: usize,
) -> (Vec<u32>, Vec<(Instant, Instant)>) {
    let mut samples = Vec::with_capacity(max);
    let mut slow = Vec::new();
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
        if after - before > SLOW {
            slow.push((before, after));
        }
        if after - start >= window {
            break;
        }
    }
    (samples, slow)
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
        let in_polls: Vec<_> = runs
            .iter()
            .map(|l| (l.slow_in_polls, l.longest_polls))
            .collect();
        eprintln!(
            "latency {name}: max {max:?} worst {worst:?} us, {acquires} acquires; slow ones \
             overlapping a (reaper, close) poll and the longest such polls in us, per run: \
             {in_polls:.0?}"
        );
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
