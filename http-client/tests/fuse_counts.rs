//! What a `FuseClient`'s breaker counts, against real servers on 127.0.0.1 under tokio and smol:
//! a server that crashes mid-response trips it; queueing for a connection is not slowness;
//! results of requests sent before a trip change nothing after the recovery; a classifier can make
//! 429 a failure, and `Retry-After` holds the first probe back; events name the breaker after its
//! origin. Breaker time runs on the manual clock.

mod common;

use std::sync::atomic::{AtomicU16, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use fusebox_core::breaker::{BreakerConfig, EventKind, RecoveryGroup, State, TripReason};
use fusebox_core::rt::{Clock, ManualClock, Runtime};
use fusebox_http::{Client, Error, FuseClient, Response, Verdict, default_classifier};
use futures_lite::future;

use common::whole;
use common::{Reply, Server, settle, sleep};

on_both_runtimes!(
    a_server_that_crashes_mid_response_trips_the_breaker,
    queueing_for_a_connection_is_not_slowness,
    results_from_before_a_trip_change_nothing_after_the_recovery,
    a_classifier_makes_429_a_failure_and_retry_after_holds_the_first_probe,
    events_name_the_breaker_after_its_origin,
);

const INTERVAL: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(1);

fn config() -> BreakerConfig {
    BreakerConfig::builder()
        .failure_threshold(3)
        .success_threshold(1)
        .probe_interval(INTERVAL)
        .probe_retries(0)
        .max_backoff(INTERVAL)
        .jitter(0.0)
        .max_delay(MAX_DELAY)
        .build()
        .unwrap()
}

fn client<R: Runtime>(rt: &R, clock: &ManualClock, max_per_host: usize) -> Client {
    Client::builder()
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(rt.clone()))
        .dial(Arc::new(rt.clone()))
        .max_per_host(max_per_host)
        .build()
        .unwrap()
}

fn seen(server: &Server, path: &str) -> usize {
    server.seen().iter().filter(|s| s.path == path).count()
}

/// Lets the recovery task's first probe go: waits until `sleeps` sleeps are pending on the manual
/// clock (the task's, the reaper's and those of requests in flight), moves time by `by`, and waits
/// until the group recovered.
async fn recover(rt: &dyn Clock, clock: &ManualClock, group: &RecoveryGroup, sleeps: usize) {
    settle(rt, "the recovery task to sleep", || {
        clock.pending_sleeps() == sleeps
    })
    .await;
    clock.advance(INTERVAL);
    settle(rt, "the recovery", || group.stats().recoveries == 1).await;
}

async fn a_server_that_crashes_mid_response_trips_the_breaker<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::drop_connection());
    let clock = ManualClock::new();
    let fuse = FuseClient::builder(client(&rt, &clock, 4), &server.url(""))
        .breaker(config())
        .build()
        .unwrap();
    for _ in 0..3 {
        let e = whole(fuse.get("/work")).await.unwrap_err();
        assert!(!e.is_open() && !e.is_connect(), "{e:#}");
    }
    let trip = *fuse.state().trip().expect("tripped by the crashes");
    assert_eq!(trip.reason, TripReason::Connection);
    assert!(whole(fuse.get("/work")).await.unwrap_err().is_open());
}

async fn queueing_for_a_connection_is_not_slowness<R: Runtime>(rt: R) {
    let clock = ManualClock::new();
    let server = {
        let clock = clock.clone();
        // Each response takes 0.6 s on the client's clock: fast enough, but a request that
        // queues behind two others waits 1.2 s for the one connection first.
        Server::start(move |_| {
            clock.advance(Duration::from_millis(600));
            Reply::ok("done")
        })
    };
    let fuse = FuseClient::builder(client(&rt, &clock, 1), &server.url(""))
        .breaker(config())
        .build()
        .unwrap();
    let start = clock.now();
    let (a, (b, c)) = future::zip(
        whole(fuse.get("/a")),
        future::zip(whole(fuse.get("/b")), whole(fuse.get("/c"))),
    )
    .await;
    for response in [a, b, c] {
        assert_eq!(response.unwrap().body(), "done");
    }
    assert!(
        clock.now() - start > MAX_DELAY * 3 / 2,
        "the last request queued"
    );
    assert_eq!(
        fuse.breaker().consecutive_failures(),
        0,
        "no request was slow"
    );
    assert_eq!(fuse.state(), State::Closed);
}

/// A gate the server's handler waits at until the test opens it.
#[derive(Default)]
struct Gate(Mutex<bool>, Condvar);

impl Gate {
    fn wait(&self) {
        let open = self.0.lock().unwrap();
        let _open = self
            .1
            .wait_timeout_while(open, Duration::from_secs(10), |open| !*open)
            .unwrap();
    }

    fn open(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_all();
    }
}

