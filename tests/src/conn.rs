//! A connection type and its factory, with behaviour a test controls and a record of what
//! happened to every connection.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use fusebox_core::{Connect, Connection, Hangup, Multiplex};

use crate::gate::Gate;

/// The error of a connect that [`TestFactory::fail_next`] made fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestError;

impl fmt::Display for TestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connect refused by the test")
    }
}

impl std::error::Error for TestError {}

/// A callback of [`Connection`] that a test can make panic ([`TestFactory::panic_next`]) or
/// observe ([`TestFactory::on_callback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Callback {
    /// [`Connection::is_usable`].
    IsUsable,
    /// [`Connection::idle_timeout`].
    IdleTimeout,
    /// [`Connection::close`] (the future it returns, when first polled).
    Close,
    /// [`Connection::watch_hangup`].
    WatchHangup,
}

impl Callback {
    fn index(self) -> usize {
        match self {
            Callback::IsUsable => 0,
            Callback::IdleTimeout => 1,
            Callback::Close => 2,
            Callback::WatchHangup => 3,
        }
    }
}

type CallbackHook = Arc<dyn Fn(Callback) + Send + Sync>;
type DropHook = Box<dyn FnOnce() + Send>;

/// A factory of [`TestConn`]s. Clones share one record and one set of controls.
///
/// Connections get ids 1, 2, 3, … in the order they are created. By default every connect succeeds
/// at its first poll; [`hold`](TestFactory::hold) makes connects wait until
/// [`release`](TestFactory::release)d, [`fail_next`](TestFactory::fail_next) makes the next ones
/// fail. [`panic_next`](TestFactory::panic_next) makes a connection callback panic, and
/// [`on_callback`](TestFactory::on_callback) runs test code inside one.
#[derive(Clone, Default)]
pub struct TestFactory {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    next_id: AtomicU64,
    attempts: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    fail_next: AtomicUsize,
    yield_in_connect: AtomicBool,
    dropped: AtomicUsize,
    gate: Gate,
    closed: Mutex<Vec<u64>>,
    conn_idle_timeout: Mutex<Option<Duration>>,
    usable: Mutex<HashMap<u64, Arc<AtomicBool>>>,
    /// Per [`Callback`]: how many of its next calls panic.
    panics: [AtomicUsize; 4],
    hangups: Mutex<HashMap<u64, Hangup>>,
    on_callback: Mutex<Option<CallbackHook>>,
    on_connect_drop: Mutex<Option<DropHook>>,
    /// How many acquires the connections made from now on serve at once; 0 or 1: one.
    streams: AtomicUsize,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl TestFactory {
    /// A factory whose connects succeed at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// Connections created so far (successful connects).
    pub fn created(&self) -> usize {
        self.shared.next_id.load(Ordering::SeqCst) as usize
    }

    /// Connect attempts started so far, successful or not.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    /// Connect futures alive now (started and neither finished nor dropped).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The most connect futures alive at once so far.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Makes the next `n` calls of `callback`, on any connection, panic.
    pub fn panic_next(&self, callback: Callback, n: usize) {
        self.shared.panics[callback.index()].fetch_add(n, Ordering::SeqCst);
    }

    /// Calls of `callback` still to panic.
    pub fn panics_left(&self, callback: Callback) -> usize {
        self.shared.panics[callback.index()].load(Ordering::SeqCst)
    }

    /// Runs `hook` at the start of every connection callback (before any panic it is set to
    /// make), on the thread that calls it: a test can call back into the pool from there.
    /// [`clear_hooks`](Self::clear_hooks) removes it (a hook holding a pool handle keeps the pool
    /// alive until then).
    pub fn on_callback(&self, hook: impl Fn(Callback) + Send + Sync + 'static) {
        *lock(&self.shared.on_callback) = Some(Arc::new(hook));
    }

    /// Runs `hook` once, when the next connect future is dropped (finished or not), before it
    /// counts as no longer in flight.
    pub fn on_connect_drop(&self, hook: impl FnOnce() + Send + 'static) {
        *lock(&self.shared.on_connect_drop) = Some(Box::new(hook));
    }

    /// Removes the hooks set by [`on_callback`](Self::on_callback) and
    /// [`on_connect_drop`](Self::on_connect_drop).
    pub fn clear_hooks(&self) {
        let hooks = (
            lock(&self.shared.on_callback).take(),
            lock(&self.shared.on_connect_drop).take(),
        );
        drop(hooks);
    }

    /// Makes the next `n` connects fail with [`TestError`] (once past the gate, if held).
    pub fn fail_next(&self, n: usize) {
        self.shared.fail_next.fetch_add(n, Ordering::SeqCst);
    }

    /// Makes connects yield to the executor once before they finish (or not), so that they take
    /// two polls and can be cancelled midway.
    pub fn yield_in_connect(&self, on: bool) {
        self.shared.yield_in_connect.store(on, Ordering::SeqCst);
    }

    /// From now on, connects wait at a gate until [`release`](Self::release) lets them through.
    pub fn hold(&self) {
        self.shared.gate.hold();
    }

    /// Lets `n` held connects through the gate (now or as they arrive).
    pub fn release(&self, n: usize) {
        self.shared.gate.release(n);
    }

    /// Opens the gate for good: every connect, waiting or to come, goes through.
    pub fn open(&self) {
        self.shared.gate.open();
    }

    /// Ids of the connections closed through [`Connection::close`], in order.
    pub fn closed(&self) -> Vec<u64> {
        lock(&self.shared.closed).clone()
    }

    /// How many connections were closed through [`Connection::close`].
    pub fn closed_count(&self) -> usize {
        lock(&self.shared.closed).len()
    }

    /// Connections created and not yet dropped (closed or not): what the pool still holds.
    pub fn live(&self) -> usize {
        self.created() - self.shared.dropped.load(Ordering::SeqCst)
    }

    /// Raises the [`Hangup`] the pool gave connection `id`, as a connection whose peer closed
    /// would.
    ///
    /// # Panics
    ///
    /// If the pool gave that connection none (yet).
    pub fn hang_up(&self, id: u64) {
        lock(&self.shared.hangups)
            .get(&id)
            .expect("no hang-up for this id")
            .raise();
    }

    /// Marks the connection `id` unusable: [`Connection::is_usable`] returns `false` from now on.
    ///
    /// # Panics
    ///
    /// If no connection with this id was created.
    pub fn mark_unusable(&self, id: u64) {
        lock(&self.shared.usable)
            .get(&id)
            .expect("no connection with this id")
            .store(false, Ordering::SeqCst);
    }

    /// Makes the connections created from now on multiplexed, serving up to `streams` acquires
    /// at once, each through a handle with the connection's id (see [`Connection::multiplex`]).
    pub fn multiplex(&self, streams: usize) {
        self.shared.streams.store(streams, Ordering::SeqCst);
    }

    /// The idle timeout of their own that connections created from now on announce.
    pub fn set_conn_idle_timeout(&self, timeout: Option<Duration>) {
        *lock(&self.shared.conn_idle_timeout) = timeout;
    }
}

impl fmt::Debug for TestFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestFactory")
            .field("created", &self.created())
            .field("attempts", &self.attempts())
            .field("in_flight", &self.in_flight())
            .field("closed", &self.closed())
            .field("live", &self.live())
            .finish()
    }
}

