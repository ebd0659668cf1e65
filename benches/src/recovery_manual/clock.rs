//! The manual clock wrapped to know the deadlines of the sleeps that exist, so that the bench can
//! tell when no woken work is left.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use fusebox_core::rt::{BoxFuture, Clock, ManualClock};

/// A [`ManualClock`] that knows the deadlines of the sleeps that exist: made by `sleep_until`
/// and neither finished nor dropped. A sleep whose deadline has passed stays until the task
/// waiting on it runs again, so "no sleep due" means no woken work is left unstarted.
#[derive(Clone, Default)]
pub(super) struct TrackedClock {
    pub(super) manual: ManualClock,
    live: Arc<Mutex<Live>>,
}

#[derive(Default)]
struct Live {
    next_id: u64,
    deadlines: BTreeSet<(Instant, u64)>,
}

/// Removes its sleep from the live set when the sleep finishes or is dropped.
struct LiveGuard {
    live: Arc<Mutex<Live>>,
    key: (Instant, u64),
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        lock(&self.live).deadlines.remove(&self.key);
    }
}

fn lock(live: &Mutex<Live>) -> MutexGuard<'_, Live> {
    live.lock().unwrap_or_else(|e| e.into_inner())
}

impl TrackedClock {
    /// The sleeps that exist.
    pub(super) fn live(&self) -> usize {
        lock(&self.live).deadlines.len()
    }

    /// The earliest deadline of the sleeps that exist.
    pub(super) fn earliest(&self) -> Option<Instant> {
        lock(&self.live).deadlines.first().map(|&(at, _)| at)
    }
}

impl Clock for TrackedClock {
    fn now(&self) -> Instant {
        self.manual.now()
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        let key = {
            let mut live = lock(&self.live);
            live.next_id += 1;
            let key = (deadline, live.next_id);
            live.deadlines.insert(key);
            key
        };
        let guard = LiveGuard {
            live: self.live.clone(),
            key,
        };
        let sleep = self.manual.sleep_until(deadline);
        Box::pin(async move {
            let _guard = guard;
            sleep.await;
        })
    }
}
