//! The pool's errors: building it, and acquiring from it.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

/// Why [`Builder::build`](super::Builder::build) refused a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// `max_per_key` was not set: the pool needs a limit per destination.
    MissingMaxPerKey,
    /// No clock and spawner were given.
    MissingRuntime,
    /// A limit or duration that must be positive was zero; names the builder method.
    Zero(&'static str),
    /// `max_total` is below `max_per_key`, so no key could ever reach its own limit.
    MaxTotalBelowMaxPerKey {
        /// The total limit given.
        max_total: usize,
        /// The per-key limit given.
        max_per_key: usize,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::MissingMaxPerKey => {
                f.write_str("max_per_key is required: call .max_per_key(n) with n > 0")
            }
            BuildError::MissingRuntime => f.write_str(
                "no runtime: call .runtime(rt) with a fusebox-tokio or fusebox-smol runtime, or .clock(..) and .spawner(..)",
            ),
            BuildError::Zero(what) => write!(f, "{what} must be greater than zero"),
            BuildError::MaxTotalBelowMaxPerKey {
                max_total,
                max_per_key,
            } => write!(
                f,
                "max_total ({max_total}) is below max_per_key ({max_per_key}): raise max_total or lower max_per_key"
            ),
        }
    }
}

impl StdError for BuildError {}

/// Why [`Pool::acquire`](super::Pool::acquire) gave no connection. `E` is the factory's error.
#[non_exhaustive]
pub enum AcquireError<E> {
    /// No connection became available within the allowed wait ([`Wait::None`](super::Wait::None)
    /// waits zero).
    Timeout {
        /// How long the acquire waited.
        waited: Duration,
    },
    /// The pool was closed, before or while the acquire waited.
    Closed,
    /// The factory failed to connect.
    Connect(E),
    /// The factory did not connect within the pool's connect timeout.
    ConnectTimeout(Duration),
}

impl<E> AcquireError<E> {
    /// Whether the acquire ran out of time waiting for a connection (not connecting).
    pub fn is_timeout(&self) -> bool {
        matches!(self, AcquireError::Timeout { .. })
    }

    /// Whether the pool was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, AcquireError::Closed)
    }

    /// Whether making a new connection failed or timed out.
    pub fn is_connect(&self) -> bool {
        matches!(
            self,
            AcquireError::Connect(_) | AcquireError::ConnectTimeout(_)
        )
    }
}

impl<E: fmt::Debug> fmt::Debug for AcquireError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireError::Timeout { waited } => {
                f.debug_struct("Timeout").field("waited", waited).finish()
            }
            AcquireError::Closed => f.write_str("Closed"),
            AcquireError::Connect(e) => f.debug_tuple("Connect").field(e).finish(),
            AcquireError::ConnectTimeout(d) => f.debug_tuple("ConnectTimeout").field(d).finish(),
        }
    }
}

impl<E: fmt::Display> fmt::Display for AcquireError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcquireError::Timeout { waited } if waited.is_zero() => f.write_str(
                "no connection available and the acquire may not wait: raise max_per_key or pass a Wait",
            ),
            AcquireError::Timeout { waited } => write!(
                f,
                "no connection became available within {waited:?}: raise max_per_key or wait longer"
            ),
            AcquireError::Closed => f.write_str("the pool is closed"),
            AcquireError::Connect(e) => write!(f, "could not connect: {e}"),
            AcquireError::ConnectTimeout(d) => write!(
                f,
                "connecting took longer than the connect timeout of {d:?}: raise connect_timeout or check the destination"
            ),
        }
    }
}

impl<E: StdError + 'static> StdError for AcquireError<E> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            AcquireError::Connect(e) => Some(e),
            _ => None,
        }
    }
}
