//! `Client` and `FuseClient` as tower services, called only through `tower_service::Service`:
//! the client sends; the fuse client trips on failures, fails fast without sending, recovers
//! through its one shared recovery task, and sends again. Under tokio and smol; breaker time on
//! the manual clock.

mod common;

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use fusebox_core::breaker::BreakerConfig;
use fusebox_core::rt::{Clock, ManualClock, Runtime};
use fusebox_http::{Client, Error, FuseClient, Response};
use http::{Request, StatusCode};
use tower_service::Service;

use common::{Reply, Server, settle};

on_both_runtimes!(
    client_is_a_service,
    fuse_client_service_trips_fails_fast_and_recovers,
);

const INTERVAL: Duration = Duration::from_secs(1);

/// What tower middleware does: wait until ready, then call. Reads the body to its end (so that
/// the connection goes back to the pool) and gives the status.
async fn call<S>(svc: &mut S, uri: &str) -> Result<StatusCode, Error>
where
    S: Service<Request<()>, Response = Response, Error = Error>,
{
    poll_fn(|cx| svc.poll_ready(cx)).await?;
    let response = svc.call(Request::get(uri).body(()).unwrap()).await?;
    let status = response.status();
    response.bytes().await?;
    Ok(status)
}

async fn client_is_a_service<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("hello"));
    let mut client = Client::builder().runtime(rt.clone()).build().unwrap();
    for _ in 0..3 {
        assert_eq!(call(&mut client, &server.url("/")).await.unwrap(), 200);
    }
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.reused), (1, 2), "{total:?}");
}

async fn fuse_client_service_trips_fails_fast_and_recovers<R: Runtime>(rt: R) {
    let status = Arc::new(AtomicU16::new(503));
    let server = {
        let status = status.clone();
        Server::start(move |_| Reply::ok("").status(status.load(Ordering::SeqCst)))
    };
    let clock = ManualClock::new();
    let client = Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt.clone()))
        .build()
        .unwrap();
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .success_threshold(1)
        .probe_interval(INTERVAL)
        .probe_retries(0)
        .jitter(0.0)
        .build()
        .unwrap();
    let mut fuse = FuseClient::builder(client, &server.url(""))
        .breaker(config)
        .build()
        .unwrap();
    let uri = server.url("/work");

    for _ in 0..2 {
        assert_eq!(call(&mut fuse, &uri).await.unwrap(), 503);
    }
    assert!(!fuse.is_closed(), "two failures trip it");
    let sent = server.seen().len();
    let err = call(&mut fuse, &uri).await.unwrap_err();
    assert!(err.is_open(), "{err:?}");
    assert_eq!(server.seen().len(), sent, "failed fast: nothing sent");

    // The server heals; the recovery task's next probe closes the breaker.
    status.store(200, Ordering::SeqCst);
    let rt_clock: &dyn Clock = &rt;
    settle(rt_clock, "the recovery task to sleep", || {
        clock.pending_sleeps() == 2
    })
    .await;
    clock.advance(INTERVAL);
    settle(rt_clock, "the breaker to close", || fuse.is_closed()).await;
    assert_eq!(fuse.recovery_group().stats().recoveries, 1);
    assert_eq!(call(&mut fuse, &uri).await.unwrap(), 200);
}
