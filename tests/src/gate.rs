//! A gate that holds the test factory's connects until the test releases them.

use std::sync::Mutex;

use event_listener::Event;

use crate::conn::lock;

/// Holds connects until released; open by default.
#[derive(Default)]
pub(crate) struct Gate {
    state: Mutex<GateState>,
    event: Event,
}

#[derive(Default)]
struct GateState {
    held: bool,
    permits: usize,
}

impl Gate {
    pub(crate) fn hold(&self) {
        lock(&self.state).held = true;
    }

    pub(crate) fn release(&self, n: usize) {
        lock(&self.state).permits += n;
        self.event.notify(usize::MAX);
    }

    pub(crate) fn open(&self) {
        lock(&self.state).held = false;
        self.event.notify(usize::MAX);
    }

    fn try_pass(&self) -> bool {
        let mut state = lock(&self.state);
        if !state.held {
            return true;
        }
        if state.permits > 0 {
            state.permits -= 1;
            return true;
        }
        false
    }

    pub(crate) async fn pass(&self) {
        loop {
            if self.try_pass() {
                return;
            }
            let listener = self.event.listen();
            if self.try_pass() {
                return;
            }
            listener.await;
        }
    }
}
