//! Failures and limits against real servers on 127.0.0.1, under tokio and smol: request timeout,
//! body limit, head limits, connect timeout, refused connections, connections failing midway or
//! reset at once, ports out of range, an early answer to a large body. Timeouts run on
//! the manual clock, moved once the server or dialer says the request got there.

mod common;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{ManualClock, Runtime};
use fusebox_http::Client;
use futures_lite::future;

use common::whole;
use common::{Accept, Cut, NeverDial, Reply, Server};

on_both_runtimes!(
    request_timeout_gives_timeout_error_and_discards_the_connection,
    body_over_the_limit_gives_body_too_large,
    connect_timeout_gives_connect_timeout_error,
    refused_connection_is_a_connect_error,
    connection_failing_midway_is_discarded_not_retried,
    head_limits_are_settings_and_name_themselves,
    a_server_that_resets_at_once_is_always_a_reset,
    ports_out_of_range_are_invalid_uris_and_connect_nowhere,
    an_early_answer_to_a_large_body_reaches_the_caller,
    failures_after_the_answer_began_or_not_of_the_connection_are_not_sent_again,
);

async fn request_timeout_gives_timeout_error_and_discards_the_connection<R: Runtime>(rt: R) {
    let (arrived, arrivals) = smol::channel::unbounded();
    let server = Server::start(move |seen| {
        arrived.try_send(()).unwrap();
        if seen.path == "/slow" {
            Reply::hang()
        } else {
            Reply::ok("ok")
        }
    });
    let clock = ManualClock::new();
    let client = Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt))
        .request_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    whole(client.get(server.url("/fast"))).await.unwrap();
    arrivals.recv().await.unwrap();

    let time_passes = async {
        arrivals.recv().await.unwrap();
        clock.advance(Duration::from_secs(2));
    };
    let (result, ()) = future::zip(whole(client.get(server.url("/slow"))), time_passes).await;
    let err = result.unwrap_err();
    assert!(err.is_timeout() && !err.is_connect(), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "no complete response from http://127.0.0.1:{} within the request timeout of 2s: \
             raise request_timeout or check the server",
            server.port()
        )
    );
    let total = client.pool_stats().total;
    assert_eq!(
        (total.idle, total.busy),
        (0, 0),
        "the timed-out connection is not pooled"
    );

    // The next request gets a new connection and works.
    whole(client.get(server.url("/fast"))).await.unwrap();
    assert_eq!(client.pool_stats().total.created, 2);
}

async fn body_over_the_limit_gives_body_too_large<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/exact" => Reply::ok(vec![b'x'; 100]),
        "/long" => Reply::ok(vec![b'x'; 1000]),
        _ => Reply::ok(vec![b'x'; 1000]).chunked(),
    });
    let client = Client::builder()
        .runtime(rt)
        .max_body_size(100)
        .build()
        .unwrap();
    assert_eq!(
        whole(client.get(server.url("/exact")))
            .await
            .unwrap()
            .body()
            .len(),
        100
    );
    for path in ["/long", "/chunked"] {
        let err = whole(client.get(server.url(path))).await.unwrap_err();
        assert!(err.is_body_too_large(), "{path}: {err:?}");
        assert!(
            err.to_string().contains("max_body_size (100 bytes)"),
            "{err}"
        );
    }
    let total = client.pool_stats().total;
    assert_eq!(
        total.idle, 0,
        "connections with unread bodies are not pooled"
    );
    assert_eq!((total.created, total.reused), (2, 1));
}

async fn connect_timeout_gives_connect_timeout_error<R: Runtime>(rt: R) {
    let (asked, dials) = smol::channel::unbounded();
    let clock = ManualClock::new();
    let client = Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt))
        .dial(Arc::new(NeverDial { asked }))
        .connect_timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let time_passes = async {
        dials.recv().await.unwrap();
        clock.advance(Duration::from_secs(3));
    };
    let (result, ()) = future::zip(whole(client.get("http://192.0.2.1:8080/")), time_passes).await;
    let err = result.unwrap_err();
    assert!(err.is_connect() && err.is_timeout(), "{err:?}");
    assert_eq!(
        err.to_string(),
        "connecting to http://192.0.2.1:8080 took longer than the connect timeout of 3s: \
         check that the server is reachable or raise connect_timeout"
    );
    assert_eq!(client.pool_stats().total.connect_failures, 1);
}

async fn refused_connection_is_a_connect_error<R: Runtime>(rt: R) {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder().runtime(rt).build().unwrap();
    let err = client
        .get(format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert!(err.is_connect() && !err.is_timeout(), "{err:?}");
    assert!(format!("{err:#}").contains("tcp connect failed"), "{err:#}");
    assert_eq!(client.pool_stats().total.connect_failures, 1);
}

async fn connection_failing_midway_is_discarded_not_retried<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/drop" => Reply::drop_connection(),
        _ => Reply::ok("ok"),
    });
    let client = Client::builder().runtime(rt).build().unwrap();
    whole(client.get(server.url("/ok"))).await.unwrap();
    // A POST written to the reused connection, then the server hangs up without a byte of
    // answer: it may have been acted on, so it is not sent again.
    let post = http::Request::post(server.url("/drop")).body("x").unwrap();
    let err = whole(client.send(post)).await.unwrap_err();
    assert!(err.is_request() && err.is_incomplete(), "{err:?}");
    let total = client.pool_stats().total;
    assert_eq!((total.idle, total.busy, total.created), (0, 0, 1));
    assert_eq!(server.seen().len(), 2);
    assert_eq!(client.retries(), 0);

    // A GET is idempotent: sent again once, on a new connection, where the same failure is
    // the server's answer and is not retried.
    whole(client.get(server.url("/ok"))).await.unwrap();
    let err = whole(client.get(server.url("/drop"))).await.unwrap_err();
    assert!(err.is_request() && err.is_incomplete(), "{err:?}");
    assert_eq!(client.retries(), 1);
    assert_eq!(server.seen().len(), 5);
    let total = client.pool_stats().total;
    assert_eq!((total.idle, total.busy, total.created), (0, 0, 3));

    whole(client.get(server.url("/ok"))).await.unwrap();
    assert_eq!(client.pool_stats().total.created, 4);
}

