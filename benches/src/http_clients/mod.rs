//! The HTTP clients `http_compare` measures, behind one enum so that a round can drive any of
//! them: fusebox's [`Client`] and [`FuseClient`] (on tokio or on smol), hyper-util's pooled
//! legacy client, reqwest, a new connection per request, and bare hyper on each runtime; over HTTPS, fusebox's pooled
//! [`Client`] and a new TLS connection per request; and the HTTP/2 workload's clients ([`h2`]).
//!
//! Every client reads the whole response body into [`Bytes`], as fusebox always does, and every
//! request is checked: `200 OK` with a body of the expected length, else it counts as an error.

use std::fmt;

use fusebox_http::tls::{Certificate, Roots, TlsConfig};
use http::Uri;

use crate::http_server::{BIG_LEN, SMALL_LEN};

mod bare;
mod client;
pub mod h2;

pub use bare::Bare;
pub use client::{BenchClient, UnpooledTls};

/// Makes rustls's ring provider the process's default, which reqwest, built with
/// `rustls-no-provider`, takes (even for plain HTTP, as it builds its TLS settings up front); a
/// no-op once done.
fn install_rustls_provider() {
    let _ = futures_rustls::rustls::crypto::ring::default_provider().install_default();
}

/// The most connections to the server that a pooled client may hold (fusebox enforces it; the
/// peers can only cap the idle ones).
pub const MAX_PER_HOST: usize = 8;

/// Which async runtime a client runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// A tokio multi-thread runtime.
    Tokio,
    /// An async-executor run by threads, as smol programs run.
    Smol,
}

/// A client as a row of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// fusebox's pooled [`Client`] on tokio.
    FuseboxTokio,
    /// fusebox's [`FuseClient`] (breaker closed) over a [`Client`] on tokio.
    FuseTokio,
    /// fusebox's pooled [`Client`] on smol.
    FuseboxSmol,
    /// fusebox's [`FuseClient`] over a [`Client`] on smol.
    FuseSmol,
    /// hyper-util's `legacy::Client` with its `HttpConnector`, on tokio.
    HyperUtil,
    /// reqwest's async client, on tokio.
    Reqwest,
    /// A new TCP connection per request: fusebox-tokio's `dial_hyper` (hyper-util's `TokioIo`)
    /// and a hyper HTTP/1.1 handshake (what fusebox's `Connector` does for an `http` origin),
    /// one request, then the connection is closed. No pool.
    Unpooled,
    /// Bare hyper on tokio, the floor fusebox on tokio is measured against: hyper's
    /// `client::conn::http1` over one kept-alive `tokio::net::TcpStream` (`TCP_NODELAY`)
    /// through hyper-util's `TokioIo` (hyper reads into its own buffer, no copy), its driver on
    /// `tokio::spawn`; no pool, no timeout.
    BareTokio,
    /// Bare hyper on smol, the floor fusebox on smol is measured against: hyper's
    /// `client::conn::http1` over one kept-alive `smol::net::TcpStream` (`TCP_NODELAY`) through
    /// smol-hyper's `FuturesIo` (as fusebox on smol reads), its driver on the same executor; no
    /// pool, no timeout.
    BareSmol,
    /// fusebox's pooled [`Client`] on tokio, over HTTPS, trusting only the bench's CA.
    FuseboxHttps,
    /// A new TLS connection per request: as [`Kind::Unpooled`], with a TLS handshake (futures-
    /// rustls, the rustls config of fusebox's [`TlsConfig`] trusting the bench's CA, as fusebox's
    /// `Connector` runs it for an `https` origin) between the dial and hyper's handshake.
    UnpooledHttps,
}

impl Kind {
    /// Every client, in the order of the table.
    pub const ALL: [Kind; 11] = [
        Kind::FuseboxTokio,
        Kind::FuseTokio,
        Kind::BareTokio,
        Kind::FuseboxSmol,
        Kind::FuseSmol,
        Kind::BareSmol,
        Kind::HyperUtil,
        Kind::Reqwest,
        Kind::Unpooled,
        Kind::FuseboxHttps,
        Kind::UnpooledHttps,
    ];

    /// The runtime the client runs on.
    pub fn runtime(self) -> Runtime {
        match self {
            Kind::FuseboxSmol | Kind::FuseSmol | Kind::BareSmol => Runtime::Smol,
            _ => Runtime::Tokio,
        }
    }

