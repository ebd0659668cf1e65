//! [`Server`] and its [`Builder`]: the listener, its acceptor thread, a thread per connection,
//! and stopping them all when the handle drops.

use std::fmt;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::reply::{Accept, Reply};
use crate::seen::{Handshake, Log, Seen, lock};

type Handler = Box<dyn Fn(&Seen) -> Reply + Send + Sync>;
type HeadHandler = Box<dyn Fn(&Seen) -> Option<Reply> + Send + Sync>;
type AcceptHandler = Box<dyn Fn(usize) -> Accept + Send + Sync>;

/// Requests logged at most by default; later ones are counted only.
const LOG_LIMIT: usize = 1 << 20;

/// Whether connections speak TLS.
pub(crate) enum Security {
    Plain,
    #[cfg(feature = "tls")]
    Tls(Arc<rustls::ServerConfig>),
    /// TLS for connections that open with a TLS handshake record, plain HTTP for the others.
    #[cfg(feature = "tls")]
    TlsOrPlain(Arc<rustls::ServerConfig>),
}

/// How the server behaves, fixed when it starts.
pub(crate) struct Plan {
    pub(crate) handler: Handler,
    pub(crate) on_head: Option<HeadHandler>,
    pub(crate) on_accept: Option<AcceptHandler>,
    pub(crate) idle_close: Option<Duration>,
    pub(crate) security: Security,
}

/// What the server's threads share.
pub(crate) struct Shared {
    pub(crate) stop: AtomicBool,
    pub(crate) log: Log,
    pub(crate) plan: Plan,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// Settings of a [`Server`] beyond its handler; made by [`Server::builder`].
#[must_use]
pub struct Builder {
    on_head: Option<HeadHandler>,
    on_accept: Option<AcceptHandler>,
    idle_close: Option<Duration>,
    security: Security,
    log_limit: usize,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("idle_close", &self.idle_close)
            .finish_non_exhaustive()
    }
}

impl Builder {
    /// Closes a connection (gracefully) once it has been idle this long between requests, as
    /// servers with a keep-alive timeout do, without announcing it.
    pub fn idle_close(mut self, after: Duration) -> Builder {
        self.idle_close = Some(after);
        self
    }

    /// Decides what to do with each accepted connection, given its number (0 for the first):
    /// serve it, or close, reset or ignore it before reading anything.
    pub fn on_accept(mut self, f: impl Fn(usize) -> Accept + Send + Sync + 'static) -> Builder {
        self.on_accept = Some(Box::new(f));
        self
    }

    /// Looks at each request as soon as its head is read, before its body: a reply returned
    /// here is sent at once (an early final response, such as a 413 while the client is still
    /// sending), the handler is not asked, and the request is logged without its body. After a
    /// reply that keeps the connection alive, the body is read and dropped. `None` reads the
    /// body and asks the handler as usual.
    pub fn on_head(
        mut self,
        f: impl Fn(&Seen) -> Option<Reply> + Send + Sync + 'static,
    ) -> Builder {
        self.on_head = Some(Box::new(f));
        self
    }

    /// Speaks TLS on every connection, with `config`; a handshake that fails is counted
    /// ([`Server::failed_handshakes`]) and its connection closed.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, config: rustls::ServerConfig) -> Builder {
        self.security = Security::Tls(Arc::new(config));
        self
    }

    /// Speaks TLS with `config` on connections that open with a TLS handshake record, and plain
    /// HTTP on the others, on the one port ([`Seen::tls`] tells which carried a request).
    #[cfg(feature = "tls")]
    pub fn tls_or_plain(mut self, config: rustls::ServerConfig) -> Builder {
        self.security = Security::TlsOrPlain(Arc::new(config));
        self
    }

    /// Logs at most `requests` requests (2^20 unless told); later ones are counted only.
    pub fn log_limit(mut self, requests: usize) -> Builder {
        self.log_limit = requests;
        self
    }

    /// Starts the server on a free port of 127.0.0.1, answering every request as `handler`
    /// says.
    ///
    /// # Panics
    ///
    /// If no port of 127.0.0.1 can be bound or no thread started.
    pub fn start(self, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port of 127.0.0.1");
        let addr = listener.local_addr().expect("the bound address");
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            log: Log::new(self.log_limit),
            plan: Plan {
                handler: Box::new(handler),
                on_head: self.on_head,
                on_accept: self.on_accept,
                idle_close: self.idle_close,
                security: self.security,
            },
            threads: Mutex::new(Vec::new()),
        });
        let acceptor = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("testserver-accept".into())
                .spawn(move || accept(&listener, &shared))
                .expect("start the acceptor thread")
        };
        Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }
}

