//! `FuseClient` against real servers on 127.0.0.1, under tokio and smol: what trips the breaker
//! and what does not, fail-fast without network calls, one recovery task per group, and recovery
//! after consecutive good probes. Breaker time runs on the manual clock; the server's handler
//! moves it to make a response slow.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use fusebox_core::breaker::{BreakerConfig, RecoveryGroup, State, TripCause, TripReason};
use fusebox_core::rt::{Clock, ManualClock, Runtime};
use fusebox_http::{Client, FuseClient};
use futures_lite::future;

use common::whole;
use common::{Reply, Server, settle, sleep};

on_both_runtimes!(
    server_errors_trip_after_the_threshold_and_not_before,
    slow_responses_are_returned_and_trip_the_breaker,
    refused_connections_trip_and_open_breaker_makes_no_network_call,
    clients_tripping_at_once_start_one_recovery_task,
    recovery_needs_consecutive_good_probes_and_closes_every_client,
);

const INTERVAL: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(1);

fn config() -> BreakerConfig {
    BreakerConfig::builder()
        .failure_threshold(3)
        .success_threshold(2)
        .probe_interval(INTERVAL)
        .probe_retries(0)
        .max_backoff(INTERVAL)
        .jitter(0.0)
        .max_delay(MAX_DELAY)
        .build()
        .unwrap()
}

/// A client on the manual clock, with real IO and tasks.
fn client<R: Runtime>(rt: &R, clock: &ManualClock) -> Client {
    Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt.clone()))
        .build()
        .unwrap()
}

fn health_probes(server: &Server) -> usize {
    server.seen().iter().filter(|s| s.path == "/health").count()
}

/// One probe round: waits until the recovery task sleeps (only it and the pool's reaper sleep
/// on the manual clock between requests), moves time one interval, waits for the probe, then
/// until the task has acted on it: it sleeps again, or recovery is over.
async fn probe_round(rt: &dyn Clock, clock: &ManualClock, server: &Server, group: &RecoveryGroup) {
    let sleeping = || clock.pending_sleeps() == 2;
    settle(rt, "the recovery task to sleep", sleeping).await;
    let before = health_probes(server);
    clock.advance(INTERVAL);
    // While the probe is out, its deadline and its request timeout sleep too.
    settle(rt, "a health probe", || health_probes(server) == before + 1).await;
    // Checked twice, 10 ms apart: between the probe's two sleeps ending, the count passes 2.
    let acted = || sleeping() || !group.stats().recovering;
    loop {
        settle(rt, "the probe's outcome", acted).await;
        sleep(rt, Duration::from_millis(10)).await;
        if acted() {
            break;
        }
    }
}

async fn server_errors_trip_after_the_threshold_and_not_before<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/fail" => Reply::ok("down").status(503),
        _ => Reply::ok("up"),
    });
    let clock = ManualClock::new();
    let fuse = FuseClient::builder(client(&rt, &clock), &server.url(""))
        .breaker(config())
        .build()
        .unwrap();

    for _ in 0..2 {
        assert_eq!(whole(fuse.get("/fail")).await.unwrap().status(), 503);
    }
    assert!(fuse.is_closed());
    // A success resets the count: two more failures do not trip.
    assert_eq!(whole(fuse.get("/ok")).await.unwrap().status(), 200);
    for _ in 0..2 {
        whole(fuse.get("/fail")).await.unwrap();
    }
    assert!(fuse.is_closed(), "4 failures, but never 3 in a row");
    let tripped_at = clock.now();
    whole(fuse.get("/fail")).await.unwrap();
    let State::Open(trip) = fuse.state() else {
        panic!("expected open, got {:?}", fuse.state());
    };
    assert_eq!(trip.reason, TripReason::Status { status: 503 });
    assert_eq!(trip.cause, TripCause::ConsecutiveFailures { failures: 3 });
    assert_eq!(trip.since, tripped_at);

    clock.advance(Duration::from_millis(300));
    let err = whole(fuse.get("/ok")).await.unwrap_err();
    assert!(err.is_open() && !err.is_connect(), "{err:?}");
    assert_eq!(err.trip(), Some(&trip));
    assert_eq!(
        err.to_string(),
        format!(
            "not sent to http://127.0.0.1:{}: circuit breaker open after 3 consecutive failures \
             (last: status 503), 300.0ms ago; requests fail at once until its health probe \
             succeeds",
            server.port()
        )
    );
    assert_eq!(server.seen().len(), 6, "the rejected request was not sent");
}

async fn slow_responses_are_returned_and_trip_the_breaker<R: Runtime>(rt: R) {
    let clock = ManualClock::new();
    let server = {
        let clock = clock.clone();
        Server::start(move |_| {
            // The response takes 1.5 s on the client's clock.
            clock.advance(MAX_DELAY + Duration::from_millis(500));
            Reply::ok("late")
        })
    };
    let fuse = FuseClient::builder(client(&rt, &clock), &server.url("/api"))
        .breaker(config())
        .build()
        .unwrap();
    for i in 0..3 {
        assert!(fuse.is_closed(), "closed before slow response {i}");
        let response = whole(fuse.get("/report")).await.unwrap();
        assert_eq!(
            response.body(),
            "late",
            "a slow response still reaches the caller"
        );
    }
    let trip = *fuse
        .state()
        .trip()
        .expect("tripped by the third slow response");
    assert!(matches!(trip.reason, TripReason::TooSlow { elapsed } if elapsed > MAX_DELAY));
    assert!(whole(fuse.get("/report")).await.unwrap_err().is_open());
    assert!(server.seen().iter().all(|s| s.path == "/api/report"));
    assert_eq!(server.seen().len(), 3);
}

