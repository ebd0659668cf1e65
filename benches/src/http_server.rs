//! The HTTP/1.1 server of `http_compare`: hyper on its own tokio runtime, in its own OS thread,
//! on 127.0.0.1, counting the connections it accepts.
//!
//! It answers `GET /small` with [`SMALL_LEN`] bytes, `GET /big` with [`BIG_LEN`] bytes and
//! `GET /health` with `ok` (the probe path of a `FuseClient`), all `200 OK` from bodies built
//! once, and anything else with `404`. Connections are kept alive (HTTP/1.1 persistent
//! connections, hyper's default) until the client closes them.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// The length of the `/small` body, in bytes.
pub const SMALL_LEN: usize = 100;

/// The length of the `/big` body, in bytes: 1 MiB.
pub const BIG_LEN: usize = 1024 * 1024;

/// The bodies the server hands out; cloning a [`Bytes`] only bumps a reference count.
#[derive(Clone, Debug)]
struct Bodies {
    small: Bytes,
    big: Bytes,
}

impl Bodies {
    fn new() -> Bodies {
        let pattern = |len: usize| -> Bytes { (0..len).map(|i| b'a' + (i % 26) as u8).collect() };
        Bodies {
            small: pattern(SMALL_LEN),
            big: pattern(BIG_LEN),
        }
    }

    fn answer(&self, req: &Request<Incoming>) -> Response<Full<Bytes>> {
        let body = match req.uri().path() {
            "/small" => self.small.clone(),
            "/big" => self.big.clone(),
            "/health" => Bytes::from_static(b"ok"),
            _ => {
                let mut response = Response::new(Full::new(Bytes::from_static(b"not found")));
                *response.status_mut() = StatusCode::NOT_FOUND;
                return response;
            }
        };
        Response::new(Full::new(body))
    }
}

/// The running server; dropping it stops it (its runtime, and with it every open connection).
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    accepts: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and starts serving on a current-thread tokio runtime in a
    /// thread of its own.
    ///
    /// # Errors
    ///
    /// When the runtime cannot be built, the port cannot be bound or the thread cannot start.
    pub fn start() -> io::Result<Server> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let listener = {
            let _enter = rt.enter();
            TcpListener::from_std(std_listener)?
        };
        let accepts = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel::<()>();
        let counter = accepts.clone();
        let thread = thread::Builder::new()
            .name(crate::http_cpu::SERVER_THREAD.to_owned())
            .spawn(move || {
                rt.block_on(futures_lite::future::or(
                    accept_loop(listener, counter),
                    async {
                        // A closed channel (the `Server` dropped) stops the server too.
                        let _ = stopped.await;
                    },
                ));
                // Connections still open are dropped with the runtime.
                rt.shutdown_background();
            })?;
        Ok(Server {
            addr,
            accepts,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many connections the server has accepted since it started.
    pub fn accepts(&self) -> u64 {
        self.accepts.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Accepts connections until the process or the runtime ends, serving each on a task of its own.
async fn accept_loop(listener: TcpListener, accepts: Arc<AtomicU64>) {
    let bodies = Bodies::new();
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors and the like: wait a moment rather than spin.
                eprintln!("http server: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        accepts.fetch_add(1, Ordering::Relaxed);
        let _ = stream.set_nodelay(true);
        let bodies = bodies.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let response = bodies.answer(&req);
                async move { Ok::<_, Infallible>(response) }
            });
            // A client that closes its connection mid-request is no concern of the bench.
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
