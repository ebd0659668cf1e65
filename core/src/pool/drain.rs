//! Knowing when a closed pool is done: every connection closed and the reaper ended.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};

use event_listener::{Event, EventListener};
use futures_lite::FutureExt;

use crate::Connection;

/// What a closed pool still has running, and the event that tells when that changes.
#[derive(Debug, Default)]
pub(crate) struct Drain {
    /// Tasks closing connections.
    closing: AtomicUsize,
    reaper_running: AtomicBool,
    closed: AtomicBool,
    event: Event,
}

impl Drain {
    pub(crate) fn mark_closed(&self) {
        self.closed.store(true, SeqCst);
        self.event.notify(usize::MAX);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(SeqCst)
    }

    /// Something a waiter of [`Pool::closed`](super::Pool::closed) looks at may have changed.
    pub(crate) fn notify(&self) {
        self.event.notify(usize::MAX);
    }

    pub(crate) fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// No close task and no reaper runs.
    pub(crate) fn tasks_done(&self) -> bool {
        self.closing.load(SeqCst) == 0 && !self.reaper_running.load(SeqCst)
    }

    /// Marks the reaper running until the returned guard drops (it ends, or its task is dropped).
    pub(crate) fn reaper(self: &Arc<Self>) -> Running {
        self.reaper_running.store(true, SeqCst);
        Running {
            drain: self.clone(),
            reaper: true,
        }
    }

    /// Closes `conns` one after another, counted as a running close task; a `close` that
    /// panics ends only itself.
    pub(crate) fn close_all<C: Connection>(
        self: &Arc<Self>,
        conns: Vec<C>,
    ) -> impl Future<Output = ()> + Send + 'static {
        self.closing.fetch_add(1, SeqCst);
        let running = Running {
            drain: self.clone(),
            reaper: false,
        };
        async move {
            for conn in conns {
                let _ = AssertUnwindSafe(async move { conn.close().await })
                    .catch_unwind()
                    .await;
            }
            drop(running);
        }
    }
}

/// A close task or the reaper, running until dropped.
#[derive(Debug)]
pub(crate) struct Running {
    drain: Arc<Drain>,
    reaper: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.reaper {
            self.drain.reaper_running.store(false, SeqCst);
        } else {
            self.drain.closing.fetch_sub(1, SeqCst);
        }
        self.drain.notify();
    }
}
