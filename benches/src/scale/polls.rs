//! A spawner that notes the longest single poll of the pool's reaper.
//!
//! Within one poll the reaper takes a shard's lock, works one bounded batch and releases it; it
//! yields when that shard has more, else goes on to the next shard in the same poll. So its
//! longest poll is an upper bound of its longest hold of one lock, what an acquire of that shard
//! can wait for it, measured on one thread: only that thread's preemption adds to it, which a
//! median over ticks leaves out.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use fusebox_core::rt::{BoxFuture, ManualSpawner, Spawner};

/// A [`ManualSpawner`] that times every poll of the first task spawned on it: the reaper, which
/// a pool spawns as it is built. Later tasks (the closes) run as they are.
#[derive(Clone, Debug)]
pub struct LongestPoll {
    inner: ManualSpawner,
    spawned: Arc<AtomicUsize>,
    longest_ns: Arc<AtomicU64>,
}

impl LongestPoll {
    /// Times the first task spawned on `inner` through it.
    pub fn new(inner: ManualSpawner) -> LongestPoll {
        LongestPoll {
            inner,
            spawned: Arc::default(),
            longest_ns: Arc::default(),
        }
    }

    /// The longest poll since the last call, and starts over.
    pub fn take(&self) -> Duration {
        Duration::from_nanos(self.longest_ns.swap(0, Ordering::Relaxed))
    }
}

impl Spawner for LongestPoll {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        if self.spawned.fetch_add(1, Ordering::Relaxed) == 0 {
            let longest_ns = self.longest_ns.clone();
            self.inner.spawn(Box::pin(TimedPolls { task, longest_ns }));
        } else {
            self.inner.spawn(task);
        }
    }
}

/// A task whose polls are timed.
struct TimedPolls {
    task: BoxFuture<'static, ()>,
    longest_ns: Arc<AtomicU64>,
}

impl Future for TimedPolls {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let start = Instant::now();
        let outcome = self.task.as_mut().poll(cx);
        let ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.longest_ns.fetch_max(ns, Ordering::Relaxed);
        outcome
    }
}
