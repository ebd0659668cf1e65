//! The reaper: a background task that closes expired idle connections and forgets empty keys.

use std::sync::Weak;
use std::time::Duration;

use futures_lite::future;

use super::state::Effects;
use super::{Inner, Key};
use crate::Connect;

/// Runs every `interval`, and whenever a connection raises its [`Hangup`](crate::Hangup), until
/// the pool is closed or dropped. Holds only a `Weak` between rounds, so it never keeps the pool
/// alive.
pub(super) async fn run<K: Key, F: Connect<K>>(pool: Weak<Inner<K, F>>, interval: Duration) {
    // Shards and keys named by hang-ups, and one shard's share of them.
    let (mut hung_up, mut in_shard) = (Vec::new(), Vec::new());
    loop {
        let (tick, stop, hangup, due) = {
            let Some(inner) = pool.upgrade() else { return };
            let stop = inner.shutdown.listen();
            let hangup = inner.hangups.listen();
            if inner.lock(0).is_closed() {
                return;
            }
            // An interval too long to express as an instant: only hang-ups wake the reaper.
            let tick = match inner.clock.now().checked_add(interval) {
                Some(at) => inner.clock.sleep_until(at),
                None => Box::pin(future::pending()),
            };
            // A hang-up raised since the last round (or before the listener) is served at once.
            let due = inner.hangups.take(&mut hung_up);
            (tick, stop, hangup, due)
        };
        if !due {
            let woken = async {
                future::or(tick, hangup).await;
                Wake::Round
            };
            let stopped = async {
                stop.await;
                Wake::Stop
            };
            if let Wake::Stop = future::or(woken, stopped).await {
                return;
            }
        }
        let Some(shards) = pool.upgrade().map(|inner| inner.state.len()) else {
            return;
        };
        for shard in 0..shards {
            // A round in bounded batches, letting acquires have the lock between them.
            loop {
                let Some(inner) = pool.upgrade() else { return };
                inner.hangups.take(&mut hung_up);
                // This shard's hang-ups to its batch; the others wait for their shard's turn.
                for (s, k) in std::mem::take(&mut hung_up) {
                    match s == shard {
                        true => in_shard.push(k),
                        false => hung_up.push((s, k)),
                    }
                }
                let mut fx = Effects::new();
                let now = inner.clock.now();
                let batch = (inner.lock(shard)).reap_batch(now, &mut in_shard, &mut fx);
                inner.apply(fx);
                drop(inner);
                // A yield after every batch that did work, also the last of a shard's, so that a
                // round never runs batches of several shards back to back in one poll.
                if batch.looked > 0 {
                    future::yield_now().await;
                }
                if !batch.more {
                    break;
                }
            }
        }
    }
}

/// Why the reaper woke.
enum Wake {
    /// Its tick, or a hang-up: time for a round.
    Round,
    /// The pool closed.
    Stop,
}
