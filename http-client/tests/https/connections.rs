//! Connections over TLS: one handshake kept alive, SNI and the ALPN offer, http and https on one
//! port kept apart, the health probe over TLS, a silent server and one that does not speak TLS.

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use fusebox_core::breaker::BreakerConfig;
use fusebox_core::rt::Runtime;
use fusebox_http::{FuseClient, Origin};
use futures_lite::future;

use crate::common::tls::{Ca, Handshake, PlainOnly, Silent, TlsServer, server_config};
use crate::common::{Reply, sleep, whole};
use crate::on_both_runtimes;

use crate::with_tls::{HOST, builder, client, server, trusting};

on_both_runtimes!(
    https_requests_reuse_one_tls_connection,
    https_sends_sni_and_offers_only_http11,
    https_and_http_on_one_port_never_share_a_connection,
    https_health_probe_reaches_the_service_over_tls,
    https_handshake_timeout_bounds_a_silent_server,
    https_to_a_server_that_does_not_speak_tls_is_a_tls_error,
);

async fn https_requests_reuse_one_tls_connection<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    let server = server(&ca);
    let client = client(&rt, &ca);
    for i in 0..10 {
        let path = format!("/{i}");
        let response = whole(client.get(server.url(HOST, &path))).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body(), path.as_bytes());
    }
    assert_eq!(
        server.handshakes().len(),
        1,
        "one handshake for ten requests"
    );
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.reused), (1, 9));
    let seen = server.seen();
    assert_eq!(seen.len(), 10);
    assert!(seen.iter().all(|s| s.conn == 0));
    let host = format!("{HOST}:{}", server.port());
    assert_eq!(seen[0].host.as_deref(), Some(host.as_str()));

    // Three at once need three connections, and so three handshakes; then they are reused.
    for _ in 0..2 {
        let (a, (b, c)) = future::zip(
            whole(client.get(server.url(HOST, "/a"))),
            future::zip(
                whole(client.get(server.url(HOST, "/b"))),
                whole(client.get(server.url(HOST, "/c"))),
            ),
        )
        .await;
        for r in [a, b, c] {
            assert_eq!(r.unwrap().status(), 200);
        }
    }
    assert_eq!(server.handshakes().len(), 3);
    assert_eq!(client.pool_stats().total.created, 3);
    assert!(server.plain_seen().is_empty());
}

async fn https_sends_sni_and_offers_only_http11<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    // The server prefers h2 and would pick it, were it offered.
    let server = server(&ca);
    let client = client(&rt, &ca);
    whole(client.get(server.url(HOST, "/"))).await.unwrap();
    assert_eq!(
        server.handshakes(),
        [Handshake {
            sni: Some(HOST.into()),
            alpn: Some(b"http/1.1".to_vec()),
            client_certificate: false,
        }]
    );

    // An IP address is verified against the certificate's IP names, and sent no SNI.
    let leaf = ca.server(&["127.0.0.1"]);
    let by_ip = TlsServer::start(server_config(&leaf), |_| Reply::ok("ip"));
    let response = whole(client.get(by_ip.url("127.0.0.1", "/")))
        .await
        .unwrap();
    assert_eq!(response.body(), "ip");
    assert_eq!(by_ip.handshakes()[0].sni, None);
}

async fn https_and_http_on_one_port_never_share_a_connection<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    let server = server(&ca);
    let client = builder(&rt)
        .tls(trusting(&ca))
        .max_per_host(2)
        .build()
        .unwrap();
    for i in 0..4 {
        // One after the other, then at once, so that each origin has idle and busy
        // connections while the other is used.
        let r = whole(client.get(server.url(HOST, &format!("/tls/{i}")))).await;
        assert_eq!(r.unwrap().body(), format!("/tls/{i}").as_bytes());
        let r = whole(client.get(server.plain_url(HOST, &format!("/plain/{i}")))).await;
        assert_eq!(r.unwrap().body(), format!("/plain/{i}").as_bytes());
        let (a, b) = future::zip(
            whole(client.get(server.url(HOST, &format!("/tls/{i}x")))),
            future::zip(
                whole(client.get(server.plain_url(HOST, &format!("/plain/{i}x")))),
                whole(client.get(server.plain_url(HOST, &format!("/plain/{i}y")))),
            ),
        )
        .await;
        a.unwrap();
        let (b, c) = b;
        b.unwrap();
        c.unwrap();
    }
    let tls_paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    let plain_paths: Vec<String> = server.plain_seen().into_iter().map(|s| s.path).collect();
    assert_eq!(tls_paths.len(), 8);
    assert_eq!(plain_paths.len(), 12);
    assert!(
        tls_paths.iter().all(|p| p.starts_with("/tls/")),
        "{tls_paths:?}"
    );
    assert!(
        plain_paths.iter().all(|p| p.starts_with("/plain/")),
        "{plain_paths:?}"
    );

    let https: Origin = server.url(HOST, "/").parse().unwrap();
    let http: Origin = server.plain_url(HOST, "/").parse().unwrap();
    assert_eq!((https.host(), https.port()), (http.host(), http.port()));
    assert_eq!(client.pool_stats().keys.len(), 2);
    let https_counts = client.pool_stats_for(&https).unwrap();
    let http_counts = client.pool_stats_for(&http).unwrap();
    assert_eq!(https_counts.created as usize, server.handshakes().len());
    assert_eq!(http_counts.created as usize, server.plain_connections());
    assert_eq!(server.failed_handshakes(), 0);
}

