//! The demo's embedded HTTP/1.1 server: the workspace's test server (std threads on 127.0.0.1,
//! independent of the runtime under test) answering as the [`Phase`] that the demo's timeline
//! sets. It counts the TCP connections it accepts and reports every health check (the recovery
//! task's probes).

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use fusebox_testserver::{Reply, Seen};

/// How late every answer is in the slow phase: more than the breaker's `max_delay`.
pub(crate) const SLOW: Duration = Duration::from_millis(150);

/// How the service behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Healthy,
    /// 5xx from every endpoint but `/search` (served from a cache), and from the health check.
    Failing,
    /// Every answer comes [`SLOW`] late.
    Slow,
    HealthyAgain,
}

impl Phase {
    pub(crate) const ALL: [Phase; 4] = [
        Phase::Healthy,
        Phase::Failing,
        Phase::Slow,
        Phase::HealthyAgain,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Healthy => "healthy",
            Phase::Failing => "failing",
            Phase::Slow => "slow",
            Phase::HealthyAgain => "healthy again",
        }
    }

    pub(crate) fn describe(self) -> String {
        match self {
            Phase::Healthy => "every answer 200 at once".to_owned(),
            Phase::Failing => {
                "503 from /health, /users, /orders, /billing; /search (cached) still 200".into()
            }
            Phase::Slow => format!("every answer 200, but {} ms late", SLOW.as_millis()),
            Phase::HealthyAgain => "every answer 200 at once".to_owned(),
        }
    }

    /// The status and delay of the answer to `path`.
    fn answer(self, path: &str) -> (u16, Duration) {
        match self {
            Phase::Healthy | Phase::HealthyAgain => (200, Duration::ZERO),
            Phase::Failing if path.starts_with("/search") && !is_health(path) => {
                (200, Duration::ZERO)
            }
            Phase::Failing => (503, Duration::ZERO),
            Phase::Slow => (200, SLOW),
        }
    }
}

fn is_health(path: &str) -> bool {
    path.ends_with("/health")
}

/// A health check the server answered: one probe of the recovery task.
#[derive(Debug, Clone)]
pub(crate) struct HealthHit {
    pub(crate) at: Instant,
    pub(crate) path: String,
    pub(crate) status: u16,
    pub(crate) delay: Duration,
}

/// The running server; stops when dropped.
pub(crate) struct Server {
    server: fusebox_testserver::Server,
    phase: Arc<AtomicU8>,
}

impl Server {
    /// Starts on a free port of 127.0.0.1, healthy. The receiver gets every health check.
    pub(crate) fn start() -> io::Result<(Server, Receiver<HealthHit>)> {
        let (tx, rx) = mpsc::channel();
        let phase = Arc::new(AtomicU8::new(Phase::Healthy as u8));
        let server = {
            let phase = phase.clone();
            fusebox_testserver::Server::start(move |seen| answer(&phase, &tx, seen))
        };
        Ok((Server { server, phase }, rx))
    }

    /// `http://127.0.0.1:port`.
    pub(crate) fn url(&self) -> String {
        self.server.url("")
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase as u8, SeqCst);
    }

    /// TCP connections accepted so far.
    pub(crate) fn accepted(&self) -> u64 {
        self.server.connections() as u64
    }
}

/// The answer to `seen` in the current phase, reporting it first if it is a health check.
fn answer(phase: &AtomicU8, hits: &Sender<HealthHit>, seen: &Seen) -> Reply {
    let phase = Phase::ALL[usize::from(phase.load(SeqCst)).min(3)];
    let (status, delay) = phase.answer(&seen.path);
    if is_health(&seen.path) {
        let _ = hits.send(HealthHit {
            at: Instant::now(),
            path: seen.path.clone(),
            status,
            delay,
        });
    }
    let body = match status {
        200 => "ok\n",
        _ => "down for the demo\n",
    };
    Reply::ok(body)
        .status(status)
        .header("content-type", "text/plain")
        .delay(delay)
}
