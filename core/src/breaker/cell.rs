//! [`TripCell`]: a breaker's trip word and its last trip, read without a lock.
//!
//! A rejected request must learn since when and why the breaker is open. Copying the trip out of
//! a mutex costs a lock and an unlock, both writes to a cache line every rejecting thread then
//! fights over; so the trip is also kept in three atomic words, stored before the trip word is
//! published and read like a seqlock: load the trip word, load the fields, load the trip word
//! again; the fields are the trip's if the word did not change. A rejection writes nothing shared.
//!
//! # Why a word that did not change means the fields are its trip's
//!
//! The writer (one at a time: it holds the mutex) first makes sure the trip word reads
//! [`CLOSED`] (a finished recovery may have closed the breaker without marking it yet; the writer
//! then stores `CLOSED` itself), then stores the fields, then publishes the new trip word. The
//! fields are stored with `Release` and loaded with `Acquire`, so a reader that loads any field
//! value of a newer trip also sees the word as `CLOSED` or newer when it loads it again. That
//! value differs from the one it loaded first, because the words stored other than `CLOSED` only
//! grow:
//!
//! - a breaker trips at the group's generation `g` only if its word is closed at `g`: `CLOSED`,
//!   or a word `w <= g` (see [`is_closed_at`](super::state::is_closed_at)); the new word is
//!   `g + 1 > w`;
//! - when the word is `CLOSED` because a finished recovery closed trip `w`, the thread that closed
//!   it had read a generation `>= w` before its compare-and-swap; the tripping thread loads that
//!   `CLOSED` (acquire) before it reads the generation, which only grows, so it reads `g >= w`
//!   too and stores `g + 1 > w`;
//! - writers take turns under the mutex, so each loads the word the previous one stored, or the
//!   `CLOSED` that replaced it.
//!
//! So each trip of a breaker has its own word, and the same word before and after the fields is
//! the same trip. A reader that sees a change starts again from the new word.
//!
//! # Encoding
//!
//! `since` is kept as a signed offset from an epoch, an instant taken when the cell is made; the
//! reason as a tag and a payload. A trip that does not fit (an offset beyond 272 years, a
//! `TooSlow` of more than 68 years) is marked [`SPILLED`] and read from the mutex, which always
//! holds the last trip as given.
//!
//! # Remembered trips
//!
//! Reading and decoding the words still costs a rejection as much again as the rest, most of it
//! the call into `std` that turns the offset back into an `Instant` (`Instant::checked_add`, not
//! inlined). But a trip word is one cell's for one trip only, so the trip read under it never
//! changes: each thread remembers the last trip it read for a few cells (`LAST_TRIPS`, keyed by
//! the cell's id, unique in the process, and the word), and a rejection that finds the word it
//! just loaded there needs no other load of the cell and nothing decoded. The first rejection of
//! each thread after a trip reads the words.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::*};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::state::{CLOSED, Trip, TripReason};

/// A breaker's trip word ([`CLOSED`] or a trip's, see [`state`](super::state)) and its last trip.
///
/// What a rejection reads comes first, together; the mutex, touched by trips only, last.
#[repr(C)]
pub(crate) struct TripCell {
    /// [`CLOSED`] or the word of the trip in the fields.
    word: AtomicU64,
    /// Unique in the process.
    id: u64,
    /// `since` is kept as an offset from this.
    epoch: Instant,
    since: AtomicU64,
    reason: AtomicU64,
    failures: AtomicU32,
    /// The last trip as given; held by the writer of a trip.
    full: Mutex<Option<Trip>>,
}

/// A trip's fields as stored in a [`TripCell`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    since: u64,
    reason: u64,
    failures: u32,
}

impl Fields {
    /// The trip's count of consecutive failures.
    #[inline(always)]
    pub(crate) fn failures(self) -> u32 {
        self.failures
    }
}

impl TripCell {
    /// A closed cell, its offsets counted from `epoch`.
    pub(crate) fn new(epoch: Instant) -> TripCell {
        TripCell {
            word: AtomicU64::new(CLOSED),
            id: NEXT_ID.fetch_add(1, Relaxed),
            epoch,
            since: AtomicU64::new(0),
            reason: AtomicU64::new(SPILLED),
            failures: AtomicU32::new(0),
            full: Mutex::new(None),
        }
    }

