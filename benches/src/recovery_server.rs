//! The embedded HTTP/1.1 server of `recovery_figures`: the workspace's test server (std threads
//! on 127.0.0.1, independent of the runtime under test), whose health the bench sets.
//!
//! `GET /health` (the health probe of a `FuseClient`) and every other path ("work") answer
//! `200 OK` or `503` as [`RecoveryServer::set_health`] and [`RecoveryServer::set_work`] say. The
//! server logs every request it answers: when it arrived, when it was answered, whether it was a
//! health check and whether the answer was good. Connections are kept alive until the client
//! closes them; a thread serves each.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::time::Instant;

use fusebox_testserver::{Reply, Seen, Server};

/// The most requests logged; later ones are counted but not logged.
const MAX_LOG: usize = 1 << 20;

/// One answered request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    /// When its head was read whole.
    pub arrived: Instant,
    /// When the answer was written.
    pub answered: Instant,
    /// Whether it was `GET /health`.
    pub health: bool,
    /// Whether the answer was `200 OK` (else `503`).
    pub ok: bool,
}

#[derive(Debug, Default)]
struct Health {
    health_ok: AtomicBool,
    work_ok: AtomicBool,
    health_answered: AtomicU64,
    work_answered: AtomicU64,
}

/// The running server; it stops when dropped.
#[derive(Debug)]
pub struct RecoveryServer {
    server: Server,
    health: Arc<Health>,
}

impl RecoveryServer {
    /// Starts on a free port of 127.0.0.1, healthy.
    ///
    /// # Errors
    ///
    /// None today: the test server panics if it cannot bind a port. The `Result` keeps the
    /// callers' error path.
    pub fn start() -> io::Result<RecoveryServer> {
        let health = Arc::new(Health {
            health_ok: AtomicBool::new(true),
            work_ok: AtomicBool::new(true),
            ..Health::default()
        });
        let server = {
            let health = health.clone();
            Server::builder()
                .log_limit(MAX_LOG)
                .start(move |seen| answer(&health, seen))
        };
        Ok(RecoveryServer { server, health })
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        self.server.url("")
    }

    /// Whether `GET /health` answers `200` (else `503`) from now on.
    pub fn set_health(&self, ok: bool) {
        self.health.health_ok.store(ok, SeqCst);
    }

    /// Whether every other path answers `200` (else `503`) from now on.
    pub fn set_work(&self, ok: bool) {
        self.health.work_ok.store(ok, SeqCst);
    }

    /// Sets the health check and the work paths alike.
    pub fn set_all(&self, ok: bool) {
        self.set_health(ok);
        self.set_work(ok);
    }

    /// Health checks answered so far (counted as the answer is made, before it is written).
    pub fn health_answered(&self) -> u64 {
        self.health.health_answered.load(SeqCst)
    }

    /// Work requests (any path but `/health`) answered so far.
    pub fn work_answered(&self) -> u64 {
        self.health.work_answered.load(SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.server.connections() as u64
    }

    /// A copy of the log of requests answered whole, in the order they arrived (at most 2^20
    /// of them).
    pub fn hits(&self) -> Vec<Hit> {
        self.server
            .seen()
            .into_iter()
            .filter_map(|seen| {
                Some(Hit {
                    arrived: seen.received,
                    answered: seen.answered?,
                    health: is_health(&seen),
                    ok: seen.status? == 200,
                })
            })
            .collect()
    }
}

fn is_health(seen: &Seen) -> bool {
    seen.path.ends_with("/health")
}

fn answer(health: &Health, seen: &Seen) -> Reply {
    let (ok, counter) = if is_health(seen) {
        (health.health_ok.load(SeqCst), &health.health_answered)
    } else {
        (health.work_ok.load(SeqCst), &health.work_answered)
    };
    counter.fetch_add(1, SeqCst);
    let reply = if ok {
        Reply::ok("ok\n")
    } else {
        Reply::ok("down\n").status(503)
    };
    reply.header("content-type", "text/plain")
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use super::*;

    #[test]
    fn answers_follow_the_health_switches() {
        let server = RecoveryServer::start().unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(server.server.addr()).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
            let mut answer = [0u8; 12];
            s.read_exact(&mut answer).unwrap();
            String::from_utf8_lossy(&answer[9..12]).into_owned()
        };
        assert_eq!(get("/health"), "200");
        server.set_work(false);
        assert_eq!(get("/health"), "200");
        assert_eq!(get("/x"), "503");
        server.set_all(false);
        assert_eq!(get("/health"), "503");
        // The log notes an answer once it is written: wait for the last one.
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.hits().len() < 4 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
        let hits = server.hits();
        assert_eq!(hits.len(), 4);
        assert_eq!(server.health_answered(), 3);
        assert_eq!(server.work_answered(), 1);
        assert_eq!(hits.iter().filter(|h| h.ok).count(), 2);
        assert!(hits.iter().all(|h| h.answered >= h.arrived));
    }
}