async fn results_from_before_a_trip_change_nothing_after_the_recovery<R: Runtime>(rt: R) {
    let gate = Arc::new(Gate::default());
    let health = Arc::new(AtomicU16::new(503));
    let server = {
        let (gate, health) = (gate.clone(), health.clone());
        Server::start(move |seen| match seen.path.as_str() {
            "/held" => {
                gate.wait();
                Reply::ok("late").status(503)
            }
            "/health" => Reply::ok("").status(health.load(SeqCst)),
            _ => Reply::ok("").status(503),
        })
    };
    let clock = ManualClock::new();
    let client = client(&rt, &clock, 8);
    let group = client.recovery_group(config());
    let fuse = FuseClient::builder(client.clone(), &server.url(""))
        .recovery_group(group.clone())
        .build()
        .unwrap();
    let held = async {
        let (a, (b, c)) = future::zip(
            whole(fuse.get("/held")),
            future::zip(whole(fuse.get("/held")), whole(fuse.get("/held"))),
        )
        .await;
        [a, b, c]
    };
    let script = async {
        settle(&rt, "three held requests", || seen(&server, "/held") == 3).await;
        for _ in 0..3 {
            whole(fuse.get("/fail")).await.unwrap();
        }
        assert!(!fuse.is_closed(), "tripped while three requests are out");
        health.store(200, SeqCst);
        // Pending: the task's sleep, the reaper's, and the held requests' timeouts.
        recover(&rt, &clock, &group, 2 + 3).await;
        assert_eq!(fuse.state(), State::Probation { remaining: 5 });
        gate.open();
    };
    let (results, ()) = future::zip(held, script).await;
    for result in results {
        assert_eq!(
            result.unwrap().status(),
            503,
            "the late answers reach the caller"
        );
    }
    assert_eq!(
        fuse.state(),
        State::Probation { remaining: 5 },
        "three 503s sent before the trip neither re-trip nor count"
    );
    assert_eq!(group.stats().recovery_tasks_started, 1);
}

/// 429 is a failure too.
fn with_429(result: &Result<Response, Error>) -> Verdict {
    match result {
        Ok(r) if r.status() == 429 => Verdict::Failure(TripReason::Status { status: 429 }),
        other => default_classifier(other),
    }
}

async fn a_classifier_makes_429_a_failure_and_retry_after_holds_the_first_probe<R: Runtime>(rt: R) {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/health" => Reply::ok("ok"),
        _ => Reply::ok("busy").status(429).header("retry-after", "5"),
    });
    let clock = ManualClock::new();
    let client = client(&rt, &clock, 4);
    let group = client.recovery_group(config());
    let plain = FuseClient::builder(client.clone(), &server.url(""))
        .recovery_group(group.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(whole(plain.get("/work")).await.unwrap().status(), 429);
    }
    assert!(plain.is_closed(), "by default a 429 is a success");

    let strict = FuseClient::builder(client.clone(), &server.url(""))
        .recovery_group(group.clone())
        .classify(with_429)
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(whole(strict.get("/work")).await.unwrap().status(), 429);
    }
    let trip = *strict.state().trip().expect("tripped by 429s");
    assert_eq!(trip.reason, TripReason::Status { status: 429 });

    // The first probe waits for Retry-After (5 s), not one probe interval.
    settle(&rt, "the recovery task to sleep", || {
        clock.pending_sleeps() == 2
    })
    .await;
    clock.advance(Duration::from_millis(4900));
    sleep(&rt, Duration::from_millis(30)).await;
    assert_eq!(seen(&server, "/health"), 0, "no probe before Retry-After");
    clock.advance(Duration::from_millis(100));
    settle(&rt, "the recovery", || group.stats().recoveries == 1).await;
    assert_eq!(seen(&server, "/health"), 1);
    assert!(strict.is_closed());
}

async fn events_name_the_breaker_after_its_origin<R: Runtime>(rt: R) {
    let server = Server::start(|_| Reply::ok("").status(500));
    let clock = ManualClock::new();
    let client = client(&rt, &clock, 4);
    let group = client.recovery_group(config());
    let events = Arc::new(Mutex::new(Vec::new()));
    {
        let events = events.clone();
        group.on_event(move |e| events.lock().unwrap().push((e.breaker.clone(), e.kind)));
    }
    let fuse = FuseClient::builder(client.clone(), &server.url(""))
        .recovery_group(group.clone())
        .build()
        .unwrap();
    let named = FuseClient::builder(client, &server.url(""))
        .recovery_group(group)
        .name("users")
        .build()
        .unwrap();
    for _ in 0..3 {
        whole(fuse.get("/")).await.unwrap();
    }
    named.breaker().force_open();
    let events = events.lock().unwrap().clone();
    let origin = format!("http://127.0.0.1:{}", server.port());
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(&*events[0].0, origin);
    assert!(matches!(events[0].1, EventKind::Tripped(_)));
    assert_eq!(&*events[1].0, "users");
    assert!(matches!(events[1].1, EventKind::ForcedOpen(_)));
}
