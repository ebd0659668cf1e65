//! The embedded HTTP/1.1 server of `recovery_figures`: std threads on 127.0.0.1, independent of
//! the runtime under test, whose health the bench sets.
//!
//! `GET /health` (the health probe of a `FuseClient`) and every other path ("work") answer
//! `200 OK` or `503` as [`RecoveryServer::set_health`] and [`RecoveryServer::set_work`] say. The
//! server logs every request it answers: when it arrived, when it was answered, whether it was a
//! health check and whether the answer was good. Connections are kept alive until the client
//! closes them; a thread serves each.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How often blocked server threads look at the stop flag.
const POLL: Duration = Duration::from_millis(10);
/// The longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
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

#[derive(Debug)]
struct Shared {
    health_ok: AtomicBool,
    work_ok: AtomicBool,
    stop: AtomicBool,
    accepted: AtomicU64,
    health_answered: AtomicU64,
    work_answered: AtomicU64,
    log: Mutex<Vec<Hit>>,
}

/// The running server; it stops when dropped.
#[derive(Debug)]
pub struct RecoveryServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl RecoveryServer {
    /// Starts on a free port of 127.0.0.1, healthy.
    ///
    /// # Errors
    ///
    /// The IO error of binding the port.
    pub fn start() -> io::Result<RecoveryServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            health_ok: AtomicBool::new(true),
            work_ok: AtomicBool::new(true),
            stop: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            health_answered: AtomicU64::new(0),
            work_answered: AtomicU64::new(0),
            log: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("recovery-server".into())
                .spawn(move || accept(&listener, &shared))?
        };
        Ok(RecoveryServer {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether `GET /health` answers `200` (else `503`) from now on.
    pub fn set_health(&self, ok: bool) {
        self.shared.health_ok.store(ok, SeqCst);
    }

    /// Whether every other path answers `200` (else `503`) from now on.
    pub fn set_work(&self, ok: bool) {
        self.shared.work_ok.store(ok, SeqCst);
    }

    /// Sets the health check and the work paths alike.
    pub fn set_all(&self, ok: bool) {
        self.set_health(ok);
        self.set_work(ok);
    }

    /// Health checks answered so far.
    pub fn health_answered(&self) -> u64 {
        self.shared.health_answered.load(SeqCst)
    }

    /// Work requests (any path but `/health`) answered so far.
    pub fn work_answered(&self) -> u64 {
        self.shared.work_answered.load(SeqCst)
    }

    /// TCP connections accepted so far.
    pub fn accepted(&self) -> u64 {
        self.shared.accepted.load(SeqCst)
    }

    /// A copy of the log of answered requests, in the order they were answered (at most
    /// 2^20 of them).
    pub fn hits(&self) -> Vec<Hit> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for RecoveryServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        shared.accepted.fetch_add(1, SeqCst);
        let shared = shared.clone();
        // A connection that breaks just ends its thread; one that cannot be spawned is dropped.
        let _ = thread::Builder::new()
            .name("recovery-conn".into())
            .spawn(move || {
                let _ = serve(stream, &shared);
            });
    }
}

/// Serves the keep-alive requests of one connection until the client closes it or the server
/// stops.
fn serve(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    loop {
        if shared.stop.load(SeqCst) {
            return Ok(());
        }
        if let Some((health, used)) = parse(&buf) {
            buf.drain(..used);
            let arrived = Instant::now();
            let ok = if health {
                shared.health_ok.load(SeqCst)
            } else {
                shared.work_ok.load(SeqCst)
            };
            stream.write_all(response(ok))?;
            let answered = Instant::now();
            {
                let mut log = shared.log.lock().unwrap_or_else(|e| e.into_inner());
                if log.len() < MAX_LOG {
                    log.push(Hit {
                        arrived,
                        answered,
                        health,
                        ok,
                    });
                }
            }
            let counter = if health {
                &shared.health_answered
            } else {
                &shared.work_answered
            };
            counter.fetch_add(1, SeqCst);
            continue;
        }
        if buf.len() > MAX_HEAD {
            return Ok(());
        }
        let mut chunk = [0u8; 2048];
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Whether the whole request at the start of `buf` is a health check, and how many bytes it took;
/// `None` until a whole request is there.
fn parse(buf: &[u8]) -> Option<(bool, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1).unwrap_or("/");
    let health = path.ends_with("/health");
    let length: usize = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    (buf.len() >= end + length).then_some((health, end + length))
}

fn response(ok: bool) -> &'static [u8] {
    if ok {
        b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nok\n"
    } else {
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\ndown\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whole_requests_only() {
        assert_eq!(parse(b"GET /health HTTP/1.1\r\nhost: x\r\n"), None);
        let get = b"GET /svc/health HTTP/1.1\r\nhost: x\r\n\r\nGET";
        assert_eq!(parse(get), Some((true, get.len() - 3)));
        let post = b"POST /work HTTP/1.1\r\ncontent-length: 2\r\n\r\nab";
        assert_eq!(parse(post), Some((false, post.len())));
        assert_eq!(parse(&post[..post.len() - 1]), None);
    }

    #[test]
    fn answers_follow_the_health_switches() {
        let server = RecoveryServer::start().unwrap();
        let get = |path: &str| {
            let mut s = TcpStream::connect(server.addr).unwrap();
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
        // The log is written after the answer: wait for the last entry.
        let deadline = Instant::now() + Duration::from_secs(5);
        while server.hits().len() < 4 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        let hits = server.hits();
        assert_eq!(hits.len(), 4);
        assert_eq!(server.health_answered(), 3);
        assert_eq!(server.work_answered(), 1);
        assert_eq!(hits.iter().filter(|h| h.ok).count(), 2);
    }
}
