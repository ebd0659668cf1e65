//! One measured round of `http_compare`: a fresh runtime and a fresh client, a warm-up, then a
//! measured run of fixed length, every request timed, the whole bounded in time.

use std::future::Future;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use async_executor::Executor;
use async_io::Timer;
use fusebox_smol::SmolRuntime;

use crate::http_clients::{BenchClient, Kind, Runtime, Target, Urls};
use crate::http_cpu::{
    CLIENT_THREADS, MAIN_THREAD, SERVER_THREAD, SMOL_REACTOR_THREAD, Usage, usage,
};
use crate::http_server::Server;
pub use crate::http_workload::{CONCURRENT_TASKS, Workload};

/// The worker threads of each client runtime (the machine has two cores).
pub const WORKERS: usize = 2;

/// How long the phases of a round last.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// The warm-up, whose requests are not counted (its connections are).
    pub warm_up: Duration,
    /// The measured run.
    pub measure: Duration,
    /// The longest a whole round may take, client setup to teardown; past it the round fails.
    pub cap: Duration,
}

/// What one round measured.
#[derive(Clone, Debug)]
pub struct RoundResult {
    /// Completed requests per second in the measured run.
    pub rate: f64,
    /// The median latency of a request in the measured run.
    pub p50: Duration,
    /// The 99th percentile latency.
    pub p99: Duration,
    /// Requests completed in the measured run.
    pub requests: u64,
    /// Requests that failed in the warm-up and the measured run.
    pub errors: u64,
    /// The first failure, if any.
    pub first_error: Option<String>,
    /// Connections the server accepted during the round (warm-up included).
    pub connections: u64,
    /// CPU time of the client's threads per request of the measured run (see
    /// [`crate::http_cpu`]); `None` where it cannot be read.
    pub client_cpu: Option<Duration>,
    /// CPU time of the server's thread per request of the measured run.
    pub server_cpu: Option<Duration>,
    /// Minor page faults of the client's threads per request of the measured run.
    pub client_faults: Option<f64>,
}

/// What the tasks of one phase did.
#[derive(Debug, Default)]
struct Phase {
    latencies: Vec<Duration>,
    errors: u64,
    first_error: Option<String>,
    elapsed: Duration,
    /// What the client's threads and the server's used during the phase.
    client_usage: Option<Usage>,
    server_usage: Option<Usage>,
}

impl Phase {
    fn absorb(&mut self, task: Phase) {
        self.latencies.extend(task.latencies);
        self.errors += task.errors;
        if self.first_error.is_none() {
            self.first_error = task.first_error;
        }
    }
}

/// Runs one round of `kind` on `workload` against `server`, on a fresh runtime.
///
/// # Errors
///
/// When the runtime or the client cannot be made, a task panics, or the round runs past
/// `timing.cap` (a hung client or server).
pub fn run_round(
    kind: Kind,
    workload: Workload,
    server: &Server,
    urls: &Arc<Urls>,
    timing: Timing,
) -> Result<RoundResult, String> {
    let before = server.accepts();
    let (warm_up, measured) = match kind.runtime() {
        Runtime::Tokio => tokio_round(kind, workload, urls.clone(), timing)?,
        Runtime::Smol => smol_round(kind, workload, urls.clone(), timing)?,
    };
    let connections = server.accepts() - before;
    let mut latencies = measured.latencies;
    latencies.sort_unstable();
    let requests = latencies.len() as u64;
    let secs = measured.elapsed.as_secs_f64();
    let per_request = |ns: Option<u64>| {
        ns.filter(|_| requests > 0)
            .map(|ns| Duration::from_nanos(ns / requests))
    };
    Ok(RoundResult {
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
        client_cpu: per_request(measured.client_usage.map(|u| u.cpu_ns)),
        server_cpu: per_request(measured.server_usage.map(|u| u.cpu_ns)),
        client_faults: measured
            .client_usage
            .filter(|_| requests > 0)
            .map(|u| u.minor_faults as f64 / requests as f64),
    })
}

/// The nearest-rank percentile `p` (0..=1) of sorted `values`; zero for none.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Reads the CPU time of the client's and the server's threads at the start of a phase.
#[derive(Debug)]
struct CpuMeter {
    client: &'static [&'static str],
    client_start: Option<Usage>,
    server_start: Option<Usage>,
}

impl CpuMeter {
    fn start(runtime: Runtime) -> CpuMeter {
        const TOKIO: &[&str] = &[CLIENT_THREADS[0], MAIN_THREAD];
        const SMOL: &[&str] = &[CLIENT_THREADS[1], SMOL_REACTOR_THREAD, MAIN_THREAD];
        let client = match runtime {
            Runtime::Tokio => TOKIO,
            Runtime::Smol => SMOL,
        };
        CpuMeter {
            client,
            client_start: usage(client),
            server_start: usage(&[SERVER_THREAD]),
        }
    }

