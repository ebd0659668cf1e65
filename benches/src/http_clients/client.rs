//! [`BenchClient`]: each measured client, made on its runtime, and one checked `GET` through it.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use fusebox_core::rt::Dial;
use fusebox_http::{Client, FuseClient};
use fusebox_smol::SmolRuntime;
use fusebox_tokio::TokioRuntime;
use futures_rustls::TlsConnector;
use futures_rustls::rustls::pki_types::ServerName;
use http::header::HOST;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::bare::Bare;
use super::{Kind, MAX_PER_HOST, Target, Urls};

/// A client, made on the runtime it runs on; cheap to clone (clones share the pool).
#[derive(Clone, Debug)]
pub enum BenchClient {
    /// fusebox's [`Client`], on either runtime.
    Fusebox(Client, Arc<Urls>),
    /// fusebox's [`FuseClient`], on either runtime.
    Fuse(FuseClient),
    /// hyper-util's pooled legacy client (boxed: with hyper-util's `http2` feature it holds
    /// HTTP/2 settings too).
    HyperUtil(Box<LegacyClient<HttpConnector, Empty<Bytes>>>, Arc<Urls>),
    /// reqwest.
    Reqwest(reqwest::Client, Arc<Urls>),
    /// A new connection per request, dialed by fusebox-tokio.
    Unpooled(TokioRuntime, Arc<Urls>, HeaderValue),
    /// A new TLS connection per request, dialed by fusebox-tokio.
    UnpooledTls(Box<UnpooledTls>),
    /// Bare hyper on either runtime: one kept-alive connection, no pool.
    Bare(Arc<Bare>),
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
                Ok(BenchClient::HyperUtil(Box::new(client), urls))
            }
            Kind::Reqwest => {
                super::install_rustls_provider();
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(MAX_PER_HOST)
                    .no_proxy()
                    .build()
                    .map_err(|e| format!("reqwest: {e}"))?;
                Ok(BenchClient::Reqwest(client, urls))
            }
            Kind::BareTokio => Ok(BenchClient::Bare(Arc::new(Bare::tokio(urls)?))),
            Kind::Unpooled => {
                let host = host_header(&urls)?;
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
                let host = host_header(&urls)?;
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
            Kind::FuseboxSmol | Kind::FuseSmol | Kind::BareSmol => {
                Err(format!("{kind} does not run on tokio"))
            }
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
            Kind::BareSmol => Ok(BenchClient::Bare(Arc::new(Bare::smol(rt, urls)?))),
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
                // The stream fusebox's connector takes for a plain origin on tokio.
                let traffic = std::sync::Arc::default();
                let io = rt
                    .dial_hyper(&urls.host, urls.port, traffic)
                    .ok_or("fusebox-tokio has no dial_hyper: feature hyper-io is off")?
                    .await
                    .map_err(|e| format!("dial: {e}"))?;
                unpooled_get(io, host.clone(), target).await?
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
                unpooled_get(smol_hyper::rt::FuturesIo::new(io), tls.host.clone(), target).await?
            }
            BenchClient::Bare(bare) => bare.get(target).await?,
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

/// The `Host` header of requests to the server at `urls`.
pub(super) fn host_header(urls: &Urls) -> Result<HeaderValue, String> {
    HeaderValue::from_str(&format!("{}:{}", urls.host, urls.port)).map_err(|e| e.to_string())
}

/// One request on a connection of its own, just dialed (and for HTTPS, TLS-handshaken):
/// hyper's handshake, send, read, close.
async fn unpooled_get<T>(
    io: T,
    host: HeaderValue,
    target: Target,
) -> Result<(StatusCode, usize), String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
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
