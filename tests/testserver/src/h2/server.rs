//! [`H2Server`]: hyper's server (HTTP/1.1 and HTTP/2, told apart by the HTTP/2 preface) on a
//! tokio runtime of its own thread, so that it serves clients on any runtime.

use std::fmt;
use std::net::{SocketAddr, TcpListener};
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::sync::{Notify, oneshot};

/// The longest a held request waits for its group before it is answered anyway, so that a test
/// whose client sends fewer requests than it should ends instead of hanging.
const HOLD_LIMIT: Duration = Duration::from_secs(10);

/// What the server counted, shared with its tasks.
#[derive(Default)]
struct Stats {
    connections: AtomicUsize,
    /// Requests that reached the handler, in order.
    arrived: AtomicUsize,
    /// Requests in the handler now, and the most at once.
    in_handler: AtomicUsize,
    peak: AtomicUsize,
    http1: AtomicUsize,
    http2: AtomicUsize,
    /// Notified whenever a request arrives, for those held for their group.
    arrivals: Notify,
}

/// Settings of an [`H2Server`]; made by [`H2Server::builder`].
#[must_use]
pub struct H2Builder {
    max_concurrent_streams: Option<u32>,
    tls: Option<Arc<rustls::ServerConfig>>,
    hold: usize,
    goaway_after: Option<usize>,
}

impl fmt::Debug for H2Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H2Builder")
            .field("max_concurrent_streams", &self.max_concurrent_streams)
            .field("tls", &self.tls.is_some())
            .field("hold", &self.hold)
            .field("goaway_after", &self.goaway_after)
            .finish()
    }
}

impl H2Builder {
    /// Announces `SETTINGS_MAX_CONCURRENT_STREAMS = max` on HTTP/2 connections (hyper's default
    /// is 200).
    pub fn max_concurrent_streams(mut self, max: u32) -> H2Builder {
        self.max_concurrent_streams = Some(max);
        self
    }

    /// Speaks TLS with `config`; its ALPN protocols decide between `h2` and `http/1.1`.
    pub fn tls(mut self, config: rustls::ServerConfig) -> H2Builder {
        self.tls = Some(Arc::new(config));
        self
    }

    /// Holds requests in the handler in groups of `n` by order of arrival: each is answered
    /// once all `n` of its group have arrived (or after 10 s), so that `n` requests are in the
    /// handler at once when the client sends them together.
    pub fn hold_in_groups_of(mut self, n: usize) -> H2Builder {
        self.hold = n;
        self
    }

    /// Shuts each connection down gracefully once `n` requests have reached its handler: a
    /// `GOAWAY` (hyper's two-step one), after which the requests it processed are answered and
    /// the streams above its last id are refused.
    pub fn goaway_after(mut self, n: usize) -> H2Builder {
        self.goaway_after = Some(n);
        self
    }

