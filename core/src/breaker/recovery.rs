//! The recovery task: probes the service until it is healthy again.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;

use event_listener::Event;
use futures_lite::{FutureExt, future};

use super::group::Shared;
use crate::rt::BoxFuture;

/// A health check of the service behind a [`RecoveryGroup`](super::RecoveryGroup): `true` when the
/// service answered well.
///
/// The recovery task sends it while breakers are tripped, each probe bounded by
/// [`probe_timeout`](super::BreakerConfig::probe_timeout); a probe that panics or times out
/// counts as failed. The HTTP client supplies a GET of its health path. Implemented for closures
/// returning a [`BoxFuture`]:
///
/// ```
/// use fusebox_core::breaker::Probe;
/// use fusebox_core::rt::BoxFuture;
///
/// let probe = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
/// assert!(futures_lite::future::block_on(probe.probe()));
/// ```
pub trait Probe: Send + Sync + 'static {
    /// Sends one probe. The future may be dropped before it completes, when the group is dropped
    /// or the probe times out.
    fn probe(&self) -> BoxFuture<'static, bool>;
}

impl<F> Probe for F
where
    F: Fn() -> BoxFuture<'static, bool> + Send + Sync + 'static,
{
    fn probe(&self) -> BoxFuture<'static, bool> {
        self()
    }
}

/// The recovery task, for a group whose state says it runs: probes first after `wait`. Ends when
/// the recovery is done, or at once when the group is dropped.
pub(crate) fn task(
    group: Weak<Shared>,
    probe: Arc<dyn Probe>,
    wait: Duration,
) -> BoxFuture<'static, ()> {
    // Marks the task gone if it is dropped before it is done (by a spawner shutting down), even
    // unpolled: an argument of the async fn, it lives in the future from the start.
    let flag = Running {
        group: group.clone(),
        done: false,
    };
    Box::pin(run(flag, group, probe, wait))
}

async fn run(mut flag: Running, group: Weak<Shared>, probe: Arc<dyn Probe>, mut wait: Duration) {
    let Some(dropped) = group.upgrade().map(|g| g.dropped.clone()) else {
        return;
    };
    loop {
        let Some(sleep) = group
            .upgrade()
            .map(|g| g.clock.sleep_from(g.clock.now(), wait))
        else {
            return;
        };
        if unless_dropped(&group, &dropped, sleep).await.is_none() {
            return;
        }
        let Some(shared) = group.upgrade() else {
            return;
        };
        if let Some(more) = shared.with_state(|s| s.due(shared.clock.now())) {
            wait = more; // a `Retry-After` floor came meanwhile
            continue;
        }
        let attempt = probe_once(&shared, &*probe);
        drop(shared);
        let Some(ok) = unless_dropped(&group, &dropped, attempt).await else {
            return;
        };
        let Some(shared) = group.upgrade() else {
            return;
        };
        match shared.probed(ok) {
            Some(next) => wait = next,
            None => {
                flag.done = true;
                return;
            }
        }
    }
}

/// One probe, `false` if it panics or outlasts the probe timeout.
fn probe_once(shared: &Shared, probe: &dyn Probe) -> impl Future<Output = bool> + use<> {
    let timeout = shared
        .clock
        .sleep_from(shared.clock.now(), shared.config.probe_timeout());
    let made = std::panic::catch_unwind(AssertUnwindSafe(|| probe.probe()));
    let attempt = async move {
        match made {
            Ok(attempt) => AssertUnwindSafe(attempt)
                .catch_unwind()
                .await
                .unwrap_or(false),
            Err(_) => false,
        }
    };
    future::or(attempt, async {
        timeout.await;
        tracing::debug!("health probe timed out");
        false
    })
}

/// The recovery task's claim on the group's "running" state.
struct Running {
    group: Weak<Shared>,
    done: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let (false, Some(shared)) = (self.done, self.group.upgrade()) {
            tracing::debug!("recovery task dropped before it was done");
            shared.with_state(|s| s.abandoned());
        }
    }
}

/// Awaits `fut` unless the group is (or gets) dropped first: `None` then.
async fn unless_dropped<T>(
    group: &Weak<Shared>,
    dropped: &Event,
    fut: impl Future<Output = T>,
) -> Option<T> {
    let listener = dropped.listen();
    if group.strong_count() == 0 {
        return None;
    }
    future::or(async { Some(fut.await) }, async {
        listener.await;
        None
    })
    .await
}
