//! The recovery task: probes the service until it is healthy again.

use std::future::Future;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Weak};

use event_listener::Event;
use futures_lite::future;

use super::config::BreakerConfig;
use super::group::Shared;
use super::state::{Next, Rounds};
use crate::rt::{BoxFuture, Clock};

/// A health check of the service behind a [`RecoveryGroup`](super::RecoveryGroup): `true` when the
/// service answered well.
///
/// The recovery task sends it while breakers are tripped; the HTTP client supplies a GET of its
/// health path. Implemented for closures returning a [`BoxFuture`]:
///
/// ```
/// use fusebox_core::breaker::Probe;
/// use fusebox_core::rt::BoxFuture;
///
/// let probe = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
/// assert!(futures_lite::future::block_on(probe.probe()));
/// ```
pub trait Probe: Send + Sync + 'static {
    /// Sends one probe. The future may be dropped before it completes, when the group is dropped.
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

/// The recovery task. The caller owns the group's "running" flag. Ends when the recovery is done
/// and no breaker tripped meanwhile, or at once when the group is dropped.
pub(crate) fn task(
    group: Weak<Shared>,
    probe: Arc<dyn Probe>,
    clock: Arc<dyn Clock>,
    config: BreakerConfig,
    dropped: Arc<Event>,
) -> BoxFuture<'static, ()> {
    // Lets go of the flag if the task is dropped before it is done (by a spawner shutting down),
    // even unpolled: an argument of the async fn, it lives in the future from the start.
    let flag = Flag {
        group: group.clone(),
        owned: true,
    };
    Box::pin(run(flag, group, probe, clock, config, dropped))
}

async fn run(
    mut flag: Flag,
    group: Weak<Shared>,
    probe: Arc<dyn Probe>,
    clock: Arc<dyn Clock>,
    config: BreakerConfig,
    dropped: Arc<Event>,
) {
    let mut started = clock.now();
    let (mut rounds, first) = Rounds::start(started, &config);
    // When to send the next probe; `None` for a retry, sent at once.
    let mut next = Some(first);
    tracing::debug!("recovery started");
    loop {
        if let Some(at) = next {
            let slept = unless_dropped(&group, &dropped, clock.sleep_until(at)).await;
            if slept.is_none() {
                return;
            }
        }
        match group.upgrade() {
            Some(shared) => shared.probes_sent.fetch_add(1, Relaxed),
            None => return,
        };
        let Some(ok) = unless_dropped(&group, &dropped, probe.probe()).await else {
            return;
        };
        let now = clock.now();
        let outcome = rounds.probed(now, ok, &config, fastrand::f64());
        let Some(shared) = group.upgrade() else {
            return;
        };
        next = match outcome {
            Next::Retry => {
                tracing::debug!("probe failed; retrying");
                None
            }
            Next::ProbeAt(at) => {
                tracing::debug!(
                    good_rounds = rounds.good,
                    failed_rounds = rounds.failed,
                    wait = ?at.saturating_duration_since(now),
                    "probe round done"
                );
                shared.set_good_rounds(rounds.good);
                Some(at)
            }
            Next::Recovered => {
                tracing::debug!(took = ?now.saturating_duration_since(started), "recovery done");
                if !shared.finish() {
                    flag.owned = false;
                    return;
                }
                // A breaker tripped at the new generation: recover again, for it.
                started = now;
                let first;
                (rounds, first) = Rounds::start(now, &config);
                Some(first)
            }
        };
    }
}

/// The recovery task's ownership of the group's "running" flag.
struct Flag {
    group: Weak<Shared>,
    owned: bool,
}

impl Drop for Flag {
    fn drop(&mut self) {
        if let (true, Some(shared)) = (self.owned, self.group.upgrade()) {
            tracing::debug!("recovery task dropped before it was done");
            shared.release();
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
