//! What the headers say about a connection's life: `Keep-Alive: timeout` can shorten the idle
//! timeout but never lengthen it, and `Connection: close` or HTTP/1.0 end the connection.

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{ManualClock, Runtime};
use fusebox_http::Client;

use crate::common::whole;
use crate::common::{Reply, Server};
use crate::on_both_runtimes;

on_both_runtimes!(
    keep_alive_timeout_header_shortens_idle_life,
    keep_alive_timeout_never_lengthens_the_clients_idle_timeout,
    connection_close_and_http10_responses_end_their_connection,
);

async fn keep_alive_timeout_header_shortens_idle_life<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/short" => Reply::ok("").header("Keep-Alive", "timeout=1, max=100"),
        _ => Reply::ok(""),
    });
    let clock = ManualClock::new();
    let client = Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt))
        .idle_timeout(Duration::from_secs(90))
        .build()
        .unwrap();

    // `timeout=1` leaves the connection 500 ms of idle life (1 s less the margin).
    whole(client.get(server.url("/short"))).await.unwrap();
    clock.advance(Duration::from_millis(499));
    whole(client.get(server.url("/short"))).await.unwrap();
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.reused, total.expired), (1, 1, 0));

    clock.advance(Duration::from_millis(500));
    whole(client.get(server.url("/plain"))).await.unwrap();
    let total = client.pool_stats().total;
    assert_eq!(
        (total.created, total.expired),
        (2, 1),
        "expired after 500 ms"
    );

    // The new connection heard no Keep-Alive header: the client's 90 s apply.
    clock.advance(Duration::from_secs(60));
    whole(client.get(server.url("/plain"))).await.unwrap();
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.expired), (2, 1));
    assert_eq!(server.connections(), 2);
}

async fn keep_alive_timeout_never_lengthens_the_clients_idle_timeout<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("").header("Keep-Alive", "timeout=600"));
    let clock = ManualClock::new();
    let client = Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt))
        .idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    whole(client.get(server.url("/"))).await.unwrap();
    clock.advance(Duration::from_secs(5));
    whole(client.get(server.url("/"))).await.unwrap();
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.expired), (2, 1));
}

async fn connection_close_and_http10_responses_end_their_connection<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/close" => Reply::ok("bye").announce_close(),
        "/old" => Reply::ok("1.0").http10(),
        "/old-kept" => Reply::ok("1.0").http10().header("Connection", "keep-alive"),
        _ => Reply::ok("ok"),
    });
    let client = Client::builder().runtime(rt).build().unwrap();
    for _ in 0..5 {
        assert_eq!(
            whole(client.get(server.url("/close")))
                .await
                .unwrap()
                .body(),
            "bye"
        );
    }
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.reused, total.idle), (5, 0, 0));
    assert_eq!(client.retries(), 0);

    whole(client.get(server.url("/old"))).await.unwrap();
    assert_eq!(client.pool_stats().total.idle, 0);
    whole(client.get(server.url("/old-kept"))).await.unwrap();
    assert_eq!(client.pool_stats().total.idle, 1);

    // A request that says `Connection: close` ends its connection too.
    let req = http::Request::get(server.url("/"))
        .header("connection", "close")
        .body("")
        .unwrap();
    whole(client.send(req)).await.unwrap();
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.idle), (7, 0));
}
