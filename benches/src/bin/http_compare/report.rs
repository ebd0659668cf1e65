//! The report `http_compare` prints: the tables, the ratios against the peers, and the lines
//! the README quotes.

use fusebox_benches::http_clients::{Kind, MAX_PER_HOST};
use fusebox_benches::http_run::{RoundResult, Workload};
use fusebox_benches::machine::{load_average, machine, today};
use fusebox_benches::report::{Table, median};
use std::collections::HashMap;
use std::time::Duration;

use super::{Args, Cell, Plan};

pub(super) fn print_report(
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
    if let Some(list) = &args.clients_arg {
        flags.push_str(&format!(" --clients {list}"));
    }
    if let Some(list) = &args.workloads_arg {
        flags.push_str(&format!(" --workloads {list}"));
    }
    let command = match flags.is_empty() {
        true => {
            "cargo run --release -p fusebox-benches --features peers --bin http_compare".to_owned()
        }
        false => format!(
            "cargo run --release -p fusebox-benches --features peers --bin http_compare --{flags}"
        ),
    };
    println!(
        "# HTTP clients: fusebox, hyper-util, reqwest, a new connection per request, bare hyper \
         (HTTP/1.1); fusebox, hyper-util, reqwest (HTTP/2)\n"
    );
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
    if cells.is_empty() {
        // Only the HTTP/2 workload ran; its report follows.
        return;
    }
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
         (`default-features = false`, `no_proxy()`; features `http2` and `rustls-no-provider` \
         for the HTTP/2 workload, so over plain HTTP too its connector is hyper-rustls's, which \
         passes plain connections through): \
         `pool_max_idle_per_host({MAX_PER_HOST})`, \
         which caps idle connections only, not open ones: with 64 tasks they open as many as \
         they need (connections column); neither has a request timeout by default"
    );
    println!(
        "- unpooled (the seed's \"before\"): per request, fusebox-tokio's `dial_hyper` \
         (hyper-util's `TokioIo`) and a raw hyper HTTP/1.1 handshake (what fusebox's `Connector` does per \
         connection, without the pool), one request, then the connection is dropped"
    );
    println!(
        "- bare hyper: hyper's `client::conn::http1` over one kept-alive TCP stream \
         (`TCP_NODELAY`), no pool and no timeout, one-task workloads only: what the runtime and \
         hyper allow without fusebox; on tokio a `tokio::net::TcpStream` through hyper-util's \
         `TokioIo` (hyper reads into its own buffer), its driver on `tokio::spawn`; on smol a \
         `smol::net::TcpStream` through smol-hyper's `FuturesIo`, as fusebox on smol reads, its \
         driver on the same executor"
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

    let rate = |workload: Workload, kind: Kind| cells.get(&(workload, kind)).and_then(|c| c.rate);
    let tokio_peers = [
        ("hyper-util", Kind::HyperUtil),
        ("reqwest", Kind::Reqwest),
        ("unpooled", Kind::Unpooled),
    ];
    // (workload, ours, theirs' name, theirs): every pair the detailed lines compare.
    let mut pairs: Vec<(Workload, Kind, &str, Kind)> = tokio_peers
        .iter()
        .map(|&(name, kind)| (Workload::Sequential, Kind::FuseboxTokio, name, kind))
        .collect();
    let bare = "bare hyper";
    pairs.extend([
        (
            Workload::Sequential,
            Kind::FuseboxTokio,
            bare,
            Kind::BareTokio,
        ),
        (
            Workload::Sequential,
            Kind::FuseboxSmol,
            bare,
            Kind::BareSmol,
        ),
        (
            Workload::Big,
            Kind::FuseboxTokio,
            "hyper-util",
            Kind::HyperUtil,
        ),
        (Workload::Big, Kind::FuseboxTokio, bare, Kind::BareTokio),
        (Workload::Big, Kind::FuseboxSmol, bare, Kind::BareSmol),
    ]);
    println!(
        "fusebox Client against each peer on the same runtime (bare hyper on both, the others on \
         tokio): requests per second, ours divided by theirs, as the ratio of the medians and as \
         the median of the per-round ratios (each pairs two neighbouring runs); and client CPU \
         per request, theirs divided by ours (above 1: fusebox uses less):\n"
    );
    let cpu = |workload: Workload, kind: Kind| {
        cells
            .get(&(workload, kind))
            .and_then(|c| c.client_cpu)
            .map(|d| d.as_secs_f64())
    };
    for (workload, ours, name, theirs) in pairs {
        if !cells.contains_key(&(workload, ours)) || !cells.contains_key(&(workload, theirs)) {
            continue;
        }
        let paired = paired_ratio(results, workload, ours, theirs);
        println!(
            "- {}, {}/{name}: ratio of medians {}, median of per-round ratios {}; CPU per \
             request {name}/fusebox {}",
            workload.name(),
            ours.name(),
            format_ratio(rate(workload, ours), rate(workload, theirs)),
            paired.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}")),
            format_ratio(cpu(workload, theirs), cpu(workload, ours))
        );
    }
    println!();
    let sequential = |kind: Kind| rate(Workload::Sequential, kind);
    for (name, kind) in tokio_peers {
        println!(
            "fusebox/{name}: {}",
            format_ratio(sequential(Kind::FuseboxTokio), sequential(kind))
        );
    }
    println!(
        "fusebox-https/unpooled-https: {}",
        format_ratio(
            rate(Workload::Https, Kind::FuseboxHttps),
            rate(Workload::Https, Kind::UnpooledHttps)
        )
    );
    println!(
        "fusebox-tokio/bare-hyper-tokio: {}",
        format_ratio(sequential(Kind::FuseboxTokio), sequential(Kind::BareTokio))
    );
    println!(
        "fusebox-smol/bare-hyper-smol: {}",
        format_ratio(sequential(Kind::FuseboxSmol), sequential(Kind::BareSmol))
    );
}

/// The median over rounds of `ours / theirs` in `workload`, rounds paired by index.
fn paired_ratio(
    results: &HashMap<(Workload, Kind), Vec<Result<RoundResult, String>>>,
    workload: Workload,
    ours: Kind,
    theirs: Kind,
) -> Option<f64> {
    let ours = results.get(&(workload, ours))?;
    let theirs = results.get(&(workload, theirs))?;
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
pub(super) fn format_ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "n/a".to_owned(),
    }
}

/// A duration in µs below a millisecond (one decimal below 10 µs), else in ms.
pub(super) fn format_latency(latency: Option<Duration>) -> String {
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
