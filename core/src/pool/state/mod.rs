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

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_listener::{Event, EventListener};
use foldhash::fast::RandomState;
use slab::Slab;

use super::stats::{Counts, Stats};
use crate::Connection;

/// Index of a destination key's state; stable while the key has anything open or waiting.
pub(crate) type KeyId = usize;
/// Index of a waiting acquire.
pub(crate) type WaiterId = usize;

/// The limits the state machine enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) max_per_key: usize,
    pub(crate) max_total: Option<usize>,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_lifetime: Option<Duration>,
}

/// A connection with the times the pool keeps for it.
#[derive(Debug)]
pub(crate) struct Idle<C> {
    pub(crate) conn: C,
    pub(crate) created: Instant,
    pub(crate) last_used: Instant,
}

impl<C: Connection> Idle<C> {
    pub(crate) fn new(conn: C, now: Instant) -> Self {
        Idle {
            conn,
            created: now,
            last_used: now,
        }
    }

    /// Expired once `now` reaches `last_used + idle timeout` (the connection's own timeout if it
    /// has one) or `created + max lifetime`: the boundary instant itself is expired.
    fn is_expired(&self, now: Instant, limits: &Limits) -> bool {
        let idle_timeout = self.conn.idle_timeout().unwrap_or(limits.idle_timeout);
        now.saturating_duration_since(self.last_used) >= idle_timeout
            || limits
                .max_lifetime
                .is_some_and(|l| now.saturating_duration_since(self.created) >= l)
    }

    fn is_reusable(&self, now: Instant, limits: &Limits) -> bool {
        !self.is_expired(now, limits) && self.conn.is_usable()
    }

    /// Whether a connection coming back from use at `now` must not be kept: unusable, past its
    /// maximum lifetime, or with an idle timeout of zero. (Its idle time is zero, so no other idle
    /// timeout can have run out.)
    pub(crate) fn is_spent(&self, now: Instant, limits: &Limits) -> bool {
        !self.conn.is_usable()
            || self.conn.idle_timeout() == Some(Duration::ZERO)
            || limits
                .max_lifetime
                .is_some_and(|l| now.saturating_duration_since(self.created) >= l)
    }
}

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

/// What the async layer must do once the lock is released.
#[derive(Debug)]
pub(crate) struct Effects<C> {
    /// Connections to close.
    pub(crate) close: Vec<C>,
    /// The first waiter to wake; most transitions wake at most one, and this keeps them from
    /// allocating.
    wake: Option<Arc<Event>>,
    /// Any further waiters to wake.
    wake_more: Vec<Arc<Event>>,
}

impl<C> Effects<C> {
    pub(crate) fn new() -> Self {
        Effects {
            close: Vec::new(),
            wake: None,
            wake_more: Vec::new(),
        }
    }

    fn wake(&mut self, event: Arc<Event>) {
        match self.wake {
            None => self.wake = Some(event),
            Some(_) => self.wake_more.push(event),
        }
    }

    /// Whether there is nothing to do: the common case, checked first.
    pub(crate) fn is_empty(&self) -> bool {
        self.wake.is_none() && self.close.is_empty()
    }

    /// Whether its vectors never allocated, so that forgetting it leaks nothing.
    #[inline]
    pub(crate) fn holds_no_memory(&self) -> bool {
        self.wake.is_none() && self.close.capacity() == 0 && self.wake_more.capacity() == 0
    }

    /// The waiters to wake, in the order they were granted.
    pub(crate) fn wakes(&mut self) -> impl Iterator<Item = Arc<Event>> + '_ {
        self.wake.take().into_iter().chain(self.wake_more.drain(..))
    }
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

