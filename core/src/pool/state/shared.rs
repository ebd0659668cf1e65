//! Multiplexed connections (HTTP/2): one connection serves several acquires at once, each with a
//! handle of its own.
//!
//! While it serves any, such a connection is a [`Master`] in its key's `shared` list, counted as
//! one open connection. With none, it goes idle like any other connection, one handle standing
//! for it in the idle list, so that reaping, eviction, expiry and closing need nothing of their
//! own. The master keeps one handle that came back, to stand for it then (and to hand out before
//! another is made, off the lock, by the connection's [`Multiplex`]); the transitions give any
//! other back to their caller, to drop off the lock.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::idle::Spent;
use super::{Checkout, Effects, Grant, Idle, KeyId, State};
use crate::Multiplex;
use crate::pool::stats::Counts;

/// Index of a multiplexed connection in its key's `shared` list.
pub(crate) type SharedId = usize;

/// A multiplexed connection serving at least one acquire.
pub(super) struct Master<C> {
    mux: Arc<Multiplex<C>>,
    /// A handle given back, handed out again before another is made.
    spare: Option<C>,
    in_use: usize,
    created: Instant,
    last_used: Instant,
    expires: Option<Instant>,
    hung_up: Arc<AtomicBool>,
    /// Why it takes no new acquires, once it does not: it closes when the last handle is back.
    retired: Option<Retired>,
}

impl<C> Master<C> {
    fn has_room(&self) -> bool {
        self.retired.is_none() && self.in_use < self.mux.streams()
    }

    pub(super) fn in_use(&self) -> usize {
        self.in_use
    }
}

impl<C> Grant<C> {
    /// A lease of an idle connection as [`State::checkout`] gives it.
    pub(super) fn into_checkout(self, k: KeyId) -> Checkout<C> {
        match self {
            Grant::Conn(idle) => Checkout::Reuse(k, idle),
            Grant::Stream(stream) => Checkout::Stream(k, stream),
            Grant::Slot | Grant::Closed => unreachable!("a lease is a connection or a stream"),
        }
    }
}

/// Why a multiplexed connection was retired, as its close is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retired {
    Spent(Spent),
    Discarded,
    PoolClosed,
}

impl Retired {
    fn count(self, counts: &mut Counts) {
        match self {
            Retired::Spent(why) => counts.count_closed(why),
            Retired::Discarded => counts.discarded += 1,
            Retired::PoolClosed => counts.closed += 1,
        }
    }
}

/// One acquire's share of a multiplexed connection: the handle to use, if a spare was there
/// (else the taker makes one with `mux`, off the lock), and the times the checks need.
#[derive(Debug)]
pub(crate) struct Stream<C> {
    pub(crate) id: SharedId,
    pub(crate) handle: Option<C>,
    pub(crate) mux: Arc<Multiplex<C>>,
    pub(crate) created: Instant,
    pub(crate) last_used: Instant,
    pub(crate) hung_up: Arc<AtomicBool>,
}

/// How a handle comes back.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Back {
    /// Used, and fit to keep: its connection was last used then, and expires at `expires`.
    Used {
        last_used: Instant,
        expires: Option<Instant>,
    },
    /// Never used: its acquire was cancelled, or the handle could not be made.
    Unused,
    /// The connection must take no more acquires.
    Retire(Retired),
}

impl<K: Eq + Hash + Clone, C> State<K, C> {
    /// A stream on one of `k`'s multiplexed connections with room, if one has.
    pub(super) fn free_stream(&mut self, k: KeyId) -> Option<Stream<C>> {
        let id = self.keys[k].shared.iter().find(|(_, m)| m.has_room())?.0;
        Some(self.stream_on(k, id))
    }

    /// A multiplexed idle connection leaves idle for an acquire: it becomes a master, and the
    /// acquire gets a stream on it (the further waiters of `k` too, as far as it has room). The
    /// callers lease an exclusive connection themselves, in line: it is the hot path.
    #[cold]
    pub(super) fn lease_shared(
        &mut self,
        k: KeyId,
        idle: Idle<C>,
        fx: &mut Effects<C>,
    ) -> Grant<C> {
        let mux = idle.mux.expect("a multiplexed connection");
        let id = self.keys[k].shared.insert(Master {
            mux,
            spare: Some(idle.conn),
            in_use: 0,
            created: idle.created,
            last_used: idle.last_used,
            expires: idle.expires,
            hung_up: idle.hung_up,
            retired: None,
        });
        let stream = self.stream_on(k, id);
        self.serve_streams(k, id, fx);
        Grant::Stream(stream)
    }

    /// A connection just made for `k` turned out multiplexed: its maker keeps the connection as
    /// its own handle, and `k`'s waiters get streams on it as far as it has room.
    pub(crate) fn connected_shared(
        &mut self,
        k: KeyId,
        idle: &Idle<C>,
        mux: Arc<Multiplex<C>>,
        now: Instant,
        fx: &mut Effects<C>,
    ) -> SharedId {
        self.clock = Some(now);
        let ks = &mut self.keys[k];
        ks.connecting -= 1;
        ks.counts.created += 1;
        ks.multiplexed = true;
        let id = ks.shared.insert(Master {
            mux,
            spare: None,
            in_use: 1,
            created: idle.created,
            last_used: idle.last_used,
            expires: idle.expires,
            hung_up: idle.hung_up.clone(),
            retired: None,
        });
        self.serve_streams(k, id, fx);
        // Waiters beyond its streams get another connection, if there is room.
        self.serve_slots(k, fx);
        id
    }

