//! HTTP client throughput and latency: fusebox against hyper-util, reqwest, a new connection
//! per request and bare hyper over HTTP/1.1, and against hyper-util and reqwest over HTTP/2.
//!
//! Run with `cargo run --release -p fusebox-benches --features peers --bin http_compare
//! [-- --quick] [-- --svg PATH]`.
//!
//! # Setup
//!
//! A hyper HTTP/1.1 server listens on 127.0.0.1 (a free port), on a current-thread tokio runtime
//! in a thread of its own, with keep-alive and `TCP_NODELAY`; it answers `/small` with 100
//! bytes and `/big` with 1 MiB, and counts the connections it accepts (see
//! `fusebox_benches::http_server`). Against it, in turn, run (see
//! `fusebox_benches::http_clients`):
//!
//! - fusebox's `Client` and `FuseClient` (breaker closed throughout), on tokio and on smol,
//!   `max_per_host(8)`, every other setting at its default;
//! - hyper-util's pooled `legacy::Client` with its `HttpConnector` (`TCP_NODELAY` set, as
//!   fusebox and reqwest set it), `pool_max_idle_per_host(8)`, on tokio;
//! - reqwest without default features (no TLS, no HTTP/2, no system proxy),
//!   `pool_max_idle_per_host(8)`, on tokio;
//! - *unpooled*, the seed's "before": a new TCP connection per request, dialed by
//!   fusebox-tokio's `dial_hyper`, and a hyper HTTP/1.1 handshake (what fusebox's
//!   `Connector` does for each connection), one request, then closed; on tokio.
//! - *bare hyper*, the floor for fusebox on each runtime (one-task workloads only): hyper's
//!   `client::conn::http1` over one kept-alive TCP stream, no pool; on tokio over
//!   `tokio::net::TcpStream` through hyper-util's `TokioIo` (hyper reads into its own buffer),
//!   on smol over `smol::net::TcpStream` through smol-hyper's `FuturesIo`, as fusebox on smol.
//!
//! Over HTTPS, against a second port of the same server that serves the same routes over TLS
//! (rustls, ring provider; a certificate for 127.0.0.1 issued at startup by a certificate
//! authority made with rcgen), run:
//!
//! - fusebox's `Client` on tokio, as above, with a `TlsConfig` that trusts only that authority;
//! - *unpooled TLS*: as *unpooled*, with a TLS handshake between the dial and hyper's handshake
//!   (futures-rustls with the rustls config of that same `TlsConfig`, as fusebox's `Connector`
//!   runs it); the config is shared across requests, so rustls may resume TLS sessions, as any
//!   client reusing its TLS config would.
//!
//! Every client reads each response body whole into `Bytes`, and every response is checked
//! (status 200, body length).
//!
//! # Workloads
//!
//! - sequential `GET /small` from one task;
//! - 64 concurrent tasks, each `GET /small` in a loop: fusebox holds at most 8 connections;
//!   hyper-util and reqwest can only cap the idle ones, so they open as many as the tasks need
//!   (the table's connection column shows how many);
//! - sequential `GET /big` (1 MiB) from one task;
//! - sequential `GET /small` over HTTPS from one task (the HTTPS clients only).
//!
//! # Rounds
//!
//! A round of one client on one workload makes a fresh runtime (tokio with 2 workers, or an
//! async-executor run by 2 threads for smol) and a fresh client, warms up, then sends requests
//! for a fixed time, timing each one. Rounds interleave the clients (A B C .. A B C .., the
//! order rotated each round) and the table shows medians over rounds: requests per second, p50
//! and p99 latency, and connections the server accepted per client run (warm-up included).
//! Every round is capped in time: a hung request fails the round instead of the run.
//!
//! # The HTTP/2 workload
//!
//! 64 tasks, each `GET /small` in a loop, over one TLS origin: the workspace's test server
//! (`fusebox_testserver::H2Server`, hyper's server with hyper-util's auto builder, HTTP/1.1 and
//! HTTP/2 by ALPN, on a current-thread tokio runtime of its own thread), with a certificate for
//! 127.0.0.1 from a CA made at startup, which every client trusts and nothing else. It answers
//! `/small over HTTP/2.0` (or `HTTP/1.1`): each client checks the status, the version and that
//! body. The clients (see `fusebox_benches::http_clients::h2`), each on tokio with 2 workers:
//!
//! - fusebox's `Client` with feature `http2`, `max_per_host(8)` and `.tls(..)`, HTTP/2 over
//!   ALPN (its default): the pool hands out streams of one multiplexed connection;
//! - the same with `http2_over_alpn(false)`: HTTP/1.1 over TLS, at most 8 connections;
//! - hyper-util's legacy `Client` with `http2_only(true)` over hyper-rustls (ring, ALPN `h2`);
//! - reqwest with `http2` and `rustls-no-provider` (ring installed as the process default),
//!   `tls_certs_only`, ALPN `h2` and `http/1.1` (its default).
//!
//! Rounds as above, interleaved with the others. Its ratio lines: fusebox over HTTP/2 divided
//! by hyper-util over HTTP/2, by reqwest over HTTP/2 and by fusebox over HTTP/1.1, each as the
//! median of the per-round ratios.
//!
//! The output of the HTTP/1.1 workloads ends with three lines for the sequential small-body
//! workload on tokio: fusebox `Client`'s requests per second divided by hyper-util's, by reqwest's
//! and by the unpooled client's; then one line for the HTTPS workload: the pooled fusebox
//! `Client`'s requests per second divided by the unpooled TLS client's; and two for bare hyper:
//! fusebox `Client` on each runtime divided by bare hyper on the same runtime.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_benches::http_chart::{self, Panel};
use fusebox_benches::http_clients::h2::{H2Kind, H2Origin};
use fusebox_benches::http_clients::{Kind, Urls};
use fusebox_benches::http_run::{RoundResult, Timing, Workload, run_round};
use fusebox_benches::http_server::Server;
use fusebox_benches::machine::{load_average, machine, today};
use fusebox_benches::report::median;

