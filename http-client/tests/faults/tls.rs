//! TLS and plain HTTP crossed: `http://` to a TLS port reads TLS bytes as a malformed head,
//! and `https://` to a plain server fails its handshake.

use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;
use fusebox_testserver::tls::{Ca, server_config};

use crate::common::whole;
use crate::common::{Reply, Server};
use crate::on_both_runtimes;

on_both_runtimes!(
    http_to_a_tls_port_is_malformed,
    https_to_a_plain_server_is_a_tls_error,
);

async fn http_to_a_tls_port_is_malformed<R: Runtime>(rt: R) {
    let ca = Ca::new("faults ca");
    let tls = Server::builder()
        .tls(server_config(&ca.server(&["127.0.0.1"])))
        .start(|_| Reply::ok("secret"));
    let client = crate::client(&rt);
    let plain_url = format!("http://127.0.0.1:{}/", tls.port());
    let e = whole(client.get(plain_url.as_str())).await.unwrap_err();
    assert!(e.is_malformed() && e.is_request(), "{e:#}");
    assert!(!e.is_tls() && !e.is_timeout(), "{e:#}");
    // Counted before the connection ends.
    tls.wait_closed(1).await;
    assert_eq!(tls.failed_handshakes(), 1);
    let healthy = Server::start(|_| Reply::ok("ok"));
    crate::recovers(&client, &healthy.url("/")).await;
}

async fn https_to_a_plain_server_is_a_tls_error<R: Runtime>(rt: R) {
    let plain = Server::start(|_| Reply::ok("plain"));
    let client = Client::builder()
        .runtime(rt.clone())
        .tls_handshake_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("https://127.0.0.1:{}/", plain.port());
    let e = whole(client.get(url.as_str())).await.unwrap_err();
    assert!(e.is_tls() && e.is_connect(), "{e:#}");
    assert!(!e.is_certificate(), "{e:#}");
    assert!(plain.seen().is_empty(), "no request went out");
    crate::recovers(&client, &plain.url("/")).await;
}
