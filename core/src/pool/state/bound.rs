//! The mechanism both pool-wide key indexes share (`lru.rs` by oldest idle use, `due.rs` by
//! earliest expiry): each key has at most one entry, `(instant, key)`, kept at or before the
//! instant it stands for, and also stored in the key's state so that it can be found again.

use std::collections::BTreeSet;
use std::time::Instant;

use super::KeyId;

/// A pool-wide index of keys by a lower bound of one instant of theirs.
pub(super) type Index = BTreeSet<(Instant, KeyId)>;

/// Keeps `k`'s entry (`slot`, in the key's state) at or before `at`: moved earlier if it was
/// later, left alone otherwise, so the hot path rarely touches the index.
pub(super) fn lower(index: &mut Index, slot: &mut Option<Instant>, k: KeyId, at: Instant) {
    match *slot {
        Some(entry) if entry <= at => {}
        later => {
            if let Some(entry) = later {
                index.remove(&(entry, k));
            }
            *slot = Some(at);
            index.insert((at, k));
        }
    }
}

/// Removes `k`'s entry, if it has one.
pub(super) fn forget(index: &mut Index, slot: &mut Option<Instant>, k: KeyId) {
    if let Some(entry) = slot.take() {
        index.remove(&(entry, k));
    }
}
