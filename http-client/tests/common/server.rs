//! A small HTTP/1.1 server on blocking std threads, for fault injection: it answers as a
//! handler says, can hold a response, drop a connection, or close idle connections, and logs
//! what it saw. Blocking threads keep it independent of the runtime under test.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How often blocked server threads look at the stop flag.
const POLL: Duration = Duration::from_millis(5);

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The connection it came on: 0 for the first accepted, and so on.
    pub conn: usize,
    pub method: String,
    pub path: String,
    pub host: Option<String>,
    pub body: Vec<u8>,
}

/// What to do with a request.
#[derive(Debug, Clone)]
pub struct Reply {
    action: Action,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunked: bool,
    delay: Duration,
    close_after: bool,
}

#[derive(Debug, Clone, Copy)]
enum Action {
    Respond,
    /// Never answer; keep the connection open until the server stops.
    Hang,
    /// Close the connection without answering.
    Drop,
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            action: Action::Respond,
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            chunked: false,
            delay: Duration::ZERO,
            close_after: false,
        }
    }

    /// Holds the request forever.
    pub fn hang() -> Reply {
        Reply {
            action: Action::Hang,
            ..Reply::ok("")
        }
    }

    /// Closes the connection without answering.
    pub fn drop_connection() -> Reply {
        Reply {
            action: Action::Drop,
            ..Reply::ok("")
        }
    }

    pub fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sends the body with chunked transfer encoding (no length announced).
    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    /// Waits this long before answering.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Closes the connection right after the response, without saying so in a header.
    pub fn close_after(mut self) -> Reply {
        self.close_after = true;
        self
    }
}

type Handler = Box<dyn Fn(&Seen) -> Reply + Send + Sync>;

struct Shared {
    stop: AtomicBool,
    connections: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    idle_close: Option<Duration>,
    handler: Handler,
}

/// A running server on 127.0.0.1; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl Server {
    /// A server answering every request as `handler` says, keeping idle connections open.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_with(None, handler)
    }

    /// A server that also closes a connection once it has been idle for `idle_close`, as servers
    /// with a keep-alive timeout do.
    pub fn start_with(
        idle_close: Option<Duration>,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            idle_close,
            handler: Box::new(handler),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::spawn(move || accept(listener, shared))
        };
        Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:port` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Requests seen so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.connections.fetch_add(1, Ordering::SeqCst);
        let shared = shared.clone();
        thread::spawn(move || {
            let _ = serve(stream, id, &shared);
        });
    }
}

fn serve(mut stream: TcpStream, conn: usize, shared: &Shared) -> io::Result<()> {
    stream.set_read_timeout(Some(POLL))?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::new();
    let mut idle_since = Instant::now();
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Some((seen, used)) = parse(&buf, conn) {
            buf.drain(..used);
            shared.seen.lock().unwrap().push(seen.clone());
            let reply = (shared.handler)(&seen);
            match reply.action {
                Action::Drop => return Ok(()),
                Action::Hang => {
                    pause(shared, Duration::MAX);
                    return Ok(());
                }
                Action::Respond => {
                    pause(shared, reply.delay);
                    stream.write_all(&encode(&reply))?;
                    if reply.close_after {
                        return Ok(());
                    }
                }
            }
            idle_since = Instant::now();
            continue;
        }
        let mut chunk = [0u8; 4096];
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let idle_out = shared
                    .idle_close
                    .is_some_and(|idle| buf.is_empty() && idle_since.elapsed() >= idle);
                if idle_out {
                    return Ok(());
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// Sleeps up to `d`, ending early when the server stops.
fn pause(shared: &Shared, d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d && !shared.stop.load(Ordering::SeqCst) {
        thread::sleep(POLL);
    }
}

/// A whole request at the start of `buf`, and how many bytes it took.
fn parse(buf: &[u8], conn: usize) -> Option<(Seen, usize)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let mut host = None;
    let mut length = 0;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("host") {
            host = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        }
    }
    if buf.len() < end + length {
        return None;
    }
    let body = buf[end..end + length].to_vec();
    let seen = Seen {
        conn,
        method,
        path,
        host,
        body,
    };
    Some((seen, end + length))
}

fn encode(reply: &Reply) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} Whatever\r\n", reply.status).into_bytes();
    for (name, value) in &reply.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if reply.chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        let (first, second) = reply.body.split_at(reply.body.len() / 2);
        for part in [first, second] {
            if !part.is_empty() {
                out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                out.extend_from_slice(part);
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", reply.body.len()).as_bytes());
        out.extend_from_slice(&reply.body);
    }
    out
}
