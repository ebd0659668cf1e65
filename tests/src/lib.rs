//! Shared helpers of fusebox's conformance and fault-injection tests.
//!
//! - [`TestFactory`] and [`TestConn`]: a connection factory whose behaviour a test controls (fail
//!   the next connects, hold connects until released) and that records what happened to its
//!   connections (created, closed, dropped); its connections' callbacks can be made to panic or
//!   to call back into the pool ([`Callback`]).
//! - [`Harness`]: "the runtime" a scenario runs on, with implementations for tokio
//!   ([`TokioHarness`], current-thread or multi-thread), smol ([`SmolHarness`]) and the manual clock
//!   ([`ManualHarness`], which also implements [`TimeControl`]).
//! - [`Probe`]: poll-level control of one future with a waker that counts its wakeups.
//! - [`Gauges`] and [`builder`]: small conveniences for building pools and reading their counts.
//!
//! Test pools use `char` keys ([`TestPool`]): with a key type that holds a lifetime, such as
//! `&'static str`, rustc cannot prove an acquire future `Send` inside a spawned task
//! ("implementation of `Send` is not general enough").
#![forbid(unsafe_code)]

mod conn;
mod gate;
mod harness;
mod pool;
mod probe;

pub use conn::{Callback, TestConn, TestError, TestFactory};
pub use harness::{
    Harness, ManualHarness, SETTLE_BOUND, SmolHarness, Task, TimeControl, TokioHarness,
};
pub use pool::{Gauges, TestPool, builder, gauges};
pub use probe::Probe;

#[cfg(test)]
mod tests;

/// The README's examples, compiled and run as doctests so that they stay true.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
