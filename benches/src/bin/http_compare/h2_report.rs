//! The HTTP/2 workload's part of the report: its setup, its table and its ratio lines.

use std::collections::HashMap;

use fusebox_benches::http_clients::MAX_PER_HOST;
use fusebox_benches::http_clients::h2::H2Kind;
use fusebox_benches::http_run::{CONCURRENT_TASKS, RoundResult};
use fusebox_benches::report::{Table, median};

use super::Cell;
use super::report::{format_latency, format_ratio};

type Rounds = HashMap<H2Kind, Vec<Result<RoundResult, String>>>;

/// Prints the HTTP/2 workload's section; nothing when it did not run.
pub(super) fn print_h2_report(cells: &HashMap<H2Kind, Cell>, results: &Rounds) {
    if cells.is_empty() {
        return;
    }
    println!("\n## HTTP/2: {}\n", super::h2::NAME);
    println!(
        "- {CONCURRENT_TASKS} tasks, each `GET /small` in a loop, to one origin over TLS; rounds \
         as above, interleaved with the other workloads' (order rotated each round)"
    );
    println!(
        "- server: the workspace's test server (`fusebox_testserver::H2Server`: hyper's server \
         through hyper-util's auto builder, HTTP/1.1 and HTTP/2, hyper's default stream limit \
         of 200) on 127.0.0.1, a current-thread tokio runtime in its own thread, TLS with \
         rustls (ring), ALPN `h2` then `http/1.1`, a certificate for 127.0.0.1 from a CA made \
         at startup; it answers `/small over HTTP/2.0` (or `HTTP/1.1`), and every client \
         checks status, version and body"
    );
    println!(
        "- fusebox: `Client::builder().runtime(rt).max_per_host({MAX_PER_HOST}).tls(..)` with \
         feature `http2`, HTTP/2 over ALPN (its default), so the pool hands out streams of one \
         connection; over HTTP/1.1 the same with `http2_over_alpn(false)`, so at most \
         {MAX_PER_HOST} connections"
    );
    println!(
        "- hyper-util: `legacy::Client` with `http2_only(true)`, \
         `pool_max_idle_per_host({MAX_PER_HOST})`, over hyper-rustls 0.27 \
         (`HttpsConnectorBuilder::with_tls_config(..).https_only().enable_http2()`, ring, \
         wrapping an `HttpConnector` with `TCP_NODELAY`)"
    );
    println!(
        "- reqwest: features `http2` and `rustls-no-provider` (ring installed as the process's \
         default provider), `tls_certs_only([ca])`, `no_proxy()`, \
         `pool_max_idle_per_host({MAX_PER_HOST})`; ALPN offers `h2` and `http/1.1` (its \
         default)"
    );
    println!(
        "- every client trusts only the bench's CA; client and server CPU per request as \
         above\n"
    );

    let reference = cells.get(&H2Kind::FuseboxH2).and_then(|c| c.rate);
    let mut table = Table::new([
        "workload",
        "client",
        "req/s",
        "vs fusebox HTTP/2",
        "p50",
        "p99",
        "client CPU/req",
        "server CPU/req",
        "connections opened",
        "errors",
    ]);
    for kind in H2Kind::ALL {
        let Some(cell) = cells.get(&kind) else {
            continue;
        };
        let errors = match cell.failed_rounds {
            0 => cell.errors.to_string(),
            failed => format!("{} ({failed} rounds failed)", cell.errors),
        };
        table.row([
            super::h2::NAME.to_owned(),
            kind.name().to_owned(),
            cell.rate
                .map_or_else(|| "failed".to_owned(), |r| format!("{r:.0}")),
            format_ratio(cell.rate, reference),
            format_latency(cell.p50),
            format_latency(cell.p99),
            format_latency(cell.client_cpu),
            format_latency(cell.server_cpu),
            cell.connections
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.0}")),
            errors,
        ]);
    }
    println!("{table}");
    for kind in H2Kind::ALL {
        if let Some(e) = cells.get(&kind).and_then(|c| c.first_error.as_ref()) {
            println!("- first error of {kind}: {e}");
        }
    }

    println!(
        "fusebox over HTTP/2 against each: requests per second, ours divided by theirs, as the \
         median of the per-round ratios (each pairs runs of the same round) and as the ratio \
         of the medians; and client CPU per request, theirs divided by ours (above 1: fusebox \
         uses less):\n"
    );
    let cpu = |kind: H2Kind| {
        cells
            .get(&kind)
            .and_then(|c| c.client_cpu)
            .map(|d| d.as_secs_f64())
    };
    let rate = |kind: H2Kind| cells.get(&kind).and_then(|c| c.rate);
    let ours = H2Kind::FuseboxH2;
    for theirs in [H2Kind::HyperUtilH2, H2Kind::ReqwestH2, H2Kind::FuseboxH1] {
        if !cells.contains_key(&ours) || !cells.contains_key(&theirs) {
            continue;
        }
        let paired = paired_ratio(results, ours, theirs);
        println!(
            "{}/{}: {} (median of per-round ratios; ratio of medians {}); CPU per request \
             {}/{} {}",
            ours.id(),
            theirs.id(),
            paired.map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}")),
            format_ratio(rate(ours), rate(theirs)),
            theirs.id(),
            ours.id(),
            format_ratio(cpu(theirs), cpu(ours)),
        );
    }
}

/// The median over rounds of `ours / theirs`, rounds paired by index.
fn paired_ratio(results: &Rounds, ours: H2Kind, theirs: H2Kind) -> Option<f64> {
    let ratios: Vec<f64> = results
        .get(&ours)?
        .iter()
        .zip(results.get(&theirs)?)
        .filter_map(|(a, b)| {
            let (a, b) = (a.as_ref().ok()?, b.as_ref().ok()?);
            (b.rate > 0.0).then(|| a.rate / b.rate)
        })
        .collect();
    median(&ratios)
}
