//! Idle connections the server closes without saying so: no error reaches the caller, a stale
//! one handed out is retried on a fresh one, a closed one leaves the idle count at the next reap,
//! and only a `Retryable` request is sent again after the race.

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::{Client, Retryable};
use futures_lite::future;

use crate::common::whole;
use crate::common::{Gated, Reply, Server, sleep};
use crate::on_both_runtimes;

on_both_runtimes!(
    server_closing_idle_connections_causes_no_error,
    stale_pooled_connection_is_retried_on_a_fresh_one,
    a_closed_idle_connection_leaves_the_idle_count_at_the_next_reap,
    a_retryable_post_is_sent_again_after_the_race_and_a_plain_one_is_not,
);

async fn server_closing_idle_connections_causes_no_error<R: Runtime>(rt: R) {
    // Like a server with a 50 ms keep-alive timeout that does not announce it.
    let server = Server::start_with(Some(Duration::from_millis(50)), |_| Reply::ok("ok"));
    let client = Client::builder().runtime(rt.clone()).build().unwrap();
    for _round in 0..3 {
        for _ in 0..3 {
            let response = whole(client.get(server.url("/"))).await.unwrap();
            assert_eq!(response.body(), "ok");
        }
        // Long enough for the server to close the idle connection.
        sleep(&rt, Duration::from_millis(200)).await;
    }
    assert_eq!(server.seen().len(), 9);
    assert!(
        server.connections() >= 3,
        "each round needs a new connection"
    );
    assert!(client.pool_stats().total.reused >= 6);
}

async fn stale_pooled_connection_is_retried_on_a_fresh_one<R: Runtime>(rt: R) {
    let server = Server::start_with(Some(Duration::from_millis(100)), |_| Reply::ok("ok"));
    let (spawner, gate) = Gated::new(rt.clone());
    let client = Client::builder()
        .clock(Arc::new(rt.clone()))
        .spawner(Arc::new(spawner))
        .dial(Arc::new(rt.clone()))
        .build()
        .unwrap();
    whole(client.get(server.url("/first"))).await.unwrap();

    // Freeze the connection's driver, so that it cannot notice the server closing the idle
    // connection: the pool still takes it for usable and hands it out again.
    gate.shut();
    sleep(&rt, Duration::from_millis(400)).await;
    let unfreeze = async {
        sleep(&rt, Duration::from_millis(50)).await;
        gate.open();
    };
    let (response, ()) = future::zip(whole(client.get(server.url("/second"))), unfreeze).await;
    assert_eq!(response.unwrap().body(), "ok");

    let total = client.pool_stats().total;
    assert_eq!(total.created, 2, "the retry opened a fresh connection");
    assert_eq!(
        total.expired, 0,
        "the stale connection was handed out, not caught at checkout"
    );
    let seen: Vec<_> = server
        .seen()
        .into_iter()
        .map(|s| (s.conn, s.path))
        .collect();
    assert_eq!(seen, [(0, "/first".into()), (1, "/second".into())]);
}

async fn a_closed_idle_connection_leaves_the_idle_count_at_the_next_reap<R: Runtime>(rt: R) {
    let server = Server::builder()
        .idle_close(Duration::from_millis(20))
        .start(|_| Reply::ok("ok"));
    let client = Client::builder()
        .runtime(rt.clone())
        .reap_interval(Duration::from_millis(20))
        .build()
        .unwrap();
    whole(client.get(server.url("/"))).await.unwrap();
    assert_eq!(client.pool_stats().total.idle, 1);
    server.wait_closed(1).await;
    // The driver sees the close, the reaper the closed connection; both are events the test
    // cannot await, so it looks every few milliseconds, for at most 2 s.
    let mut idle = 1;
    for _ in 0..400 {
        idle = client.pool_stats().total.idle;
        if idle == 0 {
            break;
        }
        sleep(&rt, Duration::from_millis(5)).await;
    }
    assert_eq!(idle, 0, "{:?}", client.pool_stats().total);
    assert_eq!(
        client.pool_stats().total.unusable,
        1,
        "counted as closed by its server"
    );
}

async fn a_retryable_post_is_sent_again_after_the_race_and_a_plain_one_is_not<R: Runtime>(rt: R) {
    // The second request on each connection is read, then the connection closes unanswered:
    // what a client sees when the server closes as the request arrives.
    let server = Server::start(|seen| {
        if seen.nth == 1 {
            Reply::drop_connection()
        } else {
            Reply::ok(format!("{} {}", seen.method, seen.conn))
        }
    });
    let client = Client::builder().runtime(rt).build().unwrap();
    whole(client.get(server.url("/"))).await.unwrap();
    let mut post = http::Request::post(server.url("/jobs"))
        .body("job")
        .unwrap();
    post.extensions_mut().insert(Retryable);
    let response = whole(client.send(post)).await.unwrap();
    assert_eq!(response.body(), "POST 1");
    assert_eq!(client.retries(), 1);
    let jobs: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/jobs")
        .collect();
    assert_eq!(jobs.len(), 2);
    assert!(jobs.iter().all(|s| s.body == b"job"));

    // The same POST unmarked fails: it may have been acted on.
    let post = http::Request::post(server.url("/jobs"))
        .body("job")
        .unwrap();
    let e = whole(client.send(post)).await.unwrap_err();
    assert!(e.is_request() && e.is_incomplete(), "{e:?}");
    assert_eq!(client.retries(), 1);
}
