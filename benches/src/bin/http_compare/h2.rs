//! One measured round of the HTTP/2 workload: a fresh tokio runtime and a fresh client, a
//! warm-up, then [`CONCURRENT_TASKS`] tasks sending `GET /small` to one TLS origin for a fixed
//! time, every request timed, the whole bounded in time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_benches::http_clients::h2::{H2Client, H2Kind, H2Origin};
use fusebox_benches::http_cpu::{CLIENT_THREADS, MAIN_THREAD, SERVER_THREAD, Usage, usage};
use fusebox_benches::http_run::{CONCURRENT_TASKS, RoundResult, Timing, WORKERS, percentile};

/// The workload's name in the tables.
pub(super) const NAME: &str = "64 tasks, GET over one TLS origin";

/// The workload's name on the command line.
pub(super) const ID: &str = "h2";

/// What the tasks of one phase did.
#[derive(Debug, Default)]
struct Phase {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    client: Option<Usage>,
    server: Option<Usage>,
}

/// Runs one round of `kind` against `origin`, on a fresh runtime.
///
/// # Errors
///
/// When the runtime or the client cannot be made, a task panics, or the round runs past
/// `timing.cap`.
pub(super) fn run_round(
    kind: H2Kind,
    origin: &Arc<H2Origin>,
    timing: Timing,
) -> Result<RoundResult, String> {
    let before = origin.connections();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name(CLIENT_THREADS[0])
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let outcome = rt.block_on(async {
        let work = async {
            let client = H2Client::tokio(kind, origin.clone())?;
            let warm_up = phase(&client, timing.warm_up).await?;
            let measured = phase(&client, timing.measure).await?;
            Ok::<_, String>((warm_up, measured))
        };
        match tokio::time::timeout(timing.cap, work).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!(
                "the round ran past its cap of {:?}: a hung request",
                timing.cap
            )),
        }
    });
    // Stuck tasks of a failed round must not hold the process.
    rt.shutdown_background();
    let (warm_up, measured) = outcome?;
    Ok(result(warm_up, measured, origin.connections() - before))
}

/// What a round reports, from its two phases.
fn result(warm_up: Phase, measured: Phase, connections: u64) -> RoundResult {
    let mut latencies = measured.latencies;
    latencies.sort_unstable();
    let requests = latencies.len() as u64;
    let secs = measured.elapsed.as_secs_f64();
    let per_request = |usage: Option<Usage>| {
        usage
            .filter(|_| requests > 0)
            .map(|u| Duration::from_nanos(u.cpu_ns / requests))
    };
    RoundResult {
        rate: if secs > 0.0 {
            requests as f64 / secs
        } else {
            0.0
        },
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        requests,
        errors: warm_up.errors + measured.errors,
        first_error: warm_up.first_error.or(measured.first_error),
        connections,
        client_cpu: per_request(measured.client),
        server_cpu: per_request(measured.server),
        client_faults: measured
            .client
            .filter(|_| requests > 0)
            .map(|u| u.minor_faults as f64 / requests as f64),
    }
}

/// [`CONCURRENT_TASKS`] tasks on `client` for `length`, with the CPU time the client's threads
/// (the runtime's and the main thread) and the server's used meanwhile.
async fn phase(client: &H2Client, length: Duration) -> Result<Phase, String> {
    const CLIENT: &[&str] = &[CLIENT_THREADS[0], MAIN_THREAD];
    let (client_start, server_start) = (usage(CLIENT), usage(&[SERVER_THREAD]));
    let start = Instant::now();
    let until = start + length;
    let tasks: Vec<_> = (0..CONCURRENT_TASKS)
        .map(|_| tokio::spawn(task_loop(client.clone(), until)))
        .collect();
    let mut phase = Phase::default();
    for task in tasks {
        let task = task.await.map_err(|e| format!("a task failed: {e}"))?;
        phase.latencies.extend(task.latencies);
        phase.errors += task.errors;
        if phase.first_error.is_none() {
            phase.first_error = task.first_error;
        }
    }
    phase.elapsed = start.elapsed();
    let since = |start: Option<Usage>, now: Option<Usage>| Some(now?.since(start?));
    phase.client = since(client_start, usage(CLIENT));
    phase.server = since(server_start, usage(&[SERVER_THREAD]));
    Ok(phase)
}

/// One task's loop: `GET /small` until `until`, timing each request.
async fn task_loop(client: H2Client, until: Instant) -> Phase {
    let mut phase = Phase::default();
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let result = client.get().await;
        let took = start.elapsed();
        match result {
            Ok(()) => phase.latencies.push(took),
            Err(e) => {
                phase.errors += 1;
                phase.first_error.get_or_insert(e);
            }
        }
    }
    phase
}
