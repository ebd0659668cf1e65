//! Which protocol one dial ends up speaking: ALPN's choice over TLS, prior knowledge over plain
//! TCP, and the clear error of a request that asks for HTTP/2 where it cannot be had.

use std::sync::Arc;

use fusebox_core::rt::Runtime;
use fusebox_http::conn::{Connector, Http2Config, Negotiated};
use fusebox_http::tls::TlsConfig;
use fusebox_http::{Client, Origin};
use fusebox_testserver::H2Server;
use http::Version;
use http_body_util::BodyExt;

use super::{fetch, get, http2, plain_origin};
use crate::common::tls::{Ca, LoopbackDial, server_config};

/// A TLS server for `h2.test` whose ALPN offers `protocols`.
fn tls_server(ca: &Ca, protocols: &[&[u8]]) -> H2Server {
    let mut config = server_config(&ca.server(&["h2.test"]));
    config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
    H2Server::builder().tls(config).start()
}

fn tls_origin(server: &H2Server) -> Origin {
    format!("https://h2.test:{}", server.port())
        .parse()
        .unwrap()
}

/// A connector that trusts `ca`, sends every host to 127.0.0.1 and speaks HTTP/2 as `config`
/// says.
fn tls_connector<R: Runtime>(rt: &R, ca: &Ca, config: Http2Config) -> Connector {
    let tls = TlsConfig::builder()
        .root_certificate(ca.root())
        .build()
        .unwrap();
    Connector::new(Arc::new(LoopbackDial(rt.clone())), Arc::new(rt.clone()))
        .tls(tls)
        .http2(config, Arc::new(rt.clone()))
}

fn default_config() -> Http2Config {
    Http2Config::builder().build().unwrap()
}

/// Sends a GET of `path` on an HTTP/1.1 connection, with the version `version`.
async fn send_http1(
    negotiated: &mut Negotiated,
    origin: &Origin,
    version: Version,
) -> Result<String, fusebox_http::Error> {
    let mut req = get("/one");
    *req.version_mut() = version;
    let response = negotiated.send(origin, req).await?;
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok(String::from_utf8(body.to_vec()).unwrap())
}

async fn alpn_chooses_h2_when_the_server_offers_it<R: Runtime>(rt: R) {
    let ca = Ca::new("h2 test ca");
    let server = tls_server(&ca, &[b"h2", b"http/1.1"]);
    let origin = tls_origin(&server);
    let negotiated = tls_connector(&rt, &ca, default_config())
        .connect_negotiated(&origin)
        .await
        .unwrap();
    assert_eq!(negotiated.version(), Version::HTTP_2);
    let conn = http2(negotiated);
    let (version, body) = fetch(&conn, "/tls").await.unwrap();
    assert_eq!(
        (version, &body[..]),
        (Version::HTTP_2, &b"/tls over HTTP/2.0"[..])
    );
    assert_eq!(server.requests(), (0, 1));
}

async fn alpn_chooses_http11_when_the_server_speaks_only_that<R: Runtime>(rt: R) {
    let ca = Ca::new("h2 test ca");
    let server = tls_server(&ca, &[b"http/1.1"]);
    let origin = tls_origin(&server);
    let mut negotiated = tls_connector(&rt, &ca, default_config())
        .connect_negotiated(&origin)
        .await
        .unwrap();
    assert_eq!(negotiated.version(), Version::HTTP_11);
    let e = send_http1(&mut negotiated, &origin, Version::HTTP_2)
        .await
        .unwrap_err();
    assert!(e.is_http2_unavailable() && !e.is_request(), "{e:#}");
    assert_eq!(
        e.to_string(),
        format!(
            "the request to {origin} asked for http/2, but the server chose http/1.1 in the \
             tls handshake: leave the request's version at its default"
        )
    );
    // The refused request was not sent; one with the default version is, as HTTP/1.1.
    let body = send_http1(&mut negotiated, &origin, Version::HTTP_11)
        .await
        .unwrap();
    assert_eq!(body, "/one over HTTP/1.1");
    assert_eq!(server.requests(), (1, 0));
    assert!(negotiated.into_http2().unwrap_err().is_http2_unavailable());
}

async fn h2_is_not_offered_when_the_client_disallows_it<R: Runtime>(rt: R) {
    let ca = Ca::new("h2 test ca");
    let server = tls_server(&ca, &[b"h2", b"http/1.1"]);
    let origin = tls_origin(&server);
    let config = Http2Config::builder().over_alpn(false).build().unwrap();
    let mut negotiated = tls_connector(&rt, &ca, config)
        .connect_negotiated(&origin)
        .await
        .unwrap();
    assert_eq!(negotiated.version(), Version::HTTP_11);
    let e = send_http1(&mut negotiated, &origin, Version::HTTP_2)
        .await
        .unwrap_err();
    assert!(e.is_http2_unavailable(), "{e:#}");
    assert!(e.to_string().contains("h2 was not offered"), "{e}");
}

