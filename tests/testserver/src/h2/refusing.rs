//! [`H2Refusing`]: an HTTP/2 server that refuses the first streams it is sent.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};

use tokio::sync::oneshot;

/// An HTTP/2 server (prior knowledge, plain TCP) on 127.0.0.1, on the `h2` crate, that resets
/// the first `refused` streams it is sent with `REFUSED_STREAM` (RFC 9113, 8.7: the server did
/// not process them, so a client may send them again, whatever their method) and answers every
/// later one `200` with the request's body as its own. Stops when dropped.
#[derive(Debug)]
pub struct H2Refusing {
    port: u16,
    streams: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl H2Refusing {
    /// Binds a free port of 127.0.0.1 and starts serving.
    ///
    /// # Panics
    ///
    /// If no port can be bound.
    pub fn start(refused: usize) -> H2Refusing {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port of 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("the bound address").port();
        let streams = Arc::new(AtomicUsize::new(0));
        let (stop, stopped) = oneshot::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime for the server");
        let seen = streams.clone();
        let thread = thread::spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    _ = stopped => {}
                    () = serve(listener, refused, seen) => {}
                }
            });
        });
        H2Refusing {
            port,
            streams,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Streams it was sent so far, refused or answered.
    pub fn streams(&self) -> usize {
        self.streams.load(Ordering::SeqCst)
    }
}

impl Drop for H2Refusing {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

async fn serve(listener: TcpListener, refused: usize, streams: Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    while let Ok((tcp, _)) = listener.accept().await {
        tokio::spawn(connection(tcp, refused, streams.clone()));
    }
}

/// Serves one connection; one that fails is the client's doing, and seen on its side.
async fn connection(tcp: tokio::net::TcpStream, refused: usize, streams: Arc<AtomicUsize>) {
    let Ok(mut conn) = ::h2::server::handshake(tcp).await else {
        return;
    };
    while let Some(Ok((request, mut respond))) = conn.accept().await {
        if streams.fetch_add(1, Ordering::SeqCst) < refused {
            respond.send_reset(::h2::Reason::REFUSED_STREAM);
            continue;
        }
        tokio::spawn(async move {
            let mut body = request.into_body();
            let mut echo = Vec::new();
            while let Some(Ok(data)) = body.data().await {
                body.flow_control().release_capacity(data.len()).ok();
                echo.extend_from_slice(&data);
            }
            let Ok(mut send) = respond.send_response(http::Response::new(()), false) else {
                return;
            };
            send.send_data(bytes::Bytes::from(echo), true).ok();
        });
    }
}
