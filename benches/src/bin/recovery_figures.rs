//! Recovery figures of the circuit breaker: `FuseClient`s sharing one `RecoveryGroup` against an
//! embedded HTTP server whose health the bench switches.
//!
//! Run with `cargo run --release -p fusebox-benches --bin recovery_figures [-- --quick]`
//! (`--quick`: under a minute).
//!
//! For 1, 10 and 100 clients in one group it measures:
//!
//! - *time to detect*: the calls a client makes before its breaker trips (should equal
//!   `failure_threshold`) and the wall time from the first failing answer to the trip;
//! - *time to recover*: from the service turning healthy to the un-trip, against
//!   `success_threshold x probe_interval` when it turns healthy at the trip, and against the
//!   recovery task's backoff schedule when it turns healthy after a while down;
//! - *probe rate*: the health checks reaching the server per second while the clients are
//!   tripped (it should not depend on the number of clients: one recovery task probes for all);
//! - *burst*: the requests reaching the server in the first 100 ms after the un-trip.
//!
//! Each on the manual clock (`ManualClock`, stepped 1 ms at a time: exact, see
//! `fusebox_benches::recovery_manual`) and on real time (tokio, see
//! `fusebox_benches::recovery_real`); the burst on real time only. It prints markdown tables and
//! ends with two lines: `probe-rate 1/10/100 clients: A/B/C per s` and
//! `recovery: X ms vs success_threshold x probe_interval = Y ms` (real time).
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::{Duration, Instant};

use fusebox_benches::machine::{load_average_or_unknown, machine, today};
use fusebox_benches::recovery_manual::{self, ManualFigures};
use fusebox_benches::recovery_plan::{CLIENT_COUNTS, Plan};
use fusebox_benches::recovery_real::{self, RealFigures};
use fusebox_benches::report::Table;

const USAGE: &str = "usage: recovery_figures [--quick]";