async fn https_health_probe_reaches_the_service_over_tls<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    let status = Arc::new(AtomicU16::new(503));
    let server = {
        let status = status.clone();
        let leaf = ca.server(&[HOST]);
        TlsServer::start(server_config(&leaf), move |_| {
            Reply::ok("").status(status.load(Ordering::SeqCst))
        })
    };
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .success_threshold(1)
        .probe_interval(Duration::from_millis(20))
        .max_backoff(Duration::from_millis(20))
        .jitter(0.0)
        .max_delay(Duration::from_secs(2))
        .build()
        .unwrap();
    let fuse = FuseClient::builder(client(&rt, &ca), &server.url(HOST, "/api"))
        .breaker(config)
        .build()
        .unwrap();
    assert_eq!(
        fuse.health_uri().to_string(),
        server.url(HOST, "/api/health")
    );
    for _ in 0..2 {
        assert_eq!(whole(fuse.get("/work")).await.unwrap().status(), 503);
    }
    assert!(!fuse.is_closed(), "tripped by two 5xx");
    status.store(200, Ordering::SeqCst);
    let start = rt.now();
    while !fuse.is_closed() {
        assert!(
            rt.now() - start < Duration::from_secs(5),
            "waited 5 s for the probe"
        );
        sleep(&rt, Duration::from_millis(5)).await;
    }
    let probes = server
        .seen()
        .iter()
        .filter(|s| s.path == "/api/health")
        .count();
    assert!(probes >= 1, "the health probe came over tls");
    assert!(server.plain_seen().is_empty());
    assert_eq!(whole(fuse.get("/work")).await.unwrap().status(), 200);
}

async fn https_handshake_timeout_bounds_a_silent_server<R: Runtime>(rt: R) {
    let silent = Silent::start();
    let url = format!("https://{HOST}:{}/", silent.port());

    let client = builder(&rt)
        .connect_timeout(Duration::from_secs(10))
        .tls_handshake_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let start = rt.now();
    let e = whole(client.get(&url)).await.unwrap_err();
    assert!(rt.now() - start < Duration::from_secs(5));
    assert!(e.is_tls() && e.is_timeout() && e.is_connect(), "{e:?}");
    assert!(!e.is_certificate());
    assert!(
        e.to_string().starts_with(&format!(
            "the tls handshake with https://good.test:{} took longer than \
             tls_handshake_timeout (150ms)",
            silent.port()
        )),
        "{e}"
    );

    // Without a handshake timeout of its own, the connect timeout bounds the handshake, and
    // a handshake that stalls is still a tls error: the server accepted the connection.
    let client = builder(&rt)
        .connect_timeout(Duration::from_millis(150))
        .build()
        .unwrap();
    let e = whole(client.get(&url)).await.unwrap_err();
    assert!(e.is_timeout() && e.is_connect() && e.is_tls(), "{e:?}");
    assert!(
        e.to_string().starts_with(&format!(
            "the tls handshake with https://good.test:{} did not finish within the connect \
             timeout of 150ms",
            silent.port()
        )),
        "{e}"
    );
}

async fn https_to_a_server_that_does_not_speak_tls_is_a_tls_error<R: Runtime>(rt: R) {
    let plain = PlainOnly::start();
    let client = builder(&rt).build().unwrap();
    let e = client
        .get(format!("https://{HOST}:{}/", plain.port()))
        .await
        .unwrap_err();
    assert!(e.is_tls() && e.is_connect(), "{e:?}");
    assert!(!e.is_certificate() && !e.is_timeout());
    assert!(
        e.to_string().starts_with(&format!(
            "the tls handshake with https://good.test:{} failed: check that the server \
             speaks https on that port",
            plain.port()
        )),
        "{e}"
    );
}