    /// The trip word.
    #[inline(always)]
    pub(crate) fn word(&self) -> u64 {
        self.word.load(Acquire)
    }

    /// The stored fields of the trip of `word`, just loaded by [`word`](TripCell::word); `None`
    /// if the word changed since (the caller loads it again).
    #[inline(always)]
    pub(crate) fn fields(&self, word: u64) -> Option<Fields> {
        let fields = Fields {
            since: self.since.load(Acquire),
            reason: self.reason.load(Acquire),
            failures: self.failures.load(Acquire),
        };
        (self.word.load(Acquire) == word).then_some(fields)
    }

    /// The `since` of `fields`; `None` if it did not fit (see [`spilled`](TripCell::spilled)).
    #[inline]
    pub(crate) fn since(&self, fields: Fields) -> Option<Instant> {
        decode_since(self.epoch, fields.since)
    }

    /// The trip of `word` if this thread read it last of the cells sharing its slot (see
    /// [`remember`](Self::remember)): no atomic load, nothing to decode.
    #[inline(always)]
    pub(crate) fn remembered(&self, word: u64) -> Option<Trip> {
        let slot = LAST_TRIPS.with(|slots| slots[self.slot()].get());
        match slot {
            Some((id, last, trip)) if id == self.id && last == word => Some(trip),
            _ => None,
        }
    }

    /// Remembers, for this thread, that `trip` is the trip of `word`. It stays so: a trip word
    /// is a cell's for one trip only.
    #[inline]
    pub(crate) fn remember(&self, word: u64, trip: Trip) {
        LAST_TRIPS.with(|slots| slots[self.slot()].set(Some((self.id, word, trip))));
    }

    #[inline(always)]
    fn slot(&self) -> usize {
        (self.id % SLOTS as u64) as usize
    }

    /// The reason of `fields`; `None` if the trip did not fit (see
    /// [`spilled`](TripCell::spilled)).
    #[inline(always)]
    pub(crate) fn reason(fields: Fields) -> Option<TripReason> {
        decode_reason(fields.reason)
    }

    /// The trip of `word` as given, for one that did not fit the words; `None` if the word
    /// changed.
    #[cold]
    #[inline(never)]
    pub(crate) fn spilled(&self, word: u64) -> Option<Trip> {
        // The writer of a trip holds the lock while it publishes the word, so under the lock
        // the mutex's trip is the one of the word, unless the word changed.
        let full = *self.lock_full();
        full.filter(|_| self.word.load(Acquire) == word)
    }

    /// Marks the breaker closed if its word is still `word`: `Err` with the word found if not.
    pub(crate) fn close(&self, word: u64) -> Result<u64, u64> {
        self.word.compare_exchange(word, CLOSED, AcqRel, Acquire)
    }

    /// Takes the writer's lock, to publish a trip.
    pub(crate) fn lock(&self) -> TripWriter<'_> {
        TripWriter {
            cell: self,
            full: self.lock_full(),
        }
    }

    fn lock_full(&self) -> MutexGuard<'_, Option<Trip>> {
        self.full.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The writer of a trip: holds the cell's lock.
pub(crate) struct TripWriter<'a> {
    cell: &'a TripCell,
    full: MutexGuard<'a, Option<Trip>>,
}

impl TripWriter<'_> {
    /// The trip word: the last published, or [`CLOSED`] if it was closed since.
    pub(crate) fn word(&self) -> u64 {
        self.cell.word()
    }

    /// Publishes `trip` under `word`, replacing the word `old` this writer loaded (`CLOSED` or a
    /// word closed by the group's generation).
    pub(crate) fn publish(&mut self, old: u64, word: u64, trip: Trip) {
        let cell = self.cell;
        if old != CLOSED {
            // A finished recovery closed the trip of `old` but no one marked it: mark it, so
            // that a reader of `old` sees a change once it sees a new field.
            cell.word.store(CLOSED, Relaxed);
        }
        *self.full = Some(trip);
        let encoded = encode_since(cell.epoch, trip.since).zip(encode_reason(trip.reason));
        let (since, reason) = encoded.unwrap_or((0, SPILLED));
        cell.since.store(since, Release);
        cell.reason.store(reason, Release);
        cell.failures.store(trip.failures, Release);
        cell.word.store(word, Release);
    }
}

