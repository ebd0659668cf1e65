//! A spawner that logs when each poll of the pool's reaper (the first task spawned) and of its
//! close tasks (the later ones) began and ended: for the reaper row, its longest poll; for the
//! latency row, which slow acquires ran while one of the pool's own tasks was being polled.
//!
//! Within one poll the reaper takes a shard's lock, works one bounded batch, releases it and
//! yields, so its longest poll bounds from above its longest hold of one lock: what an acquire of
//! that shard can wait for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use fusebox_core::rt::{BoxFuture, Spawner};

/// One poll of a pool task: whether it was the reaper's, and when it began and ended.
pub type Polled = (bool, Instant, Instant);

/// Wraps a runtime's spawner and logs every poll of the tasks spawned through it.
#[derive(Clone)]
pub struct PollLog {
    inner: Arc<dyn Spawner>,
    spawned: Arc<AtomicUsize>,
    polls: Arc<Mutex<Vec<Polled>>>,
}

impl PollLog {
    /// Logs the tasks spawned on `inner` through it.
    pub fn new(inner: Arc<dyn Spawner>) -> PollLog {
        PollLog {
            inner,
            spawned: Arc::default(),
            polls: Arc::default(),
        }
    }

    /// The polls logged since the last call, taken out of the log.
    pub fn take(&self) -> Vec<Polled> {
        std::mem::take(&mut self.polls.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl std::fmt::Debug for PollLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollLog").finish_non_exhaustive()
    }
}

impl Spawner for PollLog {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        let reaper = self.spawned.fetch_add(1, Ordering::Relaxed) == 0;
        let polls = self.polls.clone();
        self.inner.spawn(Box::pin(Logged {
            task,
            reaper,
            polls,
        }));
    }
}

struct Logged {
    task: BoxFuture<'static, ()>,
    reaper: bool,
    polls: Arc<Mutex<Vec<Polled>>>,
}

impl Future for Logged {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let start = Instant::now();
        let outcome = self.task.as_mut().poll(cx);
        let end = Instant::now();
        let entry = (self.reaper, start, end);
        (self.polls.lock().unwrap_or_else(PoisonError::into_inner)).push(entry);
        outcome
    }
}

/// Of the `slow` acquires (their start and end), how many overlapped a poll of the reaper, and
/// how many a poll of a close task.
pub fn attribute(slow: &[(Instant, Instant)], polls: &[Polled]) -> (usize, usize) {
    let overlaps = |reaper: bool, (a, b): (Instant, Instant)| {
        (polls.iter()).any(|&(r, s, e)| r == reaper && s < b && a < e)
    };
    let in_reaper = slow.iter().filter(|&&s| overlaps(true, s)).count();
    let in_close = slow.iter().filter(|&&s| overlaps(false, s)).count();
    (in_reaper, in_close)
}

/// The longest poll of the reaper and of a close task, in microseconds.
pub fn longest(polls: &[Polled]) -> (f64, f64) {
    let most = |reaper: bool| {
        (polls.iter())
            .filter(|p| p.0 == reaper)
            .map(|&(_, s, e)| (e - s).as_secs_f64() * 1e6)
            .fold(0.0, f64::max)
    };
    (most(true), most(false))
}
