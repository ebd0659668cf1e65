//! Pool checkout throughput: fusebox against deadpool, bb8, mobc and qp.
//!
//! Run with `cargo run --release -p fusebox-benches --features peers --bin pool_compare
//! [-- --quick] [--svg PATH]`.
//!
//! # Workload
//!
//! Every pool hands out the same trivial in-memory connection (a counter, made instantly). A
//! cell of the matrix is a pool size (2, 8, 32) times a number of concurrent tasks (2, 8, 32,
//! 256) times a mode:
//!
//! - *get-and-drop*: each task loops: check out, bump the counter, return;
//! - *hold*: the same, but holding the connection across one `yield_now` (tokio's, or
//!   futures-lite's under smol) before returning it, so that tasks outnumbering connections
//!   must wait for one.
//!
//! A cell performs a fixed total of operations, split evenly across its tasks. fusebox (one key,
//! `max_per_key` = size), deadpool, bb8, mobc and qp run on a fresh tokio multi-thread runtime
//! with 2 workers per round; fusebox also runs on a fresh async-executor run by 2 threads, as
//! smol programs run. All wait forever for a free connection and run no health check of their
//! own (see `fusebox_benches::pool_peers`). Each round builds its pool, checks out `size`
//! connections at once so that all exist, runs a warm-up of an eighth of the operations, then
//! the measured run. Rounds interleave the pools (A B C .. A B C ..) to spread noise; the table
//! shows the median operations per second per pool per cell.
//!
//! A watchdog bounds every round: a pool that completes no operation for the quiet limit, or
//! runs past the cap, is reported as `stalled` and not run again in that cell; its runtime is
//! shut down in the background so that its stuck tasks do not hold the process.
//!
//! The output ends with two lines over the get-and-drop cells: fusebox on tokio divided by the
//! fastest of deadpool, bb8 and mobc, and divided by qp (min and median over cells); then one
//! over the hold cells where tasks outnumber connections, so that tasks wait: fusebox on tokio
//! divided by deadpool.
//!
//! With `--svg PATH` it also writes a chart of the tables (see `fusebox_benches::pool_chart`):
//! operations per second by task count, one line per pool, one panel per pool size and mode.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use fusebox_benches::machine::{load_average_or_unknown, machine, today};
use fusebox_benches::pool_chart::{self, Point};
use fusebox_benches::pool_peers::{Bb8, Deadpool, Fusebox, Mobc, Qp};
use fusebox_benches::report::{Rate, Table, fastest, format_ratio, ratio, ratio_line};
use fusebox_benches::watchdog::{Limits, Stall};
use fusebox_benches::workload::{Cell, Mode, Round};
use fusebox_benches::{run_smol, run_tokio};
use fusebox_tokio::TokioRuntime;

const SIZES: [usize; 3] = [2, 8, 32];
const TASKS: [usize; 4] = [2, 8, 32, 256];
const MODES: [Mode; 2] = [Mode::GetDrop, Mode::Hold];

/// A pool on a runtime, as a column of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Contender {
    FuseboxTokio,
    FuseboxSmol,
    Deadpool,
    Bb8,
    Mobc,
    Qp,
}

const CONTENDERS: [Contender; 6] = [
    Contender::FuseboxTokio,
    Contender::FuseboxSmol,
    Contender::Deadpool,
    Contender::Bb8,
    Contender::Mobc,
    Contender::Qp,
];

impl Contender {
    fn name(self) -> &'static str {
        match self {
            Contender::FuseboxTokio => "fusebox-tokio",
            Contender::FuseboxSmol => "fusebox-smol",
            Contender::Deadpool => "deadpool",
            Contender::Bb8 => "bb8",
            Contender::Mobc => "mobc",
            Contender::Qp => "qp",
        }
    }

    fn run(self, cell: Cell, round: Round) -> Result<f64, Stall> {
        match self {
            Contender::FuseboxTokio => {
                run_tokio::run_round(|size| Fusebox::new(size, TokioRuntime::new()), cell, round)
            }
            Contender::FuseboxSmol => run_smol::run_round(Fusebox::new, cell, round),
            Contender::Deadpool => run_tokio::run_round(Deadpool::new, cell, round),
            Contender::Bb8 => run_tokio::run_round(Bb8::new, cell, round),
            Contender::Mobc => run_tokio::run_round(Mobc::new, cell, round),
            Contender::Qp => run_tokio::run_round(Qp::new, cell, round),
        }
    }
}

