//! A spawner for tests: it keeps its tasks and runs them only when asked.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use super::{BoxFuture, Spawner};

/// A [`Spawner`] that keeps the tasks spawned on it and runs them only in
/// [`run_until_stalled`](ManualSpawner::run_until_stalled), on the caller's thread.
///
/// With a [`ManualClock`](super::ManualClock) it makes background work deterministic: the pool's
/// reaper and connection closes, the breaker's recovery probes run exactly when a test says so.
/// Each task has a waker of its own, and a run polls only the tasks that were woken (a new task
/// counts as woken), so a task waiting on a sleep that [`ManualClock::advance`](super::ManualClock::advance) woke, or on
/// another task, is polled again in the same run. Clones share one set of tasks; tasks not done
/// when the last clone is dropped are dropped with it.
///
/// Driving a pool's reaper by hand:
///
/// ```
/// use std::convert::Infallible;
/// use std::future::Future;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
/// use std::time::Duration;
/// use futures_lite::future::block_on;
/// use fusebox_core::rt::{Clock, ManualClock, ManualSpawner};
/// use fusebox_core::{Connect, Connection, Pool, Wait};
///
/// /// Counts the closes of its connections.
/// struct Conn(Arc<AtomicUsize>);
/// impl Connection for Conn {
///     fn close(self) -> impl Future<Output = ()> + Send + 'static {
///         self.0.fetch_add(1, SeqCst);
///         std::future::ready(())
///     }
/// }
///
/// struct Factory(Arc<AtomicUsize>);
/// impl Connect<&'static str> for Factory {
///     type Conn = Conn;
///     type Error = Infallible;
///     async fn connect(&self, _key: &&'static str) -> Result<Conn, Infallible> {
///         Ok(Conn(self.0.clone()))
///     }
/// }
///
/// let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
/// let closed = Arc::new(AtomicUsize::new(0));
/// let reap = Duration::from_secs(10);
/// let pool = Pool::builder(Factory(closed.clone()))
///     .max_per_key(1)
///     .idle_timeout(Duration::from_secs(30))
///     .reap_interval(reap)
///     .clock(Arc::new(clock.clone()))
///     .spawner(Arc::new(tasks.clone()))
///     .build()?;
/// // The reaper was spawned; one run takes it to its first sleep.
/// assert_eq!(tasks.run_until_stalled(), 1);
///
/// let start = clock.now();
/// drop(block_on(pool.acquire(&"db", Wait::Forever))?);
/// assert_eq!(pool.stats().total.idle, 1);
///
/// // Rounds at 10 s and 20 s find the connection idle for less than 30 s; the one at 30 s closes
/// // it, on a task of its own that runs in the same `run_until_stalled`.
/// for round in 1..=3 {
///     assert_eq!(clock.next_deadline(), Some(start + round * reap));
///     clock.advance_to_next();
///     assert_eq!(tasks.run_until_stalled(), 1); // the reaper sleeps again
/// }
/// assert_eq!(pool.stats().total.idle, 0);
/// assert_eq!(closed.load(SeqCst), 1);
///
/// // Dropping the pool ends the reaper.
/// drop(pool);
/// assert_eq!(tasks.run_until_stalled(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct ManualSpawner {
    shared: Arc<Mutex<Tasks>>,
}

#[derive(Default)]
struct Tasks {
    /// The tasks not being polled right now, in the order they were spawned.
    idle: Vec<Task>,
    /// Tasks not done, counting those a run has taken out of `idle`.
    alive: usize,
}

struct Task {
    future: BoxFuture<'static, ()>,
    woken: Arc<Woken>,
    waker: Waker,
}

/// Set by the task's waker, cleared when the task is polled.
struct Woken(AtomicBool);

impl Wake for Woken {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl ManualSpawner {
    /// A spawner with no tasks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Polls the tasks that are woken, in the order they were spawned, over and over (tasks
    /// spawned meanwhile included, as woken) until no task is woken: each is then waiting or done.
    /// Returns how many tasks are still alive (waiting).
    ///
    /// A task that wakes itself on every poll (a `yield_now` loop) keeps this running as long as
    /// it does, as with any executor's run-until-stalled. Tasks are never polled under a lock: a
    /// task may spawn, or call [`len`](ManualSpawner::len).
    ///
    /// # Panics
    ///
    /// If a task panics when polled, the panic resumes here, in the caller, so that a test fails
    /// where a runtime would have swallowed it. The panicking task is dropped; the others are
    /// kept, unpolled for the rest of this run, and a later call runs them.
    ///
    /// ```
    /// use fusebox_core::rt::{ManualSpawner, Spawner};
    ///
    /// let tasks = ManualSpawner::new();
    /// tasks.spawn(Box::pin(async { panic!("the reaper fell over") }));
    /// tasks.spawn(Box::pin(std::future::pending()));
    /// let caught = std::panic::catch_unwind(|| tasks.run_until_stalled());
    /// assert!(caught.is_err());
    /// assert_eq!(tasks.len(), 1);
    /// ```
    pub fn run_until_stalled(&self) -> usize {
        loop {
            let mut batch = std::mem::take(&mut self.lock().idle);
            let (polled, done, panic) = poll_woken(&mut batch);
            let mut tasks = self.lock();
            tasks.alive -= done;
            // Spawned during the run: after the older ones.
            batch.append(&mut tasks.idle);
            tasks.idle = batch;
            let alive = tasks.alive;
            drop(tasks);
            if let Some(payload) = panic {
                resume_unwind(payload);
            }
            if !polled {
                return alive;
            }
        }
    }

    /// How many tasks are alive: spawned and not yet done.
    pub fn len(&self) -> usize {
        self.lock().alive
    }

    /// Whether no task is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Tasks> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }
}

type Panic = Box<dyn std::any::Any + Send>;

/// Polls each woken task of `batch` once, keeping those still pending; stops at the first panic.
/// Returns whether any task was polled, how many finished or panicked, and the panic.
fn poll_woken(batch: &mut Vec<Task>) -> (bool, usize, Option<Panic>) {
    let (mut polled, mut done, mut panic) = (false, 0, None);
    batch.retain_mut(|task| {
        if panic.is_some() || !task.woken.0.swap(false, Ordering::SeqCst) {
            return true;
        }
        polled = true;
        let mut cx = Context::from_waker(&task.waker);
        match catch_unwind(AssertUnwindSafe(|| task.future.as_mut().poll(&mut cx))) {
            Ok(Poll::Pending) => true,
            Ok(Poll::Ready(())) => {
                done += 1;
                false
            }
            Err(payload) => {
                panic = Some(payload);
                done += 1;
                false
            }
        }
    });
    (polled, done, panic)
}

impl Spawner for ManualSpawner {
    fn spawn(&self, future: BoxFuture<'static, ()>) {
        let woken = Arc::new(Woken(AtomicBool::new(true)));
        let waker = Waker::from(woken.clone());
        let mut tasks = self.lock();
        tasks.alive += 1;
        tasks.idle.push(Task {
            future,
            woken,
            waker,
        });
    }
}

impl fmt::Debug for ManualSpawner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualSpawner")
            .field("alive", &self.len())
            .finish()
    }
}
