//! The breaker's and the group's states and transitions, as plain functions.
//!
//! Nothing here reads a clock, locks or awaits: callers pass `now` (and a random sample for
//! jitter) under the lock of the breaker or of the group, and act on what is returned after
//! unlocking.

mod breaker;
mod group;
mod trip;

pub(crate) use breaker::{BreakerState, COUNTING, Change, Ended, Phase, REJECTING, epoch_of};
pub(crate) use group::{GroupState, Next};
pub use trip::{State, Trip, TripCause, TripReason};

#[cfg(test)]
mod tests;