async fn head_limits_are_settings_and_name_themselves<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/many" => Reply::ok("ok").many_headers(101),
        "/long" => Reply::ok("ok").header("x-long", &"v".repeat(10_000)),
        _ => Reply::ok("ok"),
    });
    let client = Client::builder().runtime(rt.clone()).build().unwrap();
    let e = whole(client.get(server.url("/many"))).await.unwrap_err();
    assert!(
        e.is_request() && e.is_head_too_large() && !e.is_malformed(),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("is over max_head_size (65536 bytes) or max_headers (100)"),
        "{e}"
    );
    assert_eq!(
        whole(client.get(server.url("/long")))
            .await
            .unwrap()
            .status(),
        200
    );

    let roomy = Client::builder()
        .runtime(rt.clone())
        .max_headers(200)
        .build()
        .unwrap();
    assert_eq!(
        whole(roomy.get(server.url("/many")))
            .await
            .unwrap()
            .status(),
        200
    );
    let tight = Client::builder()
        .runtime(rt)
        .max_head_size(8192)
        .build()
        .unwrap();
    let e = whole(tight.get(server.url("/long"))).await.unwrap_err();
    assert!(e.is_head_too_large(), "{e:?}");
    assert!(e.to_string().contains("max_head_size (8192 bytes)"), "{e}");
    assert_eq!(tight.pool_stats().total.busy, 0);
}

async fn a_server_that_resets_at_once_is_always_a_reset<R: Runtime>(rt: R) {
    let server = Server::builder()
        .on_accept(|_| Accept::Reset)
        .start(|_| Reply::ok("never"));
    let client = Client::builder().runtime(rt).build().unwrap();
    for _ in 0..50 {
        let e = whole(client.get(server.url("/"))).await.unwrap_err();
        assert!(
            e.is_request() && e.is_reset() && e.is_incomplete() && !e.is_connect(),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("the connection to http://127.0.0.1:")
        );
    }
    assert_eq!(client.retries(), 0);
    assert_eq!(client.pool_stats().total.busy, 0);
}

async fn ports_out_of_range_are_invalid_uris_and_connect_nowhere<R: Runtime>(rt: R) {
    let client = Client::builder().runtime(rt).build().unwrap();
    for port in ["99999", "65536", "4294967376", "0"] {
        let e = client
            .get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(e.is_invalid_uri() && !e.is_connect(), "{port}: {e:?}");
        assert!(
            e.to_string().contains(&format!("the port \"{port}\"")),
            "{e}"
        );
    }
    assert_eq!(client.pool_stats().total.created, 0);
    assert_eq!(client.pool_stats().total.connect_failures, 0);
}

async fn an_early_answer_to_a_large_body_reaches_the_caller<R: Runtime>(rt: R) {
    // The server answers 413 from the head, closes gracefully (reading and dropping the rest, as
    // nginx does), and the client is still writing the body when the answer comes.
    let server = Server::builder()
        .on_head(|_| Some(Reply::ok("too large").status(413).announce_close()))
        .start(|_| Reply::ok("read it all"));
    let client = Client::builder().runtime(rt).build().unwrap();
    let body = vec![b'x'; 8 * 1024 * 1024];
    for _ in 0..5 {
        let req = http::Request::post(server.url("/upload"))
            .body(body.clone())
            .unwrap();
        let response = whole(client.send(req)).await.unwrap();
        assert_eq!(response.status(), 413);
        assert_eq!(response.body(), "too large");
    }
    assert_eq!(client.pool_stats().total.busy, 0);
}

async fn failures_after_the_answer_began_or_not_of_the_connection_are_not_sent_again<R: Runtime>(
    rt: R,
) {
    // The second request on each connection fails on a reused connection, but not by the
    // race: half a head then a close (an answer had begun), or a head that is not HTTP.
    let server = Server::start(|seen| match (seen.nth, seen.path.as_str()) {
        (0, _) => Reply::ok("ok"),
        (_, "/half") => Reply::ok("cut").cut(Cut::MidHead),
        _ => Reply::malformed_head(),
    });
    let client = Client::builder().runtime(rt).build().unwrap();
    whole(client.get(server.url("/"))).await.unwrap();
    let e = whole(client.get(server.url("/half"))).await.unwrap_err();
    assert!(e.is_request() && e.is_incomplete(), "{e:?}");
    whole(client.get(server.url("/"))).await.unwrap();
    let e = whole(client.get(server.url("/bad"))).await.unwrap_err();
    assert!(e.is_request() && e.is_malformed(), "{e:?}");
    assert_eq!(client.retries(), 0);
    assert_eq!(server.requests(), 4);
}
