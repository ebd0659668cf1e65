//! What the pool needs to know of a connection, and the factory that makes them.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A connection the pool can keep: it can say whether it is still usable, may carry an idle
/// timeout of its own, and closes gracefully.
///
/// Every method has a default, so a plain value type can be pooled with an empty `impl`.
pub trait Connection: Send + 'static {
    /// Whether the connection can still carry work: a cheap, synchronous check (for example,
    /// whether the peer has closed it). The pool asks before handing an idle connection out and
    /// closes it instead when this returns `false`.
    fn is_usable(&self) -> bool {
        true
    }

    /// An idle timeout of this connection's own, such as the one an HTTP server announces with
    /// `Keep-Alive: timeout=N`. It can only shorten the pool's: the shorter of the two applies.
    /// `None` keeps the pool's. Asked off the pool's lock when the connection comes back; a panic
    /// counts as `None`.
    fn idle_timeout(&self) -> Option<Duration> {
        None
    }

    /// Takes the [`Hangup`](crate::Hangup) the pool hands a new connection once, off its lock,
    /// right after connecting. A connection that can learn by itself that it closed (a driver
    /// task that sees the peer's FIN) keeps it and raises it then, so that the pool drops the
    /// connection from its idle count at once; the pool reads the flag only, under its lock.
    /// Without it, a dead idle connection is found at checkout by `is_usable`, or expires. The
    /// default ignores it; a panic is ignored too.
    fn watch_hangup(&mut self, hangup: crate::Hangup) {
        let _ = hangup;
    }

    /// Checks asynchronously that an idle connection still works (a ping) before the pool hands
    /// it out: the connection if it does, `None` to drop it. The pool calls it off its lock, only
    /// for a connection idle for longer than the pool's
    /// [`check_after`](crate::pool::Builder::check_after), and bounds it by
    /// [`check_timeout`](crate::pool::Builder::check_timeout); a check that fails, panics or
    /// times out drops the connection, and the acquire goes on with the next one (or connects).
    /// The default checks nothing.
    fn check(self) -> impl Future<Output = Option<Self>> + Send + 'static
    where
        Self: Sized,
    {
        std::future::ready(Some(self))
    }

    /// Whether this connection can serve several acquires at once (an HTTP/2 connection's
    /// streams), and how: `None`, the default, hands it out to one acquire at a time. The pool
    /// asks once, off its lock, right after connecting; a panic counts as `None`, and so does a
    /// [`Multiplex`] of one stream.
    ///
    /// A multiplexed connection stays in the pool while acquires use it: each gets a handle of
    /// its own, made by [`Multiplex::new`]'s function (or given back by an earlier acquire), and
    /// the pool opens another connection to the key only when every stream is taken. A handle
    /// that comes back unusable retires the connection: it takes no new acquires, and closes when
    /// the last handle is back.
    fn multiplex(&self) -> Option<Multiplex<Self>>
    where
        Self: Sized,
    {
        None
    }

    /// Closes the connection gracefully. The pool runs this on its spawner, never under a lock;
    /// the default just drops the connection.
    fn close(self) -> impl Future<Output = ()> + Send + 'static
    where
        Self: Sized,
    {
        drop(self);
        std::future::ready(())
    }
}

/// The factory of connections to a destination key `K`.
///
/// Each connection type has its own factory; the pool calls [`connect`](Connect::connect) when a
/// key has no idle connection and is under its limits.
///
/// ```
/// use std::convert::Infallible;
/// use fusebox_core::{Connect, Connection};
///
/// struct Counter(u32);
/// impl Connection for Counter {}
///
/// struct Factory;
/// impl Connect<&'static str> for Factory {
///     type Conn = Counter;
///     type Error = Infallible;
///     async fn connect(&self, _key: &&'static str) -> Result<Counter, Infallible> {
///         Ok(Counter(0))
///     }
/// }
/// ```
pub trait Connect<K>: Send + Sync + 'static {
    /// The connections this factory makes.
    type Conn: Connection;
    /// Why a connection could not be made.
    type Error: StdError + Send + Sync + 'static;

    /// Establishes a new connection to `key`. The pool bounds it by its connect timeout; dropping
    /// the future abandons the attempt.
    fn connect(&self, key: &K) -> impl Future<Output = Result<Self::Conn, Self::Error>> + Send;

    /// Whether the connections this factory makes to `key` will be multiplexed
    /// ([`Connection::multiplex`]), when it knows before connecting (HTTP/2 by prior
    /// knowledge). Then acquires that arrive while one is being made wait for its streams
    /// instead of each making a connection; the pool also learns it from the first connection
    /// that turns out multiplexed. Asked off the pool's lock at every acquire, so it must be
    /// cheap; the default says no.
    fn multiplexes(&self, key: &K) -> bool {
        let _ = key;
        false
    }
}

