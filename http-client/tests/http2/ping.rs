//! Keep-alive pings timed on the manual clock: a peer that stops answering is found dead after
//! the interval and the timeout, and the stream open on it fails with its own error.

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{Clock, Dial, ManualClock, Runtime};
use fusebox_http::conn::{Connector, Http2Config};
use fusebox_testserver::H2Silent;

use super::{get, http2, plain_origin};
use crate::common::{settle, sleep};

const INTERVAL: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(5);

/// Advances `clock` to its next deadline until `cond` holds, at most `by` in all; returns how
/// far it went. Each step waits (for real, briefly) for a pending sleep first, since the
/// connection's tasks arm their timers on their own threads.
async fn advance_until(
    what: &str,
    rt: &dyn Clock,
    clock: &ManualClock,
    by: Duration,
    mut cond: impl FnMut() -> bool,
) -> Duration {
    let start = clock.now();
    while !cond() {
        let waiting = format!("a pending sleep on the manual clock, for {what}");
        settle(rt, &waiting, || clock.next_deadline().is_some()).await;
        let next = clock.next_deadline().unwrap();
        assert!(
            next - start <= by,
            "the clock would pass {by:?} before the condition held"
        );
        clock.advance_to_next();
        // Let the woken tasks run before looking again.
        for _ in 0..5 {
            if cond() {
                break;
            }
            sleep(rt, Duration::from_millis(2)).await;
        }
    }
    clock.now() - start
}

async fn a_missed_ping_fails_the_stream_and_closes_the_connection<R: Runtime>(rt: R) {
    let peer = H2Silent::start();
    let origin = plain_origin(peer.port());
    let clock = ManualClock::new();
    let config = Http2Config::builder()
        .prior_knowledge()
        .keep_alive_interval(INTERVAL)
        .keep_alive_timeout(TIMEOUT)
        // Also while idle: without it hyper schedules the first ping only when its connection
        // task runs with a stream open, and the task that wrote the request may have run just
        // before hyper counted the stream as open.
        .keep_alive_while_idle(true)
        .build()
        .unwrap();
    let dial: Arc<dyn Dial> = Arc::new(rt.clone());
    let connector =
        Connector::new(dial, Arc::new(rt.clone())).http2(config, Arc::new(clock.clone()));
    let conn = http2(connector.connect_negotiated(&origin).await.unwrap());
    let (tx, rx) = smol::channel::bounded(1);
    let sender = conn.clone();
    rt.spawn(Box::pin(async move {
        tx.send(sender.send(get("/")).await.map(|_| ())).await.ok();
    }));
    settle(&rt, "the request at the peer", || peer.requests() == 1).await;
    // No ping before the interval has passed on the clock.
    let to_ping = advance_until("the ping", &rt, &clock, 3 * INTERVAL, || peer.pings() > 0).await;
    assert!(to_ping >= INTERVAL, "pinged after {to_ping:?}");
    assert_eq!(peer.pings(), 1);
    assert!(rx.is_empty() && !conn.is_closed());
    // Just short of the timeout, the stream is still open.
    settle(&rt, "the ping timeout armed", || {
        clock.next_deadline().is_some()
    })
    .await;
    let ping_sent = clock.now();
    clock.advance(TIMEOUT - Duration::from_millis(1));
    sleep(&rt, Duration::from_millis(20)).await;
    assert!(rx.is_empty() && !conn.is_closed());
    let rest = advance_until("the ping timeout", &rt, &clock, TIMEOUT, || !rx.is_empty()).await;
    assert!(
        clock.now() - ping_sent >= TIMEOUT,
        "timed out after {rest:?} more"
    );
    let e = rx.recv().await.unwrap().unwrap_err();
    assert!(e.is_ping_timeout(), "{e:#}");
    assert!(e.is_request() && !e.is_timeout() && !e.is_body(), "{e:#}");
    assert!(
        e.to_string().starts_with(&format!(
            "the http/2 connection to {origin} was closed before the response arrived: the \
             server did not answer a ping within http2_keep_alive_timeout (5s)"
        )),
        "{e}"
    );
    settle(&rt, "the connection closed", || conn.is_closed()).await;
    assert_eq!(conn.max_concurrent_streams(), 0);
    // A request on the dead connection fails at once, for the same reason.
    let e = conn.send(get("/again")).await.unwrap_err();
    assert!(e.is_ping_timeout(), "{e:#}");
}

crate::on_both_runtimes!(a_missed_ping_fails_the_stream_and_closes_the_connection);