    fn stream_on(&mut self, k: KeyId, id: SharedId) -> Stream<C> {
        let m = &mut self.keys[k].shared[id];
        m.in_use += 1;
        Stream {
            id,
            handle: m.spare.take(),
            mux: m.mux.clone(),
            created: m.created,
            last_used: m.last_used,
            hung_up: m.hung_up.clone(),
        }
    }

    /// Hands streams on `id` to `k`'s waiters, oldest first, while it has room.
    fn serve_streams(&mut self, k: KeyId, id: SharedId, fx: &mut Effects<C>) {
        while self.keys[k].shared[id].has_room() {
            let Some(w) = self.pop_waiter(k) else { return };
            let stream = self.stream_on(k, id);
            self.grant(w, Grant::Stream(stream), fx);
        }
    }

    /// A handle of `k`'s multiplexed connection `id` comes back (`handle`, unless its user kept
    /// or lost it). The next waiter gets the stream; the last handle back of a retired connection
    /// closes it, and the last of a live one takes it idle. Gives back a handle not needed, for
    /// the caller to drop once the lock is released.
    #[must_use = "a handle not needed is dropped off the lock"]
    pub(crate) fn stream_back(
        &mut self,
        k: KeyId,
        id: SharedId,
        handle: Option<C>,
        back: Back,
        now: Instant,
        fx: &mut Effects<C>,
    ) -> Option<C> {
        self.clock = Some(now);
        let closed = self.closed;
        let m = &mut self.keys[k].shared[id];
        m.in_use -= 1;
        match back {
            Back::Used { last_used, expires } => {
                m.last_used = last_used;
                m.expires = expires;
            }
            Back::Unused => {}
            Back::Retire(why) => _ = m.retired.get_or_insert(why),
        }
        if closed {
            m.retired.get_or_insert(Retired::PoolClosed);
        }
        let unneeded = match (handle, &m.spare) {
            (Some(handle), None) => {
                m.spare = Some(handle);
                None
            }
            (handle, _) => handle,
        };
        self.serve_streams(k, id, fx);
        if self.keys[k].shared[id].retired.is_some() {
            // Waiters it can no longer serve get room of their own, if there is some.
            self.serve_slots(k, fx);
        }
        if self.keys[k].shared[id].in_use > 0 {
            return unneeded;
        }
        let m = self.keys[k].shared.remove(id);
        match (m.retired, m.spare) {
            (None, Some(conn)) => {
                let idle = Idle {
                    conn,
                    created: m.created,
                    last_used: m.last_used,
                    expires: m.expires,
                    hung_up: m.hung_up,
                    mux: Some(m.mux),
                };
                self.place(k, idle, fx);
            }
            (retired, conn) => {
                // No handle left to stand for it: its users kept or lost them all.
                let why = retired.unwrap_or(Retired::Spent(Spent::Unusable));
                why.count(&mut self.keys[k].counts);
                fx.close.extend(conn);
                self.free_slot(k, fx);
            }
        }
        unneeded
    }

    /// A stream handed out failed the check its taker made off the lock (`handle`, if it got
    /// one): the connection is retired, and the taker starts over.
    #[must_use = "a handle not needed is dropped off the lock"]
    pub(crate) fn reject_stream(
        &mut self,
        k: KeyId,
        id: SharedId,
        handle: Option<C>,
        why: Spent,
        now: Instant,
        fx: &mut Effects<C>,
    ) -> Option<C> {
        // Its checkout counted a reuse; it served nothing.
        self.keys[k].reused -= 1;
        self.stream_back(k, id, handle, Back::Retire(Retired::Spent(why)), now, fx)
    }

    /// Panics if a multiplexed connection of `k` serves none or more than it may, or has room
    /// while `k` has waiters. For tests.
    #[cfg(test)]
    pub(super) fn check_shared(&self, k: KeyId) {
        let ks = &self.keys[k];
        for (_, m) in ks.shared.iter() {
            assert!(m.in_use >= 1, "a master serves at least one acquire");
            // A peer that lowered its limit may leave `in_use` over it (streams are not taken
            // back); a fixed limit is never passed.
            assert!(
                !m.mux.is_fixed() || m.in_use <= m.mux.streams(),
                "a master's stream limit"
            );
            // Spelled out rather than `has_room`, so that the check does not lean on it.
            let free = m.retired.is_none() && m.in_use < m.mux.streams();
            assert!(
                ks.waiters.is_empty() || !free,
                "a waiter waits with a stream free"
            );
        }
    }

    /// Retires every multiplexed connection, for a pool being closed.
    pub(super) fn retire_all(&mut self) {
        for (_, ks) in self.keys.iter_mut() {
            for (_, m) in ks.shared.iter_mut() {
                m.retired.get_or_insert(Retired::PoolClosed);
            }
        }
    }
}
