//! HTTPS for the scenario tests: certificates made at test time with rcgen, a TLS front for the
//! fault-injecting [`Server`], and a dialer that sends test host names to 127.0.0.1.
//!
//! The front runs on a thread of its own (a smol executor with futures-rustls), independent of
//! the runtime under test. It accepts both TLS and plain HTTP on one port, telling them apart
//! by the first byte (22, a TLS handshake record), and passes each connection's bytes to one of
//! two backend [`Server`]s: one for TLS connections, one for plain ones. So what each backend
//! saw tells which kind of connection carried a request.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use fusebox_core::rt::{BoxFuture, BoxIo, Dial};
use fusebox_http::tls::Certificate;
use futures_lite::future;
use futures_lite::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;

use super::{Reply, Seen, Server};

/// The first byte of a TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A certificate authority made for one test.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

/// A certificate and its key, issued by a [`Ca`].
pub struct Leaf {
    pub cert_der: CertificateDer<'static>,
    pub cert_pem: String,
    pub key_der: Vec<u8>,
    pub key_pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Ca { issuer }
    }

    /// The CA's certificate, as a client trusts it (read from PEM, as users would).
    pub fn root(&self) -> Certificate {
        Certificate::from_pem(self.issuer.pem()).unwrap()
    }

    pub fn der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A server certificate for `names`, valid from 1975 to 4096 (rcgen's defaults).
    pub fn server(&self, names: &[&str]) -> Leaf {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth, |_| {})
    }

    /// A server certificate for `names` that expired in 2001.
    pub fn expired_server(&self, names: &[&str]) -> Leaf {
        self.issue(names, ExtendedKeyUsagePurpose::ServerAuth, |params| {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        })
    }

    /// A client certificate for `name`.
    pub fn client(&self, name: &str) -> Leaf {
        self.issue(&[name], ExtendedKeyUsagePurpose::ClientAuth, |_| {})
    }

    fn issue(
        &self,
        names: &[&str],
        usage: ExtendedKeyUsagePurpose,
        adjust: impl FnOnce(&mut CertificateParams),
    ) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, &names[0]);
        params.extended_key_usages = vec![usage];
        adjust(&mut params);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            cert_der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }
}

impl Leaf {
    fn key(&self) -> PrivateKeyDer<'static> {
        PrivatePkcs8KeyDer::from(self.key_der.clone()).into()
    }
}

/// A server's TLS settings: `leaf` as its certificate; ALPN offers `h2` before `http/1.1`, so
/// that a client offering `h2` would get it.
pub fn server_config(leaf: &Leaf) -> ServerConfig {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.cert_der.clone()], leaf.key())
        .unwrap();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

/// As [`server_config`], but the server demands a client certificate issued by `clients`.
pub fn server_config_with_client_auth(leaf: &Leaf, clients: &Ca) -> ServerConfig {
    let mut roots = RootCertStore::empty();
    roots.add(clients.der()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![leaf.cert_der.clone()], leaf.key())
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    config
}

/// What the front saw of one TLS handshake that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    pub sni: Option<String>,
    pub alpn: Option<Vec<u8>>,
    pub client_certificate: bool,
}

#[derive(Default)]
struct Front {
    handshakes: Mutex<Vec<Handshake>>,
    failed_handshakes: AtomicUsize,
    plain: AtomicUsize,
}

/// A server on 127.0.0.1 that speaks HTTPS and plain HTTP on one port, answering both with one
/// handler; stops when dropped.
pub struct TlsServer {
    port: u16,
    front: Arc<Front>,
    tls_backend: Server,
    plain_backend: Server,
    stop: Option<smol::channel::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    pub fn start(
        config: ServerConfig,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> TlsServer {
        let handler = Arc::new(handler);
        let tls_backend = {
            let handler = handler.clone();
            Server::start(move |seen| handler(seen))
        };
        let plain_backend = Server::start(move |seen| handler(seen));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let front = Arc::new(Front::default());
        let (stop, stopped) = smol::channel::bounded::<()>(1);
        let backends = Backends {
            tls: backend_addr(&tls_backend),
            plain: backend_addr(&plain_backend),
        };
        let acceptor = futures_rustls::TlsAcceptor::from(Arc::new(config));
        let thread = {
            let front = front.clone();
            std::thread::spawn(move || {
                let executor = smol::LocalExecutor::new();
                let listener = smol::net::TcpListener::try_from(listener).unwrap();
                let accept = async {
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        let task = serve(stream, acceptor.clone(), front.clone(), backends);
                        executor.spawn(task).detach();
                    }
                };
                smol::block_on(executor.run(future::or(accept, async {
                    let _ = stopped.recv().await;
                })));
                // Dropping the executor drops every connection's task, closing its sockets.
            })
        };
        TlsServer {
            port,
            front,
            tls_backend,
            plain_backend,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `https://host:port` followed by `path`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port)
    }