/// How a multiplexed connection serves several acquires at once: up to `streams` of them, each
/// with a handle that `share` makes (see [`Connection::multiplex`]).
///
/// ```
/// use std::sync::Arc;
/// use fusebox_core::{Connection, Multiplex};
///
/// /// A handle to a connection that carries up to 8 requests at once.
/// #[derive(Clone)]
/// struct Shared(Arc<()>);
///
/// impl Connection for Shared {
///     fn multiplex(&self) -> Option<Multiplex<Self>> {
///         let handle = self.clone();
///         Some(Multiplex::new(8, move || Some(handle.clone())))
///     }
/// }
///
/// let conn = Shared(Arc::new(()));
/// assert_eq!(conn.multiplex().map(|m| m.streams()), Some(8));
/// ```
pub struct Multiplex<C> {
    /// The limit as last learnt: set under no lock, read by the pool's transitions.
    streams: AtomicUsize,
    share: Box<dyn Fn() -> Option<C> + Send + Sync>,
    limit: Option<Box<dyn Fn() -> usize + Send + Sync>>,
}

impl<C> Multiplex<C> {
    /// At most `streams` acquires at once, each handed a handle that `share` makes, off the
    /// pool's lock; `None` (or a panic) from it retires the connection. The pool may drop
    /// `share` (and what it holds) under its lock, so that drop must not call into the pool.
    pub fn new(streams: usize, share: impl Fn() -> Option<C> + Send + Sync + 'static) -> Self {
        Multiplex {
            streams: AtomicUsize::new(streams),
            share: Box::new(share),
            limit: None,
        }
    }

    /// Follows a limit that changes while the connection lives (HTTP/2's
    /// `SETTINGS_MAX_CONCURRENT_STREAMS`, which may arrive after the connection is made):
    /// `limit` says it as it is now, and the pool asks it off its lock each time a handle comes
    /// back. Under a lower limit it takes no more acquires until enough streams are back, and
    /// acquires get connections of their own (within the key's limit); a higher one serves
    /// waiters at once. A panic in `limit` keeps the limit last learnt.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use fusebox_core::Multiplex;
    ///
    /// let peer_limit = Arc::new(AtomicUsize::new(100));
    /// let seen = peer_limit.clone();
    /// let mux = Multiplex::new(100, || Some(())).with_limit(move || seen.load(Ordering::Relaxed));
    /// assert_eq!(mux.streams(), 100);
    /// # drop(peer_limit);
    /// ```
    #[must_use]
    pub fn with_limit(mut self, limit: impl Fn() -> usize + Send + Sync + 'static) -> Self {
        self.limit = Some(Box::new(limit));
        self
    }

    /// How many acquires the connection serves at once, as last learnt.
    pub fn streams(&self) -> usize {
        self.streams.load(Ordering::Relaxed)
    }

    /// Asks the limit given to [`with_limit`](Multiplex::with_limit) again, off the lock.
    pub(crate) fn refresh(&self) {
        if let Some(limit) = &self.limit
            && let Ok(now) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(limit))
            // Written only when it changed: every stream of the connection reads it.
            && now != self.streams()
        {
            self.streams.store(now, Ordering::Relaxed);
        }
    }

    /// Whether the limit is fixed (no [`with_limit`](Multiplex::with_limit)). For tests.
    #[cfg(test)]
    pub(crate) fn is_fixed(&self) -> bool {
        self.limit.is_none()
    }

    /// A new handle, with a panic taken as `None`.
    pub(crate) fn share(&self) -> Option<C> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.share)()))
            .ok()
            .flatten()
    }
}

impl<C> fmt::Debug for Multiplex<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Multiplex")
            .field("streams", &self.streams())
            .finish_non_exhaustive()
    }
}
