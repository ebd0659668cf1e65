//! The fusebox demo: four `FuseClient`s share one connection pool and one `RecoveryGroup` while
//! an embedded server goes healthy, failing (5xx), slow, and healthy again.
//!
//! ```sh
//! cargo run --release -p fusebox-http --example demo                    # on tokio
//! cargo run --release -p fusebox-http --example demo -- --runtime smol   # on smol
//! ```
//!
//! It prints a timeline (phases, trips, every probe of the one recovery task, the recovery),
//! tables by phase and by client, and ends with a `summary:` line. It exits non-zero when
//! something is off, e.g. no recovery within the time budget.
#![forbid(unsafe_code)]

#[path = "demo/clients.rs"]
mod clients;
#[path = "demo/server.rs"]
mod server;
#[path = "demo/timeline.rs"]
mod timeline;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use fusebox_core::breaker::{BreakerConfig, TripCause};
use fusebox_core::rt::Runtime;
use fusebox_http::{Client, FuseClient};
use fusebox_smol::SmolRuntime;
use fusebox_tokio::TokioRuntime;

use clients::drive;
use server::{Phase, Server};
use timeline::{Probes, Tally, Timeline, reason};

/// The service clients; each sends `GET /<name>/<n>`.
const CLIENTS: [&str; 4] = ["users", "orders", "billing", "search"];
/// How long the healthy, failing and slow phases last; "healthy again" lasts until the recovery
/// and [`AFTER_RECOVERY`] more.
const PHASE_LEN: [Duration; 3] = [
    Duration::from_millis(1000),
    Duration::from_millis(1500),
    Duration::from_millis(1500),
];
const AFTER_RECOVERY: Duration = Duration::from_millis(1000);
/// How long after the service is healthy again the recovery may take before the demo fails.
const RECOVERY_BUDGET: Duration = Duration::from_secs(8);
/// How often the driver looks at the breakers, the counters and the server's log.
const TICK: Duration = Duration::from_millis(5);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => "tokio",
        ["--runtime", name @ ("tokio" | "smol")] => name,
        _ => {
            eprintln!("usage: demo [--runtime tokio|smol]");
            return ExitCode::from(2);
        }
    };
    let result = if runtime == "tokio" {
        let tokio = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let rt = TokioRuntime::from_handle(tokio.handle().clone());
        tokio.block_on(demo(rt, runtime))
    } else {
        smol::block_on(demo(SmolRuntime::new(), runtime))
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("demo failed: {problem}");
            ExitCode::FAILURE
        }
    }
}

/// Sleeps for `d` on the runtime's clock.
pub(crate) async fn sleep<R: Runtime>(rt: &R, d: Duration) {
    rt.sleep_until(rt.now() + d).await;
}

