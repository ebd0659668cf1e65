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
//! `fusebox_benches::recovery_real`); the burst on real time only. It prints markdown tables (see
//! `fusebox_benches::recovery_report`) and ends with two lines:
//! `probe-rate 1/10/100 clients: A/B/C per s` and
//! `recovery: X ms vs success_threshold x probe_interval = Y ms` (real time).
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::time::Instant;

use fusebox_benches::recovery_manual::{self, ManualFigures};
use fusebox_benches::recovery_plan::{CLIENT_COUNTS, Plan};
use fusebox_benches::recovery_real::{self, RealFigures};
use fusebox_benches::recovery_report;

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
            recovery_report::print(quick, &plan, &manual, &real, started.elapsed());
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
