//! The breaker over HTTP/2: it judges each call as on HTTP/1.1, and a connection that breaks
//! under several calls counts once for each of them.

use std::sync::Arc;

use fusebox_core::breaker::{BreakerConfig, State, TripReason};
use fusebox_core::rt::{ManualClock, Runtime};
use fusebox_http::{Client, FuseClient};
use fusebox_testserver::H2Server;

use super::common::{settle, whole};
use super::plain_origin;

/// Two calls held in the server's handler over one HTTP/2 connection, then the server goes
/// away: both fail, two failures of three; the next call (refused) trips the breaker. POSTs,
/// so that the client does not send them again (as it would idempotent ones).
async fn a_broken_connection_counts_once_per_call<R: Runtime>(rt: R) {
    let server = H2Server::builder().hold_in_groups_of(3).start();
    let clock = ManualClock::new();
    let client = Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt.clone()))
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let breaker = BreakerConfig::builder()
        .failure_threshold(3)
        .build()
        .unwrap();
    let fuse = FuseClient::builder(client, &plain_origin(server.port()).to_string())
        .breaker(breaker)
        .build()
        .unwrap();
    let (tx, rx) = smol::channel::unbounded();
    for i in 0..2 {
        let (fuse, tx) = (fuse.clone(), tx.clone());
        rt.spawn(Box::pin(async move {
            tx.send(whole(fuse.post(&format!("/{i}"))).await).await.ok();
        }));
    }
    drop(tx);
    settle(&rt, "both calls in the handler", || {
        server.requests() == (0, 2)
    })
    .await;
    assert_eq!(server.connections(), 1);
    drop(server);
    let mut failed = 0;
    while let Ok(outcome) = rx.recv().await {
        let e = outcome.unwrap_err();
        assert!(e.is_request(), "{e:#}");
        failed += 1;
    }
    assert_eq!(failed, 2);
    assert!(
        fuse.is_closed(),
        "two failures of three: {:?}",
        fuse.state()
    );
    let e = whole(fuse.get("/after")).await.unwrap_err();
    assert!(e.is_connect(), "{e:#}");
    let State::Open(trip) = fuse.state() else {
        panic!("three failures trip: {:?}", fuse.state());
    };
    assert!(matches!(trip.reason, TripReason::Connect), "{trip:?}");
}

crate::on_both_runtimes!(a_broken_connection_counts_once_per_call);
