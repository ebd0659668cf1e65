//! The asynchronous check on checkout (`Connection::check`): run only for connections idle longer
//! than `check_after`, bounded by `check_timeout`; a failed, panicking or hung check drops the
//! connection and the acquire goes on; an acquire dropped mid-check gives its room back.
//! On the manual clock and the manual spawner.

use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fusebox_core::rt::{ManualClock, ManualSpawner};
use fusebox_core::{Connect, Connection, Pool, Wait};
use futures_lite::future::{block_on, poll_once};

/// What the next checks answer, in order; once empty, they pass.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Pass,
    Fail,
    Panic,
    Hang,
}

#[derive(Default)]
struct Shared {
    answers: Mutex<Vec<Answer>>,
    checks: AtomicUsize,
    made: AtomicUsize,
}

struct Conn {
    id: usize,
    shared: Arc<Shared>,
}

impl Connection for Conn {
    fn check(self) -> impl Future<Output = Option<Self>> + Send + 'static {
        self.shared.checks.fetch_add(1, SeqCst);
        let answer = {
            let mut answers = self.shared.answers.lock().unwrap();
            if answers.is_empty() {
                Answer::Pass
            } else {
                answers.remove(0)
            }
        };
        async move {
            match answer {
                Answer::Pass => Some(self),
                Answer::Fail => None,
                Answer::Panic => panic!("the check panics"),
                Answer::Hang => std::future::pending().await,
            }
        }
    }
}

struct Factory(Arc<Shared>);

impl Connect<u8> for Factory {
    type Conn = Conn;
    type Error = Infallible;
    async fn connect(&self, _key: &u8) -> Result<Conn, Infallible> {
        let id = self.0.made.fetch_add(1, SeqCst) + 1;
        Ok(Conn {
            id,
            shared: self.0.clone(),
        })
    }
}

const AFTER: Duration = Duration::from_millis(500);
const TIMEOUT: Duration = Duration::from_secs(2);

fn setup(max_per_key: usize) -> (ManualClock, ManualSpawner, Arc<Shared>, Pool<u8, Factory>) {
    let (clock, tasks, shared) = (ManualClock::new(), ManualSpawner::new(), Arc::default());
    let pool = Pool::builder(Factory(Arc::clone(&shared)))
        .max_per_key(max_per_key)
        .check_after(AFTER)
        .check_timeout(TIMEOUT)
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(tasks.clone()))
        .build()
        .unwrap();
    (clock, tasks, shared, pool)
}

fn answers(shared: &Shared, list: &[Answer]) {
    *shared.answers.lock().unwrap() = list.to_vec();
}

#[test]
fn only_connections_idle_past_the_threshold_are_checked() {
    let (clock, _tasks, shared, pool) = setup(1);
    drop(block_on(pool.acquire(&1, Wait::None)).unwrap());
    clock.advance(AFTER - Duration::from_millis(1));
    drop(block_on(pool.acquire(&1, Wait::None)).unwrap());
    assert_eq!(
        shared.checks.load(SeqCst),
        0,
        "used recently: handed out at once"
    );
    clock.advance(AFTER);
    let conn = block_on(pool.acquire(&1, Wait::None)).unwrap();
    assert_eq!(
        (conn.id, shared.checks.load(SeqCst)),
        (1, 1),
        "checked, passed, reused"
    );
}

#[test]
fn a_failed_or_panicking_check_drops_the_connection_and_the_acquire_goes_on() {
    let (clock, _tasks, shared, pool) = setup(2);
    let (a, b) = block_on(async {
        let a = pool.acquire(&1, Wait::None).await.unwrap();
        (a, pool.acquire(&1, Wait::None).await.unwrap())
    });
    drop((a, b));
    clock.advance(AFTER);
    answers(&shared, &[Answer::Fail, Answer::Panic]);
    let conn = block_on(pool.acquire(&1, Wait::None)).unwrap();
    assert_eq!(
        conn.id, 3,
        "both idle connections failed their checks: a new one"
    );
    let counts = pool.stats().total;
    assert_eq!((counts.unusable, counts.created, counts.reused), (2, 3, 0));
    assert_eq!(
        counts.created,
        (counts.idle + counts.busy) as u64 + counts.closed_total()
    );
}

#[test]
fn a_hung_check_times_out() {
    let (clock, _tasks, shared, pool) = setup(1);
    drop(block_on(pool.acquire(&1, Wait::None)).unwrap());
    clock.advance(AFTER);
    answers(&shared, &[Answer::Hang]);
    let mut acquire = Box::pin(pool.acquire(&1, Wait::None));
    assert!(block_on(poll_once(&mut acquire)).is_none(), "checking");
    clock.advance(TIMEOUT);
    let conn = block_on(acquire).unwrap();
    assert_eq!(conn.id, 2);
    assert_eq!(pool.stats().total.unusable, 1);
}

#[test]
fn an_acquire_dropped_mid_check_gives_its_room_back() {
    let (clock, _tasks, shared, pool) = setup(1);
    drop(block_on(pool.acquire(&1, Wait::None)).unwrap());
    clock.advance(AFTER);
    answers(&shared, &[Answer::Hang]);
    let mut acquire = Box::pin(pool.acquire(&1, Wait::None));
    assert!(block_on(poll_once(&mut acquire)).is_none(), "checking");
    assert_eq!(pool.stats().total.busy, 1);
    drop(acquire);
    let counts = pool.stats().total;
    assert_eq!((counts.busy, counts.discarded), (0, 1));
    let conn = block_on(pool.acquire(&1, Wait::None)).unwrap();
    assert_eq!(conn.id, 2, "the key's one slot is free again");
}