mod h2;
mod h2_report;
mod report;
use report::print_report;

const USAGE: &str = "usage: http_compare [--quick] [--svg PATH] [--clients ID,..] \
                     [--workloads ID,..]\n\
                     clients: fusebox-tokio fuse-tokio bare-tokio fusebox-smol fuse-smol bare-smol \
                     hyper-util reqwest unpooled fusebox-https unpooled-https \
                     fusebox-h2 fusebox-h1 hyper-util-h2 reqwest-h2\n\
                     workloads: sequential concurrent big https https-big h2\n\
                     (the https workloads run only the -https clients, h2 only the -h2 and -h1 \
                     ones, the others only the rest)\n\
                     (--clients and --workloads run a subset, to profile one client)";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    quick: bool,
    svg: Option<PathBuf>,
    /// `--clients` and `--workloads` as given, for the command the report shows.
    clients_arg: Option<String>,
    workloads_arg: Option<String>,
    /// The clients of the HTTP/1.1 workloads to run.
    clients: Vec<Kind>,
    /// The clients of the HTTP/2 workload to run.
    h2_clients: Vec<H2Kind>,
    /// The HTTP/1.1 workloads to run.
    workloads: Vec<Workload>,
    /// Whether to run the HTTP/2 workload.
    h2: bool,
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
                "--clients" => {
                    args.clients_arg = Some(it.next().ok_or("--clients needs a list")?);
                }
                "--workloads" => {
                    args.workloads_arg = Some(it.next().ok_or("--workloads needs a list")?);
                }
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        let clients = args.clients_arg.as_deref();
        check_names(clients, |name| {
            Kind::ALL.iter().any(|k| k.id() == name) || H2Kind::ALL.iter().any(|k| k.id() == name)
        })?;
        args.clients = pick(clients, &Kind::ALL, |k| k.id());
        args.h2_clients = pick(clients, &H2Kind::ALL, |k| k.id());
        let workloads = args.workloads_arg.as_deref();
        check_names(workloads, |name| {
            name == h2::ID || Workload::ALL.iter().any(|w| w.id() == name)
        })?;
        args.workloads = pick(workloads, &Workload::ALL, |w| w.id());
        args.h2 = workloads.is_none_or(|list| list.split(',').any(|name| name == h2::ID));
        Ok(args)
    }
}

/// Fails on a name of the comma-separated `list` that is not `known`.
fn check_names(list: Option<&str>, known: impl Fn(&str) -> bool) -> Result<(), String> {
    match list
        .into_iter()
        .flat_map(|l| l.split(','))
        .find(|&n| !known(n))
    {
        Some(name) => Err(format!("unknown name `{name}`\n{USAGE}")),
        None => Ok(()),
    }
}

/// The items of `all` named in the comma-separated `list`, in `all`'s order; all of them
/// without a list.
fn pick<T: Copy>(list: Option<&str>, all: &[T], id: impl Fn(T) -> &'static str) -> Vec<T> {
    all.iter()
        .copied()
        .filter(|&t| list.is_none_or(|list| list.split(',').any(|name| id(t) == name)))
        .collect()
}

/// How much to measure.
#[derive(Clone, Copy, Debug)]
struct Plan {
    rounds: usize,
    timing: Timing,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        let (rounds, warm_up, measure) = if quick {
            (3, Duration::from_millis(150), Duration::from_millis(500))
        } else {
            (7, Duration::from_millis(300), Duration::from_millis(1500))
        };
        Plan {
            rounds,
            timing: Timing {
                warm_up,
                measure,
                // Far more than a round takes; only a hung request reaches it.
                cap: warm_up + measure + Duration::from_secs(15),
            },
        }
    }
}

/// The medians of one client on one workload.
#[derive(Clone, Debug)]
struct Cell {
    rate: Option<f64>,
    p50: Option<Duration>,
    p99: Option<Duration>,
    connections: Option<f64>,
    client_cpu: Option<Duration>,
    server_cpu: Option<Duration>,
    client_faults: Option<f64>,
    errors: u64,
    failed_rounds: usize,
    first_error: Option<String>,
}

