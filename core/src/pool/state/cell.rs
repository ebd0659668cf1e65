//! The cell a waiter is handed its grant in: filled under the pool's lock, taken by the waiter
//! under the cell's own lock alone, so that a hand-off takes the pool's lock twice (the waiter's
//! checkout, the giver's release) and not a third time to pick the grant up.
//!
//! Cells are recycled, not allocated per wait: the state keeps the cells of served waiters and
//! reuses one once its last waiter has let go of it.

use std::collections::VecDeque;
use std::sync::Arc;
use std::task::Waker;

use parking_lot::Mutex;

use super::{Grant, KeyId};

/// Spare cells kept for later waiters: enough for the waiters served between two checkouts,
/// few enough that a pool that once had many waiters stays small.
const SPARES: usize = 64;

/// A waiter's cell, shared by the state (while it waits) and its ticket.
pub(crate) struct Cell<C>(Mutex<Contents<C>>);

struct Contents<C> {
    /// What the waiter was handed, with its key.
    grant: Option<(Grant<C>, KeyId)>,
    /// Woken when granted; `None` once woken, until polled again.
    waker: Option<Waker>,
}

impl<C> Cell<C> {
    fn new(waker: &Waker) -> Self {
        Cell(Mutex::new(Contents {
            grant: None,
            waker: Some(waker.clone()),
        }))
    }

    /// Hands the waiter `grant`; gives back the waker to wake once the pool's lock is released.
    pub(super) fn fill(&self, grant: Grant<C>, k: KeyId) -> Option<Waker> {
        let mut cell = self.0.lock();
        cell.grant = Some((grant, k));
        cell.waker.take()
    }

    /// Takes the grant, if there is one.
    pub(crate) fn take(&self) -> Option<(Grant<C>, KeyId)> {
        self.0.lock().grant.take()
    }

    /// Takes the grant if there is one, else keeps `waker` to be woken by it.
    pub(crate) fn poll(&self, waker: &Waker) -> Option<(Grant<C>, KeyId)> {
        let mut cell = self.0.lock();
        let taken = cell.grant.take();
        if taken.is_none() {
            match &mut cell.waker {
                Some(kept) if kept.will_wake(waker) => {}
                kept => *kept = Some(waker.clone()),
            }
        }
        taken
    }

    /// Whether the grant handed and not yet taken is a connection (`Some(false)`) or a stream
    /// (`Some(true)`). For tests.
    #[cfg(test)]
    pub(crate) fn granted_stream(&self) -> Option<bool> {
        match &self.0.lock().grant {
            Some((Grant::Conn(_), _)) => Some(false),
            Some((Grant::Stream(_), _)) => Some(true),
            _ => None,
        }
    }

    /// Whether the waiter has been handed a grant it has not taken.
    #[cfg(test)]
    pub(crate) fn is_granted(&self) -> bool {
        self.0.lock().grant.is_some()
    }
}

/// Cells of served waiters, oldest first, for new waiters to reuse.
pub(super) struct Spares<C>(VecDeque<Arc<Cell<C>>>);

impl<C> Spares<C> {
    pub(super) fn new() -> Self {
        Spares(VecDeque::new())
    }

    /// A cell for a new waiter woken through `waker`: the oldest spare if its last waiter has let
    /// go of it (it then needs no lock to reset), else a new one.
    pub(super) fn cell(&mut self, waker: &Waker) -> Arc<Cell<C>> {
        if let Some(mut spare) = self.0.pop_front() {
            if let Some(cell) = Arc::get_mut(&mut spare) {
                *cell.0.get_mut() = Contents {
                    grant: None,
                    waker: Some(waker.clone()),
                };
                return spare;
            }
            // Its waiter has yet to take its grant: it waits its turn again at the back.
            self.0.push_back(spare);
        }
        Arc::new(Cell::new(waker))
    }

    /// Keeps the cell of a waiter that is no longer in the state, if there is room.
    pub(super) fn keep(&mut self, cell: Arc<Cell<C>>) {
        if self.0.len() < SPARES {
            self.0.push_back(cell);
        }
    }
}