fn main() -> ExitCode {
    let mut quick = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let plan = Plan::new(quick);
    let started = Instant::now();
    match run(&plan) {
        Ok((manual, real)) => {
            print_report(quick, &plan, &manual, &real, started.elapsed());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("recovery_figures failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The manual-clock figures per client count, and the real-time runs per client count.
type Results = (Vec<ManualFigures>, Vec<Vec<RealFigures>>);

fn run(plan: &Plan) -> Result<Results, String> {
    let mut manual = Vec::new();
    for clients in CLIENT_COUNTS {
        eprintln!("manual clock, {clients} clients");
        let figures = recovery_manual::run(plan, clients)
            .map_err(|e| format!("manual clock, {clients} clients: {e}"))?;
        manual.push(figures);
    }
    let mut real = vec![Vec::new(); CLIENT_COUNTS.len()];
    for rep in 0..plan.reps {
        for (runs, clients) in real.iter_mut().zip(CLIENT_COUNTS) {
            eprintln!(
                "real time, {clients} clients, run {}/{}",
                rep + 1,
                plan.reps
            );
            let figures = recovery_real::run(plan, clients)
                .map_err(|e| format!("real time, {clients} clients: {e}"))?;
            runs.push(figures);
        }
    }
    Ok((manual, real))
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

fn print_report(
    quick: bool,
    plan: &Plan,
    manual: &[ManualFigures],
    real: &[Vec<RealFigures>],
    elapsed: Duration,
) {
    let c = &plan.config;
    let schedule = plan.schedule();
    let ideal = plan.ideal_recovery();
    let window = plan.window;
    let expected_probes = schedule.probes_while_down(window);
    let expected_after_window = schedule.recovery_after(window);
    let flags = if quick { " -- --quick" } else { "" };

    println!(
        "# Recovery figures{}\n",
        if quick { " (quick)" } else { "" }
    );
    println!("- command: `cargo run --release -p fusebox-benches --bin recovery_figures{flags}`");
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

    println!("## Time to detect\n");
    println!(
        "Every path answers 503. Calls: failing answers a client got up to its trip. Time: from \
         the first failing answer to the trip (clients call with a {:?} pause, so about \
         (failure_threshold - 1) x (pause + round trip)).\n",
        plan.pause
    );
    let mut table = Table::new([
        "clock",
        "clients",
        "calls before trip",
        "failure_threshold",
        "first failing answer -> first trip",
        "per client: own first failing answer -> own trip (median / max)",
    ]);
    for m in manual {
        table.row([
            "manual".to_owned(),
            m.clients.to_string(),
            range(m.calls_before_trip),
            c.failure_threshold().to_string(),
            manual_ms(m.detect),
            format!("{} / {}", manual_ms(m.detect), manual_ms(m.detect)),
        ]);
    }
    for runs in real {
        let mut lo_hi = (u32::MAX, 0);
        for r in runs {
            lo_hi = (
                lo_hi.0.min(r.calls_before_trip.0),
                lo_hi.1.max(r.calls_before_trip.1),
            );
        }
        table.row([
            "real".to_owned(),
            runs[0].clients.to_string(),
            range(lo_hi),
            c.failure_threshold().to_string(),
            ms(median(runs, |r| r.detect_first)),
            format!(
                "{} / {}",
                ms(median(runs, |r| r.detect_median)),
                ms(median(runs, |r| r.detect_max))
            ),
        ]);
    }
    println!("{table}");

    println!("## Time to recover\n");
    println!(
        "Healthy at the trip: `/health` turns good as the first client trips (on the manual clock \
         at the very instant; on real time when the controller sees the trip) and the work paths \
         once all have tripped; expected `success_threshold x probe_interval` = {}. Healthy \
         after {}: everything is down for {} from the first trip, then good; expected: the wait \
         for the next round of the backoff schedule plus (success_threshold - 1) intervals = {}.\n",
        manual_ms(ideal),
        manual_ms(window),
        manual_ms(window),
        manual_ms(expected_after_window),
    );
    let mut table = Table::new([
        "clock",
        "clients",
        "healthy",
        "health good -> un-trip",
        "expected",
        "trip -> un-trip",
        "last probe answered -> un-trip seen",
    ]);
    for m in manual {
        table.row([
            "manual".to_owned(),
            m.clients.to_string(),
            "at the trip".to_owned(),
            manual_ms(m.recovery),
            manual_ms(ideal),
            manual_ms(m.recovery),
            "-".to_owned(),
        ]);
    }
    for runs in real {
        table.row([
            "real".to_owned(),
            runs[0].clients.to_string(),
            format!(
                "{} after the trip",
                ms(median(runs, |r| r.healthy_after_trip))
            ),
            ms(median(runs, |r| r.recovery)),
            manual_ms(ideal),
            ms(median(runs, |r| r.recovery_from_trip)),
            ms(median(runs, |r| r.untrip_lag)),
        ]);
    }
    for m in manual {
        table.row([
            "manual".to_owned(),
            m.clients.to_string(),
            format!("after {}", manual_ms(window)),
            manual_ms(m.recovery_after_window),
            manual_ms(expected_after_window),
            "-".to_owned(),
            "-".to_owned(),
        ]);
    }
    for runs in real {
        table.row([
            "real".to_owned(),
            runs[0].clients.to_string(),
            format!("after {}", manual_ms(window)),
            ms(median(runs, |r| r.recovery_after_window)),
            manual_ms(expected_after_window),
            "-".to_owned(),
            "-".to_owned(),
        ]);
    }
    println!("{table}");

    println!("## Probes while tripped\n");
    println!(
        "Health checks the server answered while everything is down, over {} from the first \
         trip, the clients calling (and being rejected) all along. Expected from the schedule \
         (rounds at {}; {} probe(s) per round): {expected_probes}.\n",
        manual_ms(window),
        schedule
            .failed_rounds(window)
            .iter()
            .map(|&at| manual_ms(at))
            .collect::<Vec<_>>()
            .join(", "),
        c.probe_retries() + 1,
    );
    let mut table = Table::new([
        "clock",
        "clients",
        "/health hits",
        "probes/s",
        "expected",
        "probes the group sent",
        "recovery tasks / recoveries",
    ]);
    let per_sec = |hits: u64| hits as f64 / window.as_secs_f64();
    for m in manual {
        table.row([
            "manual".to_owned(),
            m.clients.to_string(),
            m.window_probes.to_string(),
            format!("{:.2}", per_sec(m.window_probes)),
            expected_probes.to_string(),
            m.window_probes_sent.to_string(),
            format!("{} / {}", m.tasks_started, m.recoveries),
        ]);
    }
    for runs in real {
        let hits = median(runs, |r| r.window_probes);
        let (lo, hi) = (
            runs.iter().map(|r| r.window_probes).min().unwrap_or(0),
            runs.iter().map(|r| r.window_probes).max().unwrap_or(0),
        );
        let spread = if lo == hi {
            String::new()
        } else {
            format!(" ({lo}-{hi})")
        };
        table.row([
            "real".to_owned(),
            runs[0].clients.to_string(),
            format!("{hits}{spread}"),
            format!("{:.2}", per_sec(hits)),
            expected_probes.to_string(),
            "-".to_owned(),
            format!(
                "{} / {}",
                median(runs, |r| r.tasks_started),
                median(runs, |r| r.recoveries)
            ),
        ]);
    }
    println!("{table}");

    println!("## Burst after un-trip (real time)\n");
    println!(
        "Work requests reaching the server in the first {} after the un-trip (counted from the \
         server's answer to the last probe). Every breaker of the group closes at once, so every \
         client's next call goes through; steady: the same count per {} while healthy, before the \
         first trip.\n",
        manual_ms(plan.burst),
        manual_ms(plan.burst),
    );
    let mut table = Table::new([
        "clients",
        "after healthy at the trip",
        "after the window",
        "per client",
        "steady (healthy)",
        "burst / steady",
    ]);
    for runs in real {
        let burst = median(runs, |r| r.burst);
        let after_window = median(runs, |r| r.burst_after_window);
        let mut steady: Vec<f64> = runs.iter().map(|r| r.steady).collect();
        steady.sort_by(f64::total_cmp);
        let steady = steady[steady.len() / 2];
        let n = runs[0].clients;
        table.row([
            n.to_string(),
            burst.to_string(),
            after_window.to_string(),
            format!("{:.1}", burst as f64 / n as f64),
            format!("{steady:.0}"),
            if steady > 0.0 {
                format!("{:.2}", burst as f64 / steady)
            } else {
                "-".to_owned()
            },
        ]);
    }
    println!("{table}");

    let unexpected: u64 = real.iter().flatten().map(|r| r.unexpected).sum();
    let connections: Vec<String> = real
        .iter()
        .map(|runs| median(runs, |r| r.connections).to_string())
        .collect();
    println!("## Checks\n");
    println!(
        "- calls that failed while the service was healthy, or ended in another error: {unexpected}"
    );
    println!(
        "- TCP connections the server accepted per run (1/10/100 clients, medians): {}",
        connections.join("/")
    );
    let manual_rates: Vec<u64> = manual.iter().map(|m| m.window_probes).collect();
    let real_rates: Vec<u64> = real
        .iter()
        .map(|runs| median(runs, |r| r.window_probes))
        .collect();
    let flat = |v: &[u64]| {
        v.iter()
            .max()
            .zip(v.iter().min())
            .is_some_and(|(hi, lo)| hi - lo <= 1)
    };
    println!(
        "- probe counts flat across 1/10/100 clients: manual clock {} ({}), real time {} ({})",
        yes(flat(&manual_rates)),
        join(&manual_rates),
        yes(flat(&real_rates)),
        join(&real_rates)
    );
    let manual_exact = manual.iter().all(|m| m.recovery == ideal);
    println!(
        "- recovery on the manual clock equals success_threshold x probe_interval exactly: {}; \
         after the window equals the schedule: {}",
        yes(manual_exact),
        yes(manual
            .iter()
            .all(|m| m.recovery_after_window == expected_after_window))
    );
    println!();

    let rates: Vec<String> = real_rates
        .iter()
        .map(|&hits| format!("{:.2}", per_sec(hits)))
        .collect();
    let all: Vec<RealFigures> = real.iter().flatten().cloned().collect();
    let recovery = median(&all, |r| r.recovery);
    println!(
        "recovery on the manual clock: {} ms vs success_threshold x probe_interval = {} ms",
        join(
            &manual
                .iter()
                .map(|m| m.recovery.as_millis())
                .collect::<Vec<_>>()
        ),
        ideal.as_millis()
    );
    println!("probe-rate 1/10/100 clients: {} per s", rates.join("/"));
    println!(
        "recovery: {:.1} ms vs success_threshold x probe_interval = {} ms",
        recovery.as_secs_f64() * 1e3,
        ideal.as_millis()
    );
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
