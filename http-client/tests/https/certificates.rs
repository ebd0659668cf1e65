//! Certificates: an untrusted issuer, a wrong name and an expiry rejected (and counted by the
//! breaker as a connect failure), and a client certificate presented when the server asks.

use std::time::Duration;

use fusebox_core::breaker::{BreakerConfig, TripReason};
use fusebox_core::rt::Runtime;
use fusebox_http::tls::{Certificate, Identity, Roots, TlsConfig};
use fusebox_http::{FuseClient, Origin};

use crate::common::tls::{Ca, TlsServer, server_config, server_config_with_client_auth};
use crate::common::{Reply, whole};
use crate::on_both_runtimes;

use crate::with_tls::{HOST, builder, client, server, trusting};

on_both_runtimes!(
    https_untrusted_certificate_is_rejected,
    https_wrong_host_name_is_rejected,
    https_expired_certificate_is_rejected,
    https_certificate_failure_trips_the_breaker_as_a_connect_failure,
    https_client_identity_is_presented_when_the_server_asks,
);

async fn https_untrusted_certificate_is_rejected<R: Runtime>(rt: R) {
    let trusted = Ca::new("trusted ca");
    let stranger = Ca::new("stranger ca");
    let server = server(&stranger);
    let client = client(&rt, &trusted);
    let e = whole(client.get(server.url(HOST, "/"))).await.unwrap_err();
    assert!(e.is_certificate() && e.is_tls() && e.is_connect(), "{e:?}");
    assert!(!e.is_timeout() && !e.is_request());
    assert_eq!(
        e.to_string(),
        "certificate for host good.test is not trusted: it is not signed by a trusted root \
         (UnknownIssuer): if you trust the server's certificate authority, add its root \
         with TlsConfig::builder().root_certificate(..)"
    );
    let chain = format!("{e:#}");
    assert!(
        chain.ends_with(
            ": tls handshake failed: certificate for host good.test rejected: invalid peer \
             certificate: UnknownIssuer"
        ),
        "{chain}"
    );
    let origin: Origin = server.url(HOST, "/").parse().unwrap();
    assert_eq!(e.origin(), Some(&origin));

    // The default roots (webpki-roots) do not know the test CA either.
    let default = builder(&rt).build().unwrap();
    let e = whole(default.get(server.url(HOST, "/"))).await.unwrap_err();
    assert!(e.is_certificate());
    assert!(e.to_string().contains("(UnknownIssuer)"));

    assert!(server.seen().is_empty(), "no request went out");
    assert_eq!(client.pool_stats().total.connect_failures, 1);
    assert_eq!(client.pool_stats().total.created, 0);
}

async fn https_wrong_host_name_is_rejected<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    let server = server(&ca);
    let client = client(&rt, &ca);
    let e = whole(client.get(server.url("other.test", "/")))
        .await
        .unwrap_err();
    assert!(e.is_certificate() && e.is_connect(), "{e:?}");
    assert_eq!(
        e.to_string(),
        "certificate for host other.test is not trusted: it is not valid for that name, \
         only for good.test (NotValidForName): connect with a host name the certificate \
         lists, or give the server a certificate for this one"
    );
    // The right name on the same port works.
    assert_eq!(
        whole(client.get(server.url(HOST, "/")))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(server.seen().len(), 1);
}

async fn https_expired_certificate_is_rejected<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    let leaf = ca.expired_server(&[HOST]);
    let server = TlsServer::start(server_config(&leaf), |_| Reply::ok(""));
    let client = client(&rt, &ca);
    let e = whole(client.get(server.url(HOST, "/"))).await.unwrap_err();
    assert!(e.is_certificate() && e.is_connect(), "{e:?}");
    let message = e.to_string();
    assert!(
        message.starts_with("certificate for host good.test is not trusted: it expired "),
        "{message}"
    );
    assert!(
        message.ends_with(
            " days ago (Expired): the server needs a certificate that is valid now; check \
             this machine's clock too"
        ),
        "{message}"
    );
    assert!(server.seen().is_empty());
}

async fn https_certificate_failure_trips_the_breaker_as_a_connect_failure<R: Runtime>(rt: R) {
    let stranger = Ca::new("stranger ca");
    let server = server(&stranger);
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .probe_interval(Duration::from_secs(60))
        .max_backoff(Duration::from_secs(60))
        .build()
        .unwrap();
    let client = client(&rt, &Ca::new("trusted ca"));
    let fuse = FuseClient::builder(client.clone(), &server.url(HOST, ""))
        .breaker(config)
        .build()
        .unwrap();
    for _ in 0..2 {
        assert!(whole(fuse.get("/")).await.unwrap_err().is_certificate());
    }
    let trip = *fuse
        .state()
        .trip()
        .expect("tripped by certificate failures");
    let two = fusebox_core::breaker::TripCause::ConsecutiveFailures { failures: 2 };
    assert_eq!((trip.reason, trip.cause), (TripReason::Connect, two));
    let e = whole(fuse.get("/")).await.unwrap_err();
    assert!(e.is_open() && !e.is_certificate());
    assert_eq!(client.pool_stats().total.connect_failures, 2);
}

async fn https_client_identity_is_presented_when_the_server_asks<R: Runtime>(rt: R) {
    let ca = Ca::new("test ca");
    let clients = Ca::new("client ca");
    let leaf = ca.server(&[HOST]);
    let server = TlsServer::start(server_config_with_client_auth(&leaf, &clients), |_| {
        Reply::ok("welcome")
    });

    let me = clients.client("me.test");
    let identity = Identity::from_pem(&me.cert_pem, &me.key_pem).unwrap();
    let tls = TlsConfig::builder()
        .roots(Roots::Empty)
        .root_certificate(Certificate::from_der(ca.der().to_vec()))
        .client_identity(identity)
        .build()
        .unwrap();
    let with_identity = builder(&rt).tls(tls).build().unwrap();
    let response = whole(with_identity.get(server.url(HOST, "/")))
        .await
        .unwrap();
    assert_eq!(response.body(), "welcome");
    assert!(server.handshakes()[0].client_certificate);

    // The same identity from DER works too.
    let identity = Identity::from_der(
        vec![Certificate::from_der(me.cert_der.to_vec())],
        me.key_der,
    )
    .unwrap();
    let tls = TlsConfig::builder()
        .root_certificate(ca.root())
        .client_identity(identity)
        .build()
        .unwrap();
    let from_der = builder(&rt).tls(tls).build().unwrap();
    assert_eq!(
        whole(from_der.get(server.url(HOST, "/")))
            .await
            .unwrap()
            .status(),
        200
    );

    // Without one the server refuses. Under TLS 1.3 the client has finished its side of
    // the handshake before the server checks, so the refusal may only arrive with the
    // response: a connect or a request error, never a response, and never a wait for the
    // request timeout (bounded here well inside the scenario's bound, so that a refusal
    // that got lost would fail by name instead of hanging).
    let without = builder(&rt)
        .tls(trusting(&ca))
        .request_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let e = whole(without.get(server.url(HOST, "/"))).await.unwrap_err();
    assert!(e.is_connect() || e.is_request(), "{e:?}");
    assert!(!e.is_timeout(), "the refusal never arrived: {e:?}");
    assert!(!e.is_certificate());
    assert_eq!(server.seen().len(), 2);
}
