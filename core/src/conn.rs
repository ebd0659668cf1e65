//! What the pool needs to know of a connection, and the factory that makes them.

use std::error::Error as StdError;
use std::future::Future;
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
}
