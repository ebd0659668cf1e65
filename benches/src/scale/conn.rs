//! A connection whose idle timeout the benchmark chooses, so that a known share expires per tick.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use fusebox_core::{Connect, Connection};

/// Out of every hundred connections made, those whose serial number ends in `0..groups` expire:
/// one percent of the pool per group.
const PER_HUNDRED: u64 = 100;

/// A pooled connection that announces an idle timeout of its own, or none.
#[derive(Debug)]
pub struct Timed {
    /// The timeout it announces; `None` keeps the pool's.
    pub timeout: Option<Duration>,
    /// How many times it was checked out, so that each checkout touches it.
    pub uses: u64,
}

impl Connection for Timed {
    fn idle_timeout(&self) -> Option<Duration> {
        self.timeout
    }
}

/// Which connections get a timeout of their own.
///
/// Group `g` (`g < groups`) is one percent of the connections made, and times out after
/// `interval * g + interval / 2` idle: group 0 expires at the reaper's first tick after it was
/// returned, group 1 at the second, and so on, so each tick finds one percent due. The others, and
/// every connection of the key `spared`, keep the pool's timeout.
#[derive(Clone, Copy, Debug)]
pub struct Expiry {
    /// How many groups of one percent expire, one per tick; 0 for none.
    pub groups: u64,
    /// The reaper's interval.
    pub interval: Duration,
    /// A key whose connections never get a timeout of their own (the hot key of a latency run).
    pub spared: Option<u32>,
}

impl Expiry {
    /// No connection with a timeout of its own.
    pub fn none(interval: Duration) -> Expiry {
        Expiry {
            groups: 0,
            interval,
            spared: None,
        }
    }

    fn timeout(&self, key: u32, serial: u64) -> Option<Duration> {
        let group = serial % PER_HUNDRED;
        if group >= self.groups || self.spared == Some(key) {
            return None;
        }
        let group = u32::try_from(group).expect("under a hundred");
        Some(self.interval * group + self.interval / 2)
    }
}

/// Makes [`Timed`] connections at once, numbering them to follow the [`Expiry`] plan.
#[derive(Clone, Debug)]
pub struct TimedFactory {
    expiry: Expiry,
    made: Arc<AtomicU64>,
}

impl TimedFactory {
    /// A factory following `expiry`.
    pub fn new(expiry: Expiry) -> TimedFactory {
        TimedFactory {
            expiry,
            made: Arc::default(),
        }
    }
}

impl Connect<u32> for TimedFactory {
    type Conn = Timed;
    type Error = Infallible;

    async fn connect(&self, key: &u32) -> Result<Timed, Infallible> {
        let serial = self.made.fetch_add(1, Ordering::Relaxed);
        Ok(Timed {
            timeout: self.expiry.timeout(*key, serial),
            uses: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_percent_per_group_expires_one_tick_later_each() {
        let interval = Duration::from_millis(20);
        let plan = Expiry {
            groups: 3,
            interval,
            spared: Some(7),
        };
        let timeouts: Vec<_> = (0..200).filter_map(|s| plan.timeout(1, s)).collect();
        assert_eq!(timeouts.len(), 6);
        assert_eq!(timeouts[0], Duration::from_millis(10));
        assert_eq!(timeouts[2], Duration::from_millis(50));
        assert_eq!(plan.timeout(7, 0), None);
        assert_eq!(Expiry::none(interval).timeout(1, 0), None);
    }
}