/// A running fault-injecting HTTP/1.1 server on 127.0.0.1; it stops when dropped, and every
/// thread it started has ended when the drop returns.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Settings beyond the handler: TLS, what to do on accept, early replies, idle close.
    pub fn builder() -> Builder {
        Builder {
            on_head: None,
            on_accept: None,
            idle_close: None,
            security: Security::Plain,
            log_limit: LOG_LIMIT,
        }
    }

    /// A plain HTTP server answering every request as `handler` says, keeping idle connections
    /// open.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        Server::builder().start(handler)
    }

    /// As [`start`](Self::start), and closing a connection once it has been idle for
    /// `idle_close` ([`Builder::idle_close`]).
    pub fn start_with(
        idle_close: Option<Duration>,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let builder = Server::builder();
        match idle_close {
            Some(after) => builder.idle_close(after),
            None => builder,
        }
        .start(handler)
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:port` followed by `path` (`https://` on a TLS server).
    pub fn url(&self, path: &str) -> String {
        let scheme = match self.shared.plan.security {
            Security::Plain => "http",
            #[cfg(feature = "tls")]
            _ => "https",
        };
        format!("{scheme}://{}{path}", self.addr)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.shared.log.accepted.load(Ordering::SeqCst)
    }

    /// Connections that have ended (closed by either side, reset, or broken) so far.
    pub fn closed(&self) -> usize {
        self.shared.log.ended.load(Ordering::SeqCst)
    }

    /// Requests read whole so far, logged or not.
    pub fn requests(&self) -> usize {
        self.shared.log.requests.load(Ordering::SeqCst)
    }

    /// Requests seen so far, in the order their heads were read (up to the log limit).
    pub fn seen(&self) -> Vec<Seen> {
        lock(&self.shared.log.seen).clone()
    }

    /// The TLS handshakes that succeeded, in order.
    pub fn handshakes(&self) -> Vec<Handshake> {
        lock(&self.shared.log.handshakes).clone()
    }

    /// TLS handshakes that failed.
    pub fn failed_handshakes(&self) -> usize {
        self.shared.log.failed_handshakes.load(Ordering::SeqCst)
    }

    /// Connections served as plain HTTP by a server made with `Builder::tls_or_plain` (feature
    /// `tls`).
    pub fn plain_connections(&self) -> usize {
        self.shared.log.plain.load(Ordering::SeqCst)
    }

    /// Waits, on any runtime, until at least `n` connections have ended.
    pub async fn wait_closed(&self, n: usize) {
        self.shared.log.until(|| self.closed() >= n).await;
    }

    /// Waits, on any runtime, until at least `n` requests have been read whole.
    pub async fn wait_requests(&self, n: usize) {
        self.shared.log.until(|| self.requests() >= n).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        // Each connection thread sees the flag within a poll interval.
        let threads = std::mem::take(&mut *lock(&self.shared.threads));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

fn accept(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.log.bump(&shared.log.accepted);
        let task = {
            let shared = shared.clone();
            move || {
                crate::conn::serve(stream, id, &shared);
                shared.log.bump(&shared.log.ended);
            }
        };
        let mut threads = lock(&shared.threads);
        threads.retain(|t| !t.is_finished());
        // A connection whose thread cannot start is dropped, as an overloaded server would.
        if let Ok(thread) = thread::Builder::new()
            .name("testserver-conn".into())
            .spawn(task)
        {
            threads.push(thread);
        }
    }
}

/// Opens an accepted connection as the server's TLS setting says: its stream, and whether it
/// is TLS. `None` when a TLS handshake failed or the server stopped first.
pub(crate) fn open(tcp: TcpStream, shared: &Shared) -> Option<(crate::wire::Wire, bool)> {
    match &shared.plan.security {
        Security::Plain => Some((crate::wire::Wire::Plain(tcp), false)),
        #[cfg(feature = "tls")]
        Security::Tls(config) => crate::handshake::accept(tcp, config, shared),
        #[cfg(feature = "tls")]
        Security::TlsOrPlain(config) => crate::handshake::sniff(tcp, config, shared),
    }
}
