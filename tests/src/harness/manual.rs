//! The manual clock, with an executor ticked by hand.

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use async_executor::Executor;
use fusebox_core::rt::{BoxFuture, Clock, ManualClock, Spawner};

use super::{CatchPanics, Harness, TimeControl, check_no_panics};

/// The manual clock, with an executor that runs only when the scenario waits.
///
/// Fully deterministic: tasks run only inside [`settle`](Harness::settle), [`join`](Harness::join)
/// and [`run_ready`](TimeControl::run_ready), or while the scenario itself is pending; time moves
/// only by [`advance`](TimeControl::advance). A wait that nothing can satisfy fails at once.
pub struct ManualHarness {
    clock: ManualClock,
    executor: Arc<Executor<'static>>,
    panics: Arc<AtomicUsize>,
}

impl ManualHarness {
    /// A harness whose clock stands still until advanced.
    pub fn new() -> Self {
        ManualHarness {
            clock: ManualClock::new(),
            executor: Arc::new(Executor::new()),
            panics: Arc::default(),
        }
    }

    /// The clock itself.
    pub fn manual_clock(&self) -> &ManualClock {
        &self.clock
    }
}

impl Default for ManualHarness {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualHarness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualHarness")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// Spawns onto an executor that the [`ManualHarness`] ticks.
struct ExecutorSpawner(Arc<Executor<'static>>);

impl Spawner for ExecutorSpawner {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.0.spawn(task).detach();
    }
}

/// Counts the wakeups of the scenario future under [`ManualHarness::run`].
#[derive(Default)]
struct Woken(AtomicUsize);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl Woken {
    fn take(&self) -> bool {
        self.0.swap(0, Ordering::SeqCst) > 0
    }
}

impl Harness for ManualHarness {
    fn name(&self) -> &'static str {
        "manual clock"
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.clock.clone())
    }

    fn spawner(&self) -> Arc<dyn Spawner> {
        Arc::new(CatchPanics {
            inner: Arc::new(ExecutorSpawner(self.executor.clone())),
            panics: self.panics.clone(),
        })
    }

    fn run<T>(&self, scenario: impl Future<Output = T>) -> T {
        let woken = Arc::new(Woken::default());
        let waker = Waker::from(woken.clone());
        let mut cx = Context::from_waker(&waker);
        let mut scenario = pin!(scenario);
        loop {
            if let Poll::Ready(output) = scenario.as_mut().poll(&mut cx) {
                check_no_panics(&self.panics, "manual clock");
                return output;
            }
            // Run tasks until one of them wakes the scenario.
            while !woken.take() {
                assert!(
                    self.executor.try_tick(),
                    "manual clock: the scenario is pending and no task can run (time moves only \
                     when the test advances it)"
                );
            }
        }
    }

    async fn settle<'a>(&'a self, what: &'a str, mut cond: impl FnMut() -> bool + 'a) {
        while !cond() {
            assert!(
                self.executor.try_tick(),
                "manual clock: no task can run, and still waiting for {what}"
            );
        }
    }

    fn let_time_pass(&self) {
        self.clock.advance(Duration::from_millis(1));
    }
}

impl TimeControl for ManualHarness {
    fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    fn pending_sleeps(&self) -> usize {
        self.clock.pending_sleeps()
    }

    fn run_ready(&self) {
        while self.executor.try_tick() {}
    }
}
