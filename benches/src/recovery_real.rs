//! Recovery on real time: `FuseClient`s on tokio sharing one `Client` (pool) and one
//! `RecoveryGroup`, each calling the embedded server in a loop with a pause, while the bench
//! switches the server's health.
//!
//! One run goes through two cycles after a healthy warm-up:
//!
//! 1. *Down, healthy again at the trip*: every path answers 503; as soon as a client has
//!    tripped, `/health` answers 200 again, and once every client has tripped so does the rest.
//!    The recovery is then `success_threshold x probe_interval` after the trip, plus the probes'
//!    round trips.
//! 2. *Down for a window*: every path answers 503 for [`Plan::window`] from the first trip, while
//!    the bench counts the health checks reaching the server; then everything answers 200, and
//!    the recovery waits for the next probe round of the backoff.
//!
//! A controller thread polls the breakers every 100 µs to see trips and un-trips; the server
//! logs when each request arrived and was answered.

use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use fusebox_http::{Client, FuseClient};
use fusebox_tokio::TokioRuntime;

use crate::recovery_plan::Plan;
use crate::recovery_server::{Hit, RecoveryServer};

/// The healthy warm-up before the first cycle.
const WARM_UP: Duration = Duration::from_millis(300);
/// Healthy traffic between the two cycles (after the burst window).
const BETWEEN: Duration = Duration::from_millis(300);
/// How long all clients may take to trip.
const TRIP_LIMIT: Duration = Duration::from_secs(3);
/// How often the controller looks at the breakers.
const POLL: Duration = Duration::from_micros(100);
/// The longest a single call may take before the driver gives up on it.
const CALL_LIMIT: Duration = Duration::from_secs(5);

/// The figures of one real-time run.
#[derive(Clone, Debug)]
pub struct RealFigures {
    /// Clients in the group.
    pub clients: usize,
    /// Fewest and most calls with a failing answer a client made up to its trip (cycle 1).
    pub calls_before_trip: (u32, u32),
    /// From the first failing answer the server sent to the first trip (cycle 1).
    pub detect_first: Duration,
    /// From a client's first failing answer to its own trip: median over the clients.
    pub detect_median: Duration,
    /// The same, the longest over the clients.
    pub detect_max: Duration,
    /// How long after the first trip `/health` turned good (cycle 1): the controller's
    /// reaction.
    pub healthy_after_trip: Duration,
    /// From `/health` turning good to the un-trip (cycle 1).
    pub recovery: Duration,
    /// From the first trip to the un-trip (cycle 1).
    pub recovery_from_trip: Duration,
    /// From the server answering the last probe to the controller seeing the un-trip (cycle 1).
    pub untrip_lag: Duration,
    /// Health checks the server answered over the window from the first trip (cycle 2).
    pub window_probes: u64,
    /// Recovery tasks the group started in all (one per recovery: 2 expected).
    pub tasks_started: u64,
    /// From the service turning healthy at the end of the window to the un-trip (cycle 2).
    pub recovery_after_window: Duration,
    /// Work requests reaching the server in the burst window from the last probe's answer
    /// (cycle 1).
    pub burst: u64,
    /// The same, in cycle 2.
    pub burst_after_window: u64,
    /// Work requests reaching the server per burst window while healthy (end of the warm-up).
    pub steady: f64,
    /// Recoveries the group finished in all (2 expected).
    pub recoveries: u64,
    /// Calls that failed while the service was healthy, or ended in an unexpected error.
    pub unexpected: u64,
    /// TCP connections the server accepted.
    pub connections: u64,
}

/// What one call came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Good,
    /// 5xx, slower than `max_delay`, a connect error or a timeout.
    Failed,
    /// Rejected by the open breaker, tripped at `since`.
    Rejected {
        since: Instant,
    },
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Call {
    end: Instant,
    outcome: Outcome,
}

type Log = Arc<Mutex<Vec<Call>>>;