/// The client's pool speaks what ALPN chose: HTTP/2 with a server that offers it, unless the
/// client does not allow it over ALPN, when a request that asks for HTTP/2 says what to change.
async fn the_clients_pool_speaks_what_alpn_chose<R: Runtime>(rt: R) {
    let ca = Ca::new("h2 test ca");
    let server = tls_server(&ca, &[b"h2", b"http/1.1"]);
    let client = |over_alpn: bool| {
        let tls = TlsConfig::builder()
            .root_certificate(ca.root())
            .build()
            .unwrap();
        Client::builder()
            .runtime(rt.clone())
            .dial(Arc::new(LoopbackDial(rt.clone())))
            .tls(tls)
            .http2_over_alpn(over_alpn)
            .build()
            .unwrap()
    };
    let url = format!("https://h2.test:{}/pooled", server.port());
    let h2 = client(true);
    let response = h2.get(&url).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    assert_eq!(response.text().await.unwrap(), "/pooled over HTTP/2.0");

    let h1 = client(false);
    let response = h1.get(&url).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_11);
    assert_eq!(response.text().await.unwrap(), "/pooled over HTTP/1.1");
    let e = h1
        .request(http::Method::GET, &url)
        .version(Version::HTTP_2)
        .send()
        .await
        .unwrap_err();
    assert!(e.is_http2_unavailable(), "{e:#}");
    assert!(e.to_string().contains("h2 was not offered"), "{e}");
    assert_eq!(server.requests(), (1, 1));
}

/// Over plain TCP, HTTP/2 only with prior knowledge of the origin; without it, HTTP/1.1, and a
/// request for HTTP/2 says what to change.
async fn plain_tcp_speaks_http2_with_prior_knowledge_only<R: Runtime>(rt: R) {
    let server = H2Server::start();
    let origin = plain_origin(server.port());
    let mut negotiated = super::connector(&rt, default_config())
        .connect_negotiated(&origin)
        .await
        .unwrap();
    assert_eq!(negotiated.version(), Version::HTTP_11);
    let e = send_http1(&mut negotiated, &origin, Version::HTTP_2)
        .await
        .unwrap_err();
    assert!(e.is_http2_unavailable(), "{e:#}");
    assert!(
        e.to_string().contains("call http2_prior_knowledge()"),
        "{e}"
    );
    let other = plain_origin(1);
    let config = Http2Config::builder()
        .prior_knowledge_for(origin.clone())
        .prior_knowledge_for(other)
        .build()
        .unwrap();
    let conn = http2(
        super::connector(&rt, config)
            .connect_negotiated(&origin)
            .await
            .unwrap(),
    );
    let (version, _) = fetch(&conn, "/plain").await.unwrap();
    assert_eq!(version, Version::HTTP_2);
    assert_eq!(server.requests(), (0, 1));
    assert_eq!(server.connections(), 2);
}

/// A burst of first requests to a TLS origin offered `h2` waits for the first connection's
/// ALPN: with a server that chooses `h2`, one connection serves them all; with one that chooses
/// `http/1.1`, they connect side by side once the first is made.
async fn a_first_burst_waits_for_alpn<R: Runtime>(rt: R) {
    let ca = Ca::new("h2 test ca");
    for (protocols, version, connections) in [
        (&[&b"h2"[..], b"http/1.1"][..], Version::HTTP_2, 1),
        (&[&b"http/1.1"[..]][..], Version::HTTP_11, 8),
    ] {
        let server = H2Server::builder()
            .tls({
                let mut config = server_config(&ca.server(&["h2.test"]));
                config.alpn_protocols = protocols.iter().map(|p| p.to_vec()).collect();
                config
            })
            .hold_in_groups_of(8)
            .start();
        let tls = TlsConfig::builder()
            .root_certificate(ca.root())
            .build()
            .unwrap();
        let client = Client::builder()
            .runtime(rt.clone())
            .dial(Arc::new(LoopbackDial(rt.clone())))
            .tls(tls)
            .max_per_host(8)
            .build()
            .unwrap();
        let url = format!("https://h2.test:{}/burst", server.port());
        let (tx, rx) = smol::channel::unbounded();
        for _ in 0..8 {
            let (client, tx, url) = (client.clone(), tx.clone(), url.clone());
            rt.spawn(Box::pin(async move {
                let version = client.get(&url).await.map(|r| r.version());
                tx.send(version).await.ok();
            }));
        }
        drop(tx);
        while let Ok(got) = rx.recv().await {
            assert_eq!(got.unwrap(), version);
        }
        assert_eq!(server.connections(), connections, "{version:?}");
    }
}

crate::on_both_runtimes!(
    a_first_burst_waits_for_alpn,
    alpn_chooses_h2_when_the_server_offers_it,
    alpn_chooses_http11_when_the_server_speaks_only_that,
    h2_is_not_offered_when_the_client_disallows_it,
    the_clients_pool_speaks_what_alpn_chose,
    plain_tcp_speaks_http2_with_prior_knowledge_only,
);