async fn refused_connections_trip_and_open_breaker_makes_no_network_call<R: Runtime>(rt: R) {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let clock = ManualClock::new();
    let client = client(&rt, &clock);
    let fuse = FuseClient::builder(client.clone(), &format!("http://127.0.0.1:{port}"))
        .breaker(config())
        .build()
        .unwrap();
    for _ in 0..3 {
        assert!(whole(fuse.get("/")).await.unwrap_err().is_connect());
    }
    let trip = *fuse.state().trip().expect("tripped by refused connections");
    assert_eq!(trip.reason, TripReason::Connect);
    for _ in 0..5 {
        assert!(whole(fuse.get("/")).await.unwrap_err().is_open());
    }
    assert_eq!(
        client.pool_stats().total.connect_failures,
        3,
        "no connection attempt while open"
    );
}

async fn clients_tripping_at_once_start_one_recovery_task<R: Runtime>(rt: R) {
    let status = Arc::new(AtomicU16::new(503));
    let server = {
        let status = status.clone();
        Server::start(move |_| Reply::ok("").status(status.load(Ordering::SeqCst)))
    };
    let clock = ManualClock::new();
    let client = client(&rt, &clock);
    let group = client.recovery_group(config());
    let fuses: Vec<FuseClient> = (0..4)
        .map(|_| {
            FuseClient::builder(client.clone(), &server.url(""))
                .recovery_group(group.clone())
                .build()
                .unwrap()
        })
        .collect();
    let fail_thrice = |fuse: &FuseClient| {
        let fuse = fuse.clone();
        async move {
            for _ in 0..3 {
                whole(fuse.get("/work")).await.unwrap();
            }
        }
    };
    future::zip(
        future::zip(fail_thrice(&fuses[0]), fail_thrice(&fuses[1])),
        future::zip(fail_thrice(&fuses[2]), fail_thrice(&fuses[3])),
    )
    .await;
    assert!(fuses.iter().all(|f| !f.is_closed()));
    assert_eq!(group.stats().recovery_tasks_started, 1);

    status.store(200, Ordering::SeqCst);
    probe_round(&rt, &clock, &server, &group).await;
    probe_round(&rt, &clock, &server, &group).await;
    settle(&rt, "every client to close", || {
        fuses.iter().all(FuseClient::is_closed)
    })
    .await;
    assert_eq!(
        (
            group.stats().recovery_tasks_started,
            group.stats().recoveries
        ),
        (1, 1)
    );
    assert_eq!(health_probes(&server), 2);
    for fuse in &fuses {
        assert_eq!(whole(fuse.get("/work")).await.unwrap().status(), 200);
    }
}

async fn recovery_needs_consecutive_good_probes_and_closes_every_client<R: Runtime>(rt: R) {
    // 0: healthy, 1: unhealthy (503), 2: healthy but too slow.
    let health = Arc::new(AtomicU16::new(1));
    let clock = ManualClock::new();
    let server = {
        let (health, clock) = (health.clone(), clock.clone());
        Server::start(
            move |seen| match (seen.path.as_str(), health.load(Ordering::SeqCst)) {
                ("/health", 0) => Reply::ok("ok"),
                ("/health", 2) => {
                    clock.advance(MAX_DELAY + Duration::from_millis(1));
                    Reply::ok("ok")
                }
                _ => Reply::ok("").status(500),
            },
        )
    };
    let client = client(&rt, &clock);
    let group = client.recovery_group(config());
    let fuses: Vec<FuseClient> = (0..2)
        .map(|_| {
            FuseClient::builder(client.clone(), &server.url(""))
                .recovery_group(group.clone())
                .build()
                .unwrap()
        })
        .collect();
    for fuse in &fuses {
        for _ in 0..3 {
            whole(fuse.get("/work")).await.unwrap();
        }
    }
    assert!(fuses.iter().all(|f| !f.is_closed()));
    let is_open = |fuses: &[FuseClient]| fuses.iter().all(|f| matches!(f.state(), State::Open(_)));

    probe_round(&rt, &clock, &server, &group).await; // 503: bad round
    assert!(is_open(&fuses));
    health.store(0, Ordering::SeqCst);
    probe_round(&rt, &clock, &server, &group).await; // good round 1 of 2
    for fuse in &fuses {
        assert!(
            matches!(fuse.state(), State::Recovering { good_rounds: 1, .. }),
            "{:?}",
            fuse.state()
        );
        assert!(whole(fuse.get("/work")).await.unwrap_err().is_open());
    }
    health.store(2, Ordering::SeqCst);
    probe_round(&rt, &clock, &server, &group).await; // 2xx, but slower than max_delay: bad round
    assert!(is_open(&fuses), "a slow probe resets the good rounds");
    health.store(0, Ordering::SeqCst);
    probe_round(&rt, &clock, &server, &group).await; // good round 1 of 2
    assert!(fuses.iter().all(|f| !f.is_closed()));
    probe_round(&rt, &clock, &server, &group).await; // good round 2 of 2: recovered
    settle(&rt, "every client to close", || {
        fuses.iter().all(FuseClient::is_closed)
    })
    .await;
    assert_eq!(health_probes(&server), 5);
    assert_eq!(
        (
            group.stats().recovery_tasks_started,
            group.stats().recoveries
        ),
        (1, 1)
    );
}
