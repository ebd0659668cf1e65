//! The reaper: a background task that closes expired idle connections and forgets empty keys.

use std::sync::Weak;
use std::time::Duration;

use futures_lite::future;

use super::state::Effects;
use super::{Inner, Key};
use crate::Connect;

/// Runs every `interval` until the pool is closed or dropped. Holds only a `Weak` between rounds,
/// so it never keeps the pool alive.
pub(super) async fn run<K: Key, F: Connect<K>>(pool: Weak<Inner<K, F>>, interval: Duration) {
    loop {
        let (tick, stop) = {
            let Some(inner) = pool.upgrade() else { return };
            let stop = inner.shutdown.listen();
            if inner.lock().is_closed() {
                return;
            }
            // An interval too long to express as an instant: the reaper never runs again.
            let Some(at) = inner.clock.now().checked_add(interval) else {
                return;
            };
            (inner.clock.sleep_until(at), stop)
        };
        let ticked = async {
            tick.await;
            false
        };
        let stopped = async {
            stop.await;
            true
        };
        if future::or(ticked, stopped).await {
            return;
        }
        let Some(inner) = pool.upgrade() else { return };
        let mut fx = Effects::new();
        inner.lock().reap(inner.clock.now(), &mut fx);
        inner.apply(fx);
    }
}
