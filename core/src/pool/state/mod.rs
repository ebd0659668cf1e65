//! The pool's state machine: what each event does to the idle lists, the counts and the waiters.
//!
//! Plain synchronous code with no clock, no IO and no async: every transition takes `now` where it
//! needs it and records what must happen once the lock is released (wake a waiter, close a
//! connection) in [`Effects`]. The async layer in `checkout.rs` and `guard.rs` applies a transition
//! under the pool's lock and then acts on the effects.
//!
//! Capacity lives here alone: a key's open connections are `idle + busy + connecting`, and a
//! waiter is handed its grant directly (a connection, or a slot to connect with), already counted,
//! so no newcomer can take it first.

mod bound;
mod capacity;
mod cell;
mod due;
mod effects;
mod idle;
#[cfg(test)]
mod invariants;
mod key;
mod lru;
mod queue;
mod reap;
mod report;
mod shared;
mod waiters;

pub(crate) use effects::Effects;
pub(crate) use idle::{Idle, Limits, Spent};
use key::KeyState;
#[cfg(test)]
pub(crate) use reap::{BATCH, Reaped};
pub(crate) use shared::{Back, Retired, SharedId, Stream};
use waiters::Waiter;
pub(crate) use waiters::Waiting;

use std::collections::{BTreeSet, HashMap};
use std::hash::Hash;
use std::time::Instant;

use foldhash::fast::RandomState;
use slab::Slab;

use super::stats::Counts;

/// Index of a destination key's state; stable while the key has anything open or waiting.
pub(crate) type KeyId = usize;
/// Index of a waiting acquire.
pub(crate) type WaiterId = usize;

/// What a waiter is handed.
#[derive(Debug)]
pub(crate) enum Grant<C> {
    /// A connection, already counted busy.
    Conn(Idle<C>),
    /// A stream on a multiplexed connection, already counted in use.
    Stream(Stream<C>),
    /// A reserved slot, already counted connecting: the waiter connects.
    Slot,
    /// The pool was closed.
    Closed,
}

/// The outcome of [`State::checkout`].
#[derive(Debug)]
pub(crate) enum Checkout<C> {
    /// An idle connection, now busy.
    Reuse(KeyId, Idle<C>),
    /// A stream on a multiplexed connection, now in use.
    Stream(KeyId, Stream<C>),
    /// A slot reserved for a new connection, now connecting.
    Connect(KeyId),
    /// The key is at its limit: enqueue a waiter.
    Wait(KeyId),
    /// At the limit and the caller may not wait.
    Full,
    /// The pool is closed.
    Closed,
}

/// The whole pool's state, behind the pool's one lock.
pub(crate) struct State<K, C> {
    limits: Limits,
    /// Keys to their state. foldhash: the lookup runs under the lock on every acquire, and SipHash
    /// cost a fifth of the locked section.
    index: HashMap<K, KeyId, RandomState>,
    keys: Slab<KeyState<K, C>>,
    waiters: Slab<Waiter<C>>,
    spares: cell::Spares<C>,
    /// Keys by (a lower bound of) their least recently used idle connection: see `lru.rs`.
    lru: bound::Index,
    /// Keys by (a lower bound of) the earliest expiry of their idle connections: see `due.rs`.
    due: bound::Index,
    /// Keys with waiters, by the arrival number of their oldest: first come, first served across
    /// keys without a scan of every key. Kept only under `max_total`.
    fronts: BTreeSet<(u64, KeyId)>,
    /// Where the reaper's sweep for empty keys goes on from.
    sweep_at: usize,
    /// Open connections over all keys.
    total: usize,
    /// Waiters not yet granted, over all keys.
    waiting: usize,
    next_seq: u64,
    closed: bool,
    /// The instant of the latest transition that may grant, for the waits its grants end.
    clock: Option<Instant>,
    /// Counters of keys removed by the reaper.
    retired: Counts,
    /// The key of the last checkout, tried before the index: most pools serve one key, or a few
    /// in runs, and comparing a key costs less than hashing it.
    last_key: KeyId,
}

