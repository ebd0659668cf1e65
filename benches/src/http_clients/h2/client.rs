//! [`H2Client`]: each client of the HTTP/2 workload, made on tokio, and one checked `GET`.

use std::sync::Arc;

use bytes::Bytes;
use fusebox_http::Client;
use fusebox_tokio::TokioRuntime;
use http::{StatusCode, Version};
use http_body_util::{BodyExt, Empty};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::super::MAX_PER_HOST;
use super::{H2Kind, H2Origin, PATH};

/// A client of the HTTP/2 workload; cheap to clone (clones share the pool).
#[derive(Clone, Debug)]
pub enum H2Client {
    /// fusebox's [`Client`], over HTTP/2 or HTTP/1.1.
    Fusebox(Client, Arc<H2Origin>, Version),
    /// hyper-util's legacy client over hyper-rustls (boxed, as it is large).
    HyperUtil(
        Box<LegacyClient<HttpsConnector<HttpConnector>, Empty<Bytes>>>,
        Arc<H2Origin>,
    ),
    /// reqwest.
    Reqwest(reqwest::Client, Arc<H2Origin>),
}

impl H2Client {
    /// Makes a client of `kind` for `origin`; call it inside a tokio runtime.
    ///
    /// # Errors
    ///
    /// When the client cannot be built.
    pub fn tokio(kind: H2Kind, origin: Arc<H2Origin>) -> Result<H2Client, String> {
        match kind {
            H2Kind::FuseboxH2 | H2Kind::FuseboxH1 => {
                let rt = TokioRuntime::try_current().map_err(|e| e.to_string())?;
                let client = Client::builder()
                    .runtime(rt)
                    .max_per_host(MAX_PER_HOST)
                    .tls(origin.tls().clone())
                    .http2_over_alpn(kind == H2Kind::FuseboxH2)
                    .build()
                    .map_err(|e| format!("fusebox client: {e}"))?;
                Ok(H2Client::Fusebox(client, origin, kind.version()))
            }
            H2Kind::HyperUtilH2 => {
                let mut http = HttpConnector::new();
                // fusebox and reqwest set TCP_NODELAY; hyper-rustls's own builder lets
                // HttpConnector through to https URLs only with enforce_http(false).
                http.set_nodelay(true);
                http.enforce_http(false);
                let https = HttpsConnectorBuilder::new()
                    .with_tls_config(origin.rustls_client()?)
                    .https_only()
                    .enable_http2()
                    .wrap_connector(http);
                let client = LegacyClient::builder(TokioExecutor::new())
                    .http2_only(true)
                    .pool_max_idle_per_host(MAX_PER_HOST)
                    .build(https);
                Ok(H2Client::HyperUtil(Box::new(client), origin))
            }
            H2Kind::ReqwestH2 => {
                super::super::install_rustls_provider();
                let ca = reqwest::Certificate::from_der(origin.ca_der())
                    .map_err(|e| format!("reqwest certificate: {e}"))?;
                let client = reqwest::Client::builder()
                    .tls_certs_only([ca])
                    .pool_max_idle_per_host(MAX_PER_HOST)
                    .no_proxy()
                    .build()
                    .map_err(|e| format!("reqwest: {e}"))?;
                Ok(H2Client::Reqwest(client, origin))
            }
        }
    }

    /// One `GET /small`, its body read whole and checked against the protocol expected.
    ///
    /// # Errors
    ///
    /// The client's error, a status other than `200 OK`, another protocol or another body.
    pub async fn get(&self) -> Result<(), String> {
        let (status, version, body, expected) = match self {
            H2Client::Fusebox(client, origin, expected) => {
                let response = client
                    .get(origin.uri().clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let (status, version) = (response.status(), response.version());
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                (status, version, body, *expected)
            }
            H2Client::HyperUtil(client, origin) => {
                let response = client
                    .get(origin.uri().clone())
                    .await
                    .map_err(|e| e.to_string())?;
                let (status, version) = (response.status(), response.version());
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| e.to_string())?
                    .to_bytes();
                (status, version, body, Version::HTTP_2)
            }
            H2Client::Reqwest(client, origin) => {
                let response = client
                    .get(origin.url().clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let (status, version) = (response.status(), response.version());
                let body = response.bytes().await.map_err(|e| e.to_string())?;
                (status, version, body, Version::HTTP_2)
            }
        };
        check(status, version, &body, expected)
    }
}

/// `200 OK` over `expected`, with the body the test server sends for it.
fn check(
    status: StatusCode,
    version: Version,
    body: &[u8],
    expected: Version,
) -> Result<(), String> {
    // What the server answers: `{path} over {version:?}`.
    let want = match expected {
        Version::HTTP_2 => "/small over HTTP/2.0",
        _ => "/small over HTTP/1.1",
    };
    if status != StatusCode::OK || version != expected || body != want.as_bytes() {
        return Err(format!(
            "GET {PATH}: status {status}, {version:?}, body {:?} (expected 200, {expected:?}, \
             {want:?})",
            String::from_utf8_lossy(body)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expected_bodies_are_what_the_server_sends() {
        for version in [Version::HTTP_2, Version::HTTP_11] {
            let body = format!("{PATH} over {version:?}");
            assert_eq!(
                check(StatusCode::OK, version, body.as_bytes(), version),
                Ok(())
            );
        }
        assert!(
            check(
                StatusCode::OK,
                Version::HTTP_11,
                b"/small over HTTP/1.1",
                Version::HTTP_2
            )
            .is_err()
        );
    }
}
