//! HTTPS for the scenario tests, on the workspace's test server: its certificates made at test
//! time, a server speaking HTTPS and plain HTTP on one port, and a dialer that sends test host
//! names to 127.0.0.1.

use std::io;
use std::ops::Deref;

use fusebox_core::rt::{BoxFuture, BoxIo, Dial};
use fusebox_http::tls::Certificate;
use fusebox_testserver::Server;
use rustls::ServerConfig;

pub use fusebox_testserver::Handshake;
pub use fusebox_testserver::Silent;
pub use fusebox_testserver::tls::{Leaf, server_config, server_config_with_client_auth};

use super::{Reply, Seen};

/// A certificate authority made for one test, whose root a client can trust.
pub struct Ca(fusebox_testserver::tls::Ca);

impl Ca {
    pub fn new(name: &str) -> Ca {
        Ca(fusebox_testserver::tls::Ca::new(name))
    }

    /// The CA's certificate, as a client trusts it (read from PEM, as users would).
    pub fn root(&self) -> Certificate {
        Certificate::from_pem(self.0.pem()).unwrap()
    }
}

impl Deref for Ca {
    type Target = fusebox_testserver::tls::Ca;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// A server on 127.0.0.1 that speaks HTTPS and plain HTTP on one port, answering both with one
/// handler; stops when dropped.
pub struct TlsServer(Server);

impl TlsServer {
    pub fn start(
        config: ServerConfig,
        handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> TlsServer {
        TlsServer(Server::builder().tls_or_plain(config).start(handler))
    }

    pub fn port(&self) -> u16 {
        self.0.port()
    }

    /// `https://host:port` followed by `path`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port())
    }

    /// `http://host:port` followed by `path`: the same port, without TLS.
    pub fn plain_url(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port())
    }

    /// The TLS handshakes that succeeded, in order.
    pub fn handshakes(&self) -> Vec<Handshake> {
        self.0.handshakes()
    }

    pub fn failed_handshakes(&self) -> usize {
        self.0.failed_handshakes()
    }

    /// Plain HTTP connections accepted.
    pub fn plain_connections(&self) -> usize {
        self.0.plain_connections()
    }

    /// Requests that came over TLS.
    pub fn seen(&self) -> Vec<Seen> {
        self.0.seen().into_iter().filter(|s| s.tls).collect()
    }

    /// Requests that came over plain HTTP.
    pub fn plain_seen(&self) -> Vec<Seen> {
        self.0.seen().into_iter().filter(|s| !s.tls).collect()
    }
}

/// A dialer that connects every host name to 127.0.0.1, so that tests can use names such as
/// `good.test` (sent as SNI and checked against certificates) without a resolver.
pub struct LoopbackDial<D>(pub D);

impl<D: Dial> Dial for LoopbackDial<D> {
    fn dial(&self, _host: &str, port: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        self.0.dial("127.0.0.1", port)
    }
}

/// A plain HTTP server: it answers a TLS handshake, as any HTTP server does, with a plain-text
/// HTTP 400 and closes.
pub struct PlainOnly(Server);

impl PlainOnly {
    pub fn start() -> PlainOnly {
        PlainOnly(Server::start(|_| Reply::ok("plain")))
    }

    pub fn port(&self) -> u16 {
        self.0.port()
    }
}
