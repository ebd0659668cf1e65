//! Shared by the HTTP scenario tests: runtimes, the workspace's fault-injecting server, runtime
//! wrappers.
#![allow(dead_code, unused_imports, unreachable_pub, missing_docs)]

mod runtimes;
#[cfg(feature = "tls")]
pub mod tls;

pub use fusebox_testserver::{Accept, Cut, Reply, Seen, Server, Silent, Then};
pub use runtimes::{on_smol, on_smol_within, on_tokio, on_tokio_within, settle, sleep};

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use fusebox_core::rt::{BoxFuture, BoxIo, Dial, Spawner};

/// A spawner whose tasks can be frozen: while the gate is shut, spawned tasks (connection
/// drivers, the pool's reaper) are not polled. A test uses it to keep a connection's driver from
/// noticing that the server closed it.
#[derive(Clone)]
pub struct Gated<S> {
    inner: S,
    gate: Arc<Gate>,
}

#[derive(Default)]
pub struct Gate {
    shut: AtomicBool,
    waiting: Mutex<Vec<Waker>>,
}

impl Gate {
    pub fn shut(&self) {
        self.shut.store(true, Ordering::SeqCst);
    }

    pub fn open(&self) {
        self.shut.store(false, Ordering::SeqCst);
        for waker in self.waiting.lock().unwrap().drain(..) {
            waker.wake();
        }
    }
}

impl<S: Spawner> Gated<S> {
    pub fn new(inner: S) -> (Gated<S>, Arc<Gate>) {
        let gate = Arc::new(Gate::default());
        let gated = Gated {
            inner,
            gate: gate.clone(),
        };
        (gated, gate)
    }
}

impl<S: Spawner> Spawner for Gated<S> {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.inner.spawn(Box::pin(GatedTask {
            gate: self.gate.clone(),
            task,
        }));
    }
}

struct GatedTask {
    gate: Arc<Gate>,
    task: BoxFuture<'static, ()>,
}

impl Future for GatedTask {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.gate.shut.load(Ordering::SeqCst) {
            self.gate.waiting.lock().unwrap().push(cx.waker().clone());
            // Opened meanwhile: its wake may have missed the waker just pushed.
            if self.gate.shut.load(Ordering::SeqCst) {
                return Poll::Pending;
            }
        }
        self.task.as_mut().poll(cx)
    }
}

/// A dialer that never connects, and says when it was asked to.
pub struct NeverDial {
    pub asked: smol::channel::Sender<()>,
}

impl Dial for NeverDial {
    fn dial(&self, _host: &str, _port: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        let _ = self.asked.try_send(());
        Box::pin(futures_lite::future::pending())
    }
}

/// A response read whole: its head, and its body collected (which gives the connection back to
/// the pool), for the many tests that look at both at once.
#[derive(Debug)]
pub struct Whole {
    pub status: http::StatusCode,
    pub version: http::Version,
    pub headers: http::HeaderMap,
    pub body: bytes::Bytes,
}

impl Whole {
    pub fn status(&self) -> http::StatusCode {
        self.status
    }

    pub fn version(&self) -> http::Version {
        self.version
    }

    pub fn headers(&self) -> &http::HeaderMap {
        &self.headers
    }

    pub fn body(&self) -> &bytes::Bytes {
        &self.body
    }
}

/// Sends a request (a builder, or a `send` future) and reads its body whole.
pub async fn whole<F>(request: F) -> Result<Whole, fusebox_http::Error>
where
    F: std::future::IntoFuture<Output = Result<fusebox_http::Response, fusebox_http::Error>>,
{
    let response = request.await?;
    let (status, version, headers) = (
        response.status(),
        response.version(),
        response.headers().clone(),
    );
    let body = response.bytes().await?;
    Ok(Whole {
        status,
        version,
        headers,
        body,
    })
}