    /// Puts what was used since [`start`](CpuMeter::start) into `phase`.
    fn stop(self, phase: &mut Phase) {
        let since = |start: Option<Usage>, now: Option<Usage>| Some(now?.since(start?));
        phase.client_usage = since(self.client_start, usage(self.client));
        phase.server_usage = since(self.server_start, usage(&[SERVER_THREAD]));
    }
}

/// One task's loop: `GET target` until `until`, timing each request.
async fn task_loop(client: BenchClient, target: Target, until: Instant) -> Phase {
    let mut phase = Phase::default();
    loop {
        let start = Instant::now();
        if start >= until {
            break;
        }
        let result = client.get(target).await;
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

/// Fails with a message once `cap` has passed, unless `work` finishes first.
async fn capped<T>(
    work: impl Future<Output = Result<T, String>>,
    cap: Duration,
    sleep: impl Future<Output = ()>,
) -> Result<T, String> {
    futures_lite::future::or(work, async {
        sleep.await;
        Err(format!(
            "the round ran past its cap of {cap:?}: a hung request"
        ))
    })
    .await
}

fn tokio_round(
    kind: Kind,
    workload: Workload,
    urls: Arc<Urls>,
    timing: Timing,
) -> Result<(Phase, Phase), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .thread_name(CLIENT_THREADS[0])
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    let outcome = rt.block_on(async {
        let work = async {
            let client = BenchClient::tokio(kind, urls)?;
            let warm_up = tokio_phase(&client, workload, timing.warm_up).await?;
            let measured = tokio_phase(&client, workload, timing.measure).await?;
            Ok((warm_up, measured))
        };
        capped(work, timing.cap, tokio::time::sleep(timing.cap)).await
    });
    // Stuck tasks of a failed round must not hold the process.
    rt.shutdown_background();
    outcome
}

async fn tokio_phase(
    client: &BenchClient,
    workload: Workload,
    length: Duration,
) -> Result<Phase, String> {
    let cpu = CpuMeter::start(Runtime::Tokio);
    let start = Instant::now();
    let until = start + length;
    let tasks: Vec<_> = (0..workload.tasks())
        .map(|_| tokio::spawn(task_loop(client.clone(), workload.target(), until)))
        .collect();
    let mut phase = Phase::default();
    for task in tasks {
        phase.absorb(task.await.map_err(|e| format!("a task failed: {e}"))?);
    }
    phase.elapsed = start.elapsed();
    cpu.stop(&mut phase);
    Ok(phase)
}

fn smol_round(
    kind: Kind,
    workload: Workload,
    urls: Arc<Urls>,
    timing: Timing,
) -> Result<(Phase, Phase), String> {
    let executor = Arc::new(Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let mut workers = Vec::with_capacity(WORKERS);
    for i in 0..WORKERS {
        let executor = executor.clone();
        let stopped = stopped.clone();
        let worker = thread::Builder::new()
            .name(format!("{}{i}", CLIENT_THREADS[1]))
            .spawn(move || async_io::block_on(executor.run(stopped.recv())))
            .map_err(|e| format!("an executor thread: {e}"))?;
        workers.push(worker);
    }
    let outcome = async_io::block_on(async {
        let work = async {
            let rt = SmolRuntime::with_executor(executor.clone());
            let client = BenchClient::smol(kind, urls, rt)?;
            let warm_up = smol_phase(&executor, &client, workload, timing.warm_up).await;
            let measured = smol_phase(&executor, &client, workload, timing.measure).await;
            Ok((warm_up, measured))
        };
        let sleep = async {
            Timer::after(timing.cap).await;
        };
        capped(work, timing.cap, sleep).await
    });
    drop(stop);
    for worker in workers {
        // The executor's own result is only the closed channel; a panicked task panicked the
        // thread that polled it, which the round already failed for.
        let _ = worker.join();
    }
    outcome
}

async fn smol_phase(
    executor: &Executor<'static>,
    client: &BenchClient,
    workload: Workload,
    length: Duration,
) -> Phase {
    let cpu = CpuMeter::start(Runtime::Smol);
    let start = Instant::now();
    let until = start + length;
    let tasks: Vec<_> = (0..workload.tasks())
        .map(|_| executor.spawn(task_loop(client.clone(), workload.target(), until)))
        .collect();
    let mut phase = Phase::default();
    for task in tasks {
        phase.absorb(task.await);
    }
    phase.elapsed = start.elapsed();
    cpu.stop(&mut phase);
    phase
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let ms = |n: u64| Duration::from_millis(n);
        let values: Vec<Duration> = (1..=100).map(ms).collect();
        assert_eq!(percentile(&values, 0.50), ms(50));
        assert_eq!(percentile(&values, 0.99), ms(99));
        assert_eq!(percentile(&values[..1], 0.99), ms(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }
}