    /// The client's name in the table and the chart.
    pub fn name(self) -> &'static str {
        match self {
            Kind::FuseboxTokio => "fusebox Client (tokio)",
            Kind::FuseTokio => "fusebox FuseClient (tokio)",
            Kind::FuseboxSmol => "fusebox Client (smol)",
            Kind::FuseSmol => "fusebox FuseClient (smol)",
            Kind::BareSmol => "bare hyper, one connection (smol)",
            Kind::BareTokio => "bare hyper, one connection (tokio)",
            Kind::HyperUtil => "hyper-util legacy Client (tokio)",
            Kind::Reqwest => "reqwest (tokio)",
            Kind::Unpooled => "unpooled: new connection per request (tokio)",
            Kind::FuseboxHttps => "fusebox Client (tokio), HTTPS",
            Kind::UnpooledHttps => "unpooled: new TLS connection per request (tokio)",
        }
    }

    /// A short name for the command line: `fusebox-tokio`, `fuse-tokio`, `fusebox-smol`,
    /// `fuse-smol`, `bare-smol`, `bare-tokio`, `hyper-util`, `reqwest`, `unpooled`,
    /// `fusebox-https`, `unpooled-https`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::FuseboxTokio => "fusebox-tokio",
            Kind::FuseTokio => "fuse-tokio",
            Kind::FuseboxSmol => "fusebox-smol",
            Kind::FuseSmol => "fuse-smol",
            Kind::BareSmol => "bare-smol",
            Kind::BareTokio => "bare-tokio",
            Kind::HyperUtil => "hyper-util",
            Kind::Reqwest => "reqwest",
            Kind::Unpooled => "unpooled",
            Kind::FuseboxHttps => "fusebox-https",
            Kind::UnpooledHttps => "unpooled-https",
        }
    }

    /// Whether this is one of fusebox's pooled clients.
    pub fn is_fusebox(self) -> bool {
        matches!(
            self,
            Kind::FuseboxTokio
                | Kind::FuseTokio
                | Kind::FuseboxSmol
                | Kind::FuseSmol
                | Kind::FuseboxHttps
        )
    }

    /// Whether the client has a single connection (bare hyper): it runs only the one-task
    /// workloads, as 64 tasks on one connection would measure a queue.
    pub fn is_single_connection(self) -> bool {
        matches!(self, Kind::BareSmol | Kind::BareTokio)
    }

    /// Whether the client speaks HTTPS (to the server's HTTPS port) rather than plain HTTP.
    pub fn is_https(self) -> bool {
        matches!(self, Kind::FuseboxHttps | Kind::UnpooledHttps)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// `GET /small`: [`SMALL_LEN`] bytes.
    Small,
    /// `GET /big`: [`BIG_LEN`] bytes.
    Big,
}

impl Target {
    /// The path of the request.
    pub fn path(self) -> &'static str {
        match self {
            Target::Small => "/small",
            Target::Big => "/big",
        }
    }

    /// The body length the server answers with.
    pub fn len(self) -> usize {
        match self {
            Target::Small => SMALL_LEN,
            Target::Big => BIG_LEN,
        }
    }

    /// Never: no target has an empty body (here for clippy's `len_without_is_empty`).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// The server's URIs, parsed once so that no client pays for parsing in the loop.
///
/// For the HTTPS port they also carry the TLS settings the HTTPS clients use.
#[derive(Clone, Debug)]
pub struct Urls {
    base: String,
    host: String,
    port: u16,
    small: Uri,
    big: Uri,
    small_url: reqwest::Url,
    big_url: reqwest::Url,
    tls: Option<TlsConfig>,
}

impl Urls {
    /// The URIs of a server at `base` (`http://127.0.0.1:PORT`).
    ///
    /// # Panics
    ///
    /// When `base` is not such a URL.
    pub fn new(base: &str) -> Urls {
        let uri: Uri = base.parse().expect("a base URL");
        let parse = |path: &str| -> Uri { format!("{base}{path}").parse().expect("a URI") };
        let url = |path: &str| reqwest::Url::parse(&format!("{base}{path}")).expect("a URL");
        Urls {
            base: base.to_owned(),
            host: uri.host().expect("a host").to_owned(),
            port: uri.port_u16().expect("a port"),
            small: parse("/small"),
            big: parse("/big"),
            small_url: url("/small"),
            big_url: url("/big"),
            tls: None,
        }
    }

    /// The URIs of the HTTPS port at `base` (`https://127.0.0.1:PORT`), with TLS settings that
    /// trust the certificate authority `ca_der` (DER) and no other root.
    ///
    /// # Errors
    ///
    /// When the TLS settings cannot be built (the certificate is not one).
    ///
    /// # Panics
    ///
    /// When `base` is not such a URL.
    pub fn https(base: &str, ca_der: &[u8]) -> Result<Urls, String> {
        let tls = TlsConfig::builder()
            .roots(Roots::Empty)
            .root_certificate(Certificate::from_der(ca_der))
            .build()
            .map_err(|e| format!("TLS config: {e}"))?;
        Ok(Urls {
            tls: Some(tls),
            ..Urls::new(base)
        })
    }

    /// The TLS settings of an HTTPS server's URIs.
    fn tls(&self) -> Result<&TlsConfig, String> {
        self.tls
            .as_ref()
            .ok_or_else(|| format!("{} is not an HTTPS server's URL", self.base))
    }

    fn uri(&self, target: Target) -> &Uri {
        match target {
            Target::Small => &self.small,
            Target::Big => &self.big,
        }
    }

    fn url(&self, target: Target) -> &reqwest::Url {
        match target {
            Target::Small => &self.small_url,
            Target::Big => &self.big_url,
        }
    }
}
