//! A deterministic clock for tests.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::{BoxFuture, Clock};

/// A clock whose time moves only when [`advance`](ManualClock::advance) is called.
///
/// It starts at the real instant of its creation and never reads the system clock again.
/// `advance` wakes every sleep whose deadline it reaches; the woken tasks run the next time their
/// executor polls them. Clones share one timeline.
///
/// ```
/// use std::time::Duration;
/// use fusebox_core::rt::{Clock, ManualClock};
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// let mut sleep = clock.sleep_until(start + Duration::from_secs(5));
/// assert!(futures_lite::future::block_on(futures_lite::future::poll_once(&mut sleep)).is_none());
/// clock.advance(Duration::from_secs(5));
/// assert!(futures_lite::future::block_on(futures_lite::future::poll_once(&mut sleep)).is_some());
/// assert_eq!(clock.now() - start, Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    shared: Arc<Mutex<Timeline>>,
}

struct Timeline {
    now: Instant,
    next_id: u64,
    /// Registered sleeps by (deadline, id), with the waker of their last poll.
    sleeps: BTreeMap<(Instant, u64), Waker>,
}

impl ManualClock {
    /// A clock standing at the current real instant.
    pub fn new() -> Self {
        ManualClock {
            shared: Arc::new(Mutex::new(Timeline {
                now: Instant::now(),
                next_id: 0,
                sleeps: BTreeMap::new(),
            })),
        }
    }

    /// Moves time forward by `by` and wakes every sleep whose deadline is now reached.
    pub fn advance(&self, by: Duration) {
        let due: Vec<Waker> = {
            let mut timeline = self.lock();
            timeline.now += by;
            let now = timeline.now;
            let later = timeline.sleeps.split_off(&(now, u64::MAX));
            std::mem::replace(&mut timeline.sleeps, later)
                .into_values()
                .collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    /// How many sleeps are registered and not yet due: a way for tests to see that a task has
    /// started waiting on a timer.
    pub fn pending_sleeps(&self) -> usize {
        self.lock().sleeps.len()
    }

    fn lock(&self) -> MutexGuard<'_, Timeline> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let timeline = self.lock();
        f.debug_struct("ManualClock")
            .field("now", &timeline.now)
            .field("pending_sleeps", &timeline.sleeps.len())
            .finish()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.lock().now
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        let id = {
            let mut timeline = self.lock();
            timeline.next_id += 1;
            timeline.next_id
        };
        Box::pin(ManualSleep {
            clock: self.clone(),
            key: (deadline, id),
        })
    }
}

/// The future of [`ManualClock::sleep_until`].
struct ManualSleep {
    clock: ManualClock,
    key: (Instant, u64),
}

impl Future for ManualSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut timeline = self.clock.lock();
        if timeline.now >= self.key.0 {
            timeline.sleeps.remove(&self.key);
            return Poll::Ready(());
        }
        timeline.sleeps.insert(self.key, cx.waker().clone());
        Poll::Pending
    }
}

impl Drop for ManualSleep {
    fn drop(&mut self) {
        self.clock.lock().sleeps.remove(&self.key);
    }
}
