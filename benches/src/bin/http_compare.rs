//! HTTP/1.1 client throughput and latency: fusebox against hyper-util, reqwest and a new
//! connection per request.
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
//!   fusebox-tokio, through fusebox's `HyperIo` and a hyper HTTP/1.1 handshake (what fusebox's
//!   `Connector` does for each connection), one request, then closed; on tokio.
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
//! The output ends with three lines for the sequential small-body workload on tokio: fusebox
//! `Client`'s requests per second divided by hyper-util's, by reqwest's and by the unpooled
//! client's; then one line for the HTTPS workload: the pooled fusebox `Client`'s requests per
//! second divided by the unpooled TLS client's.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_benches::http_chart::{self, Panel};
use fusebox_benches::http_clients::{Kind, MAX_PER_HOST, Urls};
use fusebox_benches::http_run::{RoundResult, Timing, Workload, run_round};
use fusebox_benches::http_server::Server;
use fusebox_benches::machine::{load_average, machine, today};
use fusebox_benches::report::{Table, median};

const USAGE: &str = "usage: http_compare [--quick] [--svg PATH] [--clients ID,..] \
                     [--workloads ID,..]\n\
                     clients: fusebox-tokio fuse-tokio fusebox-smol fuse-smol hyper-util reqwest \
                     unpooled fusebox-https unpooled-https\n\
                     workloads: sequential concurrent big https\n\
                     (the https workload runs only the -https clients, the others only the rest)\n\
                     (--clients and --workloads run a subset, to profile one client)";

/// The command line.
#[derive(Debug, Default)]
struct Args {
    quick: bool,
    svg: Option<PathBuf>,
    /// The clients to run; all when empty.
    clients: Vec<Kind>,
    /// The workloads to run; all when empty.
    workloads: Vec<Workload>,
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
                    let list = it.next().ok_or("--clients needs a list")?;
                    args.clients = pick(&list, &Kind::ALL, |k| k.id())?;
                }
                "--workloads" => {
                    let list = it.next().ok_or("--workloads needs a list")?;
                    args.workloads = pick(&list, &Workload::ALL, |w| w.id())?;
                }
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
            }
        }
        Ok(args)
    }
}