impl<K: Eq + Hash + Clone, C: Connection> State<K, C> {
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
                if idle.is_reusable(now, &limits) {
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

    /// Takes the waiter's grant, with its key, if it has one, ending the waiter.
    pub(crate) fn take_grant(&mut self, w: WaiterId) -> Option<(Grant<C>, KeyId)> {
        self.waiters[w].grant.as_ref()?;
        let (k, grant) = self.remove_waiter(w);
        if let Some(Grant::Conn(_)) = grant {
            self.keys[k].counts.reused += 1;
        }
        Some((grant?, k))
    }

    /// The waiter's time ran out: it takes a grant that arrived meanwhile, or leaves the queue and
    /// counts as timed out.
    pub(crate) fn give_up(&mut self, w: WaiterId) -> Option<(Grant<C>, KeyId)> {
        if let Some(grant) = self.take_grant(w) {
            return Some(grant);
        }
        let (k, _) = self.remove_waiter(w);
        self.unqueue(k, w);
        self.keys[k].counts.timed_out += 1;
        None
    }

    /// The waiter was dropped: whatever it had been handed goes to the next in line.
    pub(crate) fn cancel(&mut self, w: WaiterId, fx: &mut Effects<C>) {
        let (k, grant) = self.remove_waiter(w);
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

    /// A busy connection comes back, stamped with its last use. (The pool checks whether to keep
    /// it off the lock and calls [`checkin_checked`](State::checkin_checked).)
    #[cfg(test)]
    pub(crate) fn checkin(&mut self, k: KeyId, idle: Idle<C>, now: Instant, fx: &mut Effects<C>) {
        let spent = idle.is_spent(now, &self.limits);
        self.checkin_checked(k, idle, spent, fx);
    }

    /// [`checkin`](State::checkin) of a connection already found spent or not by
    /// [`Idle::is_spent`], off the lock.
    pub(crate) fn checkin_checked(
        &mut self,
        k: KeyId,
        idle: Idle<C>,
        spent: bool,
        fx: &mut Effects<C>,
    ) {
        self.keys[k].busy -= 1;
        if !self.closed && spent {
            self.keys[k].counts.expired += 1;
            fx.close.push(idle.conn);
            self.free_slot(k, fx);
        } else {
            self.place(k, idle, fx);
        }
    }

    /// A busy connection will not come back (discarded by its user).
    pub(crate) fn discard(&mut self, k: KeyId, fx: &mut Effects<C>) {
        self.keys[k].busy -= 1;
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

    /// Closes idle connections that expired or became unusable, and forgets keys with nothing left.
    pub(crate) fn reap(&mut self, now: Instant, fx: &mut Effects<C>) {
        let limits = self.limits;
        let mut closed = 0;
        for (_, ks) in self.keys.iter_mut() {
            let before = ks.idle.len();
            let mut kept = VecDeque::with_capacity(before);
            for idle in ks.idle.drain(..) {
                if idle.is_reusable(now, &limits) {
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
            fx.close.push(idle.conn);
            self.total -= 1;
        }
        true
    }

    /// A connection is free for `k`: the longest waiter gets it, else it goes idle (or is closed,
    /// once the pool is).
    fn place(&mut self, k: KeyId, idle: Idle<C>, fx: &mut Effects<C>) {
        if self.closed {
            self.total -= 1;
            fx.close.push(idle.conn);
            return;
        }
        match self.pop_waiter(k) {
            Some(w) => {
                self.keys[k].busy += 1;
                self.grant(w, Grant::Conn(idle), fx);
            }
            None => {
                self.keys[k].idle.push_back(idle);
                self.serve_starved(fx);
            }
        }
    }

    /// `k` has one connection fewer: the longest waiter of `k` gets the slot, else any key's
    /// waiter that was held back by `max_total`.
    fn free_slot(&mut self, k: KeyId, fx: &mut Effects<C>) {
        self.total -= 1;
        match self.pop_waiter(k) {
            Some(w) => {
                self.keys[k].connecting += 1;
                self.total += 1;
                self.grant(w, Grant::Slot, fx);
            }
            None => self.serve_starved(fx),
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

    /// Ends a waiter, keeping its event for the next one: a waiting acquire costs no allocation
    /// once the pool has seen as many waiters at once before.
    /// Returns the waiter's key and grant.
    fn remove_waiter(&mut self, w: WaiterId) -> (KeyId, Option<Grant<C>>) {
        let waiter = self.waiters.remove(w);
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
            if !ks.waiters.is_empty() {
                assert!(ks.idle.is_empty(), "a key with waiters keeps no idle");
            }
        }
        if let Some(max) = self.limits.max_total {
            assert!(self.total <= max, "total limit");
        }
    }
}
