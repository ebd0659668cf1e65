//! How long an acquire may wait for a connection.

use std::fmt;
use std::time::Duration;

/// How long [`Pool::acquire`](super::Pool::acquire) waits when a key is at its limit.
///
/// The seed design spoke of a signed timeout in milliseconds; [`Wait::from_millis`] converts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wait {
    /// Wait until a connection is available (seed: `-1`).
    Forever,
    /// Do not wait: fail at once when none is available (seed: `0`).
    None,
    /// Wait up to this long (seed: `> 0`). A zero duration behaves as [`Wait::None`].
    Up(Duration),
}

impl Wait {
    /// Converts the seed's signed milliseconds: `-1` waits forever, `0` not at all, a positive
    /// value that many milliseconds.
    ///
    /// # Errors
    ///
    /// Any other negative value: there is no meaning to give it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use fusebox_core::Wait;
    ///
    /// assert_eq!(Wait::from_millis(-1), Ok(Wait::Forever));
    /// assert_eq!(Wait::from_millis(0), Ok(Wait::None));
    /// assert_eq!(Wait::from_millis(250), Ok(Wait::Up(Duration::from_millis(250))));
    /// assert!(Wait::from_millis(-2).is_err());
    /// ```
    pub fn from_millis(millis: i64) -> Result<Wait, WaitError> {
        match millis {
            -1 => Ok(Wait::Forever),
            0 => Ok(Wait::None),
            m if m > 0 => Ok(Wait::Up(Duration::from_millis(m.unsigned_abs()))),
            m => Err(WaitError { millis: m }),
        }
    }

    /// The time this wait allows, or `None` for [`Wait::Forever`].
    pub(crate) fn limit(self) -> Option<Duration> {
        match self {
            Wait::Forever => None,
            Wait::None => Some(Duration::ZERO),
            Wait::Up(d) => Some(d),
        }
    }
}

impl TryFrom<i64> for Wait {
    type Error = WaitError;

    fn try_from(millis: i64) -> Result<Wait, WaitError> {
        Wait::from_millis(millis)
    }
}

/// A signed millisecond timeout below `-1`, which [`Wait::from_millis`] rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitError {
    millis: i64,
}

impl WaitError {
    /// The rejected value.
    pub fn millis(&self) -> i64 {
        self.millis
    }
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid wait of {} ms: use -1 to wait forever, 0 not to wait, or a positive number of milliseconds",
            self.millis
        )
    }
}

impl std::error::Error for WaitError {}
