//! The guard of an acquired connection: returns it to the pool when dropped.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::state::{Back, Effects, Idle, KeyId, Retired, SharedId};
use super::{Key, ShardRef};
use crate::Connect;

/// A connection acquired from a [`Pool`](super::Pool).
///
/// Derefs to the connection. Dropping it returns the connection to its key's sub-pool, stamped
/// with the time of its last use (or hands it straight to the longest waiter); call
/// [`discard`](Pooled::discard) instead when it must not be reused.
#[must_use = "dropping the guard returns the connection at once"]
pub struct Pooled<K: Key, F: Connect<K>> {
    /// The pool, kept alive, and the shard the key lives in.
    link: Arc<ShardRef<K, F>>,
    key: KeyId,
    /// `None` only while being discarded or dropped.
    idle: Option<Idle<F::Conn>>,
    /// The multiplexed connection this is a handle of, if it is one.
    stream: Option<SharedId>,
}

impl<K: Key, F: Connect<K>> Pooled<K, F> {
    pub(super) fn new(link: Arc<ShardRef<K, F>>, key: KeyId, idle: Idle<F::Conn>) -> Self {
        Pooled {
            link,
            key,
            idle: Some(idle),
            stream: None,
        }
    }

    /// A handle of the multiplexed connection `id`.
    pub(super) fn stream(
        link: Arc<ShardRef<K, F>>,
        key: KeyId,
        idle: Idle<F::Conn>,
        id: SharedId,
    ) -> Self {
        Pooled {
            link,
            key,
            idle: Some(idle),
            stream: Some(id),
        }
    }

    /// Drops the connection instead of returning it, for one whose state cannot be trusted (an IO
    /// error, a half-read response). Its slot goes to the next waiter; the connection is closed on
    /// the pool's spawner.
    pub fn discard(mut self) {
        if let Some(idle) = self.idle.take() {
            let now = self.link.inner.clock.now();
            let mut fx = Effects::new();
            let mut state = self.link.inner.lock(self.link.shard);
            let unneeded = match self.stream {
                None => {
                    state.discard(self.key, now, &mut fx);
                    fx.close.push(idle.conn);
                    None
                }
                Some(id) => {
                    let retire = Back::Retire(Retired::Discarded);
                    state.stream_back(self.key, id, Some(idle.conn), retire, now, &mut fx)
                }
            };
            drop(state);
            self.link.inner.apply(fx);
            drop(unneeded);
        }
    }

    fn idle(&self) -> &Idle<F::Conn> {
        self.idle
            .as_ref()
            .expect("a live guard holds its connection")
    }
}

impl<K: Key, F: Connect<K>> Deref for Pooled<K, F> {
    type Target = F::Conn;

    fn deref(&self) -> &F::Conn {
        &self.idle().conn
    }
}

impl<K: Key, F: Connect<K>> DerefMut for Pooled<K, F> {
    fn deref_mut(&mut self) -> &mut F::Conn {
        &mut self
            .idle
            .as_mut()
            .expect("a live guard holds its connection")
            .conn
    }
}

impl<K: Key, F: Connect<K>> Drop for Pooled<K, F> {
    fn drop(&mut self) {
        if let Some(mut idle) = self.idle.take() {
            let now = self.link.inner.clock.now();
            // The connection is asked whether to keep it before locking: no callback runs under
            // the pool's lock, and one that panics counts as "do not keep".
            let checked = idle.check_in_check(now, &self.link.inner.limits);
            if let Some(mux) = &idle.mux {
                // A stream: its connection's limit as it is now, for the transition to follow.
                mux.refresh();
            }
            let mut fx = Effects::new();
            let mut state = self.link.inner.lock(self.link.shard);
            let unneeded = match self.stream {
                None => {
                    state.check_in_checked(self.key, idle, checked, &mut fx);
                    None
                }
                Some(id) => {
                    let back = match checked {
                        Ok(()) => Back::Used {
                            last_used: idle.last_used,
                            expires: idle.expires,
                        },
                        Err(why) => Back::Retire(Retired::Spent(why)),
                    };
                    state.stream_back(self.key, id, Some(idle.conn), back, now, &mut fx)
                }
            };
            drop(state);
            self.link.inner.apply(fx);
            drop(unneeded);
        }
    }
}

impl<K: Key, F: Connect<K>> fmt::Debug for Pooled<K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let idle = self.idle();
        f.debug_struct("Pooled")
            .field("created", &idle.created)
            .field("last_used", &idle.last_used)
            .finish_non_exhaustive()
    }
}
