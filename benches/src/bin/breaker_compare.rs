//! Circuit-breaker overhead: fusebox against failsafe and recloser.
//!
//! Run with `cargo run --release -p fusebox-benches --features peers --bin breaker_compare
//! [-- --quick] [-- --svg PATH]`.
//!
//! # What is measured
//!
//! Nanoseconds per call of two things a client does on every request, for each library's closest
//! equivalent (see `fusebox_benches::breaker_peers`):
//!
//! - the *closed check*: asking a closed breaker whether the request may go (fusebox
//!   `is_closed()`, `check()`, and `check()` + `success()`; failsafe `is_call_permitted()`
//!   and `call`; recloser `call`, its only way to ask, which also records the success);
//! - the *fail-fast rejection*: a tripped breaker refusing the request (fusebox `check()`
//!   returning its `OpenError`, and `is_closed()`; failsafe `call` and `is_call_permitted()`;
//!   recloser `call`).
//!
//! Each call runs in a loop of 10 million calls (2 million with `--quick`) on one thread, then
//! on two threads calling the same breaker at once; rounds interleave the calls (A B C .. A B C
//! ..) and the table shows medians over 9 rounds (3 with `--quick`). Allocations per call are
//! counted over a further million calls by the counting global allocator of this binary
//! (`stats_alloc`, which wraps the system allocator: every allocation in this process costs one
//! atomic increment more than usual).
//!
//! The output ends with two lines, single-thread: the fastest peer's closed check divided by
//! fusebox's `check()` on a closed breaker, and the fastest peer's rejection divided by fusebox's
//! rejecting `check()`. Above 1 means fusebox is faster.
#![forbid(unsafe_code)]

use std::alloc::System;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use fusebox_benches::breaker_chart::{self, Bars};
use fusebox_benches::breaker_measure::{Allocations, OneThread, TwoThreads};
use fusebox_benches::breaker_peers::{Breakers, Case, Kind, Library};
use fusebox_benches::fuse_alloc::refusal_allocations;
use fusebox_benches::machine::{load_average, machine, today};
use fusebox_benches::report::{Table, median};
use fusebox_tokio::TokioRuntime;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const USAGE: &str = "usage: breaker_compare [--quick] [--svg PATH]";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    quick: bool,
    svg: Option<PathBuf>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = Args::default();
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            match arg.as_str() {
                "--quick" => args.quick = true,
                "--svg" => {
                    let path = it.next().ok_or("--svg needs a path")?;
                    args.svg = Some(PathBuf::from(path));
                }
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        Ok(args)
    }
}

/// How much to measure.
#[derive(Clone, Copy, Debug)]
struct Plan {
    rounds: usize,
    /// Calls per thread and measurement.
    calls: u64,
    /// Calls over which allocations are counted.
    alloc_calls: u64,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                rounds: 3,
                calls: 2_000_000,
                alloc_calls: 100_000,
            }
        } else {
            Plan {
                rounds: 9,
                calls: 10_000_000,
                alloc_calls: 1_000_000,
            }
        }
    }
}

