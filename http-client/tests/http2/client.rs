//! HTTP/2 through `Client`: the pool hands out streams of one connection to many requests,
//! opens another only when they run out, and a `GOAWAY` mid-load reaches no caller.

use fusebox_core::rt::Runtime;
use fusebox_http::{Client, Error};
use fusebox_testserver::H2Server;

use super::plain_origin;

/// A client on `rt` that speaks HTTP/2 to plain origins by prior knowledge.
fn client<R: Runtime>(rt: &R, max_per_origin: usize) -> Client {
    Client::builder()
        .runtime(rt.clone())
        .http2_prior_knowledge()
        .max_per_host(max_per_origin)
        .build()
        .unwrap()
}

/// Sends `n` GETs of `/0`, `/1`, … at once through `client`, from tasks on `rt`, and returns
/// each outcome with its body, by path.
async fn concurrently<R: Runtime>(
    rt: &R,
    client: &Client,
    url: &str,
    n: usize,
) -> Vec<Result<String, Error>> {
    let (tx, rx) = smol::channel::unbounded();
    for i in 0..n {
        let (client, tx, url) = (client.clone(), tx.clone(), format!("{url}/{i}"));
        rt.spawn(Box::pin(async move {
            let result = async {
                let response = client.get(&url).await?;
                assert_eq!(response.version(), http::Version::HTTP_2);
                response.text().await
            };
            tx.send((i, result.await)).await.ok();
        }));
    }
    drop(tx);
    let mut outcomes: Vec<Option<Result<String, Error>>> = (0..n).map(|_| None).collect();
    while let Ok((i, result)) = rx.recv().await {
        outcomes[i] = Some(result);
    }
    outcomes.into_iter().map(Option::unwrap).collect()
}

/// 100 requests at once, all in the server's handler together, over the one connection the
/// pool made; it is idle in the pool afterwards.
async fn a_hundred_requests_share_the_pools_one_connection<R: Runtime>(rt: R) {
    let server = H2Server::builder().hold_in_groups_of(100).start();
    let origin = plain_origin(server.port());
    let client = client(&rt, 4);
    let outcomes = concurrently(&rt, &client, &origin.to_string(), 100).await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let body = outcome.unwrap_or_else(|e| panic!("request {i}: {e:#}"));
        assert_eq!(body, format!("/{i} over HTTP/2.0"));
    }
    assert_eq!(server.connections(), 1);
    assert_eq!(server.peak_in_handler(), 100);
    let c = client.pool_stats_for(&origin).unwrap();
    assert_eq!((c.created, c.idle, c.shared, c.streams), (1, 1, 0, 0));
    assert_eq!(c.reused, 99);
}

/// The server's limit of 2 streams holds through the pool: 10 requests at once on one
/// connection all succeed, never more than 2 in its handler. (The pool reads the limit when the
/// connection is made, hyper's 100 if the server's `SETTINGS` have not arrived yet, and again as
/// each stream comes back; requests past the server's own wait in hyper.)
async fn the_servers_stream_limit_holds_through_the_pool<R: Runtime>(rt: R) {
    let server = H2Server::builder()
        .max_concurrent_streams(2)
        .hold_in_groups_of(2)
        .start();
    let origin = plain_origin(server.port());
    let client = client(&rt, 1);
    let outcomes = concurrently(&rt, &client, &origin.to_string(), 10).await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    assert_eq!(server.peak_in_handler(), 2);
    assert_eq!(server.connections(), 1);
}

/// The server shuts each connection down gracefully after 10 requests, while 8 tasks send 8
/// requests each, one after the other: the requests sent after the `GOAWAY` (refused by the
/// server, unprocessed) go again on a new connection, so none fails.
async fn a_goaway_mid_load_fails_no_request<R: Runtime>(rt: R) {
    let server = H2Server::builder().goaway_after(10).start();
    let origin = plain_origin(server.port());
    let client = client(&rt, 8);
    let (tx, rx) = smol::channel::unbounded();
    for task in 0..8 {
        let (client, tx, url) = (client.clone(), tx.clone(), origin.to_string());
        rt.spawn(Box::pin(async move {
            for i in 0..8 {
                let path = format!("/{task}-{i}");
                let result = async {
                    let response = client.get(format!("{url}{path}")).await?;
                    response.text().await
                }
                .await;
                tx.send((path, result)).await.ok();
            }
        }));
    }
    drop(tx);
    let mut done = 0;
    while let Ok((path, result)) = rx.recv().await {
        let body = result.unwrap_or_else(|e| panic!("{path}: {e:#}"));
        assert_eq!(body, format!("{path} over HTTP/2.0"));
        done += 1;
    }
    assert_eq!(done, 64);
    assert!(server.connections() >= 2, "{server:?}");
    // Every connection it made is open or was closed (each retired by its `GOAWAY`).
    let c = client.pool_stats().total;
    assert_eq!(c.created, c.open() as u64 + c.closed_total(), "{c:?}");
    assert_eq!(c.created, server.connections() as u64);
}

/// The pooled path sends the request's absolute URI as hyper's `:authority`, without the user
/// info a URI may carry (RFC 9113, 8.3.1).
async fn the_authority_goes_out_without_user_info<R: Runtime>(rt: R) {
    let server = H2Server::builder().start();
    let port = server.port();
    let client = client(&rt, 1);
    for uri in [
        format!("http://127.0.0.1:{port}/authority"),
        format!("http://user:secret@127.0.0.1:{port}/authority"),
    ] {
        let response = client.get(&uri).await.unwrap();
        assert_eq!(response.version(), http::Version::HTTP_2);
        assert_eq!(
            response.text().await.unwrap(),
            format!("127.0.0.1:{port}"),
            "{uri}"
        );
    }
}

/// The pool follows the server's stream limit once its `SETTINGS` are known, after a first
/// request: 3 requests at once against a limit of 2 get a second connection, all 3 in the
/// server's handler together. With the limit hyper assumes at first (100) they would all go on
/// the first connection, the third waiting in hyper.
async fn the_pool_follows_the_servers_stream_limit<R: Runtime>(rt: R) {
    let server = H2Server::builder()
        .max_concurrent_streams(2)
        .hold_in_groups_of(3)
        .start();
    let origin = plain_origin(server.port());
    let client = client(&rt, 4);
    // Answered at once, outside the hold's groups.
    let first = client.get(format!("{origin}/authority")).await.unwrap();
    first.text().await.unwrap();
    let outcomes = concurrently(&rt, &client, &origin.to_string(), 3).await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let body = outcome.unwrap_or_else(|e| panic!("request {i}: {e:#}"));
        assert_eq!(body, format!("/{i} over HTTP/2.0"));
    }
    assert_eq!(server.connections(), 2, "{server:?}");
    assert_eq!(server.peak_in_handler(), 3, "{server:?}");
}

crate::on_both_runtimes!(
    the_pool_follows_the_servers_stream_limit,
    the_authority_goes_out_without_user_info,
    a_hundred_requests_share_the_pools_one_connection,
    the_servers_stream_limit_holds_through_the_pool,
    a_goaway_mid_load_fails_no_request,
);
