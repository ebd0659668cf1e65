//! Many streams on one HTTP/2 connection, and the server's limit on them.

use fusebox_core::rt::Runtime;
use fusebox_http::conn::Http2Config;
use fusebox_testserver::H2Server;

use super::{connector, fetch, http2, plain_origin};

/// Sends `n` GETs on clones of `conn` at once, from tasks on `rt`, and returns their bodies in
/// the order of their paths.
async fn concurrently<R: Runtime>(
    rt: &R,
    conn: &fusebox_http::conn::Http2Connection,
    first: usize,
    n: usize,
) -> Vec<String> {
    let (tx, rx) = smol::channel::unbounded();
    for i in first..first + n {
        let (conn, tx) = (conn.clone(), tx.clone());
        rt.spawn(Box::pin(async move {
            let result = fetch(&conn, &format!("/{i}")).await;
            tx.send((i, result)).await.ok();
        }));
    }
    drop(tx);
    let mut bodies = vec![String::new(); n];
    while let Ok((i, result)) = rx.recv().await {
        let (version, body) = result.unwrap_or_else(|e| panic!("request {i} failed: {e:#}"));
        assert_eq!(version, http::Version::HTTP_2);
        bodies[i - first] = String::from_utf8(body.to_vec()).unwrap();
    }
    bodies
}

/// 100 requests at once over one connection: the server holds each until all 100 are in its
/// handler together, so they can only all succeed if they are in flight at once on their own
/// streams.
async fn hundred_concurrent_requests_share_one_connection<R: Runtime>(rt: R) {
    let server = H2Server::builder().hold_in_groups_of(100).start();
    let origin = plain_origin(server.port());
    let config = Http2Config::builder().prior_knowledge().build().unwrap();
    let conn = http2(
        connector(&rt, config)
            .connect_negotiated(&origin)
            .await
            .unwrap(),
    );
    let bodies = concurrently(&rt, &conn, 0, 100).await;
    for (i, body) in bodies.iter().enumerate() {
        assert_eq!(*body, format!("/{i} over HTTP/2.0"));
    }
    assert_eq!(server.connections(), 1);
    assert_eq!(server.requests(), (0, 100));
    assert_eq!(server.peak_in_handler(), 100);
    assert!(!conn.is_closed());
}

/// A server that allows 2 concurrent streams: the client learns the limit from its `SETTINGS`,
/// and 10 requests at once all succeed with never more than 2 in the server's handler.
async fn the_servers_stream_limit_is_seen_and_kept<R: Runtime>(rt: R) {
    let server = H2Server::builder()
        .max_concurrent_streams(2)
        .hold_in_groups_of(2)
        .start();
    let origin = plain_origin(server.port());
    let config = Http2Config::builder()
        .prior_knowledge_for(origin.clone())
        .build()
        .unwrap();
    let conn = http2(
        connector(&rt, config)
            .connect_negotiated(&origin)
            .await
            .unwrap(),
    );
    // Until the server's SETTINGS arrive, hyper assumes 100 streams; two requests (within any
    // limit) make sure they have arrived.
    concurrently(&rt, &conn, 0, 2).await;
    assert_eq!(conn.max_concurrent_streams(), 2);
    let bodies = concurrently(&rt, &conn, 2, 10).await;
    assert_eq!(bodies[9], "/11 over HTTP/2.0");
    assert_eq!(server.requests(), (0, 12));
    assert_eq!(server.peak_in_handler(), 2);
    assert_eq!(server.connections(), 1);
}

crate::on_both_runtimes!(
    hundred_concurrent_requests_share_one_connection,
    the_servers_stream_limit_is_seen_and_kept,
);