    /// Binds a free port of 127.0.0.1 and starts serving: every request is answered `200` with
    /// `<path> over <version>` as its body.
    ///
    /// # Panics
    ///
    /// If no port can be bound or the runtime cannot be built.
    pub fn start(self) -> H2Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port of 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("the bound address");
        let stats = Arc::new(Stats::default());
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the server");
        let shared = stats.clone();
        let thread =
            thread::spawn(move || runtime.block_on(serve(listener, self, shared, stopped)));
        H2Server {
            addr,
            stats,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

/// Accepts connections until told to stop; dropping the runtime then ends their tasks.
async fn serve(
    listener: TcpListener,
    plan: H2Builder,
    stats: Arc<Stats>,
    mut stopped: oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    let plan = Arc::new(plan);
    loop {
        let tcp = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        stats.connections.fetch_add(1, Ordering::SeqCst);
        tcp.set_nodelay(true).ok();
        tokio::spawn(connection(tcp, plan.clone(), stats.clone()));
    }
}

/// Serves one connection, after the TLS handshake if the server speaks TLS.
async fn connection(tcp: tokio::net::TcpStream, plan: Arc<H2Builder>, stats: Arc<Stats>) {
    // A failed connection is the client's doing, and what a test looks at on the client side.
    match &plan.tls {
        None => serve_on(TokioIo::new(tcp), &plan, stats).await,
        Some(config) => {
            let Ok(tls) = tokio_rustls::TlsAcceptor::from(config.clone())
                .accept(tcp)
                .await
            else {
                return;
            };
            serve_on(TokioIo::new(tls), &plan, stats).await;
        }
    }
}

/// Serves one connection's requests; with `goaway_after`, shuts it down gracefully once it has
/// taken that many.
async fn serve_on<IO>(io: TokioIo<IO>, plan: &H2Builder, stats: Arc<Stats>)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if let Some(max) = plan.max_concurrent_streams {
        builder.http2().max_concurrent_streams(max);
    }
    let hold = plan.hold;
    let taken = Arc::new(AtomicUsize::new(0));
    let enough = Arc::new(Notify::new());
    let limit = plan.goaway_after.unwrap_or(usize::MAX);
    let (counted, reached) = (taken.clone(), enough.clone());
    let service = service_fn(move |req| {
        if counted.fetch_add(1, Ordering::SeqCst) + 1 == limit {
            reached.notify_one();
        }
        answer(req, stats.clone(), hold)
    });
    let mut conn = pin!(builder.serve_connection(io, service));
    tokio::select! {
        _ = conn.as_mut() => return,
        () = enough.notified() => {}
    }
    conn.as_mut().graceful_shutdown();
    conn.await.ok();
}

async fn answer(
    req: Request<Incoming>,
    stats: Arc<Stats>,
    hold: usize,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.uri().path() == "/authority" {
        // What the request named as its authority (`:authority` over HTTP/2, `Host` over 1.1),
        // answered at once, outside the counts and the hold's groups.
        let uri = req.uri().authority().map(|a| a.to_string());
        let host =
            (req.headers().get("host")).map(|h| String::from_utf8_lossy(h.as_bytes()).into());
        let body = uri.or(host).unwrap_or_default();
        return Ok(Response::new(Full::new(Bytes::from(body))));
    }
    let index = stats.arrived.fetch_add(1, Ordering::SeqCst);
    let inside = stats.in_handler.fetch_add(1, Ordering::SeqCst) + 1;
    stats.peak.fetch_max(inside, Ordering::SeqCst);
    match req.version() {
        Version::HTTP_2 => stats.http2.fetch_add(1, Ordering::SeqCst),
        _ => stats.http1.fetch_add(1, Ordering::SeqCst),
    };
    stats.arrivals.notify_waiters();
    if hold > 1 {
        let group_full = (index / hold + 1) * hold;
        let until = tokio::time::Instant::now() + HOLD_LIMIT;
        loop {
            // Listen before looking, so that an arrival in between is not missed.
            let mut arrival = pin!(stats.arrivals.notified());
            arrival.as_mut().enable();
            if stats.arrived.load(Ordering::SeqCst) >= group_full {
                break;
            }
            if tokio::time::timeout_at(until, arrival).await.is_err() {
                break;
            }
        }
    }
    stats.in_handler.fetch_sub(1, Ordering::SeqCst);
    let body = format!("{} over {:?}", req.uri().path(), req.version());
    Ok(Response::new(Full::new(Bytes::from(body))))
}

/// hyper's server on 127.0.0.1, HTTP/1.1 and HTTP/2; stops when dropped, its thread ended when
/// the drop returns.
pub struct H2Server {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl H2Server {
    /// Settings beyond the defaults: plain TCP, hyper's stream limit, no holding.
    pub fn builder() -> H2Builder {
        H2Builder {
            max_concurrent_streams: None,
            tls: None,
            hold: 0,
            goaway_after: None,
        }
    }

    /// A plain server with the defaults.
    pub fn start() -> H2Server {
        H2Server::builder().start()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// Requests that reached the handler so far, as (HTTP/1.x, HTTP/2).
    pub fn requests(&self) -> (usize, usize) {
        let s = &self.stats;
        (
            s.http1.load(Ordering::SeqCst),
            s.http2.load(Ordering::SeqCst),
        )
    }

    /// The most requests that were in the handler at once.
    pub fn peak_in_handler(&self) -> usize {
        self.stats.peak.load(Ordering::SeqCst)
    }
}

impl fmt::Debug for H2Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H2Server")
            .field("addr", &self.addr)
            .field("connections", &self.connections())
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

impl Drop for H2Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}
