//! What a call reads without the breaker's lock: the closed word, and the trip it refuses for.
//!
//! Both are written only under the breaker's lock, the trip before the word, so a reader that
//! loads a refusing word (acquire) finds that trip or a later one, always whole: the trip is
//! published through crossbeam's `AtomicCell`, never stitched together from fields by us. (Its
//! reads write no shared memory: a refusal costs a few nanoseconds on every thread, where
//! `arc-swap`'s load cost as much as an uncontended mutex.) The `loom_model` below checks this
//! protocol, with a loom mutex standing in for the cell, which loom cannot see into.

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
struct Slot(crossbeam_utils::atomic::AtomicCell<Option<Published>>);

#[cfg(not(fusebox_loom))]
impl Slot {
    fn store(&self, published: Published) {
        self.0.store(Some(published));
    }

    #[inline]
    fn load(&self) -> Option<Published> {
        self.0.load()
    }
}

#[cfg(fusebox_loom)]
#[derive(Debug, Default)]
struct Slot(loom::sync::Mutex<Option<Published>>);

#[cfg(fusebox_loom)]
impl Slot {
    fn store(&self, published: Published) {
        *self.0.lock().unwrap() = Some(published);
    }

    fn load(&self) -> Option<Published> {
        *self.0.lock().unwrap()
    }
}

/// The protocol under loom: publishers apply real transitions under a (loom) mutex standing in for
/// the breaker's lock, as `Breaker` does, while a reader loads the word and then the trip.
/// `RUSTFLAGS="--cfg fusebox_loom" CARGO_TARGET_DIR=target/loom cargo test -p fusebox-core
/// --release --lib loom`
#[cfg(all(test, fusebox_loom))]
mod loom_model {
    use std::time::{Duration, Instant};

    use loom::sync::{Arc, Mutex};

    use super::Word;
    use crate::breaker::config::BreakerConfig;
    use crate::breaker::state::{BreakerState, Ended, REJECTING, TripReason, epoch_of};

    /// Failure `k` happens `k` seconds after `base` with status `100 + k`: a trip stitched from
    /// two failures shows.
    fn failure(base: Instant, k: u16) -> Ended {
        Ended::Failure {
            now: base + Duration::from_secs(u64::from(k)),
            reason: TripReason::Status { status: 100 + k },
        }
    }

    struct Breaker {
        word: Word,
        state: Mutex<BreakerState>,
        config: BreakerConfig,
    }

    impl Breaker {
        /// One transition under the lock, then the word (and trip) published, as `apply` does.
        fn apply(&self, f: impl FnOnce(&mut BreakerState, &BreakerConfig)) {
            let mut state = self.state.lock().unwrap();
            f(&mut state, &self.config);
            let word = state.word();
            if word != self.word.load() {
                self.word.publish(word, state.trip());
            }
        }

        /// What a refusal reads: the word, then the trip. Checks what it gets.
        fn read(&self, base: Instant) {
            let word = self.word.load();
            if word & REJECTING == 0 {
                return;
            }
            let published = self.word.trip().expect("a refusing word without a trip");
            assert!(
                published.epoch >= epoch_of(word),
                "an older trip than the word"
            );
            let TripReason::Status { status } = published.trip.reason else {
                panic!("{published:?}");
            };
            let since = published.trip.since.duration_since(base).as_secs();
            assert_eq!(
                since,
                u64::from(status - 100),
                "a trip mixed from two publishes"
            );
        }
    }

    #[test]
    fn loom_a_refusing_word_always_finds_its_trip_or_a_later_one_whole() {
        let base = Instant::now();
        loom::model(move || {
            let config = BreakerConfig::builder()
                .failure_threshold(1)
                .probation_calls(0)
                .build()
                .unwrap();
            let state = BreakerState::new(&config);
            let b = Arc::new(Breaker {
                word: Word::new(state.word()),
                state: Mutex::new(state),
                config,
            });
            // One client trips it; another recovers it if tripped, then trips it again.
            let first = {
                let b = b.clone();
                loom::thread::spawn(move || {
                    b.apply(|s, c| {
                        s.recorded(0, failure(base, 1), c);
                    })
                })
            };
            let second = {
                let b = b.clone();
                loom::thread::spawn(move || {
                    b.apply(|s, c| {
                        s.recovered(s.epoch(), c);
                    });
                    b.apply(|s, c| {
                        s.recorded(s.epoch(), failure(base, 3), c);
                    });
                })
            };
            // The reader is a thread of its own: loom does not interleave a spawned thread's
            // first steps with the main thread's (tokio-rs/loom#392).
            let reader = {
                let b = b.clone();
                loom::thread::spawn(move || {
                    b.read(base);
                    b.read(base);
                })
            };
            reader.join().unwrap();
            first.join().unwrap();
            second.join().unwrap();
            b.read(base);
            let word = b.word.load();
            if word & REJECTING != 0 {
                assert_eq!(b.word.trip().map(|p| p.epoch), Some(epoch_of(word)));
            }
        });
    }
}