impl<K: Send + Sync + 'static> Connect<K> for TestFactory {
    type Conn = TestConn;
    type Error = TestError;

    fn connect(&self, _key: &K) -> impl Future<Output = Result<TestConn, TestError>> + Send {
        let shared = self.shared.clone();
        shared.attempts.fetch_add(1, Ordering::SeqCst);
        let live = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(live, Ordering::SeqCst);
        let in_flight = InFlight(shared.clone());
        let yields = shared.yield_in_connect.load(Ordering::SeqCst);
        async move {
            shared.gate.pass().await;
            if yields {
                futures_lite::future::yield_now().await;
            }
            drop(in_flight);
            let fail = shared
                .fail_next
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                return Err(TestError);
            }
            Ok(TestConn::new(shared))
        }
    }
}

/// Counts a connect future as in flight until it finishes or is dropped.
struct InFlight(Arc<Shared>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let hook = lock(&self.0.on_connect_drop).take();
        if let Some(hook) = hook {
            hook();
        }
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Shared {
    /// What every connection callback does first: run the test's hook, then panic if asked to.
    fn enter(&self, callback: Callback) {
        let hook = lock(&self.on_callback).clone();
        if let Some(hook) = hook {
            hook(callback);
        }
        let panics = self.panics[callback.index()]
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if panics {
            panic!("{callback:?} panics, as the test asked");
        }
    }
}

/// A connection made by [`TestFactory`]: an id, a usable flag, and an optional idle timeout of its
/// own. Closing it records its id with the factory.
pub struct TestConn {
    id: u64,
    usable: Arc<AtomicBool>,
    idle_timeout: Option<Duration>,
    shared: Arc<Shared>,
    /// Handles of this connection alive, itself included: it counts as dropped with the last.
    handles: Arc<AtomicUsize>,
    /// What `multiplex` answers.
    streams: usize,
}

impl TestConn {
    fn new(shared: Arc<Shared>) -> Self {
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        let usable = Arc::new(AtomicBool::new(true));
        lock(&shared.usable).insert(id, usable.clone());
        let idle_timeout = *lock(&shared.conn_idle_timeout);
        let streams = shared.streams.load(Ordering::SeqCst);
        TestConn {
            id,
            usable,
            idle_timeout,
            shared,
            handles: Arc::new(AtomicUsize::new(1)),
            streams,
        }
    }

    /// The connection's id: 1 for the factory's first, and so on.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Sets what [`Connection::is_usable`] answers.
    pub fn set_usable(&self, usable: bool) {
        self.usable.store(usable, Ordering::SeqCst);
    }
}

impl fmt::Debug for TestConn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestConn")
            .field("id", &self.id)
            .field("usable", &self.usable.load(Ordering::SeqCst))
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

impl Connection for TestConn {
    fn is_usable(&self) -> bool {
        self.shared.enter(Callback::IsUsable);
        self.usable.load(Ordering::SeqCst)
    }

    fn idle_timeout(&self) -> Option<Duration> {
        self.shared.enter(Callback::IdleTimeout);
        self.idle_timeout
    }

    fn multiplex(&self) -> Option<Multiplex<Self>> {
        if self.streams <= 1 {
            return None;
        }
        let (id, idle_timeout, streams) = (self.id, self.idle_timeout, self.streams);
        let (usable, shared, handles) = (
            self.usable.clone(),
            self.shared.clone(),
            self.handles.clone(),
        );
        Some(Multiplex::new(streams, move || {
            handles.fetch_add(1, Ordering::SeqCst);
            Some(TestConn {
                id,
                usable: usable.clone(),
                idle_timeout,
                shared: shared.clone(),
                handles: handles.clone(),
                streams,
            })
        }))
    }

    fn watch_hangup(&mut self, hangup: Hangup) {
        self.shared.enter(Callback::WatchHangup);
        lock(&self.shared.hangups).insert(self.id, hangup);
    }

    async fn close(self) {
        self.shared.enter(Callback::Close);
        // Recorded after the drop, so that a test that sees a connection closed also sees it
        // gone from `live()`, whatever thread ran the close.
        let (id, shared) = (self.id, self.shared.clone());
        drop(self);
        lock(&shared.closed).push(id);
    }
}

impl Drop for TestConn {
    fn drop(&mut self) {
        if self.handles.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.shared.dropped.fetch_add(1, Ordering::SeqCst);
        }
    }
}