/// The id of the next cell.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Cells whose last trips a thread remembers at once (more if their ids differ in this modulus).
const SLOTS: usize = 4;

thread_local! {
    /// The last trips the thread read, with the id of their cell and their trip word, in the slot
    /// of the cell's id (see [`TripCell::remember`]).
    static LAST_TRIPS: [Cell<Option<(u64, u64, Trip)>>; SLOTS] =
        const { [const { Cell::new(None) }; SLOTS] };
}

/// Bits of a packed duration's nanoseconds (below 2^30).
const NANO_BITS: u32 = 30;
const NANO_MASK: u64 = (1 << NANO_BITS) - 1;
/// Bits of a reason word's tag.
const TAG_BITS: u32 = 3;
/// The bit of a `since` word saying the instant is before the epoch.
const BEFORE: u64 = 1 << 63;

/// The reason word of a trip kept in the mutex only.
const SPILLED: u64 = 0;
const SERVER_ERROR: u64 = 1;
const TOO_SLOW: u64 = 2;
const CONNECT: u64 = 3;
const TIMEOUT: u64 = 4;

/// `d` as seconds and nanoseconds in `bits` bits, if it fits.
fn pack(d: Duration, bits: u32) -> Option<u64> {
    let secs = d.as_secs();
    (secs < 1 << (bits - NANO_BITS)).then(|| secs << NANO_BITS | u64::from(d.subsec_nanos()))
}

#[inline(always)]
fn unpack(w: u64) -> Duration {
    // Nanoseconds below 10^9 when packed; a torn read of other words is discarded anyway.
    Duration::new(w >> NANO_BITS, (w & NANO_MASK) as u32)
}

/// `since` as an offset from `epoch`, in 63 bits and a sign bit.
fn encode_since(epoch: Instant, since: Instant) -> Option<u64> {
    let word = match since.checked_duration_since(epoch) {
        Some(after) => pack(after, 63)?,
        None => BEFORE | pack(epoch.checked_duration_since(since)?, 63)?,
    };
    // Decodes to the same instant (it does; this keeps it so).
    (decode_since(epoch, word) == Some(since)).then_some(word)
}

fn decode_since(epoch: Instant, word: u64) -> Option<Instant> {
    let offset = unpack(word & !BEFORE);
    if word & BEFORE == 0 {
        epoch.checked_add(offset)
    } else {
        epoch.checked_sub(offset)
    }
}

fn encode_reason(reason: TripReason) -> Option<u64> {
    let (tag, payload) = match reason {
        TripReason::ServerError { status } => (SERVER_ERROR, u64::from(status)),
        TripReason::TooSlow { elapsed } => (TOO_SLOW, pack(elapsed, 64 - TAG_BITS)?),
        TripReason::Connect => (CONNECT, 0),
        TripReason::Timeout => (TIMEOUT, 0),
    };
    Some(payload << TAG_BITS | tag)
}

