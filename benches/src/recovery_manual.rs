//! Recovery on the manual clock: `FuseClient`s whose `Client` and `RecoveryGroup` read time from
//! a `ManualClock`, with real TCP to the embedded server (tokio spawns and dials).
//!
//! Time moves only when the bench advances the clock, one [`Plan::step`] at a time. The clock
//! is wrapped to know every sleep that exists (made and not yet finished or dropped). After a
//! step that reaches the earliest deadline, the bench waits, in real time, until the woken work
//! is done before the next step: no sleep is due and unfinished, every probe sent has been
//! answered by the server, the clock holds exactly the sleeps of quiet clients (the pool's
//! reaper, and the recovery task's wait while one runs; a probe in flight holds its own deadline
//! and the request timeout too), and that reading is the same twice, 1 ms apart. So no probe sees
//! a later `now` than the one it was due at, and the times measured are exact multiples of the
//! step.
//!
//! Clients call in rounds, one call each every [`Plan::pause`] of manual time, one after the
//! other.

mod clock;
mod step;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_core::breaker::RecoveryGroup;
use fusebox_core::rt::Clock;
use fusebox_http::{Client, FuseClient};
use fusebox_tokio::TokioRuntime;

use crate::recovery_plan::Plan;
use crate::recovery_server::RecoveryServer;
use clock::TrackedClock;

/// The longest real time one call, or one wait for the woken work, may take.
const REAL_LIMIT: Duration = Duration::from_secs(5);

/// The figures of one client count on the manual clock.
#[derive(Clone, Debug)]
pub struct ManualFigures {
    /// Clients in the group.
    pub clients: usize,
    /// Fewest and most calls a client made up to and including the one that tripped it.
    pub calls_before_trip: (u32, u32),
    /// From a client's first failing answer to its trip, the longest over the clients.
    pub detect: Duration,
    /// From the service turning healthy, at the trip, to the un-trip.
    pub recovery: Duration,
    /// Health checks the server answered over the window of [`Plan::window`] from the trip,
    /// the service down.
    pub window_probes: u64,
    /// Probes the group counted as sent over that window.
    pub window_probes_sent: u64,
    /// From the service turning healthy, at the end of the window, to the un-trip.
    pub recovery_after_window: Duration,
    /// Recovery tasks the group started in all (one per recovery expected).
    pub tasks_started: u64,
    /// Recoveries the group finished in all.
    pub recoveries: u64,
}

/// Runs the manual-clock scenario with `clients` clients in one group.
///
/// # Errors
///
/// A description of what went wrong: the server or runtime not starting, a call or a woken
/// task not finishing in time, a client not tripping or not recovering.
pub fn run(plan: &Plan, clients: usize) -> Result<ManualFigures, String> {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot build a tokio runtime: {e}"))?;
    let rt = TokioRuntime::from_handle(tokio.handle().clone());
    let result = tokio.block_on(async {
        let rig = Rig::new(plan, clients, rt)?;
        rig.scenario().await
    });
    tokio.shutdown_timeout(Duration::from_secs(1));
    result
}

/// The server, the clients on the manual clock, and the plan.
struct Rig<'a> {
    plan: &'a Plan,
    clock: TrackedClock,
    server: RecoveryServer,
    client: Client,
    group: RecoveryGroup,
    fuses: Vec<FuseClient>,
    /// Sleeps pending on the clock when the clients are quiet and no recovery runs.
    idle_sleeps: usize,
}

/// What one call came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Good,
    Failed,
    Rejected,
}

