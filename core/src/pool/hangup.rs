//! [`Hangup`]: how a connection tells its pool that it closed, so that the pool stops counting
//! it as idle at once rather than at the next checkout.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use event_listener::{Event, EventListener};
use parking_lot::Mutex;

use super::state::KeyId;

/// A connection's line to its pool, handed over once through
/// [`Connection::watch_hangup`](crate::Connection::watch_hangup).
///
/// A connection that learns on its own that it is closed (its peer hung up, its driver task
/// ended) calls [`raise`](Hangup::raise); the pool's reaper then closes it if it is idle, counted
/// as unusable, without waiting for its next tick. Raising is cheap, may happen on any thread, and
/// raising twice or after the pool is gone is harmless.
///
/// ```
/// use fusebox_core::{Connection, Hangup};
///
/// struct Line {
///     hangup: Option<Hangup>,
/// }
///
/// impl Connection for Line {
///     fn watch_hangup(&mut self, hangup: Hangup) {
///         self.hangup = Some(hangup);
///     }
/// }
///
/// impl Line {
///     // Called by whatever reads the socket when it sees the end of the stream.
///     fn peer_closed(&self) {
///         if let Some(hangup) = &self.hangup {
///             hangup.raise();
///         }
///     }
/// }
/// # Line { hangup: None }.peer_closed();
/// ```
#[derive(Clone)]
pub struct Hangup {
    /// This connection's flag, which the pool reads under its lock.
    raised: Arc<AtomicBool>,
    signal: Arc<Signal>,
    /// The connection's shard and key, so that the reaper looks at that key alone.
    key: (usize, KeyId),
}

impl Hangup {
    pub(crate) fn new(raised: Arc<AtomicBool>, signal: Arc<Signal>, key: (usize, KeyId)) -> Hangup {
        Hangup {
            raised,
            signal,
            key,
        }
    }

    /// Tells the pool that the connection is closed.
    pub fn raise(&self) {
        // The first raise names the key to the reaper; later ones have nothing to add.
        if !self.raised.swap(true, Ordering::AcqRel) {
            self.signal.raise(self.key);
        }
    }

    /// Whether [`raise`](Hangup::raise) was called.
    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Hangup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hangup")
            .field("raised", &self.is_raised())
            .finish_non_exhaustive()
    }
}

/// The pool's side: raised by any of its connections, waited on by the reaper.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    /// The keys of connections that hung up since the reaper last looked.
    keys: Mutex<Vec<(usize, KeyId)>>,
    event: Event,
}

impl Signal {
    fn raise(&self, key: (usize, KeyId)) {
        self.keys.lock().push(key);
        self.event.notify(1);
    }

    /// A listener, to be made before [`take`](Signal::take) is asked, so that no raise is missed.
    pub(crate) fn listen(&self) -> EventListener {
        self.event.listen()
    }

    /// Moves the keys raised since the last call into `into`; whether there were any.
    pub(crate) fn take(&self, into: &mut Vec<(usize, KeyId)>) -> bool {
        let mut keys = self.keys.lock();
        into.append(&mut keys);
        !into.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_names_its_key_once_however_often_it_raises() {
        let signal = Arc::new(Signal::default());
        let hangup = Hangup::new(Arc::default(), signal.clone(), (3, 7));
        let mut keys = Vec::new();
        assert!(!signal.take(&mut keys), "nothing raised yet");
        hangup.raise();
        hangup.clone().raise();
        assert!(hangup.is_raised());
        assert!(signal.take(&mut keys));
        assert_eq!(keys, [(3, 7)]);
        keys.clear();
        assert!(!signal.take(&mut keys), "taken once");
    }
}