/// Runs the real-time scenario with `clients` clients in one group.
///
/// # Errors
///
/// A description of what went wrong: the server or runtime not starting, no trip or no
/// recovery in time.
pub fn run(plan: &Plan, clients: usize) -> Result<RealFigures, String> {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;
    let rt = TokioRuntime::from_handle(tokio.handle().clone());
    let server = RecoveryServer::start().map_err(|e| format!("cannot start the server: {e}"))?;
    let client = Client::builder()
        .runtime(rt)
        .max_per_host(plan.max_per_host)
        .connect_timeout(Duration::from_secs(1))
        .request_timeout(Duration::from_secs(2))
        .build()
        .map_err(|e| e.to_string())?;
    let group = client.recovery_group(plan.config.clone());
    let fuses = (0..clients)
        .map(|i| {
            FuseClient::builder(client.clone(), &format!("{}/c{i}", server.url()))
                .recovery_group(group.clone())
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;

    let stop = Arc::new(AtomicBool::new(false));
    let logs: Vec<Log> = (0..clients).map(|_| Log::default()).collect();
    let budget = Instant::now() + Duration::from_secs(60) + plan.window * 2;
    let drivers: Vec<_> = fuses
        .iter()
        .zip(&logs)
        .map(|(fuse, log)| {
            let task = drive(fuse.clone(), log.clone(), stop.clone(), plan.pause, budget);
            tokio.spawn(task)
        })
        .collect();

    let run = Controller {
        plan,
        server: &server,
        group: &group,
        fuses: &fuses,
    }
    .cycles();

    stop.store(true, SeqCst);
    let stopped = Instant::now();
    while drivers.iter().any(|d| !d.is_finished()) && stopped.elapsed() < CALL_LIMIT {
        thread::sleep(Duration::from_millis(1));
    }
    client.close();
    let connections = server.accepted();
    let hits = server.hits();
    drop(server);
    tokio.shutdown_timeout(Duration::from_secs(1));
    let marks = run?;
    let calls: Vec<Vec<Call>> = logs
        .iter()
        .map(|log| log.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .collect();
    Ok(figures(plan, &marks, &hits, &calls, &group, connections))
}

/// One client: a call, then the pause, until stopped or past `until`.
async fn drive(fuse: FuseClient, log: Log, stop: Arc<AtomicBool>, pause: Duration, until: Instant) {
    let max_delay = fuse.breaker().config().max_delay();
    while !stop.load(SeqCst) && Instant::now() < until {
        let start = Instant::now();
        let result = tokio::time::timeout(CALL_LIMIT, fuse.get("/work")).await;
        let end = Instant::now();
        let outcome = match result {
            Err(_) => Outcome::Other,
            Ok(Ok(response)) if response.status().is_server_error() => Outcome::Failed,
            Ok(Ok(_)) if end - start > max_delay => Outcome::Failed,
            Ok(Ok(response)) if response.status().is_success() => Outcome::Good,
            Ok(Ok(_)) => Outcome::Other,
            Ok(Err(e)) if e.is_open() => match e.trip() {
                Some(trip) => Outcome::Rejected { since: trip.since },
                None => Outcome::Other,
            },
            Ok(Err(e)) if e.is_timeout() || e.is_connect() => Outcome::Failed,
            Ok(Err(_)) => Outcome::Other,
        };
        log.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Call { end, outcome });
        tokio::time::sleep(pause).await;
    }
}

/// The instants the controller marked.
#[derive(Clone, Copy, Debug)]
struct Marks {
    warm_end: Instant,
    fail_a: Instant,
    first_trip_seen_a: Instant,
    good_a: Instant,
    untrip_a: Instant,
    fail_b: Instant,
    first_trip_b: Instant,
    good_b: Instant,
    untrip_b: Instant,
}

struct Controller<'a> {
    plan: &'a Plan,
    server: &'a RecoveryServer,
    group: &'a fusebox_core::breaker::RecoveryGroup,
    fuses: &'a [FuseClient],
}

impl Controller<'_> {
    fn cycles(&self) -> Result<Marks, String> {
        let plan = self.plan;
        let c = &plan.config;
        let recovery_limit =
            c.max_backoff() + c.probe_interval() * (c.success_threshold() + 2) + TRIP_LIMIT;

        thread::sleep(WARM_UP);
        let warm_end = Instant::now();

        // Cycle 1: down; healthy again at the trip.
        let fail_a = Instant::now();
        self.server.set_all(false);
        let first_trip_seen_a = wait_until(TRIP_LIMIT, || self.fuses.iter().any(is_tripped))
            .ok_or("no client tripped in cycle 1")?;
        self.server.set_health(true);
        let good_a = Instant::now();
        wait_until(TRIP_LIMIT, || self.fuses.iter().all(is_tripped))
            .ok_or("not every client tripped in cycle 1")?;
        self.server.set_work(true);
        let untrip_a = wait_until(recovery_limit, || self.group.stats().recoveries >= 1)
            .ok_or("no recovery in cycle 1")?;
        thread::sleep(plan.burst + Duration::from_millis(50) + BETWEEN);

        // Cycle 2: down for the window, then healthy.
        let fail_b = Instant::now();
        self.server.set_all(false);
        wait_until(TRIP_LIMIT, || self.fuses.iter().all(is_tripped))
            .ok_or("not every client tripped in cycle 2")?;
        let first_trip_b = self
            .fuses
            .iter()
            .filter_map(|f| f.state().trip().map(|t| t.since))
            .min()
            .ok_or("the clients closed again in cycle 2")?;
        let good_at = first_trip_b + plan.window;
        thread::sleep(good_at.saturating_duration_since(Instant::now()));
        self.server.set_all(true);
        let good_b = Instant::now();
        let untrip_b = wait_until(recovery_limit, || self.group.stats().recoveries >= 2)
            .ok_or("no recovery in cycle 2")?;
        thread::sleep(plan.burst + Duration::from_millis(50));
        Ok(Marks {
            warm_end,
            fail_a,
            first_trip_seen_a,
            good_a,
            untrip_a,
            fail_b,
            first_trip_b,
            good_b,
            untrip_b,
        })
    }
}

