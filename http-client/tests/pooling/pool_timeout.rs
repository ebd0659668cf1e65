//! A busy pool: a request waiting for a connection ends with a pool timeout and sends nothing,
//! and an overload fails fast in the queue instead of opening connections.

use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;
use futures_lite::future;

use crate::common::whole;
use crate::common::{Reply, Server};
use crate::on_both_runtimes;

on_both_runtimes!(
    waiting_for_a_busy_pool_ends_with_a_pool_timeout_and_sends_nothing,
    overload_fails_fast_in_the_queue_without_a_reconnect_storm,
);

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