/// `None` for [`SPILLED`] (and words never written).
#[inline(always)]
fn decode_reason(word: u64) -> Option<TripReason> {
    let payload = word >> TAG_BITS;
    match word & ((1 << TAG_BITS) - 1) {
        SERVER_ERROR => Some(TripReason::ServerError {
            status: payload as u16,
        }),
        TOO_SLOW => Some(TripReason::TooSlow {
            elapsed: unpack(payload),
        }),
        CONNECT => Some(TripReason::Connect),
        TIMEOUT => Some(TripReason::Timeout),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn trip(since: Instant, reason: TripReason, failures: u32) -> Trip {
        Trip {
            since,
            reason,
            failures,
        }
    }

    #[test]
    fn since_round_trips_both_sides_of_the_epoch() {
        let epoch = Instant::now();
        let offsets = [
            Duration::ZERO,
            Duration::from_nanos(1),
            Duration::from_nanos(999_999_999),
            3 * SEC + Duration::from_nanos(7),
            Duration::from_secs(86_400 * 365 * 200),
        ];
        for d in offsets {
            for since in [epoch.checked_add(d), epoch.checked_sub(d)]
                .into_iter()
                .flatten()
            {
                let word = encode_since(epoch, since).expect("fits");
                assert_eq!(decode_since(epoch, word), Some(since), "{d:?}");
            }
        }
        assert_eq!(encode_since(epoch, epoch).unwrap() & BEFORE, 0);
    }

    #[test]
    fn since_too_far_from_the_epoch_does_not_fit() {
        let epoch = Instant::now();
        let far = Duration::from_secs(1 << 33);
        if let Some(since) = epoch.checked_add(far) {
            assert_eq!(encode_since(epoch, since), None);
        }
    }

    #[test]
    fn reasons_round_trip() {
        let reasons = [
            TripReason::ServerError { status: 0 },
            TripReason::ServerError { status: 503 },
            TripReason::ServerError { status: u16::MAX },
            TripReason::TooSlow {
                elapsed: Duration::ZERO,
            },
            TripReason::TooSlow {
                elapsed: 12 * SEC + Duration::from_nanos(999_999_999),
            },
            TripReason::TooSlow {
                elapsed: Duration::new((1 << 31) - 1, 999_999_999),
            },
            TripReason::Connect,
            TripReason::Timeout,
        ];
        for reason in reasons {
            let word = encode_reason(reason).expect("fits");
            assert_ne!(word, SPILLED);
            assert_eq!(decode_reason(word), Some(reason));
        }
        let huge = TripReason::TooSlow {
            elapsed: Duration::from_secs(1 << 31),
        };
        assert_eq!(encode_reason(huge), None);
        assert_eq!(decode_reason(SPILLED), None);
    }

    #[test]
    fn published_trips_read_back_lock_free_or_spilled() {
        let epoch = Instant::now();
        let cell = TripCell::new(epoch);
        assert_eq!(cell.word(), CLOSED);

        let first = trip(epoch + SEC, TripReason::ServerError { status: 502 }, 3);
        cell.lock().publish(CLOSED, 1, first);
        assert_eq!(cell.word(), 1);
        let fields = cell.fields(1).unwrap();
        assert_ne!(fields.reason, SPILLED);
        assert_eq!(cell.since(fields), Some(first.since));
        assert_eq!(TripCell::reason(fields), Some(first.reason));
        assert_eq!(fields.failures(), 3);
        assert!(cell.fields(7).is_none(), "another word");

        // Closed by a recovery but not marked: the writer marks it before the fields change.
        let huge = TripReason::TooSlow {
            elapsed: Duration::MAX,
        };
        let second = trip(epoch, huge, u32::MAX);
        cell.lock().publish(1, 3, second);
        let fields = cell.fields(3).unwrap();
        assert_eq!(TripCell::reason(fields), None);
        assert_eq!(cell.spilled(3), Some(second));

        assert_eq!(cell.close(1), Err(3));
        assert_eq!(cell.close(3), Ok(3));
        assert_eq!(cell.word(), CLOSED);
        assert!(cell.fields(3).is_none());
        assert_eq!(cell.spilled(3), None, "the word changed");
    }

    #[test]
    fn a_thread_remembers_trips_by_cell_and_word() {
        let epoch = Instant::now();
        let cells: Vec<TripCell> = (0..SLOTS + 1).map(|_| TripCell::new(epoch)).collect();
        let trips: Vec<Trip> = (0..cells.len() as u32)
            .map(|n| trip(epoch + n * SEC, TripReason::Connect, n))
            .collect();
        for (cell, &trip) in cells.iter().zip(&trips) {
            assert_eq!(cell.remembered(1), None);
            cell.remember(1, trip);
        }
        // A cell remembered later in the same slot evicted the trip.
        for (n, (cell, trip)) in cells.iter().zip(&trips).enumerate() {
            let evicted = cells[n + 1..].iter().any(|c| c.slot() == cell.slot());
            let expected = (!evicted).then_some(*trip);
            assert_eq!(cell.remembered(1), expected);
            assert_eq!(cell.remembered(2), None, "another trip of the cell");
        }
        assert!(
            cells.iter().any(|c| c.remembered(1).is_none()),
            "{SLOTS} slots"
        );
        // Another thread remembers nothing.
        std::thread::scope(|s| {
            s.spawn(|| assert!(cells.iter().all(|c| c.remembered(1).is_none())));
        });
    }
}
