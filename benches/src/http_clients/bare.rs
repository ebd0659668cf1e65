//! [`Bare`]: bare hyper, one kept-alive connection and no pool, on tokio or on smol: the floor
//! that fusebox's client on the same runtime is measured against.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use fusebox_core::rt::Spawner;
use fusebox_smol::SmolRuntime;
use http::header::HOST;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use smol_hyper::rt::FuturesIo;

use super::client::host_header;
use super::{Target, Urls};

/// How a [`Bare`] client opens its connection.
enum Dialer {
    /// `tokio::net::TcpStream` through hyper-util's `TokioIo`, which reads into hyper's buffer
    /// without a copy; the driver on `tokio::spawn`.
    Tokio,
    /// `smol::net::TcpStream` through smol-hyper's `FuturesIo`, as fusebox on smol reads; the
    /// driver on the runtime's executor.
    Smol(SmolRuntime),
}

/// hyper's sender on one connection to the server, opened at the first request (and again after
/// one that failed).
pub struct Bare {
    dialer: Dialer,
    urls: Arc<Urls>,
    host: HeaderValue,
    /// Taken for the whole of a request: one connection carries one request at a time.
    sender: smol::lock::Mutex<Option<SendRequest<Empty<Bytes>>>>,
}

impl fmt::Debug for Bare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bare")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl Bare {
    /// Bare hyper on tokio; call it inside the runtime.
    pub(super) fn tokio(urls: Arc<Urls>) -> Result<Bare, String> {
        Bare::new(Dialer::Tokio, urls)
    }

    /// Bare hyper on smol, its driver on `rt`'s executor.
    pub(super) fn smol(rt: SmolRuntime, urls: Arc<Urls>) -> Result<Bare, String> {
        Bare::new(Dialer::Smol(rt), urls)
    }

    fn new(dialer: Dialer, urls: Arc<Urls>) -> Result<Bare, String> {
        Ok(Bare {
            dialer,
            host: host_header(&urls)?,
            urls,
            sender: smol::lock::Mutex::new(None),
        })
    }

    /// One `GET` on the kept-alive connection, opening it first if there is none.
    pub(super) async fn get(&self, target: Target) -> Result<(StatusCode, usize), String> {
        let mut slot = self.sender.lock().await;
        let sender = match &mut *slot {
            Some(sender) => sender,
            None => slot.insert(self.connect().await?),
        };
        let outcome = async {
            // After a response, hyper's driver needs a moment before the next request.
            sender.ready().await.map_err(|e| format!("ready: {e}"))?;
            let req = Request::get(target.path())
                .header(HOST, self.host.clone())
                .body(Empty::<Bytes>::new())
                .map_err(|e| e.to_string())?;
            let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response.into_body().collect().await;
            Ok((status, body.map_err(|e| e.to_string())?.to_bytes().len()))
        }
        .await;
        if outcome.is_err() {
            // A broken connection is not used again.
            *slot = None;
        }
        outcome
    }

    /// A TCP stream with `TCP_NODELAY`, hyper's handshake on it, the driver spawned.
    async fn connect(&self) -> Result<SendRequest<Empty<Bytes>>, String> {
        let addr = (self.urls.host.as_str(), self.urls.port);
        let connect_failed = |e: std::io::Error| format!("connect: {e}");
        match &self.dialer {
            Dialer::Tokio => {
                let stream = tokio::net::TcpStream::connect(addr)
                    .await
                    .map_err(connect_failed)?;
                stream.set_nodelay(true).map_err(connect_failed)?;
                let (sender, conn) = handshake(TokioIo::new(stream)).await?;
                tokio::spawn(async move {
                    // Ends when the sender is dropped with the client, or the server closes.
                    let _ = conn.await;
                });
                Ok(sender)
            }
            Dialer::Smol(rt) => {
                let stream = smol::net::TcpStream::connect(addr)
                    .await
                    .map_err(connect_failed)?;
                stream.set_nodelay(true).map_err(connect_failed)?;
                let (sender, conn) = handshake(FuturesIo::new(stream)).await?;
                rt.spawn(Box::pin(async move {
                    let _ = conn.await;
                }));
                Ok(sender)
            }
        }
    }
}

/// hyper's HTTP/1.1 client handshake on `io`, with its default settings.
async fn handshake<T>(
    io: T,
) -> Result<
    (
        SendRequest<Empty<Bytes>>,
        hyper::client::conn::http1::Connection<T, Empty<Bytes>>,
    ),
    String,
>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("handshake: {e}"))
}
