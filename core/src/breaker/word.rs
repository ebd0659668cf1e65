//! What a call reads without the breaker's lock: the closed word, and the trip it refuses for.
//!
//! Both are written only under the breaker's lock, the trip before the word, so a reader that
//! loads a refusing word (acquire) finds that trip or a later one, always whole: the trip is
//! published through `arc-swap`, never stitched together from fields. `tests/loom.rs` models
//! this protocol (with a loom mutex standing in for arc-swap, which loom cannot see into).

use std::sync::Arc;

#[cfg(not(fusebox_loom))]
use std::sync::atomic::{AtomicU64, Ordering::*};

#[cfg(fusebox_loom)]
use loom::sync::atomic::{AtomicU64, Ordering::*};

use super::state::{Trip, epoch_of};

/// A trip as published: with the epoch it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Published {
    pub(crate) epoch: u64,
    pub(crate) trip: Trip,
}

/// The closed word and the last trip.
#[derive(Debug)]
pub(crate) struct Word {
    word: AtomicU64,
    trip: Slot,
}

impl Word {
    pub(crate) fn new(word: u64) -> Word {
        Word {
            word: AtomicU64::new(word),
            trip: Slot::default(),
        }
    }

    /// The word: [`REJECTING`](super::state::REJECTING),
    /// [`COUNTING`](super::state::COUNTING), and the epoch.
    #[inline(always)]
    pub(crate) fn load(&self) -> u64 {
        self.word.load(Acquire)
    }

    /// Publishes `word`, and first `trip` if the word refuses calls for it. Called under the
    /// breaker's lock, so publishers never race each other.
    pub(crate) fn publish(&self, word: u64, trip: Option<Trip>) {
        if let Some(trip) = trip {
            self.trip.store(Published {
                epoch: epoch_of(word),
                trip,
            });
        }
        self.word.store(word, Release);
    }

    /// The last trip published: after loading a refusing word, its trip or a later one.
    #[inline]
    pub(crate) fn trip(&self) -> Option<Published> {
        self.trip.load()
    }
}

#[cfg(not(fusebox_loom))]
#[derive(Debug, Default)]
struct Slot(arc_swap::ArcSwapOption<Published>);

#[cfg(not(fusebox_loom))]
impl Slot {
    fn store(&self, published: Published) {
        self.0.store(Some(Arc::new(published)));
    }

    #[inline]
    fn load(&self) -> Option<Published> {
        self.0.load().as_deref().copied()
    }
}

#[cfg(fusebox_loom)]
#[derive(Debug, Default)]
struct Slot(loom::sync::Mutex<Option<Arc<Published>>>);

#[cfg(fusebox_loom)]
impl Slot {
    fn store(&self, published: Published) {
        *self.0.lock().unwrap() = Some(Arc::new(published));
    }

    fn load(&self) -> Option<Published> {
        self.0.lock().unwrap().as_deref().copied()
    }
}
