//! Streaming bodies, the request builder and per-request timeouts, on real connections to the
//! workspace's test server, under tokio and smol: a body arrives in pieces before its end, its
//! connection goes back to the pool at the end and is discarded (counted) when it is dropped
//! early, `bytes()` keeps to `max_body_size`, uploads stream, the builder's steps reach the
//! server, and a `FuseClient` counts failures in the body and a request's own timeout.

mod common;

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use fusebox_core::breaker::{BreakerConfig, State, TripReason};
use fusebox_core::rt::Runtime;
use fusebox_http::http::{HeaderMap, HeaderValue, StatusCode};
use fusebox_http::{Client, FuseClient, RequestBody};
use futures_lite::stream;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};

use common::{Cut, Reply, Server};

on_both_runtimes!(
    a_body_arrives_in_pieces_and_its_end_returns_the_connection,
    a_body_dropped_early_discards_its_connection,
    bytes_over_max_body_size_fail,
    a_streamed_upload_arrives_whole,
    builder_steps_reach_the_server,
    a_request_runs_out_of_its_own_timeout_and_its_connection_is_counted,
    the_timeout_covers_the_body,
    a_body_error_after_a_good_head_trips_the_breaker,
    a_request_timeout_trips_the_breaker_as_a_timeout,
    a_body_read_to_its_end_counts_a_success,
);

const PIECE: usize = 16 * 1024;

fn client<R: Runtime>(rt: &R) -> Client {
    Client::builder().runtime(rt.clone()).build().unwrap()
}

/// 4 pieces of 16 KiB, 30 ms apart.
fn trickled() -> Reply {
    Reply::ok(vec![b'x'; 4 * PIECE]).trickle(PIECE, Duration::from_millis(30))
}

async fn a_body_arrives_in_pieces_and_its_end_returns_the_connection<R: Runtime>(rt: R) {
    let server = Server::start(|_| trickled());
    let client = client(&rt);
    let mut response = client.get(server.url("/big")).await.unwrap();
    assert_eq!(response.status(), 200);
    let first = response.body_mut().frame().await.unwrap().unwrap();
    let first = first.into_data().unwrap();
    assert!(!first.is_empty() && first.len() < 4 * PIECE);
    assert!(
        server.seen()[0].answered.is_none(),
        "the first piece came before the server had written the rest"
    );
    let counts = client.pool_stats().total;
    assert_eq!(
        (counts.busy, counts.idle),
        (1, 0),
        "the body holds its connection"
    );
    let rest = response.bytes().await.unwrap();
    assert_eq!(first.len() + rest.len(), 4 * PIECE);
    let counts = client.pool_stats().total;
    assert_eq!((counts.busy, counts.idle), (0, 1), "{counts:?}");
    let again = client.get(server.url("/big")).await.unwrap();
    assert_eq!(again.bytes().await.unwrap().len(), 4 * PIECE);
    let counts = client.pool_stats().total;
    assert_eq!((counts.created, counts.reused, counts.idle), (1, 1, 1));
}

async fn a_body_dropped_early_discards_its_connection<R: Runtime>(rt: R) {
    let server = Server::start(|_| trickled());
    let client = client(&rt);
    let mut response = client.get(server.url("/big")).await.unwrap();
    response.body_mut().frame().await.unwrap().unwrap();
    drop(response);
    let counts = client.pool_stats().total;
    assert_eq!(
        (counts.busy, counts.idle, counts.discarded),
        (0, 0, 1),
        "{counts:?}"
    );
    // An empty body ends at its head: nothing to drop early.
    let server = Server::start(|_| Reply::ok(""));
    let response = client.get(server.url("/empty")).await.unwrap();
    drop(response);
    let counts = client.pool_stats().total;
    assert_eq!((counts.idle, counts.discarded), (1, 1), "{counts:?}");
}

