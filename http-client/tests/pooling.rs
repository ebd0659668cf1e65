//! Connection reuse against real servers on 127.0.0.1, under tokio and smol: keep-alive reuse,
//! servers closing idle connections, the stale-connection retry, `Keep-Alive: timeout`,
//! `Connection: close`, the pool timeout, and per-origin isolation.

mod common;

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{ManualClock, Runtime};
use fusebox_http::{Client, Origin, Retryable};
use futures_lite::future;

use common::whole;
use common::{Gated, Reply, Server, sleep};

on_both_runtimes!(
    sequential_requests_reuse_one_connection,
    server_closing_idle_connections_causes_no_error,
    stale_pooled_connection_is_retried_on_a_fresh_one,
    keep_alive_timeout_header_shortens_idle_life,
    keep_alive_timeout_never_lengthens_the_clients_idle_timeout,
    connection_for_one_origin_never_carries_a_request_for_another,
    request_body_and_host_header_reach_the_server,
    connection_close_and_http10_responses_end_their_connection,
    a_closed_idle_connection_leaves_the_idle_count_at_the_next_reap,
    a_retryable_post_is_sent_again_after_the_race_and_a_plain_one_is_not,
    waiting_for_a_busy_pool_ends_with_a_pool_timeout_and_sends_nothing,
    overload_fails_fast_in_the_queue_without_a_reconnect_storm,
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

async fn waiting_for_a_busy_pool_ends_with_a_pool_timeout_and_sends_nothing<R: Runtime>(rt: R) {
    let (arrived, arrivals) = smol::channel::unbounded();
    let server = Server::start(move |seen| {
        let _ = arrived.try_send(());
        if seen.path == "/slow" {
            Reply::ok("slow").delay(Duration::from_millis(300))
        } else {
            Reply::ok("fast")
        }
    });
    let client = Client::builder()
        .runtime(rt.clone())
        .max_per_host(1)
        .pool_timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let slow = whole(client.get(server.url("/slow")));
    let waiting = async {
        arrivals.recv().await.unwrap();
        let start = rt.now();
        let e = whole(client.get(server.url("/fast"))).await.unwrap_err();
        (e, rt.now() - start)
    };
    let (slow, (e, waited)) = future::zip(slow, waiting).await;
    assert_eq!(slow.unwrap().body(), "slow");
    assert!(e.is_pool_timeout() && e.is_timeout(), "{e:?}");
    assert!(!e.is_connect() && !e.is_request());
    assert!(waited < Duration::from_millis(290), "{waited:?}");
    assert!(
        e.to_string()
            .contains("within the pool timeout of 50ms; the request was not sent"),
        "{e}"
    );
    assert_eq!(server.requests(), 1);
    assert_eq!(client.pool_stats().total.timed_out, 1);
}

async fn overload_fails_fast_in_the_queue_without_a_reconnect_storm<R: Runtime>(rt: R) {
    // 400 requests at once on 4 connections to a server that takes 10 ms: about 1 s of work for
    // a 400 ms request timeout (so a 200 ms pool timeout).
    let server = Server::start(|_| Reply::ok("ok").delay(Duration::from_millis(10)));
    let client = Client::builder()
        .runtime(rt.clone())
        .max_per_host(4)
        .request_timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    let (tx, rx) = smol::channel::unbounded();
    for _ in 0..400 {
        let (client, url, tx) = (client.clone(), server.url("/"), tx.clone());
        rt.spawn(Box::pin(async move {
            let _ = tx.send(whole(client.get(url)).await).await;
        }));
    }
    drop(tx);
    let (mut ok, mut pool_timeouts) = (0, 0);
    while let Ok(result) = rx.recv().await {
        match result {
            Ok(_) => ok += 1,
            Err(e) if e.is_pool_timeout() => pool_timeouts += 1,
            Err(e) => panic!("{e:#}"),
        }
    }
    let created = client.pool_stats().total.created;
    assert!(
        ok > 0 && pool_timeouts > 0,
        "ok {ok}, pool timeouts {pool_timeouts}"
    );
    assert!(
        created <= 8,
        "{created} connections opened for max_per_host 4"
    );
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
