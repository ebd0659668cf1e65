//! The report of `recovery_figures` as markdown: how the run was set up, then the figures'
//! tables (`tables.rs`) and the checks against what the plan predicts (`checks.rs`).

mod checks;
mod tables;

use std::time::Duration;

use crate::machine::{load_average_or_unknown, machine, today};
use crate::recovery_manual::ManualFigures;
use crate::recovery_plan::{Plan, Schedule};
use crate::recovery_real::RealFigures;

/// Prints the report of a run to stdout: `manual` holds the manual-clock figures per client
/// count, `real` the real-time runs per client count, `elapsed` the run's wall time.
pub fn print(
    quick: bool,
    plan: &Plan,
    manual: &[ManualFigures],
    real: &[Vec<RealFigures>],
    elapsed: Duration,
) {
    let schedule = plan.schedule();
    let window = plan.window;
    let report = Report {
        plan,
        manual,
        real,
        schedule,
        ideal: plan.ideal_recovery(),
        window,
        expected_probes: schedule.probes_while_down(window),
        expected_after_window: schedule.recovery_after(window),
    };
    report.setup(quick, elapsed);
    report.detect();
    report.recover();
    report.probes();
    report.burst();
    report.checks();
}

/// What the sections read: the plan, the figures, and what the plan predicts for them.
struct Report<'a> {
    plan: &'a Plan,
    manual: &'a [ManualFigures],
    real: &'a [Vec<RealFigures>],
    schedule: Schedule<'a>,
    /// `success_threshold x probe_interval`.
    ideal: Duration,
    window: Duration,
    /// Health checks the schedule predicts over the window.
    expected_probes: u64,
    /// The recovery the schedule predicts when the service turns healthy after the window.
    expected_after_window: Duration,
}

impl Report<'_> {
    /// The command, the machine, and how the clients, server and clocks were set up.
    fn setup(&self, quick: bool, elapsed: Duration) {
        let plan = self.plan;
        let flags = if quick { " -- --quick" } else { "" };

        println!(
            "# Recovery figures{}\n",
            if quick { " (quick)" } else { "" }
        );
        println!(
            "- command: `cargo run --release -p fusebox-benches --bin recovery_figures{flags}`"
        );
        println!("- machine: {}; date: {}", machine(), today());
        println!("- breaker: {}", plan.describe());
        println!(
            "- clients: 1, 10 or 100 `FuseClient`s sharing one `Client` (pool, at most {} \
             connections per host) and one `RecoveryGroup`; each sends `GET /c<i>/work`, then pauses \
             {:?}",
            plan.max_per_host, plan.pause
        );
        println!(
            "- server: embedded HTTP/1.1 on 127.0.0.1 (std threads, one per connection); \
             `/health` and the work paths answer 200 or 503 as the bench switches them"
        );
        println!(
            "- manual clock: `ManualClock` as the clock of the `Client` and the `RecoveryGroup`, \
             tokio spawning and dialing; moved {:?} at a time, each step's woken work (probes \
             over real TCP) finished before the next; clients call once per {:?} of manual time",
            plan.step, plan.pause
        );
        println!(
            "- real time: tokio multi-thread runtime with 2 workers; a controller polls the breakers \
             every 100 µs; {} run(s) per client count, medians shown",
            plan.reps
        );
        println!(
            "- run time {:.0} s; load average when done: {}\n",
            elapsed.as_secs_f64(),
            load_average_or_unknown()
        );
    }

    /// Health checks per second over the window.
    fn per_sec(&self, hits: u64) -> f64 {
        hits as f64 / self.window.as_secs_f64()
    }
}

/// The median of the values `f` picks from `runs` (the upper one of an even count).
fn median<T: Copy + Ord>(runs: &[RealFigures], f: impl Fn(&RealFigures) -> T) -> T {
    let mut values: Vec<T> = runs.iter().map(f).collect();
    values.sort();
    values[values.len() / 2]
}

/// `12.3 ms`.
fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// A duration on the manual clock, which moves in whole steps: `400 ms`.
fn manual_ms(d: Duration) -> String {
    let whole = d.as_millis();
    if Duration::from_millis(whole as u64) == d {
        format!("{whole} ms")
    } else {
        ms(d)
    }
}

fn range((lo, hi): (u32, u32)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "NO" }
}

fn join<T: ToString>(values: &[T]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("/")
}