/// The medians of one case.
#[derive(Clone, Copy, Debug)]
struct Row {
    case: Case,
    one_thread: f64,
    two_threads: f64,
    allocs: f64,
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("breaker_compare: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let plan = Plan::new(args.quick);
    let started = Instant::now();

    // fusebox's recovery tasks run on a real tokio runtime; they sleep through the run.
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_time()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let runtime = TokioRuntime::from_handle(tokio.handle().clone());
    let breakers = Breakers::new(&runtime)?;

    // Warm-up: caches, branch predictors, crossbeam-epoch's per-thread state.
    let warm_up = OneThread {
        calls: plan.calls / 10,
    };
    for case in Case::ALL {
        breakers.measure(case, &warm_up);
    }

    let n = Case::ALL.len();
    let (mut one, mut two) = (vec![Vec::new(); n], vec![Vec::new(); n]);
    for round in 1..=plan.rounds {
        for (i, &case) in Case::ALL.iter().enumerate() {
            one[i].push(breakers.measure(case, &OneThread { calls: plan.calls }));
            two[i].push(breakers.measure(case, &TwoThreads { calls: plan.calls }));
        }
        eprintln!(
            "round {round}/{} done ({:.1} s)",
            plan.rounds,
            started.elapsed().as_secs_f64()
        );
    }
    let counter = Allocations {
        alloc: GLOBAL,
        calls: plan.alloc_calls,
    };
    let rows: Vec<Row> = Case::ALL
        .iter()
        .enumerate()
        .map(|(i, &case)| Row {
            case,
            one_thread: median(&one[i]).unwrap_or(f64::NAN),
            two_threads: median(&two[i]).unwrap_or(f64::NAN),
            allocs: breakers.measure(case, &counter),
        })
        .collect();
    drop(breakers);
    let fuse = refusal_allocations(&runtime, GLOBAL, plan.alloc_calls as usize)?;
    drop(tokio);

    print_report(args, plan, &rows, fuse, started.elapsed().as_secs_f64());

    if let Some(path) = &args.svg {
        let bars: Vec<Bars> = rows
            .iter()
            .map(|r| Bars {
                label: r.case.label(),
                library: r.case.library(),
                kind: r.case.kind(),
                one_thread: r.one_thread,
                two_threads: r.two_threads,
            })
            .collect();
        let load = load_average().map_or_else(String::new, |l| format!(", load {l}"));
        let note = format!(
            "{}{load}; medians of {} rounds of {} calls per thread; {}",
            machine(),
            plan.rounds,
            plan.calls,
            today()
        );
        let title = "Circuit breakers: time per call, closed check and fail-fast rejection";
        breaker_chart::write_svg(path, title, &note, &bars)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}

fn print_report(args: &Args, plan: Plan, rows: &[Row], fuse: (f64, f64), seconds: f64) {
    let mut flags = String::new();
    if args.quick {
        flags.push_str(" --quick");
    }
    if let Some(path) = &args.svg {
        flags.push_str(&format!(" --svg {}", path.display()));
    }
    let command = match flags.is_empty() {
        true => "cargo run --release -p fusebox-benches --features peers --bin breaker_compare"
            .to_owned(),
        false => format!(
            "cargo run --release -p fusebox-benches --features peers --bin breaker_compare --{flags}"
        ),
    };
    println!("# Circuit breakers: closed check and fail-fast rejection\n");
    println!("- command: `{command}`");
    println!("- machine: {}", machine());
    if let Some(load) = load_average() {
        println!(
            "- load average when done (1, 5, 15 min): {load}; other processes share the cores, \
             the 2-thread figures most of all"
        );
    }
    println!("- date: {}", today());
    println!(
        "- {} rounds, {} calls per thread per measurement, medians; allocations counted over {} \
         calls; {seconds:.0} s in all",
        plan.rounds, plan.calls, plan.alloc_calls
    );
    println!(
        "- 2 threads: both call the same breaker at once; ns/call is each thread's time divided \
         by its calls, averaged over the two\n"
    );

    let mut table = Table::new([
        "breaker",
        "call",
        "measures",
        "ns/call, 1 thread",
        "ns/call, 2 threads",
        "allocs/call",
    ]);
    for row in rows {
        table.row([
            row.case.library().name().to_owned(),
            format!("`{}`", row.case.call()),
            row.case.kind().to_string(),
            format!("{:.2}", row.one_thread),
            format!("{:.2}", row.two_threads),
            format_allocs(row.allocs),
        ]);
    }
    println!("{table}");

    let ns = |case: Case| {
        rows.iter()
            .find(|r| r.case == case)
            .map_or(f64::NAN, |r| r.one_thread)
    };
    let best_peer = |kind: Kind| {
        rows.iter()
            .filter(|r| r.case.kind() == kind && r.case.library() != Library::Fusebox)
            .min_by(|a, b| a.one_thread.total_cmp(&b.one_thread))
    };
    let closed = ns(Case::FuseboxCheck);
    let rejected = ns(Case::FuseboxCheckRejected);
    let (Some(closed_peer), Some(rejected_peer)) =
        (best_peer(Kind::ClosedCheck), best_peer(Kind::FailFast))
    else {
        return;
    };

    println!(
        "Single-thread ratios, peer time divided by fusebox's (above 1: fusebox is faster):\n"
    );
    let like = |peer: Case, ours: Case| {
        println!(
            "- {} / {}: {:.2}",
            peer.label(),
            ours.label(),
            ns(peer) / ns(ours)
        );
    };
    like(Case::FailsafePermitted, Case::FuseboxCheck);
    like(Case::FailsafeCall, Case::FuseboxCheckAndRecord);
    like(Case::RecloserCall, Case::FuseboxCheckAndRecord);
    like(Case::FailsafePermittedRejected, Case::FuseboxCheckRejected);
    like(Case::FailsafeCallRejected, Case::FuseboxCheckRejected);
    like(Case::RecloserCallRejected, Case::FuseboxCheckRejected);
    let allocs = rows
        .iter()
        .find(|r| r.case == Case::FuseboxCheckRejected)
        .map_or(f64::NAN, |r| r.allocs);
    println!(
        "- best peer, closed check: {} ({:.2} ns); fail-fast: {} ({:.2} ns)",
        closed_peer.case.label(),
        closed_peer.one_thread,
        rejected_peer.case.label(),
        rejected_peer.one_thread
    );
    println!(
        "- fusebox allocations per rejected `check()`: {}",
        format_allocs(allocs)
    );
    println!(
        "- fusebox allocations per rejected `FuseClient::get`: {}; per rejected \
         `FuseClient::send`: {}\n",
        format_allocs(fuse.0),
        format_allocs(fuse.1)
    );
    println!(
        "fusebox-closed/best-peer: {:.2}",
        closed_peer.one_thread / closed
    );
    println!(
        "fusebox-failfast/best-peer: {:.2}",
        rejected_peer.one_thread / rejected
    );
}

/// Allocations per call: `0` when none, else enough digits to see a rare one.
fn format_allocs(allocs: f64) -> String {
    if allocs == 0.0 {
        "0".to_owned()
    } else if allocs < 0.001 {
        format!("{allocs:.1e}")
    } else {
        format!("{allocs:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_show_rare_ones() {
        assert_eq!(format_allocs(0.0), "0");
        assert_eq!(format_allocs(1e-6), "1.0e-6");
        assert_eq!(format_allocs(2.0), "2.000");
    }
}