/// The items of `all` named in the comma-separated `list`, in `all`'s order.
fn pick<T: Copy>(list: &str, all: &[T], id: impl Fn(T) -> &'static str) -> Result<Vec<T>, String> {
    for name in list.split(',') {
        if !all.iter().any(|&t| id(t) == name) {
            return Err(format!("unknown name `{name}`\n{USAGE}"));
        }
    }
    Ok(all
        .iter()
        .copied()
        .filter(|&t| list.split(',').any(|name| id(t) == name))
        .collect())
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

    let kinds = if args.clients.is_empty() {
        Kind::ALL.to_vec()
    } else {
        args.clients.clone()
    };
    let workloads = if args.workloads.is_empty() {
        Workload::ALL.to_vec()
    } else {
        args.workloads.clone()
    };
    let mut results: HashMap<(Workload, Kind), Vec<Result<RoundResult, String>>> = HashMap::new();
    for round in 0..plan.rounds {
        for &workload in &workloads {
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
        eprintln!(
            "round {}/{} done ({:.1} s)",
            round + 1,
            plan.rounds,
            started.elapsed().as_secs_f64()
        );
    }
    drop(server);

    let cells: HashMap<(Workload, Kind), Cell> = results
        .iter()
        .map(|(&key, rounds)| (key, Cell::from_rounds(rounds)))
        .collect();
    print_report(
        args,
        plan,
        &cells,
        &results,
        started.elapsed().as_secs_f64(),
    );

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

fn print_report(
    args: &Args,
    plan: Plan,
    cells: &HashMap<(Workload, Kind), Cell>,
    results: &HashMap<(Workload, Kind), Vec<Result<RoundResult, String>>>,
    seconds: f64,
) {
    let mut flags = String::new();
    if args.quick {
        flags.push_str(" --quick");
    }
    if let Some(path) = &args.svg {
        flags.push_str(&format!(" --svg {}", path.display()));
    }
    if !args.clients.is_empty() {
        let ids: Vec<&str> = args.clients.iter().map(|k| k.id()).collect();
        flags.push_str(&format!(" --clients {}", ids.join(",")));
    }
    if !args.workloads.is_empty() {
        let ids: Vec<&str> = args.workloads.iter().map(|w| w.id()).collect();
        flags.push_str(&format!(" --workloads {}", ids.join(",")));
    }
    let command = match flags.is_empty() {
        true => {
            "cargo run --release -p fusebox-benches --features peers --bin http_compare".to_owned()
        }
        false => format!(
            "cargo run --release -p fusebox-benches --features peers --bin http_compare --{flags}"
        ),
    };
    println!("# HTTP/1.1 clients: fusebox, hyper-util, reqwest, a new connection per request\n");
    println!("- command: `{command}`");
    println!("- machine: {}", machine());
    if let Some(load) = load_average() {
        println!(
            "- load average when done (1, 5, 15 min): {load}; other processes share the cores, \
             so the figures are noisy: compare within a run"
        );
    }
    println!("- date: {}", today());
    println!(
        "- {} rounds per client and workload, each {:.2} s warm-up + {:.2} s measured on a fresh \
         runtime and client, clients interleaved (order rotated each round); medians over \
         rounds; {seconds:.0} s in all",
        plan.rounds,
        plan.timing.warm_up.as_secs_f64(),
        plan.timing.measure.as_secs_f64()
    );
    println!(
        "- server: hyper HTTP/1.1 on 127.0.0.1, a current-thread tokio runtime in its own \
         thread, keep-alive, TCP_NODELAY; clients: tokio multi-thread runtime with 2 workers, or \
         async-executor on 2 threads for smol; every body read whole into `Bytes` and checked"
    );
    println!(
        "- fusebox: `Client::builder().runtime(rt).max_per_host({MAX_PER_HOST})`, other settings \
         at their defaults (a 30 s request timeout is always armed); `FuseClient`: default \
         breaker, closed throughout"
    );
    println!(
        "- hyper-util `legacy::Client` + `HttpConnector` (`set_nodelay(true)`) and reqwest \
         (`default-features = false`, `no_proxy()`): `pool_max_idle_per_host({MAX_PER_HOST})`, \
         which caps idle connections only, not open ones: with 64 tasks they open as many as \
         they need (connections column); neither has a request timeout by default"
    );
    println!(
        "- unpooled (the seed's \"before\"): per request, fusebox-tokio's dialer, fusebox's \
         `HyperIo` and a raw hyper HTTP/1.1 handshake (what fusebox's `Connector` does per \
         connection, without the pool), one request, then the connection is dropped"
    );
    println!(
        "- HTTPS: the same server on a second port, over TLS (rustls, ring provider, TLS 1.3 \
         negotiated, ALPN http/1.1), with a certificate for 127.0.0.1 issued at startup by a \
         CA made with rcgen; fusebox `Client` as above plus `.tls(..)` trusting only that CA; \
         unpooled TLS: as unpooled, plus a futures-rustls handshake with the same rustls config \
         per request (shared, so rustls may resume sessions, as a client reusing its config \
         would)"
    );
    println!(
        "- client CPU/req: CPU time of the client runtime's threads (and of the main thread, \
         which waits for the tasks; for smol also async-io's reactor thread) per request of the \
         measured run, from /proc/self/task/*/schedstat; it depends far less on the load of the \
         machine than req/s and latency do. server CPU/req: the same for the server's thread. \
         client page faults/req: minor faults of the same client threads (first touches of \
         memory the allocator took from the kernel; each costs microseconds, and with 1 MiB \
         bodies they vary with glibc malloc's state from round to round)"
    );
    println!(
        "- connections opened: accepts counted at the server per client run (warm-up \
         included), median over rounds\n"
    );

    let mut table = Table::new([
        "workload",
        "client",
        "req/s",
        "vs fusebox Client (tokio)",
        "p50",
        "p99",
        "client CPU/req",
        "server CPU/req",
        "client page faults/req",
        "connections opened",
        "errors",
    ]);
    for workload in Workload::ALL {
        let reference = cells
            .get(&(workload, workload.reference()))
            .and_then(|c| c.rate);
        for kind in Kind::ALL {
            let Some(cell) = cells.get(&(workload, kind)) else {
                continue;
            };
            let relative = match (cell.rate, reference) {
                (Some(rate), Some(reference)) if reference > 0.0 => {
                    format!("{:.2}", rate / reference)
                }
                _ => "-".to_owned(),
            };
            let errors = match cell.failed_rounds {
                0 => cell.errors.to_string(),
                failed => format!("{} ({failed} rounds failed)", cell.errors),
            };
            table.row([
                workload.name().to_owned(),
                kind.name().to_owned(),
                cell.rate
                    .map_or_else(|| "failed".to_owned(), |r| format!("{r:.0}")),
                relative,
                format_latency(cell.p50),
                format_latency(cell.p99),
                format_latency(cell.client_cpu),
                format_latency(cell.server_cpu),
                cell.client_faults
                    .map_or_else(|| "-".to_owned(), |f| format!("{f:.1}")),
                cell.connections
                    .map_or_else(|| "-".to_owned(), |c| format!("{c:.0}")),
                errors,
            ]);
        }
    }
    println!("{table}");

    let errors: Vec<String> = Workload::ALL
        .iter()
        .flat_map(|&w| Kind::ALL.iter().map(move |&k| (w, k)))
        .filter_map(|key| {
            let cell = cells.get(&key)?;
            let e = cell.first_error.as_ref()?;
            Some(format!("- {}, {}: {e}", key.1, key.0.name()))
        })
        .collect();
    if !errors.is_empty() {
        println!("First error of each client that had any:\n");
        for e in &errors {
            println!("{e}");
        }
        println!();
    }

    let sequential = |kind: Kind| {
        cells
            .get(&(Workload::Sequential, kind))
            .and_then(|c| c.rate)
    };
    let ours = sequential(Kind::FuseboxTokio);
    let peers = [
        ("hyper-util", Kind::HyperUtil),
        ("reqwest", Kind::Reqwest),
        ("unpooled", Kind::Unpooled),
    ];
    println!(
        "Sequential 100 B on tokio, fusebox Client against each peer: requests per second, ours \
         divided by theirs, as the ratio of the medians and as the median of the per-round \
         ratios (each pairs two neighbouring runs); and client CPU per request, theirs divided \
         by ours (above 1: fusebox uses less):\n"
    );
    let cpu = |kind: Kind| {
        cells
            .get(&(Workload::Sequential, kind))
            .and_then(|c| c.client_cpu)
            .map(|d| d.as_secs_f64())
    };
    for (name, kind) in peers {
        let paired = paired_ratio(results, Kind::FuseboxTokio, kind);
        println!(
            "- fusebox/{name}: ratio of medians {}, median of per-round ratios {}; CPU per \
             request {name}/fusebox {}",
            format_ratio(ours, sequential(kind)),
            paired.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}")),
            format_ratio(cpu(kind), cpu(Kind::FuseboxTokio))
        );
    }
    println!();
    for (name, kind) in peers {
        println!("fusebox/{name}: {}", format_ratio(ours, sequential(kind)));
    }
    let https = |kind: Kind| cells.get(&(Workload::Https, kind)).and_then(|c| c.rate);
    println!(
        "fusebox-https/unpooled-https: {}",
        format_ratio(https(Kind::FuseboxHttps), https(Kind::UnpooledHttps))
    );
}

/// The median over rounds of `ours / theirs` in the sequential workload, rounds paired by index.
fn paired_ratio(
    results: &HashMap<(Workload, Kind), Vec<Result<RoundResult, String>>>,
    ours: Kind,
    theirs: Kind,
) -> Option<f64> {
    let ours = results.get(&(Workload::Sequential, ours))?;
    let theirs = results.get(&(Workload::Sequential, theirs))?;
    let ratios: Vec<f64> = ours
        .iter()
        .zip(theirs)
        .filter_map(|(a, b)| {
            let (a, b) = (a.as_ref().ok()?, b.as_ref().ok()?);
            (b.rate > 0.0).then(|| a.rate / b.rate)
        })
        .collect();
    median(&ratios)
}

/// `ours / theirs` with two decimals, `n/a` when either is missing.
fn format_ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    }
}

/// A duration in µs below a millisecond (one decimal below 10 µs), else in ms.
fn format_latency(latency: Option<Duration>) -> String {
    match latency {
        None => "-".to_owned(),
        Some(d) if d < Duration::from_micros(10) => format!("{:.1} µs", d.as_secs_f64() * 1e6),
        Some(d) if d < Duration::from_millis(1) => format!("{:.0} µs", d.as_secs_f64() * 1e6),
        Some(d) => format!("{:.2} ms", d.as_secs_f64() * 1e3),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_and_latencies_format() {
        assert_eq!(format_ratio(Some(3.0), Some(2.0)), "1.50");
        assert_eq!(format_ratio(None, Some(2.0)), "n/a");
        assert_eq!(format_latency(Some(Duration::from_micros(52))), "52 µs");
        assert_eq!(format_latency(Some(Duration::from_micros(1500))), "1.50 ms");
    }
}