impl<K: Eq + Hash + Clone, C> State<K, C> {
    pub(crate) fn new(limits: Limits) -> Self {
        State {
            limits,
            index: HashMap::default(),
            keys: Slab::new(),
            waiters: Slab::new(),
            spares: cell::Spares::new(),
            lru: BTreeSet::new(),
            due: BTreeSet::new(),
            fronts: BTreeSet::new(),
            sweep_at: 0,
            total: 0,
            waiting: 0,
            next_seq: 0,
            closed: false,
            clock: None,
            retired: Counts::default(),
            last_key: usize::MAX,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Connections open or being made, over all keys.
    pub(crate) fn open_total(&self) -> usize {
        self.total
    }

    /// [`checkout_expecting`](State::checkout_expecting) with no word of the factory's.
    #[cfg(test)]
    pub(crate) fn checkout(
        &mut self,
        key: &K,
        now: Instant,
        may_wait: bool,
        fx: &mut Effects<C>,
    ) -> Checkout<C> {
        self.checkout_expecting(key, now, may_wait, false, fx)
    }

    /// An acquire arrives for `key`: a free stream of a multiplexed connection, else the most
    /// recently used good idle connection, else a slot to connect (unless a connection being
    /// made is expected to be multiplexed, as `shared` or an earlier one of the key says: then
    /// it waits for its streams), else wait (or fail if it may not).
    pub(crate) fn checkout_expecting(
        &mut self,
        key: &K,
        now: Instant,
        may_wait: bool,
        shared: bool,
        fx: &mut Effects<C>,
    ) -> Checkout<C> {
        if self.closed {
            return Checkout::Closed;
        }
        let k = self.key_id(key);
        if shared {
            // Written only when set: most checkouts need not touch the key's cold lines.
            self.keys[k].multiplexed = true;
        }
        let limits = self.limits;
        let ks = &mut self.keys[k];
        // Waiters already queued for this key go first: a newcomer never overtakes them.
        if ks.waiters.is_empty() {
            if !ks.shared.is_empty()
                && let Some(stream) = self.free_stream(k)
            {
                self.keys[k].reused += 1;
                return Checkout::Stream(k, stream);
            }
            let mut freed = false;
            if let Some(reuse) = self.reuse_idle(k, now, &mut freed, fx) {
                return reuse;
            }
            if freed {
                // Older waiters of other keys may use the room first.
                self.clock = Some(now);
                self.serve_starved(fx);
            }
            if self.keys[k].awaits_shared() && may_wait {
                return Checkout::Wait(k);
            }
            if self.keys[k].open() < limits.max_per_key && self.room_in_total(fx) {
                self.keys[k].connecting += 1;
                self.total += 1;
                return Checkout::Connect(k);
            }
        }
        if may_wait {
            Checkout::Wait(k)
        } else {
            self.keys[k].counts.timed_out += 1;
            Checkout::Full
        }
    }

    /// A connection handed out (from idle or by a grant) failed a check its taker made off the
    /// lock: it is closed (unless the check consumed it) and counted, and the taker keeps the room it held, with the next
    /// good idle connection of its key or else a slot to connect.
    pub(crate) fn reject(
        &mut self,
        k: KeyId,
        conn: Option<C>,
        why: Spent,
        now: Instant,
        fx: &mut Effects<C>,
    ) -> Checkout<C> {
        self.clock = Some(now);
        let ks = &mut self.keys[k];
        ks.busy -= 1;
        // Its checkout counted a reuse; it served nothing.
        ks.reused -= 1;
        ks.counts.count_closed(why);
        // `None`: a failed asynchronous check consumed it.
        fx.close.extend(conn);
        self.total -= 1;
        if self.closed {
            return Checkout::Closed;
        }
        if let Some(reuse) = self.reuse_idle(k, now, &mut false, fx) {
            return reuse;
        }
        // The room just freed is the taker's: no newcomer or later waiter can have it.
        self.keys[k].connecting += 1;
        self.total += 1;
        self.serve_starved(fx);
        Checkout::Connect(k)
    }

    /// Takes `k`'s most recently used idle connection that has not expired, closing and counting
    /// the expired ones on the way (and setting `freed` if there were any). Only the stored times
    /// here: the taker asks the connection, off the lock.
    #[inline]
    fn reuse_idle(
        &mut self,
        k: KeyId,
        now: Instant,
        freed: &mut bool,
        fx: &mut Effects<C>,
    ) -> Option<Checkout<C>> {
        let ks = &mut self.keys[k];
        while let Some(idle) = ks.idle.pop_back() {
            if !idle.is_expired(now) {
                ks.reused += 1;
                if idle.mux.is_none() {
                    ks.busy += 1;
                    return Some(Checkout::Reuse(k, idle));
                }
                return Some(self.lease_shared(k, idle, fx).into_checkout(k));
            }
            ks.counts.expired += 1;
            self.total -= 1;
            fx.close.push(idle.conn);
            *freed = true;
        }
        None
    }

    /// A busy connection comes back. For tests: the pool makes the check off the lock and calls
    /// [`check_in_checked`](State::check_in_checked).
    #[cfg(test)]
    pub(crate) fn checkin(&mut self, k: KeyId, mut idle: Idle<C>, now: Instant, fx: &mut Effects<C>)
    where
        C: crate::Connection,
    {
        let checked = idle.check_in_check(now, &self.limits);
        self.check_in_checked(k, idle, checked, fx);
    }

    /// A busy connection comes back, found fit to keep or not by [`Idle::check_in_check`] (off
    /// the lock).
    pub(crate) fn check_in_checked(
        &mut self,
        k: KeyId,
        idle: Idle<C>,
        checked: Result<(), Spent>,
        fx: &mut Effects<C>,
    ) {
        // The check stamped it with the instant it came back.
        self.clock = Some(idle.last_used);
        self.keys[k].busy -= 1;
        match checked {
            Err(why) if !self.closed => {
                self.keys[k].counts.count_closed(why);
                fx.close.push(idle.conn);
                self.free_slot(k, fx);
            }
            _ => self.place(k, idle, fx),
        }
    }

    /// A busy connection will not come back (discarded by its user at `now`).
    pub(crate) fn discard(&mut self, k: KeyId, now: Instant, fx: &mut Effects<C>) {
        self.clock = Some(now);
        let ks = &mut self.keys[k];
        ks.busy -= 1;
        ks.counts.discarded += 1;
        self.free_slot(k, fx);
    }

    /// A reserved slot produced a connection, now busy.
    pub(crate) fn connected(&mut self, k: KeyId, fx: &mut Effects<C>) {
        let ks = &mut self.keys[k];
        ks.connecting -= 1;
        ks.busy += 1;
        ks.counts.created += 1;
        if std::mem::take(&mut ks.multiplexed) {
            // Waiters held for streams of this connection get room of their own.
            self.serve_slots(k, fx);
        }
    }

    /// A connection attempt failed or timed out at `now`: its slot goes to the next in line.
    pub(crate) fn connect_failed(&mut self, k: KeyId, now: Instant, fx: &mut Effects<C>) {
        self.keys[k].counts.connect_failures += 1;
        self.connect_abandoned(k, now, fx);
    }

    /// A connection attempt was dropped unfinished at `now`: its slot goes to the next in line.
    pub(crate) fn connect_abandoned(&mut self, k: KeyId, now: Instant, fx: &mut Effects<C>) {
        self.clock = Some(now);
        self.keys[k].connecting -= 1;
        self.free_slot(k, fx);
        self.serve_slots(k, fx);
    }

    /// Refuses new acquires, fails every waiter (ending their waits at `now`) and closes every
    /// idle connection. Busy ones are closed as they come back.
    pub(crate) fn close(&mut self, now: Instant, fx: &mut Effects<C>) {
        self.closed = true;
        // What was in use counts as closed by the pool, whatever its handles say when back.
        self.retire_all();
        for (_, ks) in self.keys.iter_mut() {
            ks.waiters.clear(&mut self.waiters);
            ks.lru_at = None;
            ks.due_at = None;
            self.total -= ks.idle.len();
            ks.counts.closed += ks.idle.len() as u64;
            fx.close.extend(ks.idle.drain(..).map(|idle| idle.conn));
        }
        self.waiting = 0;
        self.lru.clear();
        self.due.clear();
        self.fronts.clear();
        self.clock = Some(now);
        for w in self.waiters.iter().map(|(w, _)| w).collect::<Vec<_>>() {
            self.grant(w, Grant::Closed, fx);
        }
    }

    fn key_id(&mut self, key: &K) -> KeyId {
        if let Some(ks) = self.keys.get(self.last_key)
            && ks.key == *key
        {
            return self.last_key;
        }
        if let Some(&k) = self.index.get(key) {
            self.last_key = k;
            return k;
        }
        let k = self.keys.insert(KeyState::new(key.clone()));
        self.index.insert(key.clone(), k);
        self.last_key = k;
        k
    }
}
