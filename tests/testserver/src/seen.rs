//! What the server saw: requests ([`Seen`]), TLS handshakes ([`Handshake`]) and connection
//! counts, in one log that tests can read and wait on.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use event_listener::Event;

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The connection it came on: 0 for the first accepted, and so on.
    pub conn: usize,
    /// Its place on that connection: 0 for the first request, and so on.
    pub nth: usize,
    /// Whether it came over TLS.
    pub tls: bool,
    /// The method, as sent.
    pub method: String,
    /// The request target, as sent (`/path?query`).
    pub path: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub version: u8,
    /// The `Host` header, if there was one.
    pub host: Option<String>,
    /// Every header, in order, as sent.
    pub headers: Vec<(String, String)>,
    /// The body, decoded from its framing; empty in the request an early reply answered (see
    /// [`Builder::on_head`](crate::Builder::on_head)) before reading it.
    pub body: Vec<u8>,
    /// When its head had been read whole.
    pub received: Instant,
    /// The status of the response written whole, if one was; `None` in the copy a handler is
    /// given.
    pub status: Option<u16>,
    /// When that response had been written whole.
    pub answered: Option<Instant>,
}

impl Seen {
    /// The value of the first header called `name` (in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server saw of one TLS handshake that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// The server name the client sent (SNI).
    pub sni: Option<String>,
    /// The application protocol agreed on (ALPN).
    pub alpn: Option<Vec<u8>>,
    /// Whether the client presented a certificate.
    pub client_certificate: bool,
}

/// The record, shared by the server's threads.
#[derive(Debug)]
pub(crate) struct Log {
    pub(crate) accepted: AtomicUsize,
    pub(crate) ended: AtomicUsize,
    pub(crate) requests: AtomicUsize,
    pub(crate) plain: AtomicUsize,
    pub(crate) failed_handshakes: AtomicUsize,
    pub(crate) seen: Mutex<Vec<Seen>>,
    pub(crate) handshakes: Mutex<Vec<Handshake>>,
    /// Requests logged at most; later ones are counted only.
    limit: usize,
    /// Notified on every change.
    changed: Event,
}

impl Log {
    pub(crate) fn new(limit: usize) -> Log {
        Log {
            accepted: AtomicUsize::new(0),
            ended: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            plain: AtomicUsize::new(0),
            failed_handshakes: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            handshakes: Mutex::new(Vec::new()),
            limit,
            changed: Event::new(),
        }
    }

    /// Counts one more on `counter` and tells the waiters.
    pub(crate) fn bump(&self, counter: &AtomicUsize) -> usize {
        let before = counter.fetch_add(1, Ordering::SeqCst);
        self.changed.notify(usize::MAX);
        before
    }

    /// Logs a request: its index in the log, if it was logged.
    pub(crate) fn request(&self, seen: Seen) -> Option<usize> {
        let index = {
            let mut log = lock(&self.seen);
            (log.len() < self.limit).then(|| {
                log.push(seen);
                log.len() - 1
            })
        };
        self.bump(&self.requests);
        index
    }

    /// Notes the response to the request at `index` of the log.
    pub(crate) fn answered(&self, index: Option<usize>, status: u16) {
        if let Some(index) = index {
            let mut log = lock(&self.seen);
            if let Some(entry) = log.get_mut(index) {
                entry.status = Some(status);
                entry.answered = Some(Instant::now());
            }
        }
        self.changed.notify(usize::MAX);
    }

    #[cfg(feature = "tls")]
    pub(crate) fn handshake(&self, handshake: Handshake) {
        lock(&self.handshakes).push(handshake);
        self.changed.notify(usize::MAX);
    }

    /// Waits until `done` holds, re-checking after every change.
    pub(crate) async fn until(&self, done: impl Fn() -> bool) {
        loop {
            if done() {
                return;
            }
            let listener = self.changed.listen();
            // A change between the check and `listen` would otherwise be missed.
            if done() {
                return;
            }
            listener.await;
        }
    }
}

/// Locks `m`, ignoring poisoning: a handler that panicked leaves the log readable.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