impl<'a> Rig<'a> {
    fn new(plan: &'a Plan, clients: usize, rt: TokioRuntime) -> Result<Rig<'a>, String> {
        let server =
            RecoveryServer::start().map_err(|e| format!("cannot start the server: {e}"))?;
        let clock = TrackedClock::default();
        let client = Client::builder()
            .clock(Arc::new(clock.clone()))
            .spawner(Arc::new(rt.clone()))
            .dial(Arc::new(rt))
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
        Ok(Rig {
            plan,
            clock,
            server,
            client,
            group,
            fuses,
            idle_sleeps: 0,
        })
    }

    async fn scenario(mut self) -> Result<ManualFigures, String> {
        // Warm up: one good call each, so that the pool has its connections; then see what the
        // clock holds when all is quiet (the pool's reaper).
        for outcome in self.call_all().await? {
            if outcome != Outcome::Good {
                return Err(format!("warm-up call was {outcome:?}"));
            }
        }
        self.idle_sleeps = self.quiet_sleeps().await;

        // Detection, then recovery with the service healthy from the trip on.
        let (calls, detect, trip) = self.trip_all().await?;
        self.server.set_all(true);
        let recovery = self.until_recovered(trip).await?;

        // Down for the window, counting probes, then healthy: recovery after backoff.
        let (_, _, trip) = self.trip_all().await?;
        let (answered, sent) = (
            self.server.health_answered(),
            self.group.stats().probes_sent,
        );
        self.step_until(trip + self.plan.window).await?;
        let window_probes = self.server.health_answered() - answered;
        let window_probes_sent = self.group.stats().probes_sent - sent;
        self.server.set_all(true);
        let recovery_after_window = self.until_recovered(self.clock.now()).await?;

        let figures = ManualFigures {
            clients: self.fuses.len(),
            calls_before_trip: calls,
            detect,
            recovery,
            window_probes,
            window_probes_sent,
            recovery_after_window,
            tasks_started: self.group.stats().recovery_tasks_started,
            recoveries: self.group.stats().recoveries,
        };
        self.client.close();
        Ok(figures)
    }

    /// One call of each client, in turn.
    async fn call_all(&self) -> Result<Vec<Outcome>, String> {
        let mut outcomes = Vec::with_capacity(self.fuses.len());
        for fuse in &self.fuses {
            let result = tokio::time::timeout(REAL_LIMIT, fuse.get("/work"))
                .await
                .map_err(|_| format!("a call took more than {REAL_LIMIT:?} of real time"))?;
            outcomes.push(match result {
                Ok(response) if response.status().is_success() => Outcome::Good,
                Ok(response) if response.status().is_server_error() => Outcome::Failed,
                Ok(response) => return Err(format!("unexpected status {}", response.status())),
                Err(e) if e.is_open() => Outcome::Rejected,
                Err(e) => return Err(format!("unexpected error: {e:#}")),
            });
        }
        Ok(outcomes)
    }

    /// Takes the service down and lets the clients call, a round every pause, until all have
    /// tripped. Returns the fewest and most calls up to the trip, the longest time from a
    /// client's first failing answer to its trip, and the instant of the (first) trip.
    async fn trip_all(&self) -> Result<((u32, u32), Duration, Instant), String> {
        self.server.set_all(false);
        let n = self.fuses.len();
        let mut calls = vec![0u32; n];
        let mut first_failure: Vec<Option<Instant>> = vec![None; n];
        let mut tripped: Vec<Option<Instant>> = vec![None; n];
        let max_rounds = self.plan.config.failure_threshold() + 5;
        for _ in 0..max_rounds {
            let outcomes = self.call_all().await?;
            for (i, outcome) in outcomes.into_iter().enumerate() {
                if tripped[i].is_some() {
                    continue;
                }
                calls[i] += 1;
                if outcome == Outcome::Failed {
                    first_failure[i].get_or_insert(self.clock.now());
                }
                if let Some(trip) = self.fuses[i].state().trip() {
                    tripped[i] = Some(trip.since);
                }
            }
            // Let a recovery task that a trip spawned start waiting.
            self.settle().await?;
            if tripped.iter().all(Option::is_some) {
                break;
            }
            self.step_for(self.plan.pause).await?;
        }
        let mut detect = Duration::ZERO;
        let mut first_trip = None::<Instant>;
        for i in 0..n {
            let (Some(since), Some(failed)) = (tripped[i], first_failure[i]) else {
                return Err(format!("client {i} did not trip in {max_rounds} rounds"));
            };
            detect = detect.max(since.saturating_duration_since(failed));
            first_trip = Some(first_trip.map_or(since, |t| t.min(since)));
        }
        let min = calls.iter().copied().min().unwrap_or(0);
        let max = calls.iter().copied().max().unwrap_or(0);
        Ok((
            (min, max),
            detect,
            first_trip.unwrap_or_else(|| self.clock.now()),
        ))
    }

    /// Steps the clock until the group's next recovery, the clients calling every pause.
    /// Returns the manual time from `healthy_since` to the recovery.
    async fn until_recovered(&self, healthy_since: Instant) -> Result<Duration, String> {
        let before = self.group.stats().recoveries;
        let c = &self.plan.config;
        let limit = c.max_backoff() + c.probe_interval() * (c.success_threshold() + 2);
        let steps = limit.as_nanos() / self.plan.step.as_nanos().max(1);
        let every = self.steps_per_pause();
        for n in 1..=steps {
            self.step().await?;
            if self.group.stats().recoveries > before {
                return Ok(self.clock.now().saturating_duration_since(healthy_since));
            }
            if n.is_multiple_of(every) {
                self.call_all().await?;
            }
        }
        Err(format!("no recovery within {limit:?} of manual time"))
    }

    /// Steps the clock until `until`, the clients calling every pause.
    async fn step_until(&self, until: Instant) -> Result<(), String> {
        let every = self.steps_per_pause();
        let mut n = 0u128;
        while self.clock.now() < until {
            self.step().await?;
            n += 1;
            if n.is_multiple_of(every) {
                let outcomes = self.call_all().await?;
                if outcomes.iter().any(|&o| o != Outcome::Rejected) {
                    self.settle().await?;
                }
            }
        }
        Ok(())
    }
}
