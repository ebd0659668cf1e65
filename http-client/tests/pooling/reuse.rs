//! Keep-alive reuse: one connection carries a run of requests, whole, only for its own origin,
//! until the client is closed.

use fusebox_core::rt::Runtime;
use fusebox_http::{Client, Origin};
use futures_lite::future;

use crate::common::whole;
use crate::common::{Reply, Server};
use crate::on_both_runtimes;

on_both_runtimes!(
    sequential_requests_reuse_one_connection,
    connection_for_one_origin_never_carries_a_request_for_another,
    request_body_and_host_header_reach_the_server,
    a_closed_client_refuses_requests_and_closes_its_connections,
);

async fn sequential_requests_reuse_one_connection<R: Runtime>(rt: R) {
    let server = Server::start(|seen| Reply::ok(format!("hello {}", seen.path)));
    let client = Client::builder().runtime(rt).build().unwrap();
    for i in 0..5 {
        let response = whole(client.get(server.url(&format!("/{i}"))))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body(), format!("hello /{i}").as_bytes());
    }
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.reused), (1, 4));
    assert_eq!((total.idle, total.busy), (1, 0));
    assert_eq!(server.connections(), 1);
    assert!(server.seen().iter().all(|seen| seen.conn == 0));
}

async fn connection_for_one_origin_never_carries_a_request_for_another<R: Runtime>(rt: R) {
    let a = Server::start(|_| Reply::ok("a"));
    let b = Server::start(|_| Reply::ok("b"));
    let client = Client::builder()
        .runtime(rt)
        .max_per_host(2)
        .build()
        .unwrap();
    for i in 0..6 {
        // Interleaved, and some at once, so that both origins have idle and busy connections.
        let (ra, rb) = future::zip(
            whole(client.get(a.url(&format!("/a/{i}")))),
            whole(client.get(b.url(&format!("/b/{i}")))),
        )
        .await;
        assert_eq!(ra.unwrap().body(), "a");
        assert_eq!(rb.unwrap().body(), "b");
        let (ra, ra2) = future::zip(
            whole(client.get(a.url(&format!("/a/{i}x")))),
            whole(client.get(a.url(&format!("/a/{i}y")))),
        )
        .await;
        assert_eq!(ra.unwrap().body(), "a");
        assert_eq!(ra2.unwrap().body(), "a");
        assert_eq!(
            whole(client.get(b.url("/b/solo"))).await.unwrap().body(),
            "b"
        );
    }
    for (server, prefix) in [(&a, "/a/"), (&b, "/b/")] {
        let host = format!("127.0.0.1:{}", server.port());
        for seen in server.seen() {
            assert!(
                seen.path.starts_with(prefix),
                "{} reached {prefix}",
                seen.path
            );
            assert_eq!(seen.host.as_deref(), Some(host.as_str()));
        }
    }
    assert_eq!(a.seen().len(), 18);
    assert_eq!(b.seen().len(), 12);
    let stats = client.pool_stats();
    assert_eq!(stats.keys.len(), 2);
    let origin_a: Origin = a.url("/").parse().unwrap();
    let counts_a = client.pool_stats_for(&origin_a).unwrap();
    assert_eq!(counts_a.created as usize, a.connections());
}

async fn request_body_and_host_header_reach_the_server<R: Runtime>(rt: R) {
    let server = Server::start(|seen| Reply::ok(seen.body.clone()).status(201));
    let client = Client::builder().runtime(rt).build().unwrap();
    let request = http::Request::post(server.url("/echo?x=1"))
        .header("content-type", "text/plain")
        .body("ping")
        .unwrap();
    let response = whole(client.send(request)).await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.body(), "ping");
    let seen = &server.seen()[0];
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/echo?x=1")
    );
    assert_eq!(seen.host, Some(format!("127.0.0.1:{}", server.port())));
}

async fn a_closed_client_refuses_requests_and_closes_its_connections<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("ok"));
    let client = Client::builder().runtime(rt).build().unwrap();
    whole(client.get(server.url("/"))).await.unwrap();
    client.clone().close();
    let e = whole(client.get(server.url("/"))).await.unwrap_err();
    assert!(e.is_closed() && !e.is_connect(), "{e:?}");
    server.wait_closed(1).await;
    assert_eq!(server.requests(), 1);
}