fn is_tripped(fuse: &FuseClient) -> bool {
    fuse.state().trip().is_some()
}

/// Polls `cond` every [`POLL`] for up to `limit`; the instant it was first seen true.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> Option<Instant> {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return Some(Instant::now());
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(POLL);
    }
}

/// The figures from the marks, the server's log and the clients' calls.
fn figures(
    plan: &Plan,
    m: &Marks,
    hits: &[Hit],
    calls: &[Vec<Call>],
    group: &fusebox_core::breaker::RecoveryGroup,
    connections: u64,
) -> RealFigures {
    // Detection, cycle 1: each client's calls from the switch to its first rejection.
    let mut counts = Vec::new();
    let mut detects = Vec::new();
    let mut first_trip_a: Option<Instant> = None;
    for log in calls {
        let mut failed = 0u32;
        let mut first_failed = None;
        for call in log
            .iter()
            .filter(|c| c.end >= m.fail_a && c.end < m.untrip_a)
        {
            match call.outcome {
                Outcome::Failed => {
                    failed += 1;
                    first_failed.get_or_insert(call.end);
                }
                Outcome::Rejected { since } => {
                    counts.push(failed);
                    if let Some(first) = first_failed {
                        detects.push(since.saturating_duration_since(first));
                    }
                    first_trip_a = Some(first_trip_a.map_or(since, |t| t.min(since)));
                    break;
                }
                Outcome::Good | Outcome::Other => {}
            }
        }
    }
    detects.sort();
    let first_trip_a = first_trip_a.unwrap_or(m.first_trip_seen_a);
    let first_failure = hits
        .iter()
        .filter(|h| !h.health && !h.ok && h.answered >= m.fail_a)
        .map(|h| h.answered)
        .min()
        .unwrap_or(m.fail_a);

    // The last probe before each un-trip, and the burst after it.
    let last_probe = |from: Instant, to: Instant| {
        hits.iter()
            .filter(|h| h.health && h.ok && h.answered >= from && h.answered <= to)
            .map(|h| h.answered)
            .max()
            .unwrap_or(to)
    };
    let arrivals = |from: Instant, len: Duration| {
        let n = hits
            .iter()
            .filter(|h| !h.health && h.arrived >= from && h.arrived < from + len);
        n.count() as u64
    };
    let last_a = last_probe(m.good_a, m.untrip_a);
    let last_b = last_probe(m.good_b, m.untrip_b);
    let steady_span = Duration::from_millis(200);
    let steady = arrivals(m.warm_end - steady_span, steady_span) as f64
        * (plan.burst.as_secs_f64() / steady_span.as_secs_f64());
    let window_probes = hits
        .iter()
        .filter(|h| {
            h.health && h.answered >= m.first_trip_b && h.answered <= m.first_trip_b + plan.window
        })
        .count() as u64;

    // Failures while healthy: before cycle 1, between the cycles, after cycle 2.
    let settle = Duration::from_millis(20);
    let healthy = |at: Instant| {
        at < m.fail_a || (at > m.untrip_a + settle && at < m.fail_b) || at > m.untrip_b + settle
    };
    let unexpected = calls
        .iter()
        .flatten()
        .filter(|c| c.outcome == Outcome::Other || (c.outcome == Outcome::Failed && healthy(c.end)))
        .count() as u64;

    RealFigures {
        clients: calls.len(),
        calls_before_trip: (
            counts.iter().copied().min().unwrap_or(0),
            counts.iter().copied().max().unwrap_or(0),
        ),
        detect_first: first_trip_a.saturating_duration_since(first_failure),
        detect_median: detects.get(detects.len() / 2).copied().unwrap_or_default(),
        detect_max: detects.last().copied().unwrap_or_default(),
        healthy_after_trip: m.good_a.saturating_duration_since(first_trip_a),
        recovery: m.untrip_a.saturating_duration_since(m.good_a),
        recovery_from_trip: m.untrip_a.saturating_duration_since(first_trip_a),
        untrip_lag: m.untrip_a.saturating_duration_since(last_a),
        window_probes,
        tasks_started: group.stats().recovery_tasks_started,
        recovery_after_window: m.untrip_b.saturating_duration_since(m.good_b),
        burst: arrivals(last_a, plan.burst),
        burst_after_window: arrivals(last_b, plan.burst),
        steady,
        recoveries: group.stats().recoveries,
        unexpected,
        connections,
    }
}