async fn demo<R: Runtime>(rt: R, runtime: &str) -> Result<(), String> {
    let (server, hits) = Server::start().map_err(|e| format!("cannot start the server: {e}"))?;
    let config = BreakerConfig::builder()
        .failure_threshold(3)
        .success_threshold(2)
        .probe_interval(Duration::from_millis(200))
        .probe_retries(1)
        .max_backoff(Duration::from_millis(600))
        .jitter(0.25)
        .max_delay(Duration::from_millis(100))
        .build()
        .map_err(|e| e.to_string())?;
    let client = Client::builder()
        .runtime(rt.clone())
        .max_per_host(8)
        .connect_timeout(Duration::from_secs(1))
        .request_timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let group = client.recovery_group(config.clone());
    let fuses = CLIENTS
        .iter()
        .map(|name| {
            FuseClient::builder(client.clone(), &format!("{}/{name}", server.url()))
                .health_path("/health")
                .recovery_group(group.clone())
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;

    timeline::header(runtime, &CLIENTS, &server.url(), &config);

    let tally = Arc::new(Tally::new(CLIENTS.len()));
    let stop = Arc::new(AtomicBool::new(false));
    let live = Arc::new(AtomicUsize::new(CLIENTS.len()));
    let t0 = rt.now();
    let mut timeline = Timeline::new(t0);
    let mut phase = Phase::Healthy;
    let mut starts = vec![(t0, server.accepted())];
    timeline.event(t0, "phase 1", phase.name(), &phase.describe());
    timeline.flush();
    for (i, fuse) in fuses.iter().enumerate() {
        let task = drive(rt.clone(), fuse.clone(), i, tally.clone(), stop.clone());
        let live = live.clone();
        rt.spawn(Box::pin(async move {
            task.await;
            live.fetch_sub(1, SeqCst);
        }));
    }

    let mut probes = Probes::new(config.clone());
    let mut open = [false; CLIENTS.len()];
    let mut trips = [0u64; CLIENTS.len()];
    let (mut tasks_seen, mut recoveries_seen) = (0, 0);
    let mut recovered_at: Option<Instant> = None;
    let mut problems = Vec::new();
    loop {
        sleep(&rt, TICK).await;
        let now = rt.now();
        let phase_start = starts.last().map_or(t0, |s| s.0);

        // The server's phases, on this timeline.
        if let Some(&len) = PHASE_LEN.get(phase.index())
            && now.saturating_duration_since(phase_start) >= len
        {
            phase = Phase::ALL[phase.index() + 1];
            server.set_phase(phase);
            tally.set_phase(phase);
            starts.push((now, server.accepted()));
            let what = format!("phase {}", phase.index() + 1);
            timeline.event(now, &what, phase.name(), &phase.describe());
        }

        // Every probe of the recovery task, as the server saw it.
        while let Ok(hit) = hits.try_recv() {
            probes.record(&hit, &mut timeline);
        }

        // The recovery closes every tripped client of the group at once.
        let recoveries = group.stats().recoveries;
        if recoveries > recoveries_seen {
            recoveries_seen = recoveries;
            recovered_at = Some(now);
            let closed: Vec<&str> = (0..CLIENTS.len())
                .filter(|&i| open[i] && fuses[i].state().is_closed())
                .map(|i| CLIENTS[i])
                .collect();
            for (i, fuse) in fuses.iter().enumerate() {
                open[i] &= !fuse.state().is_closed();
            }
            let detail = format!(
                "recovery task #{tasks_seen} done after {} probes; {} close",
                group.stats().probes_sent,
                closed.join(", ")
            );
            timeline.event(now, "recovered", "group", &detail);
        }

        // Trips, oldest first: the first starts the group's one recovery task, the rest join it.
        let mut tripped = Vec::new();
        for (i, fuse) in fuses.iter().enumerate() {
            match fuse.state().trip() {
                Some(trip) if !open[i] => {
                    open[i] = true;
                    trips[i] += 1;
                    tripped.push((*trip, i));
                }
                Some(_) => {}
                None => open[i] = false,
            }
        }
        tripped.sort_by_key(|(trip, _)| trip.since);
        for (trip, i) in tripped {
            let tasks = group.stats().recovery_tasks_started;
            let role = if tasks > tasks_seen {
                tasks_seen = tasks;
                format!("starts recovery task #{tasks}")
            } else {
                format!("joins recovery task #{tasks_seen}")
            };
            let why = reason(&trip.reason);
            let detail = match trip.cause {
                TripCause::ConsecutiveFailures { failures } => {
                    format!("{failures} failures, last: {why}; {role}")
                }
                TripCause::Probation => format!("failed on probation: {why}; {role}"),
                _ => format!("{why}; {role}"),
            };
            timeline.event(trip.since, "trip", CLIENTS[i], &detail);
        }
        timeline.flush();

        if phase == Phase::HealthyAgain {
            let healthy_for = now.saturating_duration_since(phase_start);
            match recovered_at {
                Some(at) if now.saturating_duration_since(at) >= AFTER_RECOVERY => break,
                None if healthy_for >= RECOVERY_BUDGET => {
                    problems.push(format!(
                        "no recovery within {RECOVERY_BUDGET:?} of the service being healthy again"
                    ));
                    break;
                }
                _ => {}
            }
        }
    }

    // Stop the clients and wait for their last requests.
    stop.store(true, SeqCst);
    let end = rt.now();
    while live.load(SeqCst) > 0 && rt.now().saturating_duration_since(end) < Duration::from_secs(3)
    {
        sleep(&rt, TICK).await;
    }
    if live.load(SeqCst) > 0 {
        problems.push("a client did not stop within 3 s".to_owned());
    }
    while let Ok(hit) = hits.try_recv() {
        probes.record(&hit, &mut timeline);
    }
    let detail = format!("{AFTER_RECOVERY:?} of healthy traffic after the recovery");
    timeline.event(end, "end", "clients stop", &detail);
    timeline.flush();
    starts.push((end, server.accepted()));

    timeline::phase_table(&tally, &starts);
    timeline::client_table(&tally, &CLIENTS, &trips);

    let [ok, failed, rejected, other] = tally.sum(|_, _| true);
    let requests = ok + failed + rejected + other;
    let stats = client.pool_stats().total;
    let connections = server.accepted();
    let trips_total: u64 = trips.iter().sum();
    let probe_tasks = group.stats().recovery_tasks_started;
    println!();
    let probes_sent = group.stats().probes_sent;
    let sent = ok + failed + other;
    let tasks = match probe_tasks {
        1 => "1 recovery task".to_owned(),
        n => format!("{n} recovery tasks"),
    };
    println!(
        "probes   {probes_sent} sent by {tasks} for {} clients; the server answered {} health checks",
        CLIENTS.len(),
        probes.seen
    );
    println!(
        "pool     {} requests reached the server ({sent} from the clients + {probes_sent} probes) \
         over {connections} TCP connections",
        sent + probes_sent
    );
    println!(
        "         (connections = the server's accept count; the pool says created {}, reused {})",
        stats.created, stats.reused
    );
    println!(
        "         new connections after the recovery replace those the pool closed meanwhile: \
         {} discarded (a request or a probe was cut short on them), {} expired (idle past the idle \
         timeout while requests were held back), {} closed by the server",
        stats.discarded, stats.expired, stats.unusable
    );

    if trips_total == 0 {
        problems.push("no client tripped".to_owned());
    }
    if probe_tasks != 1 {
        problems.push(format!(
            "{probe_tasks} recovery tasks ran for one group; expected exactly 1"
        ));
    }
    if let Some(i) = (0..CLIENTS.len()).find(|&i| !fuses[i].state().is_closed()) {
        problems.push(format!("client {} is still open at the end", CLIENTS[i]));
    }
    if other > 0 {
        let first = tally.first_other().unwrap_or_default();
        problems.push(format!(
            "{other} requests ended in unexpected errors, first: {first}"
        ));
    }
    if recovered_at.is_some() && tally.sum(|_, p| p == Phase::HealthyAgain.index())[0] == 0 {
        problems.push("no request succeeded after the recovery".to_owned());
    }
    if connections * 10 > requests {
        problems.push(format!(
            "{connections} connections for {requests} requests: the pool did not reuse them"
        ));
    }
    println!(
        "summary: requests={requests} ok={ok} failed={failed} rejected={rejected} \
         trips={trips_total} recoveries={} probe_tasks={probe_tasks} connections={connections}",
        group.stats().recoveries
    );
    client.close();
    drop(server);
    // No recovery ended the loop with a problem already.
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}
