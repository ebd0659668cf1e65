//! The pool at scale: what an operation costs as keys, idle connections and waiters grow.
//!
//! Run with `cargo run --release -p fusebox-benches --features peers --bin pool_scale
//! [-- --quick] [--rows 1,5]`; `--rows` runs only the rows named.
//!
//! # Workload
//!
//! Every pool hands out an in-memory connection made instantly (a counter; in the reaper rows
//! one that may announce an idle timeout of its own). Seven rows, each at growing sizes, with a
//! verdict: `flat` when the largest size costs at most 1.5x the smallest, else the growth factor.
//!
//! 1. *acquire+drop*: one task on a tokio current-thread runtime, 1, 10^2 and 10^4 keys each
//!    holding one idle connection, visited as a hot key, round robin, or at random (xorshift,
//!    fixed seed); deadpool (one pool of one object) beside the hot key.
//! 2. *hand-off*: one connection, 10, 100 or 1000 tasks looping acquire, hold across a yield,
//!    drop, so that all but one wait; pool_compare's hold rounds, deadpool of size 1 beside.
//! 3. *reaper tick*: 10^3 and 10^4 keys x 10 idle on the manual clock and spawner; a tick is
//!    advancing the clock by the reap interval and `run_until_stalled` (the round and the
//!    closes), with nothing due or one percent due.
//! 4. *acquire latency during ticks*: 10^4 keys x 10 idle on tokio (two workers), a 20 ms reap
//!    interval, one task timing every acquire+drop of a hot key over 10 intervals; a baseline with
//!    no tick in the window, and a control with a bare timer task waking the runtime as often as
//!    the reaper would, show the machine's own noise.
//! 5. *evicting acquire*: `max_total` = N over N keys of one idle connection, one task cycling
//!    through 2N keys, so that each acquire evicts another key's least recently used one.
//! 6. *across cores*: get-and-drop, two tasks on two keys against one task on one key (two
//!    workers); beside it fusebox and deadpool with a pool per task, and no pool at all, whose
//!    ratio is what the shared cores allowed.
//! 7. *memory*: resident bytes per idle connection and per waiter, each in a child process.
//!
//! Cells are medians of several runs; every loop is bounded by a count (and the hand-off,
//! across-cores and evicting rounds also by time). The report starts and ends with the load
//! average, as the two cores may be shared.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Instant;

use fusebox_benches::machine::{load_average_or_unknown, machine, today};
use fusebox_benches::scale::memory::{self, Probe};
use fusebox_benches::scale::{Plan, acquire, handoff, latency, parallel, reaper};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (quick, rows) = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => (false, None),
        ["--quick"] => (true, None),
        ["--rows", rows] => (false, Some(rows.to_owned())),
        ["--quick", "--rows", rows] => (true, Some(rows.to_owned())),
        ["--probe", name, n] => return probe(name, n),
        ["--ticks", n] => return ticks(n),
        _ => {
            eprintln!("usage: pool_scale [--quick] [--rows 1,5] | --ticks N");
            return ExitCode::from(2);
        }
    };
    // Rows by number, all when none are named: `--rows 1,5` for a quicker look at two.
    let wanted = |row: char| rows.as_ref().is_none_or(|rows| rows.contains(row));
    let plan = Plan::new(quick);
    let started = Instant::now();
    let title = if plan.quick { " (quick)" } else { "" };
    println!("# The pool at scale{title}\n");
    println!(
        "{}; {}. Load average at the start: {}. Cells are medians of {} runs (reaper ticks: of \
         {} ticks x {} pools); verdict `flat` when the largest size costs at most 1.5x the \
         smallest, else the growth factor.\n",
        machine(),
        today(),
        load_average_or_unknown(),
        plan.runs,
        plan.ticks,
        plan.tick_pools,
    );
    let all: [(char, &dyn Fn()); 7] = [
        ('1', &|| acquire::keys_row(&plan)),
        ('2', &|| handoff::handoff_row(&plan)),
        ('3', &|| reaper::tick_row(&plan)),
        ('4', &|| latency::latency_row(&plan)),
        ('5', &|| acquire::evicting_row(&plan)),
        ('6', &|| parallel::parallel_row(&plan)),
        ('7', &memory::memory_row),
    ];
    for (row, run) in all {
        if wanted(row) {
            run();
        }
    }
    let flags = if plan.quick { " -- --quick" } else { "" };
    println!(
        "Run time: {:.0} s; load average at the end: {} (the two cores may be shared). Command: \
         `cargo run --release -p fusebox-benches --features peers --bin pool_scale{flags}`.",
        started.elapsed().as_secs_f64(),
        load_average_or_unknown(),
    );
    ExitCode::SUCCESS
}

/// A target for callgrind: `n` reaper ticks with one percent due at 10^5 idle (10^4 keys x
/// 10) on the manual clock, each tick's microseconds printed. The cost of a tick is best read as
/// the difference between two runs: `(Ir(2n) - Ir(n)) / n`.
fn ticks(n: &str) -> ExitCode {
    let Ok(n) = n.parse::<u32>() else {
        eprintln!("usage: pool_scale --ticks N");
        return ExitCode::from(2);
    };
    let shape = reaper::Shape {
        keys: 10_000,
        per_key: 10,
    };
    let ticks = reaper::manual_ticks(shape, true, n);
    println!("{:?} us, {} expired", ticks.micros, ticks.expired);
    ExitCode::SUCCESS
}

/// The child side of the memory row: runs one probe and prints bytes per item.
fn probe(name: &str, n: &str) -> ExitCode {
    let (Some(probe), Ok(n)) = (Probe::from_name(name), n.parse::<usize>()) else {
        eprintln!("usage: pool_scale --probe NAME N");
        return ExitCode::from(2);
    };
    match probe.run_here(n) {
        Some(bytes) => {
            println!("{bytes}");
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    }
}
