//! Transition events: one per transition of a breaker, logged and handed to the group's
//! observers when it happens.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::state::{Change, Trip};

/// A breaker changed state.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// The breaker's name (a [`FuseClient`](https://docs.rs/fusebox-http)'s defaults to its
    /// origin).
    pub breaker: Arc<str>,
    /// When it happened, on the group's clock.
    pub at: Instant,
    /// What happened.
    pub kind: EventKind,
}

/// What a breaker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// It tripped: calls are refused until the group's recovery closes it.
    Tripped(Trip),
    /// The group's recovery closed it; it is on probation.
    Recovered,
    /// Its probation passed: a failure no longer re-trips it at once.
    Stable,
    /// [`force_open`](super::Breaker::force_open) opened it.
    ForcedOpen(Trip),
    /// [`reset`](super::Breaker::reset) closed it.
    Reset,
    /// [`disable`](super::Breaker::disable) made it count without ever tripping.
    Disabled,
}

impl EventKind {
    pub(crate) fn of(change: Change) -> Option<EventKind> {
        Some(match change {
            Change::None => return None,
            Change::Tripped(trip) => EventKind::Tripped(trip),
            Change::Recovered => EventKind::Recovered,
            Change::Stable => EventKind::Stable,
            Change::ForcedOpen(trip) => EventKind::ForcedOpen(trip),
            Change::Reset => EventKind::Reset,
            Change::Disabled => EventKind::Disabled,
        })
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::Tripped(trip) => write!(f, "tripped ({})", trip.reason),
            EventKind::Recovered => f.write_str("recovered, on probation"),
            EventKind::Stable => f.write_str("probation passed"),
            EventKind::ForcedOpen(_) => f.write_str("forced open"),
            EventKind::Reset => f.write_str("reset"),
            EventKind::Disabled => f.write_str("disabled"),
        }
    }
}

type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// The observers of a group. Called after every lock is released, in the thread that made the
/// transition.
#[derive(Default)]
pub(crate) struct Observers(Mutex<Arc<[Observer]>>);

impl Observers {
    pub(crate) fn add(&self, observer: Observer) {
        let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *list = list.iter().cloned().chain([observer]).collect();
    }

    /// Logs `event` (one tracing event) and hands it to every observer.
    pub(crate) fn emit(&self, event: Event) {
        let breaker = &*event.breaker;
        match event.kind {
            EventKind::Tripped(trip) => tracing::warn!(
                breaker,
                reason = %trip.reason,
                cause = ?trip.cause,
                "circuit breaker tripped"
            ),
            kind => tracing::info!(breaker, event = %kind, "circuit breaker {kind}"),
        }
        let list = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        for observer in list.iter() {
            observer(&event);
        }
    }
}

impl fmt::Debug for Observers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.lock().map_or(0, |list| list.len());
        write!(f, "{n} observers")
    }
}
