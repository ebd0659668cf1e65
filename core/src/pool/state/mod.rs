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

mod effects;
mod idle;

pub(crate) use effects::Effects;
pub(crate) use idle::{Idle, Limits, Spent};

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener};
use foldhash::fast::RandomState;
use slab::Slab;

use super::stats::{Counts, Stats};
use idle::insert_by_last_use;

/// Index of a destination key's state; stable while the key has anything open or waiting.
pub(crate) type KeyId = usize;
/// Index of a waiting acquire.
pub(crate) type WaiterId = usize;

/// What a waiter is handed.
#[derive(Debug)]
pub(crate) enum Grant<C> {
    /// A connection, already counted busy.
    Conn(Idle<C>),
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
    /// A slot reserved for a new connection, now connecting.
    Connect(KeyId),
    /// The key is at its limit: enqueue a waiter.
    Wait(KeyId),
    /// At the limit and the caller may not wait.
    Full,
    /// The pool is closed.
    Closed,
}

struct Waiter<C> {
    key: KeyId,
    /// Arrival order across keys, for fairness when a slot can go to any key.
    seq: u64,
    grant: Option<Grant<C>>,
    event: Arc<Event>,
}

struct KeyState<K, C> {
    key: K,
    /// Oldest first: reuse pops the back (most recently used), eviction the front.
    idle: VecDeque<Idle<C>>,
    busy: usize,
    connecting: usize,
    /// Waiters not yet granted, oldest first.
    waiters: VecDeque<WaiterId>,
    counts: Counts,
}

impl<K, C> KeyState<K, C> {
    fn open(&self) -> usize {
        self.idle.len() + self.busy + self.connecting
    }

    fn is_empty(&self) -> bool {
        self.open() == 0 && self.waiters.is_empty()
    }

    fn counts(&self) -> Counts {
        Counts {
            idle: self.idle.len(),
            busy: self.busy,
            connecting: self.connecting,
            waiting: self.waiters.len(),
            ..self.counts
        }
    }
}

/// The whole pool's state, behind the pool's one lock.
pub(crate) struct State<K, C> {
    limits: Limits,
    /// Keys to their state. foldhash: the lookup runs under the lock on every acquire, and SipHash
    /// cost a fifth of the locked section.
    index: HashMap<K, KeyId, RandomState>,
    keys: Slab<KeyState<K, C>>,
    waiters: Slab<Waiter<C>>,
    /// Open connections over all keys.
    total: usize,
    /// Waiters not yet granted, over all keys.
    waiting: usize,
    next_seq: u64,
    closed: bool,
    /// Counters of keys removed by the reaper.
    retired: Counts,
    /// Events of ended waiters, for the next ones.
    spare_events: Vec<Arc<Event>>,
    /// The key of the last checkout, tried before the index: most pools serve one key, or a few
    /// in runs, and comparing a key costs less than hashing it.
    last_key: KeyId,
}

/// How many events of ended waiters are kept for reuse.
const MAX_SPARE_EVENTS: usize = 256;

