//! The HTTP clients `http_compare` measures, behind one enum so that a round can drive any of
//! them: fusebox's [`Client`] and [`FuseClient`] (on tokio or on smol), hyper-util's pooled
//! legacy client, reqwest, and a new connection per request; over HTTPS, fusebox's pooled
//! [`Client`] and a new TLS connection per request.
//!
//! Every client reads the whole response body into [`Bytes`], as fusebox always does, and every
//! request is checked: `200 OK` with a body of the expected length, else it counts as an error.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use fusebox_core::rt::Dial;
use fusebox_http::conn::HyperIo;
use fusebox_http::tls::{Certificate, Roots, TlsConfig};
use fusebox_http::{Client, FuseClient};
use fusebox_smol::SmolRuntime;
use fusebox_tokio::TokioRuntime;
use futures_rustls::TlsConnector;
use futures_rustls::rustls::pki_types::ServerName;
use http::header::HOST;
use http::{HeaderValue, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::http_server::{BIG_LEN, SMALL_LEN};

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
    /// A new TCP connection per request: fusebox-tokio's dialer, fusebox's [`HyperIo`] and a
    /// hyper HTTP/1.1 handshake (what fusebox's `Connector` does for an `http` origin), one
    /// request, then the connection is closed. No pool.
    Unpooled,
    /// fusebox's pooled [`Client`] on tokio, over HTTPS, trusting only the bench's CA.
    FuseboxHttps,
    /// A new TLS connection per request: as [`Kind::Unpooled`], with a TLS handshake (futures-
    /// rustls, the rustls config of fusebox's [`TlsConfig`] trusting the bench's CA, as fusebox's
    /// `Connector` runs it for an `https` origin) between the dial and hyper's handshake.
    UnpooledHttps,
}

impl Kind {
    /// Every client, in the order of the table.
    pub const ALL: [Kind; 9] = [
        Kind::FuseboxTokio,
        Kind::FuseTokio,
        Kind::FuseboxSmol,
        Kind::FuseSmol,
        Kind::HyperUtil,
        Kind::Reqwest,
        Kind::Unpooled,
        Kind::FuseboxHttps,
        Kind::UnpooledHttps,
    ];

    /// The runtime the client runs on.
    pub fn runtime(self) -> Runtime {
        match self {
            Kind::FuseboxSmol | Kind::FuseSmol => Runtime::Smol,
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
            Kind::HyperUtil => "hyper-util legacy Client (tokio)",
            Kind::Reqwest => "reqwest (tokio)",
            Kind::Unpooled => "unpooled: new connection per request (tokio)",
            Kind::FuseboxHttps => "fusebox Client (tokio), HTTPS",
            Kind::UnpooledHttps => "unpooled: new TLS connection per request (tokio)",
        }
    }

