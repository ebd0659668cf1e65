//! The bound on attempts: a request sends again after the keep-alive race at most
//! `max_per_host` times (`max_per_host + 1` attempts), even when each retry is handed another
//! reused connection that the server closes under it.

use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;
use futures_lite::future;

use crate::common::{Reply, Server, whole};
use crate::on_both_runtimes;

on_both_runtimes!(a_request_stops_retrying_after_max_per_host_plus_one_attempts);

/// How long the server's handler waits for the test to let it go on before it gives up.
const HOLD: Duration = Duration::from_secs(10);

async fn a_request_stops_retrying_after_max_per_host_plus_one_attempts<R: Runtime>(rt: R) {
    // Every connection answers its first request and closes unanswered under its second: the
    // race, on each reused connection.
    let (arrived, arrival) = smol::channel::unbounded::<()>();
    let (go, held) = mpsc::channel::<()>();
    let held = Mutex::new(held);
    let server = Server::start(move |seen| {
        if seen.nth == 0 {
            return Reply::ok(seen.path.clone());
        }
        if seen.conn == 0 {
            // Hold the first attempt of `/r` until a second request is queued for the slot.
            let _ = arrived.try_send(());
            let _ = held.lock().unwrap().recv_timeout(HOLD);
        }
        Reply::drop_connection()
    });
    // One connection at most: two attempts.
    let client = Client::builder()
        .runtime(rt.clone())
        .max_per_host(1)
        .build()
        .unwrap();
    whole(client.get(server.url("/warm"))).await.unwrap();

    // `/r` takes the pooled connection 0 and is held there; `/w` queues for the slot. When the
    // server drops connection 0, the slot goes to `/w` (waiters first), which opens connection 1
    // and hands it on, used once, to `/r`'s second attempt, which the server drops too.
    let r = whole(client.get(server.url("/r")));
    let w = whole(client.get(server.url("/w")));
    let release = async {
        arrival.recv().await.unwrap();
        assert_eq!(client.pool_stats().total.waiting, 1, "`/w` is queued");
        go.send(()).unwrap();
    };
    let ((r, w), ()) = future::zip(future::zip(r, w), release).await;
    assert_eq!(w.unwrap().body(), "/w");
    let e = r.expect_err("the second attempt is the last");
    assert!(e.is_request() && e.is_incomplete(), "{e:#}");
    assert_eq!(client.retries(), 1, "sent again once, not twice");
    let r_on: Vec<_> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == "/r")
        .map(|s| (s.conn, s.nth))
        .collect();
    assert_eq!(
        r_on,
        [(0, 1), (1, 1)],
        "both attempts on a reused connection"
    );
    crate::recovers(&client, &server.url("/after")).await;
}
