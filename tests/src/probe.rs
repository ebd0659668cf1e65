//! Poll-level control of a future: poll once, see whether it was woken, poll again.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};

/// A future polled by hand with a waker of its own that counts wakeups.
///
/// The pattern of the poll-level tests: [`poll`](Probe::poll) once and see it pending, act (release
/// a connection, advance the clock), check [`is_woken`](Probe::is_woken), then poll to completion
/// with [`ready`](Probe::ready). Dropping the probe drops the future, which is how tests cancel.
pub struct Probe<F: Future> {
    future: Pin<Box<F>>,
    wakes: Arc<WakeCount>,
    /// Wakeups counted when the future was last polled.
    seen: usize,
    polls: usize,
}

#[derive(Default)]
struct WakeCount(AtomicUsize);

impl Wake for WakeCount {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

impl<F: Future> Probe<F> {
    /// Wraps `future` without polling it.
    pub fn new(future: F) -> Self {
        Probe {
            future: Box::pin(future),
            wakes: Arc::default(),
            seen: 0,
            polls: 0,
        }
    }

    /// Polls the future once with the probe's waker.
    pub fn poll(&mut self) -> Poll<F::Output> {
        self.seen = self.wakes.0.load(Ordering::SeqCst);
        self.polls += 1;
        let waker = Waker::from(self.wakes.clone());
        self.future.as_mut().poll(&mut Context::from_waker(&waker))
    }

    /// Whether the future's waker was woken since it was last polled.
    pub fn is_woken(&self) -> bool {
        self.wakes.0.load(Ordering::SeqCst) > self.seen
    }

    /// Polls once and asserts that the future is pending.
    ///
    /// # Panics
    ///
    /// If the future completes.
    #[track_caller]
    pub fn assert_pending(&mut self) {
        if self.poll().is_ready() {
            panic!("expected the future to be pending, but it completed");
        }
    }

    /// Polls once and returns the output.
    ///
    /// # Panics
    ///
    /// If the future is still pending.
    #[track_caller]
    pub fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to be ready, but it is pending"),
        }
    }
}

impl<F: Future> fmt::Debug for Probe<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("polls", &self.polls)
            .field("woken", &self.is_woken())
            .finish_non_exhaustive()
    }
}
