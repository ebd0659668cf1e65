//! A pooled connection with the times the pool keeps for it, the limits it is judged by, and
//! the checks that ask the connection itself, which run off the lock.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::{Connection, Multiplex};

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
    /// The first instant it counts as expired: its last use plus the pool's idle timeout
    /// (shortened by the connection's own when it came back), or its creation plus the maximum
    /// lifetime, whichever comes first; `None` if neither can be expressed. Computed when it
    /// comes back, off the lock, so that the checks under the lock only compare.
    pub(crate) expires: Option<Instant>,
    /// Set by the connection's [`Hangup`](crate::Hangup) once it knows it is closed.
    pub(crate) hung_up: Arc<AtomicBool>,
    /// For a multiplexed connection: `conn` is one of its handles, and this makes more (see
    /// `shared.rs`).
    pub(crate) mux: Option<Arc<Multiplex<C>>>,
}

/// Why a connection must not be used again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spent {
    /// Past its idle timeout or its maximum lifetime.
    Expired,
    /// It says it cannot carry work (or its check panicked).
    Unusable,
}

impl<C> Idle<C> {
    pub(crate) fn new(conn: C, now: Instant, limits: &Limits) -> Self {
        Idle {
            conn,
            created: now,
            last_used: now,
            expires: expiry(now, now, limits.idle_timeout, limits),
            hung_up: Arc::default(),
            mux: None,
        }
    }

    /// Whether the connection raised its hang-up: a flag of the pool's, safe under the lock.
    pub(crate) fn is_hung_up(&self) -> bool {
        self.hung_up.load(Ordering::Acquire)
    }

    /// Expired once `now` reaches `last_used + idle timeout` or `created + max lifetime`: the
    /// boundary instant itself is expired. Reads only the stored times: safe under the lock.
    pub(crate) fn is_expired(&self, now: Instant) -> bool {
        self.expires.is_some_and(|at| now >= at)
    }

    fn is_past_lifetime(&self, now: Instant, limits: &Limits) -> bool {
        limits
            .max_lifetime
            .is_some_and(|l| now.saturating_duration_since(self.created) >= l)
    }
}

impl<C> Idle<C> {
    /// Whether the reaper must close it: hung up or expired. Reads only what the pool keeps, so
    /// it is safe under the lock.
    pub(crate) fn reap_check(&self, now: Instant) -> Result<(), Spent> {
        if self.is_hung_up() {
            Err(Spent::Unusable)
        } else if self.is_expired(now) {
            Err(Spent::Expired)
        } else {
            Ok(())
        }
    }
}

impl<C: Connection> Idle<C> {
    /// Whether a connection about to be handed out at `now` may be: not expired and usable.
    /// Gives how long it has been idle. Asks the connection, so call it off the lock.
    pub(crate) fn check_out_check(&self, now: Instant) -> Result<Duration, Spent> {
        let idle_for = now.saturating_duration_since(self.last_used);
        if self.is_expired(now) {
            Err(Spent::Expired)
        } else if self.is_hung_up() || !usable(&self.conn) {
            Err(Spent::Unusable)
        } else {
            Ok(idle_for)
        }
    }

    /// A connection coming back from use at `now`: stamps its last use, takes its own idle
    /// timeout (which can only shorten the pool's), and says whether it must not be kept.
    /// Asks the connection, so call it off the lock.
    pub(crate) fn check_in_check(&mut self, now: Instant, limits: &Limits) -> Result<(), Spent> {
        self.last_used = now;
        let idle_timeout = own_idle_timeout(&self.conn)
            .map_or(limits.idle_timeout, |own| own.min(limits.idle_timeout));
        self.expires = expiry(self.created, now, idle_timeout, limits);
        if self.is_hung_up() || !usable(&self.conn) {
            Err(Spent::Unusable)
        } else if idle_timeout.is_zero() || self.is_past_lifetime(now, limits) {
            Err(Spent::Expired)
        } else {
            Ok(())
        }
    }
}

/// When a connection made at `created`, last used at `last_used`, expires.
fn expiry(
    created: Instant,
    last_used: Instant,
    idle_timeout: Duration,
    limits: &Limits,
) -> Option<Instant> {
    let idle_end = last_used.checked_add(idle_timeout);
    let life_end = (limits.max_lifetime).and_then(|l| created.checked_add(l));
    match (idle_end, life_end) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// `Connection::is_usable`, with a panic taken as "not usable".
fn usable<C: Connection>(conn: &C) -> bool {
    catch_unwind(AssertUnwindSafe(|| conn.is_usable())).unwrap_or(false)
}

/// `Connection::idle_timeout`, with a panic taken as "none of its own".
fn own_idle_timeout<C: Connection>(conn: &C) -> Option<Duration> {
    catch_unwind(AssertUnwindSafe(|| conn.idle_timeout())).unwrap_or(None)
}

/// Puts `idle` in `list`, which is kept oldest-used first, in its place by last use: at the back
/// when it was just used, further in when it comes back from a cancelled hand-off.
#[inline]
pub(crate) fn insert_by_last_use<C>(list: &mut VecDeque<Idle<C>>, idle: Idle<C>) {
    // The common case, a return from use, is a push: `insert` at the end costs twice as much.
    if list
        .back()
        .is_none_or(|last| last.last_used <= idle.last_used)
    {
        return list.push_back(idle);
    }
    let at = list
        .iter()
        .rposition(|other| other.last_used <= idle.last_used)
        .map_or(0, |i| i + 1);
    list.insert(at, idle);
}