/// The rates of every contender in one cell, in the order of [`CONTENDERS`].
struct CellResult {
    cell: Cell,
    rates: Vec<Rate>,
}

impl CellResult {
    fn rate(&self, who: Contender) -> Rate {
        let i = CONTENDERS.iter().position(|&c| c == who);
        self.rates[i.expect("every contender has a column")]
    }

    fn vs_best_peer(&self) -> Option<f64> {
        let peers = [Contender::Deadpool, Contender::Bb8, Contender::Mobc];
        let best = fastest(peers.map(|p| self.rate(p)));
        ratio(self.rate(Contender::FuseboxTokio), best)
    }

    fn vs_qp(&self) -> Option<f64> {
        ratio(self.rate(Contender::FuseboxTokio), self.rate(Contender::Qp))
    }

    fn vs_deadpool(&self) -> Option<f64> {
        ratio(
            self.rate(Contender::FuseboxTokio),
            self.rate(Contender::Deadpool),
        )
    }
}

const USAGE: &str = "usage: pool_compare [--quick] [--svg PATH]";

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
                other => return Err(format!("unknown argument {other:?}")),
            }
        }
        Ok(args)
    }

    /// The command that runs the benchmark with these arguments.
    fn command(&self) -> String {
        let mut flags = String::new();
        if self.quick {
            flags.push_str(" --quick");
        }
        if let Some(path) = &self.svg {
            flags.push_str(&format!(" --svg {}", path.display()));
        }
        let base = "cargo run --release -p fusebox-benches --features peers --bin pool_compare";
        match flags.is_empty() {
            true => base.to_owned(),
            false => format!("{base} --{flags}"),
        }
    }
}

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let quick = args.quick;
    let (round, rounds) = plan(quick);
    let started = Instant::now();
    print_header(quick, round, rounds);
    let mut results = Vec::new();
    let mut stalls = Vec::new();
    for mode in MODES {
        for size in SIZES {
            for tasks in TASKS {
                let cell = Cell { size, tasks, mode };
                let (result, stalled) = run_cell(cell, round, rounds);
                stalls.extend(stalled);
                results.push(result);
            }
        }
    }
    print_report(&results, &stalls, started.elapsed());
    if let Some(path) = &args.svg {
        if let Err(e) = write_chart(path, &args, round, rounds, &results) {
            eprintln!("writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        eprintln!("chart written to {}", path.display());
    }
    ExitCode::SUCCESS
}

/// The chart of every cell: a line per contender, a panel per pool size, a row per mode.
fn write_chart(
    path: &std::path::Path,
    args: &Args,
    round: Round,
    rounds: usize,
    results: &[CellResult],
) -> Result<(), Box<dyn std::error::Error>> {
    let points: Vec<Point> = results
        .iter()
        .flat_map(|result| {
            CONTENDERS.iter().map(move |&who| Point {
                mode: result.cell.mode.name().to_owned(),
                size: result.cell.size,
                tasks: result.cell.tasks,
                pool: who.name().to_owned(),
                ops_per_sec: result.rate(who).per_sec(),
            })
        })
        .collect();
    let note = format!(
        "{}; {}\nmedians of {rounds} rounds of {} operations per cell; tokio multi-thread {} \
         workers, smol on {} threads; a stalled cell is a cross at the foot of its panel\n{}",
        machine(),
        today(),
        round.ops,
        run_tokio::WORKERS,
        run_smol::WORKERS,
        args.command(),
    );
    let title = "Pool checkout throughput by concurrent tasks (higher is better)";
    pool_chart::write_svg(path, title, &note, &points)
}

/// The size of a round and the number of rounds: `--quick` runs in under two minutes, the full
/// benchmark in under ten on two cores.
fn plan(quick: bool) -> (Round, usize) {
    let (ops, rounds, limits) = if quick {
        let limits = Limits {
            quiet: Duration::from_secs(1),
            cap: Duration::from_secs(20),
        };
        (1 << 17, 3, limits)
    } else {
        let limits = Limits {
            quiet: Duration::from_secs(2),
            cap: Duration::from_secs(60),
        };
        (1 << 19, 5, limits)
    };
    let round = Round {
        ops,
        warmup_ops: ops / 8,
        limits,
    };
    (round, rounds)
}

fn print_header(quick: bool, round: Round, rounds: usize) {
    let title = if quick { " (quick)" } else { "" };
    println!("# Pool checkout throughput{title}\n");
    println!(
        "Median operations per second over {rounds} rounds; {} operations per cell and round \
         (after a warm-up of {}), split across the tasks. tokio: multi-thread runtime, {} \
         workers; smol: async-executor on {} threads. Peers: deadpool 0.13, bb8 0.9, mobc 0.9, \
         qp 0.2.1. A round with no progress for {:?} (or past {:?}) is `stalled`.\n",
        round.ops,
        round.warmup_ops,
        run_tokio::WORKERS,
        run_smol::WORKERS,
        round.limits.quiet,
        round.limits.cap,
    );
}

/// The tables, the stalls, and the ratio lines last.
fn print_report(results: &[CellResult], stalls: &[String], elapsed: Duration) {
    for mode in MODES {
        println!("## {}\n", mode.name());
        println!("{}", table(results.iter().filter(|r| r.cell.mode == mode)));
    }
    if !stalls.is_empty() {
        println!("Stalls:\n");
        for stall in stalls {
            println!("- {stall}");
        }
        println!();
    }
    println!(
        "Run time: {:.0} s; load average at the end: {} (the two cores may be shared).\n",
        elapsed.as_secs_f64(),
        load_average_or_unknown(),
    );
    println!(
        "Ratios over the get-and-drop cells: fusebox-tokio / fastest of deadpool, bb8, mobc; \
         fusebox-tokio / qp.\n"
    );
    let get_drop = || results.iter().filter(|r| r.cell.mode == Mode::GetDrop);
    let vs_best: Vec<f64> = get_drop().filter_map(CellResult::vs_best_peer).collect();
    let vs_qp: Vec<f64> = get_drop().filter_map(CellResult::vs_qp).collect();
    println!("{}", ratio_line("fusebox/best-peer", &vs_best));
    println!("{}", ratio_line("fusebox/qp", &vs_qp));
    println!(
        "\nRatio over the hold cells with more tasks than connections (where tasks wait): \
         fusebox-tokio / deadpool.\n"
    );
    let waiting: Vec<f64> = results
        .iter()
        .filter(|r| r.cell.mode == Mode::Hold && r.cell.tasks > r.cell.size)
        .filter_map(CellResult::vs_deadpool)
        .collect();
    println!(
        "{}",
        ratio_line("fusebox/deadpool (hold, waiting)", &waiting)
    );
}

/// Runs `rounds` rounds of `cell`, interleaving the contenders; a contender that stalls is not run
/// again in this cell. Returns the medians and a note per stall.
fn run_cell(cell: Cell, round: Round, rounds: usize) -> (CellResult, Vec<String>) {
    let mut samples: Vec<Vec<Result<f64, Stall>>> = vec![Vec::new(); CONTENDERS.len()];
    for _ in 0..rounds {
        for (who, samples) in CONTENDERS.iter().zip(&mut samples) {
            if samples.last().is_some_and(Result::is_err) {
                continue;
            }
            samples.push(who.run(cell, round));
        }
    }
    let mut stalls = Vec::new();
    for (who, samples) in CONTENDERS.iter().zip(&samples) {
        if let Some(Err(stall)) = samples.last() {
            stalls.push(format!(
                "{}, {}, size {}, {} tasks: {stall}",
                who.name(),
                cell.mode.name(),
                cell.size,
                cell.tasks,
            ));
        }
    }
    let rates: Vec<Rate> = samples.iter().map(|s| Rate::from_rounds(s)).collect();
    let line: Vec<String> = rates.iter().map(ToString::to_string).collect();
    eprintln!(
        "{} size {:>2} tasks {:>3}: {}",
        cell.mode.name(),
        cell.size,
        cell.tasks,
        line.join(" ")
    );
    (CellResult { cell, rates }, stalls)
}

/// The markdown table of one mode's cells.
fn table<'a>(results: impl Iterator<Item = &'a CellResult>) -> Table {
    let mut header = vec!["size", "tasks"];
    header.extend(CONTENDERS.map(Contender::name));
    header.extend(["fusebox/best-peer", "fusebox/qp"]);
    let mut table = Table::new(header);
    for result in results {
        let mut row = vec![result.cell.size.to_string(), result.cell.tasks.to_string()];
        row.extend(result.rates.iter().map(ToString::to_string));
        row.push(format_ratio(result.vs_best_peer()));
        row.push(format_ratio(result.vs_qp()));
        table.row(row);
    }
    table
}
