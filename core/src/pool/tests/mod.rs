//! Tests of the pure state machine: transitions by hand (`transitions`, `second_pass`), and
//! random sequences against its invariants (`model`).

use std::time::{Duration, Instant};

use super::state::{Checkout, Effects, Grant, Idle, Limits, State, Waiting};
use crate::Connection;

mod cells;
mod model;
mod reaping;
mod second_pass;
mod shared;
mod transitions;

#[derive(Debug)]
pub(super) struct Conn {
    id: u32,
    usable: bool,
    own_timeout: Option<Duration>,
}

impl Connection for Conn {
    fn is_usable(&self) -> bool {
        self.usable
    }
    fn idle_timeout(&self) -> Option<Duration> {
        self.own_timeout
    }
}

pub(super) fn conn(id: u32) -> Conn {
    Conn {
        id,
        usable: true,
        own_timeout: None,
    }
}

pub(super) const IDLE: Duration = Duration::from_secs(10);

pub(super) const LIMITS: Limits = Limits {
    max_per_key: 1,
    max_total: None,
    idle_timeout: IDLE,
    max_lifetime: None,
};

pub(super) fn state(max_per_key: usize, max_total: Option<usize>) -> State<u8, Conn> {
    State::new(Limits {
        max_per_key,
        max_total,
        ..LIMITS
    })
}

pub(super) fn fx() -> Effects<Conn> {
    Effects::new()
}

/// Connects a new connection for `key` and returns it busy.
pub(super) fn open(
    st: &mut State<u8, Conn>,
    key: u8,
    id: u32,
    now: Instant,
) -> (usize, Idle<Conn>) {
    match st.checkout(&key, now, false, &mut fx()) {
        Checkout::Connect(k) => {
            st.connected(k, &mut fx());
            (k, Idle::new(conn(id), now, &LIMITS))
        }
        other => panic!("expected a slot, got {other:?}"),
    }
}

pub(super) fn wait(st: &mut State<u8, Conn>, key: u8, now: Instant) -> Waiting<Conn> {
    match st.checkout(&key, now, true, &mut fx()) {
        Checkout::Wait(k) => st.enqueue(k, std::task::Waker::noop(), now),
        other => panic!("expected to wait, got {other:?}"),
    }
}

pub(super) fn granted_conn(w: &Waiting<Conn>) -> u32 {
    match w.take() {
        Some((Grant::Conn(idle), _)) => idle.conn.id,
        other => panic!("expected a connection, got {other:?}"),
    }
}