    /// A short name for the command line: `fusebox-tokio`, `fuse-tokio`, `fusebox-smol`,
    /// `fuse-smol`, `hyper-util`, `reqwest`, `unpooled`, `fusebox-https`, `unpooled-https`.
    pub fn id(self) -> &'static str {
        match self {
            Kind::FuseboxTokio => "fusebox-tokio",
            Kind::FuseTokio => "fuse-tokio",
            Kind::FuseboxSmol => "fusebox-smol",
            Kind::FuseSmol => "fuse-smol",
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

/// A client, made on the runtime it runs on; cheap to clone (clones share the pool).
#[derive(Clone, Debug)]
pub enum BenchClient {
    /// fusebox's [`Client`], on either runtime.
    Fusebox(Client, Arc<Urls>),
    /// fusebox's [`FuseClient`], on either runtime.
    Fuse(FuseClient),
    /// hyper-util's pooled legacy client.
    HyperUtil(LegacyClient<HttpConnector, Empty<Bytes>>, Arc<Urls>),
    /// reqwest.
    Reqwest(reqwest::Client, Arc<Urls>),
    /// A new connection per request, dialed by fusebox-tokio.
    Unpooled(TokioRuntime, Arc<Urls>, HeaderValue),
    /// A new TLS connection per request, dialed by fusebox-tokio.
    UnpooledTls(Box<UnpooledTls>),
}

/// What [`BenchClient::UnpooledTls`] needs for each connection.
#[derive(Clone)]
pub struct UnpooledTls {
    rt: TokioRuntime,
    urls: Arc<Urls>,
    host: HeaderValue,
    connector: TlsConnector,
    name: ServerName<'static>,
}

impl fmt::Debug for UnpooledTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnpooledTls")
            .field("urls", &self.urls)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl BenchClient {
    /// Makes a tokio client of `kind` for the server at `urls`; call it inside the runtime.
    ///
    /// # Errors
    ///
    /// When the client cannot be built; a smol `kind` is refused.
    pub fn tokio(kind: Kind, urls: Arc<Urls>) -> Result<BenchClient, String> {
        let rt = TokioRuntime::try_current().map_err(|e| e.to_string())?;
        match kind {
            Kind::FuseboxTokio => Ok(BenchClient::Fusebox(fusebox_client(rt)?, urls)),
            Kind::FuseTokio => Ok(BenchClient::Fuse(fuse_client(fusebox_client(rt)?, &urls)?)),
            Kind::HyperUtil => {
                let mut connector = HttpConnector::new();
                // reqwest and fusebox set TCP_NODELAY; so does this, to compare like with like.
                connector.set_nodelay(true);
                let client = LegacyClient::builder(TokioExecutor::new())
                    .pool_max_idle_per_host(MAX_PER_HOST)
                    .build(connector);
                Ok(BenchClient::HyperUtil(client, urls))
            }
            Kind::Reqwest => {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(MAX_PER_HOST)
                    .no_proxy()
                    .build()
                    .map_err(|e| format!("reqwest: {e}"))?;
                Ok(BenchClient::Reqwest(client, urls))
            }
            Kind::Unpooled => {
                let host = HeaderValue::from_str(&format!("{}:{}", urls.host, urls.port))
                    .map_err(|e| e.to_string())?;
                Ok(BenchClient::Unpooled(rt, urls, host))
            }
            Kind::FuseboxHttps => {
                let client = Client::builder()
                    .runtime(rt)
                    .max_per_host(MAX_PER_HOST)
                    .tls(urls.tls()?.clone())
                    .build()
                    .map_err(|e| format!("fusebox client: {e}"))?;
                Ok(BenchClient::Fusebox(client, urls))
            }
            Kind::UnpooledHttps => {
                let host = HeaderValue::from_str(&format!("{}:{}", urls.host, urls.port))
                    .map_err(|e| e.to_string())?;
                let connector = TlsConnector::from(urls.tls()?.rustls_config().clone());
                let name = ServerName::try_from(urls.host.clone())
                    .map_err(|e| format!("server name {}: {e}", urls.host))?;
                Ok(BenchClient::UnpooledTls(Box::new(UnpooledTls {
                    rt,
                    urls,
                    host,
                    connector,
                    name,
                })))
            }
            Kind::FuseboxSmol | Kind::FuseSmol => Err(format!("{kind} does not run on tokio")),
        }
    }

    /// Makes a smol client of `kind` whose connection drivers run on `rt`'s executor.
    ///
    /// # Errors
    ///
    /// When the client cannot be built; a tokio `kind` is refused.
    pub fn smol(kind: Kind, urls: Arc<Urls>, rt: SmolRuntime) -> Result<BenchClient, String> {
        match kind {
            Kind::FuseboxSmol => Ok(BenchClient::Fusebox(fusebox_client(rt)?, urls)),
            Kind::FuseSmol => Ok(BenchClient::Fuse(fuse_client(fusebox_client(rt)?, &urls)?)),
            _ => Err(format!("{kind} does not run on smol")),
        }
    }

    /// One `GET` of `target`, its body read whole and checked.
    ///
    /// # Errors
    ///
    /// The client's error, a status other than `200 OK`, or a body of the wrong length.
    pub async fn get(&self, target: Target) -> Result<(), String> {
        let (status, len) = match self {
            BenchClient::Fusebox(client, urls) => {
                let response = client
                    .get(urls.uri(target).clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                (
                    status,
                    response.bytes().await.map_err(|e| e.to_string())?.len(),
                )
            }
            BenchClient::Fuse(fuse) => {
                let response = fuse.get(target.path()).await.map_err(|e| e.to_string())?;
                let status = response.status();
                (
                    status,
                    response.bytes().await.map_err(|e| e.to_string())?.len(),
                )
            }
            BenchClient::HyperUtil(client, urls) => {
                let response = client
                    .get(urls.uri(target).clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                (status, body.len())
            }
            BenchClient::Reqwest(client, urls) => {
                let response = client
                    .get(urls.url(target).clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let status = response.status();
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                (status, body.len())
            }
            BenchClient::Unpooled(rt, urls, host) => {
                let io = rt
                    .dial(&urls.host, urls.port)
                    .await
                    .map_err(|e| format!("dial: {e}"))?;
                unpooled_get(HyperIo::new(io), host.clone(), target).await?
            }
            BenchClient::UnpooledTls(tls) => {
                let io = tls
                    .rt
                    .dial(&tls.urls.host, tls.urls.port)
                    .await
                    .map_err(|e| format!("dial: {e}"))?;
                let io = tls
                    .connector
                    .connect(tls.name.clone(), io)
                    .await
                    .map_err(|e| format!("TLS handshake: {e}"))?;
                unpooled_get(HyperIo::new(io), tls.host.clone(), target).await?
            }
        };
        if status != StatusCode::OK || len != target.len() {
            return Err(format!(
                "GET {}: status {status}, {len} bytes (expected 200, {} bytes)",
                target.path(),
                target.len()
            ));
        }
        Ok(())
    }
}

/// fusebox's client as the bench configures it: at most [`MAX_PER_HOST`] connections to the
/// server, every other setting at its default.
fn fusebox_client<R: fusebox_core::rt::Runtime>(rt: R) -> Result<Client, String> {
    Client::builder()
        .runtime(rt)
        .max_per_host(MAX_PER_HOST)
        .build()
        .map_err(|e| format!("fusebox client: {e}"))
}

/// A [`FuseClient`] for the whole server, default breaker settings.
fn fuse_client(client: Client, urls: &Urls) -> Result<FuseClient, String> {
    FuseClient::builder(client, &urls.base)
        .build()
        .map_err(|e| format!("fuse client: {e}"))
}

/// One request on a connection of its own, just dialed (and for HTTPS, TLS-handshaken):
/// hyper's handshake, send, read, close.
async fn unpooled_get<T>(
    io: HyperIo<T>,
    host: HeaderValue,
    target: Target,
) -> Result<(StatusCode, usize), String>
where
    T: futures_lite::io::AsyncRead + futures_lite::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        // The connection ends when the sender is dropped, after the response.
        let _ = conn.await;
    });
    let req = Request::get(target.path())
        .header(HOST, host)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body.len()))
}
