//! What the client and its connections report, under tokio and smol: the `Debug` of a
//! [`Client`], and an [`HttpConnection`] in a pool of one's own (a [`Connector`] under a
//! [`Pool`]) before and after its server closes it.

mod common;

use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_core::{Connection, Pool, Pooled, Wait};
use fusebox_http::conn::{Connector, HttpConnection, Negotiated};
use fusebox_http::{Client, Origin};

use common::{Accept, Reply, Server, sleep};

on_both_runtimes!(
    client_debug_shows_its_limits_and_its_pool,
    a_connection_in_a_pool_of_ones_own_reports_open_then_closed,
);

async fn client_debug_shows_its_limits_and_its_pool<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("ok"));
    let client = Client::builder()
        .runtime(rt)
        .request_timeout(Duration::from_secs(7))
        .pool_timeout(Duration::from_secs(3))
        .max_body_size(1234)
        .build()
        .unwrap();
    common::whole(client.get(server.url("/"))).await.unwrap();
    let debug = format!("{client:?}");
    assert!(
        debug.starts_with(
            "Client { request_timeout: 7s, pool_timeout: 3s, max_body_size: 1234, \
             pool: Pool { total: "
        ),
        "{debug}"
    );
    assert!(debug.contains("created: 1"), "{debug}");
}

/// The HTTP/1.1 connection a plain origin gets.
fn http1(pooled: &Pooled<Origin, Connector>) -> &HttpConnection {
    match &**pooled {
        Negotiated::Http1(conn) => conn,
        other => panic!("a plain origin speaks http/1.1 unless told otherwise: {other:?}"),
    }
}

async fn a_connection_in_a_pool_of_ones_own_reports_open_then_closed<R: Runtime>(rt: R) {
    // Connection 0 is served; connection 1 is closed by the server as soon as it is accepted.
    let server = Server::builder()
        .on_accept(|id| {
            if id == 0 {
                Accept::Serve
            } else {
                Accept::Close
            }
        })
        .start(|_| Reply::ok("ok"));
    let pool = Pool::builder(Connector::from_runtime(rt.clone()))
        .max_per_key(2)
        .runtime(rt.clone())
        .build()
        .unwrap();
    let origin: Origin = server.url("/").parse().unwrap();

    let open = pool.acquire(&origin, Wait::None).await.unwrap();
    let conn = http1(&open);
    assert!(!conn.is_closed() && conn.is_usable());
    assert_eq!(conn.requests_sent(), 0);
    assert_eq!(
        conn.keep_alive_timeout(),
        None,
        "no response, no announcement"
    );
    assert_eq!(conn.idle_timeout(), None, "no announcement: the pool's own");
    assert_eq!(
        format!("{conn:?}"),
        "HttpConnection { closed: false, requests_sent: 0, keep_alive: None, .. }"
    );

    let closing = pool.acquire(&origin, Wait::None).await.unwrap();
    server.wait_closed(1).await;
    // The driver's pending read sees the close and ends; the test cannot await that, so it
    // looks every 2 ms, for at most 2 s.
    for _ in 0..1000 {
        if http1(&closing).is_closed() {
            break;
        }
        sleep(&rt, Duration::from_millis(2)).await;
    }
    assert!(
        http1(&closing).is_closed(),
        "the server closed it: {closing:?}"
    );
    assert!(!http1(&closing).is_usable());
    assert_eq!(
        format!("{:?}", http1(&closing)),
        "HttpConnection { closed: true, requests_sent: 0, keep_alive: None, .. }"
    );
    assert!(
        !http1(&open).is_closed() && http1(&open).is_usable(),
        "the other connection is still open"
    );
}