impl Cell {
    fn from_rounds(rounds: &[Result<RoundResult, String>]) -> Cell {
        let ok: Vec<&RoundResult> = rounds.iter().filter_map(|r| r.as_ref().ok()).collect();
        let med =
            |f: &dyn Fn(&RoundResult) -> f64| median(&ok.iter().map(|r| f(r)).collect::<Vec<_>>());
        let med_cpu = |f: &dyn Fn(&RoundResult) -> Option<Duration>| {
            let secs: Option<Vec<f64>> = ok.iter().map(|r| f(r).map(|d| d.as_secs_f64())).collect();
            median(&secs?).map(Duration::from_secs_f64)
        };
        let first_error = rounds
            .iter()
            .find_map(|r| r.as_ref().err().cloned())
            .or_else(|| ok.iter().find_map(|r| r.first_error.clone()));
        Cell {
            rate: med(&|r| r.rate),
            p50: med(&|r| r.p50.as_secs_f64()).map(Duration::from_secs_f64),
            p99: med(&|r| r.p99.as_secs_f64()).map(Duration::from_secs_f64),
            connections: med(&|r| r.connections as f64),
            client_cpu: med_cpu(&|r| r.client_cpu),
            server_cpu: med_cpu(&|r| r.server_cpu),
            client_faults: {
                let faults: Option<Vec<f64>> = ok.iter().map(|r| r.client_faults).collect();
                faults.and_then(|f| median(&f))
            },
            errors: ok.iter().map(|r| r.errors).sum(),
            failed_rounds: rounds.len() - ok.len(),
            first_error,
        }
    }
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
            eprintln!("http_compare: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let plan = Plan::new(args.quick);
    let started = Instant::now();
    let server = Server::start().map_err(|e| format!("starting the server: {e}"))?;
    let urls = Arc::new(Urls::new(&server.base_url()));
    let https_urls = Arc::new(Urls::https(&server.https_base_url(), server.ca_der())?);
    let h2_origin = match args.h2 && !args.h2_clients.is_empty() {
        true => Some(Arc::new(H2Origin::start()?)),
        false => None,
    };

    let kinds = &args.clients;
    let workloads = &args.workloads;
    let mut h2_results: HashMap<H2Kind, Vec<Result<RoundResult, String>>> = HashMap::new();
    let mut results: HashMap<(Workload, Kind), Vec<Result<RoundResult, String>>> = HashMap::new();
    for round in 0..plan.rounds {
        for &workload in workloads {
            let kinds: Vec<Kind> = kinds
                .iter()
                .copied()
                .filter(|&k| workload.runs(k))
                .collect();
            let urls = if workload.is_https() {
                &https_urls
            } else {
                &urls
            };
            // Rotate the order each round, so that no client always follows the same one.
            let n = kinds.len();
            for i in 0..n {
                let kind = kinds[(i + round) % n];
                let result = run_round(kind, workload, &server, urls, plan.timing);
                if let Err(e) = &result {
                    eprintln!("round {}: {kind}, {}: {e}", round + 1, workload.name());
                }
                results.entry((workload, kind)).or_default().push(result);
            }
        }
        if let Some(origin) = &h2_origin {
            let kinds = &args.h2_clients;
            for i in 0..kinds.len() {
                let kind = kinds[(i + round) % kinds.len()];
                let result = h2::run_round(kind, origin, plan.timing);
                if let Err(e) = &result {
                    eprintln!("round {}: {kind}, {}: {e}", round + 1, h2::NAME);
                }
                h2_results.entry(kind).or_default().push(result);
            }
        }
        eprintln!(
            "round {}/{} done ({:.1} s)",
            round + 1,
            plan.rounds,
            started.elapsed().as_secs_f64()
        );
    }
    drop(server);
    drop(h2_origin);

    let cells: HashMap<(Workload, Kind), Cell> = results
        .iter()
        .map(|(&key, rounds)| (key, Cell::from_rounds(rounds)))
        .collect();
    let h2_cells: HashMap<H2Kind, Cell> = h2_results
        .iter()
        .map(|(&kind, rounds)| (kind, Cell::from_rounds(rounds)))
        .collect();
    print_report(
        args,
        plan,
        &cells,
        &results,
        started.elapsed().as_secs_f64(),
    );
    h2_report::print_h2_report(&h2_cells, &h2_results);

    if let Some(path) = &args.svg {
        let panels: Vec<Panel> = workloads
            .iter()
            .map(|&workload| Panel {
                title: workload.name().to_owned(),
                bars: kinds
                    .iter()
                    .filter(|&&kind| workload.runs(kind))
                    .map(|&kind| (kind, cells.get(&(workload, kind)).and_then(|c| c.rate)))
                    .collect(),
            })
            .collect();
        let load = load_average().map_or_else(String::new, |l| format!(", load {l}"));
        let note = format!(
            "{}{load}; medians of {} rounds of {:.1} s; {}",
            machine(),
            plan.rounds,
            plan.timing.measure.as_secs_f64(),
            today()
        );
        let title = "HTTP/1.1 clients on 127.0.0.1: requests per second";
        http_chart::write_svg(path, title, &note, &panels)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        eprintln!("chart written to {}", path.display());
    }
    Ok(())
}