async fn bytes_over_max_body_size_fail<R: Runtime>(rt: R) {
    let server = Server::start(|seen| {
        let reply = Reply::ok(vec![b'y'; 4096]);
        if seen.path == "/chunked" {
            reply.chunked()
        } else {
            reply
        }
    });
    let client = Client::builder()
        .runtime(rt.clone())
        .max_body_size(1024)
        .build()
        .unwrap();
    for path in ["/announced", "/chunked"] {
        let response = client.get(server.url(path)).await.unwrap();
        let e = response.bytes().await.unwrap_err();
        assert!(e.is_body_too_large(), "{path}: {e:?}");
        assert!(e.to_string().contains("max_body_size (1024 bytes)"), "{e}");
    }
    assert_eq!(client.pool_stats().total.discarded, 2);
    // Read frame by frame, the same body is not limited.
    let mut body = client
        .get(server.url("/chunked"))
        .await
        .unwrap()
        .into_body();
    let mut total = 0;
    while let Some(frame) = body.frame().await {
        total += frame.unwrap().into_data().map_or(0, |d| d.len());
    }
    assert_eq!(total, 4096);
}

async fn a_streamed_upload_arrives_whole<R: Runtime>(rt: R) {
    let server = Server::start(|seen| Reply::ok(seen.body.len().to_string()));
    let client = client(&rt);
    let pieces = (0..8u8).map(|i| Ok::<_, Infallible>(Frame::data(Bytes::from(vec![i; 1000]))));
    let body = RequestBody::stream(StreamBody::new(stream::iter(pieces)));
    let response = client.post(server.url("/up")).body(body).await.unwrap();
    assert_eq!(response.text().await.unwrap(), "8000");
    let seen = &server.seen()[0];
    assert_eq!(seen.header("transfer-encoding"), Some("chunked"));
    assert_eq!(seen.body[999..1001], [0, 1]);
}

