//! The demo's embedded HTTP/1.1 server: std threads on 127.0.0.1, independent of the runtime
//! under test. How it answers follows the [`Phase`] that the demo's timeline sets; it counts the
//! TCP connections it accepts and reports every health check (the recovery task's probes).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

/// How late every answer is in the slow phase: more than the breaker's `max_delay`.
pub(crate) const SLOW: Duration = Duration::from_millis(150);
/// How often blocked server threads look at the stop flag.
const POLL: Duration = Duration::from_millis(10);
/// The longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

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

struct Shared {
    phase: AtomicU8,
    stop: AtomicBool,
    accepted: AtomicU64,
    hits: Sender<HealthHit>,
}

/// The running server; stops when dropped.
pub(crate) struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts on a free port of 127.0.0.1, healthy. The receiver gets every health check.
    pub(crate) fn start() -> io::Result<(Server, Receiver<HealthHit>)> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            phase: AtomicU8::new(Phase::Healthy as u8),
            stop: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            hits: tx,
        });
        let acceptor = {
            let shared = shared.clone();
            thread::spawn(move || accept(&listener, &shared))
        };
        let server = Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        };
        Ok((server, rx))
    }

    /// `http://127.0.0.1:port`.
    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.shared.phase.store(phase as u8, SeqCst);
    }

    /// TCP connections accepted so far.
    pub(crate) fn accepted(&self) -> u64 {
        self.shared.accepted.load(SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
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
        thread::spawn(move || {
            // A connection that breaks just ends its thread.
            let _ = serve(stream, &shared);
        });
    }
}

fn phase_of(shared: &Shared) -> Phase {
    Phase::ALL[usize::from(shared.phase.load(SeqCst)).min(3)]
}

/// Serves the keep-alive requests of one connection until the client closes it.
fn serve(mut stream: TcpStream, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    loop {
        if shared.stop.load(SeqCst) {
            return Ok(());
        }
        if let Some((path, used)) = parse(&buf) {
            buf.drain(..used);
            let (status, delay) = phase_of(shared).answer(&path);
            if is_health(&path) {
                let hit = HealthHit {
                    at: Instant::now(),
                    path,
                    status,
                    delay,
                };
                let _ = shared.hits.send(hit);
            }
            thread::sleep(delay);
            stream.write_all(&response(status))?;
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
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }
}

/// The path of a whole request at the start of `buf`, and how many bytes the request took.
fn parse(buf: &[u8]) -> Option<(String, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let path = lines.next()?.split(' ').nth(1).unwrap_or("/").to_owned();
    let length: usize = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0);
    (buf.len() >= end + length).then_some((path, end + length))
}

fn response(status: u16) -> Vec<u8> {
    let (reason, body) = match status {
        200 => ("OK", "ok\n"),
        _ => ("Service Unavailable", "down for the demo\n"),
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}