    /// `http://host:port` followed by `path`: the same port, without TLS.
    pub fn plain_url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port)
    }

    /// The TLS handshakes that succeeded, in order.
    pub fn handshakes(&self) -> Vec<Handshake> {
        self.front.handshakes.lock().unwrap().clone()
    }

    pub fn failed_handshakes(&self) -> usize {
        self.front.failed_handshakes.load(Ordering::SeqCst)
    }

    /// Plain HTTP connections accepted.
    pub fn plain_connections(&self) -> usize {
        self.front.plain.load(Ordering::SeqCst)
    }

    /// Requests that came over TLS.
    pub fn seen(&self) -> Vec<Seen> {
        self.tls_backend.seen()
    }

    /// Requests that came over plain HTTP.
    pub fn plain_seen(&self) -> Vec<Seen> {
        self.plain_backend.seen()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Clone, Copy)]
struct Backends {
    tls: SocketAddr,
    plain: SocketAddr,
}

fn backend_addr(server: &Server) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], server.port()))
}

async fn serve(
    stream: smol::net::TcpStream,
    acceptor: futures_rustls::TlsAcceptor,
    front: Arc<Front>,
    backends: Backends,
) {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await.ok() != Some(1) {
        return;
    }
    if first[0] != TLS_HANDSHAKE {
        front.plain.fetch_add(1, Ordering::SeqCst);
        proxy(stream, backends.plain).await;
        return;
    }
    let tls = match acceptor.accept(stream).await {
        Ok(tls) => tls,
        Err(_) => {
            front.failed_handshakes.fetch_add(1, Ordering::SeqCst);
            return;
        }
    };
    let (_, conn) = tls.get_ref();
    front.handshakes.lock().unwrap().push(Handshake {
        sni: conn.server_name().map(str::to_owned),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        client_certificate: conn.peer_certificates().is_some(),
    });
    proxy(tls, backends.tls).await;
}

/// Passes bytes both ways between `front` and a new connection to `backend`, until either side
/// closes.
async fn proxy(front: impl AsyncRead + AsyncWrite + Unpin, backend: SocketAddr) {
    let Ok(back) = smol::net::TcpStream::connect(backend).await else {
        return;
    };
    let _ = back.set_nodelay(true);
    let (front_read, front_write) = futures_lite::io::split(front);
    future::or(pump(front_read, back.clone()), pump(back, front_write)).await;
}

async fn pump(mut from: impl AsyncRead + Unpin, mut to: impl AsyncWrite + Unpin) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() || to.flush().await.is_err() {
            break;
        }
    }
    let _ = to.close().await;
}

/// A dialer that connects every host name to 127.0.0.1, so that tests can use names such as
/// `good.test` (sent as SNI and checked against certificates) without a resolver.
pub struct LoopbackDial<D>(pub D);

impl<D: Dial> Dial for LoopbackDial<D> {
    fn dial(&self, _host: &str, port: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        self.0.dial("127.0.0.1", port)
    }
}

/// A port where a listener accepts TCP connections (into its backlog) but never answers.
pub struct Silent {
    listener: std::net::TcpListener,
}

impl Silent {
    pub fn start() -> Silent {
        Silent {
            listener: std::net::TcpListener::bind("127.0.0.1:0").unwrap(),
        }
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().unwrap().port()
    }
}

/// A port where a server answers anything with a plain-text HTTP 400 and closes, as an HTTP
/// server does when it meets a TLS handshake.
pub struct PlainOnly {
    port: u16,
    _thread: JoinHandle<()>,
}

impl PlainOnly {
    pub fn start() -> PlainOnly {
        use std::io::Write;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let thread = std::thread::spawn(move || {
            use std::io::Read;
            // One connection is all a test makes.
            if let Ok((mut stream, _)) = listener.accept() {
                let mut hello = [0u8; 4096];
                let _ = stream.read(&mut hello);
                let _ = stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                // Close only our side, then wait for the client to close: closing with unread
                // bytes would reset the connection before the client reads the answer.
                let _ = stream.shutdown(std::net::Shutdown::Write);
                let _ = std::io::copy(&mut stream, &mut std::io::sink());
            }
        });
        PlainOnly {
            port,
            _thread: thread,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}
