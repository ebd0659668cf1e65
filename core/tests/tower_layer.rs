//! The breaker as a tower layer: two services of one backend, each behind its own breaker in one
//! recovery group, trip, fail fast without calling the backend, share one recovery task whose
//! probe the user supplies, and close again. On the manual clock and the manual spawner.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::SeqCst};
use std::task::{Context, Poll};
use std::time::Duration;

use fusebox_core::breaker::{
    BreakerConfig, BreakerError, BreakerLayer, Outcome, RecoveryGroup, TripReason,
};
use fusebox_core::rt::{BoxFuture, ManualClock, ManualSpawner};
use futures_lite::future::block_on;
use tower_layer::Layer;
use tower_service::Service;

/// A backend that fails while `down` is set.
#[derive(Clone, Default)]
struct Backend {
    down: Arc<AtomicBool>,
    calls: Arc<AtomicU32>,
}

impl Service<&'static str> for Backend {
    type Response = String;
    type Error = String;
    type Future = Ready<Result<String, String>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), String>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: &'static str) -> Self::Future {
        self.calls.fetch_add(1, SeqCst);
        ready(match self.down.load(SeqCst) {
            true => Err(format!("{req}: backend down")),
            false => Ok(format!("{req}: ok")),
        })
    }
}

fn classify(result: &Result<String, String>) -> Option<Outcome> {
    Some(match result {
        Ok(_) => Outcome::Success,
        Err(_) => Outcome::failure(TripReason::Other("backend error")),
    })
}

const INTERVAL: Duration = Duration::from_secs(1);

#[test]
fn a_tower_service_trips_fails_fast_recovers_through_one_shared_task_and_closes() {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let config = BreakerConfig::builder()
        .failure_threshold(2)
        .success_threshold(1)
        .probe_interval(INTERVAL)
        .jitter(0.0)
        .build()
        .unwrap();
    let group = RecoveryGroup::new(config, Arc::new(clock.clone()), Arc::new(tasks.clone()));
    let backend = Backend::default();
    let probe = {
        let down = backend.down.clone();
        move || -> BoxFuture<'static, bool> {
            let healthy = !down.load(SeqCst);
            Box::pin(async move { healthy })
        }
    };
    let mut users = BreakerLayer::new(group.breaker_named("users", probe.clone()), classify)
        .layer(backend.clone());
    let mut orders =
        BreakerLayer::new(group.breaker_named("orders", probe), classify).layer(backend.clone());

    assert_eq!(block_on(users.call("a")).unwrap(), "a: ok");
    backend.down.store(true, SeqCst);
    for service in [&mut users, &mut orders] {
        for _ in 0..2 {
            let e = block_on(service.call("b")).unwrap_err();
            assert!(matches!(e, BreakerError::Inner(_)), "{e}");
        }
    }
    let calls = backend.calls.load(SeqCst);
    for service in [&mut users, &mut orders] {
        let e = block_on(service.call("c")).unwrap_err();
        assert!(e.is_open(), "{e}");
        assert!(
            e.to_string()
                .starts_with("not called: circuit breaker open after 2"),
            "{e}"
        );
    }
    assert_eq!(
        backend.calls.load(SeqCst),
        calls,
        "refused calls never reach the backend"
    );
    assert_eq!(
        group.stats().recovery_tasks_started,
        1,
        "one recovery for both"
    );

    tasks.run_until_stalled();
    clock.advance(INTERVAL);
    tasks.run_until_stalled();
    assert!(!users.breaker().is_closed(), "the probe failed: still down");
    backend.down.store(false, SeqCst);
    clock.advance(INTERVAL * 2); // the backoff after one failed round
    tasks.run_until_stalled();
    assert_eq!(group.stats().recoveries, 1);
    for service in [&mut users, &mut orders] {
        assert!(service.breaker().is_closed());
        assert_eq!(block_on(service.call("d")).unwrap(), "d: ok");
    }
    assert_eq!(group.stats().recovery_tasks_started, 1);
}
