//! "The runtime" a scenario runs on: tokio, smol, or the manual clock with an executor ticked by
//! hand.
//!
//! A scenario is an `async` function taking `&impl Harness`. It builds its pool with the harness's
//! clock and spawner, spawns tasks with [`Harness::spawn`], and waits for anything that another task
//! must do with [`Harness::settle`] or [`Harness::join`], never by awaiting a foreign future
//! directly: under the manual clock, that is what lets the executor run, and under real runtimes it
//! bounds every wait, so that a bug fails the test instead of hanging it.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use event_listener::Event;
use fusebox_core::rt::{BoxFuture, Clock, Spawner};
use futures_lite::FutureExt;

mod manual;
mod real;

pub use manual::ManualHarness;
pub use real::{SmolHarness, TokioHarness};

/// How long a real-time [`Harness::settle`] waits for its condition before failing the test.
pub const SETTLE_BOUND: Duration = Duration::from_secs(5);

/// How long a whole scenario may take under a real runtime before it fails.
const RUN_BOUND: Duration = Duration::from_secs(20);

/// The runtime a scenario runs on.
pub trait Harness {
    /// A short name for messages.
    fn name(&self) -> &'static str;

    /// The clock to build pools with.
    fn clock(&self) -> Arc<dyn Clock>;

    /// The spawner to build pools with; also runs [`spawn`](Harness::spawn)ed tasks.
    fn spawner(&self) -> Arc<dyn Spawner>;

    /// Runs a scenario to completion on this runtime.
    ///
    /// # Panics
    ///
    /// If the scenario panics, if a task spawned on the harness's spawner panicked (the pool's
    /// reaper or a close, which a runtime would swallow), or if the scenario does not finish in
    /// time (real runtimes) or stalls with nothing left to run (manual clock).
    fn run<T>(&self, scenario: impl Future<Output = T>) -> T;

    /// Lets other tasks run until `cond` holds.
    ///
    /// # Panics
    ///
    /// If `cond` does not hold within [`SETTLE_BOUND`] (real runtimes), or once no task can run
    /// (manual clock): `what` says what was awaited.
    fn settle<'a>(
        &'a self,
        what: &'a str,
        cond: impl FnMut() -> bool + 'a,
    ) -> impl Future<Output = ()> + 'a;

    /// Lets time pass on the harness's clock, at least a little, so that two events get distinct
    /// instants: the manual clock advances 1 ms, a real clock is waited on (without sleeping) until
    /// it moves.
    fn let_time_pass(&self);

    /// Spawns `task` on the runtime; its output is collected by [`join`](Harness::join).
    fn spawn<T: Send + 'static>(&self, task: impl Future<Output = T> + Send + 'static) -> Task<T> {
        let slot = Arc::new(TaskSlot {
            value: Mutex::new(None),
            done: AtomicBool::new(false),
            event: Event::new(),
        });
        let filled = slot.clone();
        self.spawner().spawn(Box::pin(async move {
            let value = task.await;
            *filled.value.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            filled.done.store(true, Ordering::SeqCst);
            filled.event.notify(usize::MAX);
        }));
        Task { slot }
    }

    /// Waits, as [`settle`](Harness::settle) does, for `task` to finish, and returns its output.
    fn join<'a, T: 'a>(&'a self, task: Task<T>) -> impl Future<Output = T> + 'a {
        async move {
            self.settle("a spawned task to finish", || task.is_finished())
                .await;
            task.try_take().expect("a finished task has its output")
        }
    }
}

/// A harness whose clock a test moves by hand.
pub trait TimeControl: Harness {
    /// Moves the clock forward by `by`, waking the sleeps that come due (they run when the
    /// executor next runs).
    fn advance(&self, by: Duration);

    /// Sleeps registered with the clock and not yet due.
    fn pending_sleeps(&self) -> usize;

    /// Runs every task that is ready to run, until none is.
    fn run_ready(&self);
}

/// A task spawned by [`Harness::spawn`].
pub struct Task<T> {
    slot: Arc<TaskSlot<T>>,
}

struct TaskSlot<T> {
    value: Mutex<Option<T>>,
    done: AtomicBool,
    event: Event,
}

impl<T> Task<T> {
    /// Whether the task has finished.
    pub fn is_finished(&self) -> bool {
        self.slot.done.load(Ordering::SeqCst)
    }

    /// The task's output, if it has finished and the output was not taken yet.
    pub fn try_take(&self) -> Option<T> {
        self.slot
            .value
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Wraps a runtime's spawner: runs each task under `catch_unwind` and counts the tasks that
/// panicked, so that [`Harness::run`] can fail a scenario whose background task (the reaper, a
/// close) panicked where the runtime would have swallowed it.
struct CatchPanics {
    inner: Arc<dyn Spawner>,
    panics: Arc<AtomicUsize>,
}

impl Spawner for CatchPanics {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        let panics = self.panics.clone();
        self.inner.spawn(Box::pin(async move {
            if AssertUnwindSafe(task).catch_unwind().await.is_err() {
                panics.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
}

/// Fails the test if a background task of the scenario panicked.
#[track_caller]
fn check_no_panics(panics: &AtomicUsize, harness: &str) {
    let n = panics.load(Ordering::SeqCst);
    assert_eq!(n, 0, "{harness}: {n} spawned task(s) panicked");
}

/// Waits without sleeping until a real clock has moved past `since`.
fn spin_until_after(clock: &dyn Clock, since: Instant) {
    let bound = Instant::now() + SETTLE_BOUND;
    while clock.now() <= since {
        assert!(Instant::now() < bound, "the clock does not move");
        std::hint::spin_loop();
    }
}

/// Fails the test with `what` if `bound` has passed.
#[track_caller]
fn check_bound(bound: Instant, harness: &str, what: &str) {
    assert!(
        Instant::now() < bound,
        "{harness}: gave up after {SETTLE_BOUND:?} waiting for {what}"
    );
}
