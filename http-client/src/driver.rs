//! What a connection shares with its driver task: whether it ended, how, and who to tell.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use event_listener::Event;
use fusebox_core::Hangup;

/// Shared between a connection (HTTP/1.1 or HTTP/2) and its driver task.
#[derive(Debug, Default)]
pub(crate) struct DriverState {
    /// Set when the driver task ends or is dropped: the connection is gone.
    done: AtomicBool,
    /// The kind of the IO error the driver ended with, if it ended with one.
    ended: Mutex<Option<io::ErrorKind>>,
    /// Notified once `done` is set.
    finished: Event,
    /// The pool's line for this connection, raised when the driver ends.
    hangup: OnceLock<Hangup>,
}

impl DriverState {
    /// Waits until the driver task has ended.
    pub(crate) async fn ended(&self) {
        loop {
            if self.is_done() {
                return;
            }
            // On the future's own state, not boxed: every request on a connection waits here.
            event_listener::listener!(self.finished => listener);
            if self.is_done() {
                return;
            }
            listener.await;
        }
    }

    /// Whether the driver task has ended.
    pub(crate) fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// The kind of the IO error the driver ended with, if it has ended with one.
    pub(crate) fn ended_with(&self) -> Option<io::ErrorKind> {
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the IO error kind the driver is ending with.
    pub(crate) fn set_ended_with(&self, kind: Option<io::ErrorKind>) {
        *self.ended.lock().unwrap_or_else(PoisonError::into_inner) = kind;
    }

    /// Keeps the pool's hang-up and raises it when the driver ends (at once, if it already has).
    pub(crate) fn watch_hangup(&self, hangup: Hangup) {
        let hangup = self.hangup.get_or_init(|| hangup);
        // The driver may have ended before the hang-up was kept: then it found none to raise.
        if self.done.load(Ordering::SeqCst) {
            hangup.raise();
        }
    }
}

/// Sets `done` when the driver task ends, however it ends (finished, failed, or dropped by a
/// runtime shutting down).
pub(crate) struct DoneOnDrop(pub(crate) Arc<DriverState>);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::SeqCst);
        self.0.finished.notify(usize::MAX);
        if let Some(hangup) = self.0.hangup.get() {
            hangup.raise();
        }
    }
}