async fn builder_steps_reach_the_server<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/missing" => Reply::ok("no").status(404),
        _ => Reply::ok("ok"),
    });
    let mut defaults = HeaderMap::new();
    defaults.insert("x-team", HeaderValue::from_static("billing"));
    defaults.insert("x-env", HeaderValue::from_static("test"));
    let client = Client::builder()
        .runtime(rt.clone())
        .default_headers(defaults)
        .build()
        .unwrap();
    let response = client
        .post(server.url("/form?a=1"))
        .query(&[("q", "fuse box")])
        .header("x-env", "mine")
        .form(&[("k", "v")])
        .retryable()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), "ok");
    client.put(server.url("/empty")).body(()).await.unwrap();
    let seen = server.seen();
    assert_eq!(seen[0].path, "/form?a=1&q=fuse+box");
    assert_eq!(seen[0].body, b"k=v");
    assert_eq!(
        seen[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen[0].header("x-team"), Some("billing"));
    assert_eq!(
        seen[0].header("x-env"),
        Some("mine"),
        "the request's own wins"
    );
    let agent = format!("fusebox/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(seen[0].header("user-agent"), Some(agent.as_str()));
    assert_eq!((seen[1].method.as_str(), seen[1].body.len()), ("PUT", 0));

    let e = client
        .get(server.url("/missing"))
        .await
        .unwrap()
        .error_for_status()
        .unwrap_err();
    assert!(
        e.is_status() && e.status() == Some(StatusCode::NOT_FOUND),
        "{e:?}"
    );
    assert!(
        e.to_string().contains(&format!(
            "{} answered 404",
            server.url("").trim_end_matches('/')
        )),
        "{e}"
    );
    let e = client
        .get("http://127.0.0.1/")
        .header("bad header", "x")
        .await
        .unwrap_err();
    assert!(e.is_invalid_request(), "{e:?}");

    let named = Client::builder()
        .runtime(rt.clone())
        .user_agent("inventory/2")
        .build()
        .unwrap();
    named
        .get(server.url("/ua"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(server.seen()[3].header("user-agent"), Some("inventory/2"));
    #[cfg(feature = "json")]
    {
        let echo = Server::start(|seen| Reply::ok(seen.body.clone()));
        let sent = std::collections::BTreeMap::from([("n", 1)]);
        let got: std::collections::BTreeMap<String, u32> = client
            .post(echo.url("/json"))
            .json(&sent)
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(got["n"], 1);
        assert_eq!(
            echo.seen()[0].header("content-type"),
            Some("application/json")
        );
    }
}

async fn a_request_runs_out_of_its_own_timeout_and_its_connection_is_counted<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("late").delay(Duration::from_millis(400)));
    let client = client(&rt);
    let e = client
        .get(server.url("/slow"))
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(e.is_timeout() && !e.is_pool_timeout(), "{e:?}");
    assert!(
        e.to_string().contains("the request's own timeout of 50ms"),
        "{e}"
    );
    let counts = client.pool_stats().total;
    assert_eq!((counts.busy, counts.discarded), (0, 1), "{counts:?}");
}

async fn the_timeout_covers_the_body<R: Runtime>(rt: R) {
    let server = Server::start(|_| {
        Reply::ok(vec![b'z'; 4 * PIECE]).trickle(PIECE, Duration::from_millis(200))
    });
    let client = client(&rt);
    let response = client
        .get(server.url("/slow-body"))
        .timeout(Duration::from_millis(100))
        .await
        .unwrap();
    let e = response.bytes().await.unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    assert_eq!(client.pool_stats().total.discarded, 1);
}

fn fuse<R: Runtime>(rt: &R, server: &Server) -> FuseClient {
    fuse_with(rt, server, 1)
}

fn fuse_with<R: Runtime>(rt: &R, server: &Server, threshold: u32) -> FuseClient {
    let config = BreakerConfig::builder()
        .failure_threshold(threshold)
        .probe_interval(Duration::from_secs(3600))
        .max_backoff(Duration::from_secs(3600))
        .build()
        .unwrap();
    FuseClient::builder(client(rt), &server.url(""))
        .breaker(config)
        .build()
        .unwrap()
}

async fn a_body_error_after_a_good_head_trips_the_breaker<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok(vec![b'c'; 4096]).cut(Cut::MidBody));
    let fuse = fuse(&rt, &server);
    let response = fuse.get("/cut").await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(fuse.is_closed(), "a good head alone records nothing yet");
    let e = response.bytes().await.unwrap_err();
    assert!(e.is_body(), "{e:?}");
    let State::Open(trip) = fuse.state() else {
        panic!("expected open, got {:?}", fuse.state());
    };
    assert_eq!(trip.reason, TripReason::Connection);
}

async fn a_request_timeout_trips_the_breaker_as_a_timeout<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("late").delay(Duration::from_millis(400)));
    let fuse = fuse(&rt, &server);
    let e = fuse
        .get("/slow")
        .timeout(Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e:?}");
    let State::Open(trip) = fuse.state() else {
        panic!("expected open, got {:?}", fuse.state());
    };
    assert_eq!(trip.reason, TripReason::Timeout);
    assert_eq!(fuse.client().pool_stats().total.discarded, 1);
    assert!(fuse.get("/slow").await.unwrap_err().is_open());
}

async fn a_body_read_to_its_end_counts_a_success<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/fail" => Reply::ok("down").status(503),
        _ => trickled(),
    });
    let fuse = fuse_with(&rt, &server, 3);
    fuse.get("/fail").await.unwrap().bytes().await.unwrap();
    assert_eq!(fuse.breaker().consecutive_failures(), 1);
    let response = fuse.get("/ok").await.unwrap();
    assert_eq!(
        fuse.breaker().consecutive_failures(),
        1,
        "the success waits for the body"
    );
    response.bytes().await.unwrap();
    assert_eq!(fuse.breaker().consecutive_failures(), 0);
    assert_eq!(fuse.client().pool_stats().total.idle, 1);
}
