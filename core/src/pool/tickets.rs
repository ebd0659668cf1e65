//! The tickets an acquire holds while it waits, connects or checks: each gives back what it holds
//! when dropped, so that a cancelled acquire leaks nothing.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use std::task::Waker;

use super::state::{Effects, Grant, Idle, KeyId, SharedId, Waiting};
use super::{Inner, Key};
use crate::{Connect, Multiplex};

/// A place in a key's queue; leaving it (by drop) gives back whatever it was handed.
pub(super) struct WaiterTicket<'a, K: Key, F: Connect<K>> {
    pub(super) inner: &'a Inner<K, F>,
    pub(super) shard: usize,
    pub(super) waiting: Option<Waiting<F::Conn>>,
    pub(super) started: Instant,
}

impl<K: Key, F: Connect<K>> WaiterTicket<'_, K, F> {
    /// Takes the grant if there is one, with the instant it was taken at (for the hand-over's
    /// checks); else leaves `waker` to be woken by it. The grant is taken from the waiter's cell,
    /// without the pool's lock.
    pub(super) fn poll_grant(&mut self, waker: &Waker) -> Option<(Grant<F::Conn>, KeyId, Instant)> {
        let (grant, k) = self.waiting.as_ref()?.poll(waker)?;
        self.waiting = None;
        Some((grant, k, self.inner.clock.now()))
    }

    /// The wait ran out at `now`: takes a grant that arrived meanwhile, or leaves the queue.
    pub(super) fn give_up(&mut self, now: Instant) -> Option<(Grant<F::Conn>, KeyId)> {
        let waiting = self.waiting.take()?;
        self.inner.lock(self.shard).give_up(&waiting, now)
    }
}

impl<K: Key, F: Connect<K>> Drop for WaiterTicket<'_, K, F> {
    fn drop(&mut self) {
        if let Some(waiting) = self.waiting.take() {
            let now = self.inner.clock.now();
            let mut fx = Effects::new();
            let unneeded = self.inner.lock(self.shard).cancel(&waiting, now, &mut fx);
            self.inner.apply(fx);
            drop(unneeded);
        }
    }
}

/// A reserved slot being connected; dropped unfinished, it frees the slot for the next waiter.
pub(super) struct SlotTicket<'a, K: Key, F: Connect<K>> {
    pub(super) inner: &'a Inner<K, F>,
    pub(super) shard: usize,
    pub(super) key: Option<KeyId>,
}

impl<K: Key, F: Connect<K>> SlotTicket<'_, K, F> {
    pub(super) fn connected(&mut self) -> KeyId {
        let k = self.key.take().expect("a slot is settled once");
        let mut fx = Effects::new();
        self.inner.lock(self.shard).connected(k, &mut fx);
        self.inner.apply(fx);
        k
    }

    /// The new connection is multiplexed: its maker holds the first of its streams.
    pub(super) fn connected_shared(
        &mut self,
        idle: &Idle<F::Conn>,
        mux: Arc<Multiplex<F::Conn>>,
    ) -> SharedId {
        let k = self.key.take().expect("a slot is settled once");
        let mut fx = Effects::new();
        // Connected at the instant the connection was stamped with.
        let now = idle.created;
        let id = (self.inner.lock(self.shard)).connected_shared(k, idle, mux, now, &mut fx);
        self.inner.apply(fx);
        id
    }

    pub(super) fn failed(&mut self) {
        if let Some(k) = self.key.take() {
            let mut fx = Effects::new();
            let now = self.inner.clock.now();
            self.inner.lock(self.shard).connect_failed(k, now, &mut fx);
            self.inner.apply(fx);
        }
    }
}

impl<K: Key, F: Connect<K>> Drop for SlotTicket<'_, K, F> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            let mut fx = Effects::new();
            let now = self.inner.clock.now();
            self.inner
                .lock(self.shard)
                .connect_abandoned(k, now, &mut fx);
            self.inner.apply(fx);
        }
    }
}

/// A connection being checked before it is handed out, counted busy; dropped unfinished (the
/// acquire was cancelled), its room goes to the next in line.
pub(super) struct CheckTicket<'a, K: Key, F: Connect<K>> {
    pub(super) inner: &'a Inner<K, F>,
    pub(super) shard: usize,
    pub(super) key: Option<KeyId>,
    pub(super) created: Instant,
    pub(super) last_used: Instant,
    pub(super) expires: Option<Instant>,
    pub(super) hung_up: Arc<AtomicBool>,
    pub(super) mux: Option<Arc<Multiplex<F::Conn>>>,
}

impl<'a, K: Key, F: Connect<K>> CheckTicket<'a, K, F> {
    /// Starts checking `idle`: the ticket for its room, and the connection to check.
    pub(super) fn new(
        inner: &'a Inner<K, F>,
        shard: usize,
        k: KeyId,
        idle: Idle<F::Conn>,
    ) -> (Self, F::Conn) {
        let Idle {
            conn,
            created,
            last_used,
            expires,
            hung_up,
            mux,
        } = idle;
        let ticket = CheckTicket {
            inner,
            shard,
            key: Some(k),
            created,
            last_used,
            expires,
            hung_up,
            mux,
        };
        (ticket, conn)
    }

    /// The check passed: the connection with its times again.
    pub(super) fn passed(&mut self, conn: F::Conn) -> (KeyId, Idle<F::Conn>) {
        let k = self.key.take().expect("a check is settled once");
        let idle = Idle {
            conn,
            created: self.created,
            last_used: self.last_used,
            expires: self.expires,
            hung_up: self.hung_up.clone(),
            mux: self.mux.clone(),
        };
        (k, idle)
    }

    /// The check failed: the room is the caller's to settle.
    pub(super) fn failed(&mut self) -> KeyId {
        self.key.take().expect("a check is settled once")
    }
}

impl<K: Key, F: Connect<K>> Drop for CheckTicket<'_, K, F> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            let mut fx = Effects::new();
            let now = self.inner.clock.now();
            self.inner.lock(self.shard).discard(k, now, &mut fx);
            self.inner.apply(fx);
        }
    }
}
