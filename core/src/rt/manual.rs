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
/// executor polls them (with a [`ManualSpawner`](super::ManualSpawner), at its next
/// [`run_until_stalled`](super::ManualSpawner::run_until_stalled)). Clones share one timeline.
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
        let mut timeline = self.lock();
        timeline.now += by;
        wake_due(timeline);
    }

    /// Moves time to [`next_deadline`](ManualClock::next_deadline) and wakes the sleeps due then;
    /// returns that instant. Does nothing and returns `None` if nothing sleeps.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::future::{block_on, poll_once};
    /// use fusebox_core::rt::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let start = clock.now();
    /// let mut sleep = clock.sleep_from(start, Duration::from_secs(3));
    /// assert!(block_on(poll_once(&mut sleep)).is_none());
    /// assert_eq!(clock.advance_to_next(), Some(start + Duration::from_secs(3)));
    /// assert!(block_on(poll_once(&mut sleep)).is_some());
    /// assert_eq!(clock.advance_to_next(), None);
    /// ```
    pub fn advance_to_next(&self) -> Option<Instant> {
        let mut timeline = self.lock();
        let (deadline, _) = *timeline.sleeps.keys().next()?;
        timeline.now = timeline.now.max(deadline);
        wake_due(timeline);
        Some(deadline)
    }

    /// The deadline of the earliest sleep that is registered and not yet due, or `None` if nothing
    /// sleeps: when the next timer of the code under test fires, so that a test can advance just
    /// that far.
    ///
    /// A sleep registers at its first poll: a future from [`sleep_until`](Clock::sleep_until)
    /// that was never polled (such as a task that has not run yet) is not counted.
    ///
    /// ```
    /// use std::time::Duration;
    /// use futures_lite::future::{block_on, poll_once};
    /// use fusebox_core::rt::{Clock, ManualClock};
    ///
    /// let clock = ManualClock::new();
    /// let start = clock.now();
    /// assert_eq!(clock.next_deadline(), None);
    /// let mut late = clock.sleep_until(start + Duration::from_secs(9));
    /// let mut soon = clock.sleep_until(start + Duration::from_secs(2));
    /// assert_eq!(clock.next_deadline(), None); // not polled yet
    /// assert!(block_on(poll_once(&mut late)).is_none());
    /// assert!(block_on(poll_once(&mut soon)).is_none());
    /// assert_eq!(clock.next_deadline(), Some(start + Duration::from_secs(2)));
    /// drop(soon);
    /// assert_eq!(clock.next_deadline(), Some(start + Duration::from_secs(9)));
    /// ```
    pub fn next_deadline(&self) -> Option<Instant> {
        self.lock()
            .sleeps
            .keys()
            .next()
            .map(|&(deadline, _)| deadline)
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

/// Takes the sleeps that `timeline.now` has reached out of it and wakes them after unlocking.
fn wake_due(mut timeline: MutexGuard<'_, Timeline>) {
    let now = timeline.now;
    let later = timeline.sleeps.split_off(&(now, u64::MAX));
    let due = std::mem::replace(&mut timeline.sleeps, later);
    drop(timeline);
    due.into_values().for_each(Waker::wake);
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
