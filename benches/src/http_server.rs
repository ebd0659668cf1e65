//! The HTTP/1.1 server of `http_compare`: hyper on its own tokio runtime, in its own OS thread,
//! on 127.0.0.1, counting the connections it accepts.
//!
//! It listens on two ports: one for plain HTTP and one for HTTPS, which serves the same routes
//! over TLS (rustls with its ring provider, through futures-rustls over fusebox-tokio's
//! [`TokioIo`](fusebox_tokio::TokioIo)). The HTTPS port presents a certificate for the IP address
//! 127.0.0.1, issued at startup by a certificate authority made with rcgen; clients trust that
//! authority ([`Server::ca_der`]) and nothing else.
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
use futures_rustls::TlsAcceptor;
use futures_rustls::rustls::ServerConfig;
use futures_rustls::rustls::crypto::ring;
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
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
    https_addr: SocketAddr,
    ca_der: Vec<u8>,
    accepts: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Binds 127.0.0.1 on two free ports (HTTP and HTTPS), makes the certificates of the HTTPS
    /// one, and starts serving on a current-thread tokio runtime in a thread of its own.
    ///
    /// # Errors
    ///
    /// When the runtime cannot be built, a port cannot be bound, the certificates cannot be made
    /// or the thread cannot start.
    pub fn start() -> io::Result<Server> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let bind = || -> io::Result<(TcpListener, SocketAddr)> {
            let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            std_listener.set_nonblocking(true)?;
            let addr = std_listener.local_addr()?;
            let _enter = rt.enter();
            Ok((TcpListener::from_std(std_listener)?, addr))
        };
        let (listener, addr) = bind()?;
        let (https_listener, https_addr) = bind()?;
        let (ca_der, tls) = tls_config().map_err(io::Error::other)?;
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let accepts = Arc::new(AtomicU64::new(0));
        let (stop, stopped) = oneshot::channel::<()>();
        let counter = accepts.clone();
        let thread = thread::Builder::new()
            .name(crate::http_cpu::SERVER_THREAD.to_owned())
            .spawn(move || {
                rt.block_on(futures_lite::future::or(
                    futures_lite::future::or(
                        accept_loop(listener, None, counter.clone()),
                        accept_loop(https_listener, Some(acceptor), counter),
                    ),
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
            https_addr,
            ca_der,
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

    /// `https://127.0.0.1:PORT` (the HTTPS port), without a trailing slash.
    pub fn https_base_url(&self) -> String {
        format!("https://{}", self.https_addr)
    }

    /// The DER certificate of the authority that issued the HTTPS port's certificate: the one
    /// root an HTTPS client must trust.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// How many connections the server has accepted since it started, on both ports.
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

/// A certificate authority made now, and the server's TLS settings: a certificate for the IP
/// address 127.0.0.1 issued by that authority, TLS 1.3 and 1.2, ALPN `http/1.1`. Returns the
/// authority's DER certificate with the settings.
fn tls_config() -> Result<(Vec<u8>, ServerConfig), String> {
    let fail = |what: &'static str| move |e: rcgen::Error| format!("{what}: {e}");
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail("CA params"))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.distinguished_name
        .push(DnType::CommonName, "http_compare bench CA");
    let ca_key = KeyPair::generate().map_err(fail("CA key"))?;
    let issuer = CertifiedIssuer::self_signed(ca, ca_key).map_err(fail("CA certificate"))?;

    // "127.0.0.1" becomes an IP address subject alternative name, which rustls verifies against
    // the URL's host.
    let mut leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned()]).map_err(fail("server params"))?;
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().map_err(fail("server key"))?;
    let cert = leaf
        .signed_by(&leaf_key, &issuer)
        .map_err(fail("server certificate"))?;

    let key: PrivateKeyDer<'static> = PrivatePkcs8KeyDer::from(leaf_key.serialize_der()).into();
    let chain: Vec<CertificateDer<'static>> = vec![cert.der().clone()];
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("server certificate: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((issuer.der().to_vec(), config))
}

/// Accepts connections until the process or the runtime ends, serving each on a task of its own:
/// over TLS when given an acceptor, else plain.
async fn accept_loop(listener: TcpListener, tls: Option<TlsAcceptor>, accepts: Arc<AtomicU64>) {
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
        match &tls {
            None => {
                tokio::spawn(serve(TokioIo::new(stream), bodies));
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that gives up mid-handshake is no concern of the bench either.
                    let Ok(stream) = acceptor.accept(fusebox_tokio::TokioIo::new(stream)).await
                    else {
                        return;
                    };
                    serve(smol_hyper::rt::FuturesIo::new(stream), bodies).await;
                });
            }
        }
    }
}

/// Serves HTTP/1.1 on one connection until the client closes it.
async fn serve<I>(io: I, bodies: Bodies)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let service = service_fn(move |req: Request<Incoming>| {
        let response = bodies.answer(&req);
        async move { Ok::<_, Infallible>(response) }
    });
    // A client that closes its connection mid-request is no concern of the bench.
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service)
        .await;
}
