//! An acquire makes a timer for its connect (or its check on checkout) only when that is not
//! ready at once: a connection made or checked in one poll registers nothing with the runtime,
//! and one that takes longer is still bounded by its timeout from the start.
#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fusebox_core::rt::{BoxFuture, Clock, ManualClock, ManualSpawner};
use fusebox_core::{AcquireError, Connect, Connection, Pool, Wait};
use futures_lite::future::{block_on, poll_once};

/// A manual clock that counts the sleeps asked of it.
#[derive(Clone, Default)]
struct Counting {
    clock: ManualClock,
    sleeps: Arc<AtomicUsize>,
}

impl Clock for Counting {
    fn now(&self) -> Instant {
        self.clock.now()
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        self.sleeps.fetch_add(1, Ordering::SeqCst);
        self.clock.sleep_until(deadline)
    }
}

struct Conn;

impl Connection for Conn {}

/// Connects at once, or never when `hang` is set.
struct Factory {
    hang: bool,
}

impl Connect<u8> for Factory {
    type Conn = Conn;
    type Error = std::io::Error;

    fn connect(&self, _: &u8) -> impl Future<Output = Result<Conn, std::io::Error>> + Send {
        let hang = self.hang;
        async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Ok(Conn)
        }
    }
}

const CONNECT: Duration = Duration::from_secs(3);

fn pool(hang: bool, clock: &Counting) -> Pool<u8, Factory> {
    Pool::builder(Factory { hang })
        .max_per_key(1)
        .connect_timeout(CONNECT)
        // No reaper timer, and a check on every checkout.
        .reap_interval(Duration::MAX)
        .check_after(Duration::ZERO)
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(ManualSpawner::new()))
        .build()
        .expect("a valid configuration")
}

#[test]
fn a_connect_and_a_check_ready_at_once_make_no_timer() {
    let clock = Counting::default();
    let pool = pool(false, &clock);
    // Connected in one poll, then taken from idle and checked in one poll.
    drop(block_on(pool.acquire(&1, Wait::Forever)).expect("a connection"));
    drop(block_on(pool.acquire(&1, Wait::Forever)).expect("a connection"));
    assert_eq!(pool.stats().total.created, 1);
    assert_eq!(clock.sleeps.load(Ordering::SeqCst), 0);
}

#[test]
fn a_pending_connect_still_times_out_from_its_start() {
    let clock = Counting::default();
    let pool = pool(true, &clock);
    let mut acquire = Box::pin(pool.acquire(&1, Wait::Forever));
    let start = clock.now();
    assert!(block_on(poll_once(&mut acquire)).is_none());
    assert_eq!(
        clock.sleeps.load(Ordering::SeqCst),
        1,
        "one timer, made when it was needed"
    );
    // Polled again later, it keeps its deadline at start + CONNECT, not from the later poll.
    clock.clock.advance(CONNECT - Duration::from_secs(1));
    assert!(block_on(poll_once(&mut acquire)).is_none());
    clock.clock.advance(Duration::from_secs(1));
    assert_eq!(clock.now() - start, CONNECT);
    match block_on(poll_once(&mut acquire)) {
        Some(Err(AcquireError::ConnectTimeout(after))) => assert_eq!(after, CONNECT),
        other => panic!("expected a connect timeout, got {other:?}"),
    }
    assert_eq!(clock.sleeps.load(Ordering::SeqCst), 1);
}
