//! Connections that must not outlive their response: `Connection: close`, HTTP/1.0 without
//! keep-alive, and an idle connection the server closed, which must leave the pool's idle
//! count without waiting for the next request.

use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;

use crate::common::whole;
use crate::common::{Reply, Server, sleep};
use crate::on_both_runtimes;

on_both_runtimes!(
    connection_close_responses_are_not_pooled,
    connection_close_responses_from_a_server_that_closes_cause_no_error,
    http10_responses_without_keep_alive_are_not_pooled,
    idle_connection_closed_by_the_server_leaves_the_idle_count,
);

/// Sends `n` GETs one after the other; every one must succeed.
async fn get_n(client: &Client, server: &Server, n: usize) {
    for i in 0..n {
        let response = whole(client.get(server.url(&format!("/{i}")))).await;
        let response = response.unwrap_or_else(|e| panic!("request {i}: {e:#}"));
        assert_eq!(response.status(), 200);
        let total = client.pool_stats().total;
        assert_eq!(
            (total.idle, total.busy),
            (0, 0),
            "after request {i}: {total:?}"
        );
    }
}

async fn connection_close_responses_are_not_pooled<R: Runtime>(rt: R) {
    // The server announces the close but keeps reading: only the client can keep the
    // connection out of the pool.
    let server = Server::start(|_| Reply::ok("bye").header("Connection", "close"));
    let client = crate::client(&rt);
    get_n(&client, &server, 5).await;
    assert_eq!(server.connections(), 5, "a new connection for each request");
    assert!(server.seen().iter().all(|s| s.nth == 0));
    assert_eq!(client.retries(), 0);
    assert_eq!(client.pool_stats().total.reused, 0);
}

async fn connection_close_responses_from_a_server_that_closes_cause_no_error<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("bye").announce_close());
    let client = crate::client(&rt);
    get_n(&client, &server, 20).await;
    assert_eq!(server.connections(), 20);
    assert_eq!(
        client.retries(),
        0,
        "nothing was sent on a closing connection"
    );
}

async fn http10_responses_without_keep_alive_are_not_pooled<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("old").http10());
    let client = crate::client(&rt);
    get_n(&client, &server, 5).await;
    assert_eq!(server.connections(), 5, "a new connection for each request");
    assert!(server.seen().iter().all(|s| s.nth == 0));
}

async fn idle_connection_closed_by_the_server_leaves_the_idle_count<R: Runtime>(rt: R) {
    let server = Server::start_with(Some(Duration::from_millis(30)), |_| Reply::ok("ok"));
    // The reaper's tick an hour away: only the connection's hang-up can empty the idle count.
    let client = Client::builder()
        .runtime(rt.clone())
        .reap_interval(Duration::from_secs(3600))
        .build()
        .unwrap();
    whole(client.get(server.url("/"))).await.unwrap();
    assert_eq!(client.pool_stats().total.idle, 1);
    server.wait_closed(1).await;
    // The connection's driver sees the close and raises its hang-up; no request, no tick needed.
    // Bounded: 2 s at most, looking every 2 ms.
    let mut idle = client.pool_stats().total.idle;
    for _ in 0..1000 {
        if idle == 0 {
            break;
        }
        sleep(&rt, Duration::from_millis(2)).await;
        idle = client.pool_stats().total.idle;
    }
    assert_eq!(idle, 0, "the closed connection still counts as idle");
    crate::recovers(&client, &server.url("/")).await;
    assert_eq!(server.connections(), 2);
}