impl<K: Eq + Hash + Clone, C> State<K, C> {
    pub(crate) fn new(limits: Limits) -> Self {
        State {
            limits,
            index: HashMap::default(),
            keys: Slab::new(),
            waiters: Slab::new(),
            total: 0,
            waiting: 0,
            next_seq: 0,
            closed: false,
            retired: Counts::default(),
            spare_events: Vec::new(),
            last_key: usize::MAX,
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// An acquire arrives for `key`: reuse the most recently used good idle connection, else
    /// reserve a slot to connect, else wait (or fail if it may not).
    pub(crate) fn checkout(
        &mut self,
        key: &K,
        now: Instant,
        may_wait: bool,
        fx: &mut Effects<C>,
    ) -> Checkout<C> {
        if self.closed {
            return Checkout::Closed;
        }
        let k = self.key_id(key);
        let limits = self.limits;
        let ks = &mut self.keys[k];
        // Waiters already queued for this key go first: a newcomer never overtakes them.
        if ks.waiters.is_empty() {
            let mut freed = false;
            while let Some(idle) = ks.idle.pop_back() {
                // Only the stored times here: the caller asks the connection, off the lock.
                if !idle.is_expired(now, &limits) {
                    ks.busy += 1;
                    ks.counts.reused += 1;
                    return Checkout::Reuse(k, idle);
                }
                ks.counts.expired += 1;
                self.total -= 1;
                fx.close.push(idle.conn);
                freed = true;
            }
            if freed {
                // Older waiters of other keys may use the room first.
                self.serve_starved(fx);
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

    /// Queues a waiter for `key` after [`Checkout::Wait`], with a listener on its event, which is
    /// notified when it is granted. The listener is in place before the caller unlocks, so no
    /// grant can come before it.
    ///
    /// Events are recycled: the waiter must stop listening before the call that ends it
    /// ([`take_grant`](State::take_grant), [`give_up`](State::give_up), [`cancel`](State::cancel)),
    /// and treat a wakeup as a hint to look, since a late notification for the event's previous
    /// waiter may reach it.
    pub(crate) fn enqueue(&mut self, k: KeyId) -> (WaiterId, EventListener) {
        let event = self
            .spare_events
            .pop()
            .unwrap_or_else(|| Arc::new(Event::new()));
        let listener = event.listen();
        let seq = self.next_seq;
        self.next_seq += 1;
        let w = self.waiters.insert(Waiter {
            key: k,
            seq,
            grant: None,
            event,
        });
        self.keys[k].waiters.push_back(w);
        self.waiting += 1;
        (w, listener)
    }

    /// A new listener on a waiting waiter's event, for one woken with no grant yet (a late
    /// notification for the event's previous waiter): made under the lock, so that a grant made
    /// after it is sure to notify it.
    pub(crate) fn listen(&self, w: WaiterId) -> EventListener {
        self.waiters[w].event.listen()
    }

    /// Takes the waiter's grant, with its key, if it has one, ending the waiter after `waited`.
    pub(crate) fn take_grant(
        &mut self,
        w: WaiterId,
        waited: Duration,
    ) -> Option<(Grant<C>, KeyId)> {
        self.waiters[w].grant.as_ref()?;
        let (k, grant) = self.remove_waiter(w, waited);
        if let Some(Grant::Conn(_)) = grant {
            self.keys[k].counts.reused += 1;
        }
        Some((grant?, k))
    }

    /// The waiter's time ran out after `waited`: it takes a grant that arrived meanwhile, or
    /// leaves the queue and counts as timed out.
    pub(crate) fn give_up(&mut self, w: WaiterId, waited: Duration) -> Option<(Grant<C>, KeyId)> {
        if let Some(grant) = self.take_grant(w, waited) {
            return Some(grant);
        }
        let (k, _) = self.remove_waiter(w, waited);
        self.unqueue(k, w);
        self.keys[k].counts.timed_out += 1;
        None
    }

    /// The waiter was dropped after `waited`: whatever it had been handed goes to the next in
    /// line.
    pub(crate) fn cancel(&mut self, w: WaiterId, waited: Duration, fx: &mut Effects<C>) {
        let (k, grant) = self.remove_waiter(w, waited);
        match grant {
            None => self.unqueue(k, w),
            Some(Grant::Conn(idle)) => {
                self.keys[k].busy -= 1;
                self.place(k, idle, fx);
            }
            Some(Grant::Slot) => {
                self.keys[k].connecting -= 1;
                self.free_slot(k, fx);
            }
            Some(Grant::Closed) => {}
        }
    }

    /// A connection handed out (from idle or by a grant) failed the check its taker made off
    /// the lock: it is closed and counted, and the taker keeps the room it held, with the next
    /// good idle connection of its key or else a slot to connect.
    pub(crate) fn reject(
        &mut self,
        k: KeyId,
        idle: Idle<C>,
        why: Spent,
        now: Instant,
        fx: &mut Effects<C>,
    ) -> Checkout<C> {
        let ks = &mut self.keys[k];
        ks.busy -= 1;
        // Its checkout counted a reuse; it served nothing.
        ks.counts.reused -= 1;
        ks.counts.count_closed(why);
        fx.close.push(idle.conn);
        self.total -= 1;
        if self.closed {
            return Checkout::Closed;
        }
        let limits = self.limits;
        let ks = &mut self.keys[k];
        while let Some(idle) = ks.idle.pop_back() {
            if !idle.is_expired(now, &limits) {
                ks.busy += 1;
                ks.counts.reused += 1;
                return Checkout::Reuse(k, idle);
            }
            ks.counts.expired += 1;
            fx.close.push(idle.conn);
            self.total -= 1;
        }
        // The room just freed is the taker's: no newcomer or later waiter can have it.
        ks.connecting += 1;
        self.total += 1;
        self.serve_starved(fx);
        Checkout::Connect(k)
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

    /// A busy connection will not come back (discarded by its user).
    pub(crate) fn discard(&mut self, k: KeyId, fx: &mut Effects<C>) {
        let ks = &mut self.keys[k];
        ks.busy -= 1;
        ks.counts.discarded += 1;
        self.free_slot(k, fx);
    }

    /// A reserved slot produced a connection, now busy.
    pub(crate) fn connected(&mut self, k: KeyId) {
        let ks = &mut self.keys[k];
        ks.connecting -= 1;
        ks.busy += 1;
        ks.counts.created += 1;
    }

    /// A connection attempt failed or timed out: its slot goes to the next in line.
    pub(crate) fn connect_failed(&mut self, k: KeyId, fx: &mut Effects<C>) {
        self.keys[k].counts.connect_failures += 1;
        self.connect_abandoned(k, fx);
    }

    /// A connection attempt was dropped unfinished: its slot goes to the next in line.
    pub(crate) fn connect_abandoned(&mut self, k: KeyId, fx: &mut Effects<C>) {
        self.keys[k].connecting -= 1;
        self.free_slot(k, fx);
    }

    /// Closes idle connections that expired, and forgets keys with nothing left. Reads only the
    /// stored times: no connection is asked anything under the lock.
    pub(crate) fn reap(&mut self, now: Instant, fx: &mut Effects<C>) {
        let limits = self.limits;
        let mut closed = 0;
        for (_, ks) in self.keys.iter_mut() {
            let before = ks.idle.len();
            let mut kept = VecDeque::with_capacity(before);
            for idle in ks.idle.drain(..) {
                if !idle.is_expired(now, &limits) {
                    kept.push_back(idle);
                } else {
                    fx.close.push(idle.conn);
                }
            }
            ks.idle = kept;
            let expired = before - ks.idle.len();
            ks.counts.expired += expired as u64;
            closed += expired;
        }
        self.total -= closed;
        let empty: Vec<KeyId> = self
            .keys
            .iter()
            .filter(|(_, ks)| ks.is_empty())
            .map(|(k, _)| k)
            .collect();
        for k in empty {
            let ks = self.keys.remove(k);
            self.index.remove(&ks.key);
            self.retired += ks.counts;
        }
        self.serve_starved(fx);
    }

    /// Refuses new acquires, fails every waiter and closes every idle connection. Busy ones are
    /// closed as they come back.
    pub(crate) fn close(&mut self, fx: &mut Effects<C>) {
        self.closed = true;
        for (_, ks) in self.keys.iter_mut() {
            ks.waiters.clear();
            self.total -= ks.idle.len();
            ks.counts.closed += ks.idle.len() as u64;
            fx.close.extend(ks.idle.drain(..).map(|idle| idle.conn));
        }
        self.waiting = 0;
        for (_, waiter) in self.waiters.iter_mut() {
            if waiter.grant.is_none() {
                waiter.grant = Some(Grant::Closed);
                fx.wake(waiter.event.clone());
            }
        }
    }

    /// Counts of the whole pool and of each key.
    pub(crate) fn stats(&self) -> Stats<K> {
        let mut total = self.retired;
        let keys = self
            .keys
            .iter()
            .map(|(_, ks)| {
                let counts = ks.counts();
                total += counts;
                (ks.key.clone(), counts)
            })
            .collect();
        Stats { total, keys }
    }

    /// Counts of one key, if the pool holds it.
    pub(crate) fn stats_for(&self, key: &K) -> Option<Counts> {
        self.index.get(key).map(|&k| self.keys[k].counts())
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
        let k = self.keys.insert(KeyState {
            key: key.clone(),
            idle: VecDeque::new(),
            busy: 0,
            connecting: 0,
            waiters: VecDeque::new(),
            counts: Counts::default(),
        });
        self.index.insert(key.clone(), k);
        self.last_key = k;
        k
    }

    /// Whether one more connection fits under `max_total`, evicting the least recently used idle
    /// connection of another key if that makes room.
    fn room_in_total(&mut self, fx: &mut Effects<C>) -> bool {
        match self.limits.max_total {
            Some(max) if self.total >= max => self.evict_lru(fx),
            _ => true,
        }
    }

    fn evict_lru(&mut self, fx: &mut Effects<C>) -> bool {
        let oldest = self
            .keys
            .iter()
            .filter_map(|(k, ks)| ks.idle.front().map(|idle| (idle.last_used, k)))
            .min();
        let Some((_, k)) = oldest else { return false };
        if let Some(idle) = self.keys[k].idle.pop_front() {
            self.keys[k].counts.evicted += 1;
            fx.close.push(idle.conn);
            self.total -= 1;
        }
        true
    }

    /// A connection is free for `k`: the oldest waiter it can serve gets it (one of `k`'s, or an
    /// older one of another key held back by `max_total`, for whom it is closed to make room),
    /// else it goes idle in its place by last use (or is closed, once the pool is).
    fn place(&mut self, k: KeyId, idle: Idle<C>, fx: &mut Effects<C>) {
        if self.closed {
            self.total -= 1;
            self.keys[k].counts.closed += 1;
            fx.close.push(idle.conn);
            return;
        }
        let own = self.keys[k].waiters.front().map(|&w| self.waiters[w].seq);
        if let Some(other) = self.older_starved(k, own) {
            self.keys[k].counts.evicted += 1;
            fx.close.push(idle.conn);
            let w = self.pop_waiter(other).expect("the chosen key has a waiter");
            self.keys[other].connecting += 1;
            self.grant(w, Grant::Slot, fx);
            return;
        }
        match self.pop_waiter(k) {
            Some(w) => {
                self.keys[k].busy += 1;
                self.grant(w, Grant::Conn(idle), fx);
            }
            None => insert_by_last_use(&mut self.keys[k].idle, idle),
        }
    }

    /// The key of the oldest waiter held back by `max_total` alone, other than `k`'s, if it came
    /// before `than` (the sequence number of `k`'s oldest waiter, if any).
    fn older_starved(&self, k: KeyId, than: Option<u64>) -> Option<KeyId> {
        let max_total = self.limits.max_total?;
        if self.total < max_total || self.waiting == 0 {
            return None;
        }
        let (seq, other) = self
            .keys
            .iter()
            .filter(|&(j, ks)| j != k && ks.open() < self.limits.max_per_key)
            .filter_map(|(j, ks)| ks.waiters.front().map(|&w| (self.waiters[w].seq, j)))
            .min()?;
        than.is_none_or(|own| seq < own).then_some(other)
    }

    /// `k` has one connection fewer: the oldest waiter that can use the room gets a slot (one of
    /// `k`'s, or under `max_total` any key's).
    fn free_slot(&mut self, k: KeyId, fx: &mut Effects<C>) {
        self.total -= 1;
        if self.limits.max_total.is_some() {
            return self.serve_starved(fx);
        }
        if let Some(w) = self.pop_waiter(k) {
            self.keys[k].connecting += 1;
            self.total += 1;
            self.grant(w, Grant::Slot, fx);
        }
    }

    /// Hands slots to waiters whose key is under its own limit but who wait on `max_total`,
    /// oldest first, while there is room or idle connections to evict. Without `max_total` no
    /// such waiter exists.
    #[inline]
    fn serve_starved(&mut self, fx: &mut Effects<C>) {
        if let Some(max_total) = self.limits.max_total {
            self.serve_starved_under(max_total, fx);
        }
    }

    fn serve_starved_under(&mut self, max_total: usize, fx: &mut Effects<C>) {
        while self.waiting > 0 {
            let oldest = self
                .keys
                .iter()
                .filter(|(_, ks)| ks.open() < self.limits.max_per_key)
                .filter_map(|(k, ks)| ks.waiters.front().map(|&w| (self.waiters[w].seq, k)))
                .min();
            let Some((_, k)) = oldest else { return };
            if self.total >= max_total && !self.evict_lru(fx) {
                return;
            }
            let w = self.pop_waiter(k).expect("the chosen key has a waiter");
            self.keys[k].connecting += 1;
            self.total += 1;
            self.grant(w, Grant::Slot, fx);
        }
    }

    /// Ends a waiter that waited `waited`, keeping its event for the next one: a waiting acquire
    /// costs no allocation once the pool has seen as many waiters at once before.
    /// Returns the waiter's key and grant.
    fn remove_waiter(&mut self, w: WaiterId, waited: Duration) -> (KeyId, Option<Grant<C>>) {
        let waiter = self.waiters.remove(w);
        let counts = &mut self.keys[waiter.key].counts;
        counts.waits += 1;
        counts.wait_time = counts.wait_time.saturating_add(waited);
        if self.spare_events.len() < MAX_SPARE_EVENTS {
            self.spare_events.push(waiter.event);
        }
        (waiter.key, waiter.grant)
    }

    fn pop_waiter(&mut self, k: KeyId) -> Option<WaiterId> {
        let w = self.keys[k].waiters.pop_front()?;
        self.waiting -= 1;
        Some(w)
    }

    fn unqueue(&mut self, k: KeyId, w: WaiterId) {
        let queue = &mut self.keys[k].waiters;
        if let Some(at) = queue.iter().position(|&q| q == w) {
            queue.remove(at);
            self.waiting -= 1;
        }
    }

    fn grant(&mut self, w: WaiterId, grant: Grant<C>, fx: &mut Effects<C>) {
        let waiter = &mut self.waiters[w];
        waiter.grant = Some(grant);
        fx.wake(waiter.event.clone());
    }

    /// Whether a waiter has been handed its grant and not yet taken it. For tests.
    #[cfg(test)]
    pub(crate) fn is_granted(&self, w: WaiterId) -> bool {
        self.waiters[w].grant.is_some()
    }

    /// Panics if the counts disagree with each other or with the limits. For tests.
    #[cfg(test)]
    pub(crate) fn check_invariants(&self) {
        let open: usize = self.keys.iter().map(|(_, ks)| ks.open()).sum();
        assert_eq!(open, self.total, "total open");
        let queued: usize = self.keys.iter().map(|(_, ks)| ks.waiters.len()).sum();
        assert_eq!(queued, self.waiting, "waiting");
        for (_, ks) in self.keys.iter() {
            assert!(ks.open() <= self.limits.max_per_key, "per-key limit");
            let c = &ks.counts;
            assert_eq!(
                c.created,
                (ks.idle.len() + ks.busy) as u64 + c.closed_total(),
                "created = open + closed"
            );
            assert!(
                ks.idle
                    .iter()
                    .zip(ks.idle.iter().skip(1))
                    .all(|(a, b)| a.last_used <= b.last_used),
                "idle ordered by last use"
            );
            if !ks.waiters.is_empty() {
                assert!(ks.idle.is_empty(), "a key with waiters keeps no idle");
            }
        }
        if let Some(max) = self.limits.max_total {
            assert!(self.total <= max, "total limit");
        }
        // Liveness: a key with waiters is at its limit, or the pool is at its total with nothing
        // idle to evict.
        let idle_anywhere = self.keys.iter().any(|(_, ks)| !ks.idle.is_empty());
        for (_, ks) in self.keys.iter() {
            if !ks.waiters.is_empty() {
                let at_total = self.limits.max_total.is_some_and(|m| self.total >= m);
                assert!(
                    ks.open() >= self.limits.max_per_key || (at_total && !idle_anywhere),
                    "a waiter waits with room free"
                );
            }
        }
    }
}
