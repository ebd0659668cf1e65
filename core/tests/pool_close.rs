//! `Pool::closed` resolves once every connection is closed and the reaper has ended, also when a
//! connection's `close` panics; `Pool::acquire_owned` gives a `'static` future that can be spawned.
//! On the manual clock and the manual spawner.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use fusebox_core::rt::{ManualClock, ManualSpawner};
use fusebox_core::{Connect, Connection, Pool, Wait};
use futures_lite::future::{block_on, poll_once};

struct Conn {
    id: usize,
    closed: Arc<AtomicUsize>,
}

impl Connection for Conn {
    fn close(self) -> impl Future<Output = ()> + Send + 'static {
        let closed = self.closed.clone();
        let id = self.id;
        async move {
            closed.fetch_add(1, SeqCst);
            assert!(id != 1, "connection 1 panics while closing");
        }
    }
}

#[derive(Default)]
struct Factory {
    made: AtomicUsize,
    closed: Arc<AtomicUsize>,
}

impl Connect<u8> for Factory {
    type Conn = Conn;
    type Error = Infallible;
    async fn connect(&self, _key: &u8) -> Result<Conn, Infallible> {
        let id = self.made.fetch_add(1, SeqCst) + 1;
        Ok(Conn {
            id,
            closed: self.closed.clone(),
        })
    }
}

fn pool(clock: &ManualClock, tasks: &ManualSpawner) -> Pool<u8, Factory> {
    Pool::builder(Factory::default())
        .max_per_key(4)
        .reap_interval(Duration::from_secs(1))
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(tasks.clone()))
        .build()
        .unwrap()
}

#[test]
fn closed_waits_for_busy_connections_close_tasks_and_the_reaper() {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let pool = pool(&clock, &tasks);
    tasks.run_until_stalled();
    let (idle, busy) = block_on(async {
        let a = pool.acquire(&1, Wait::None).await.unwrap();
        let b = pool.acquire(&1, Wait::None).await.unwrap();
        drop(a);
        (pool.acquire(&1, Wait::None).await.unwrap(), b)
    });
    drop(idle);

    let mut closed = Box::pin(pool.closed());
    assert!(block_on(poll_once(&mut closed)).is_none(), "not closed yet");
    pool.close();
    assert!(
        block_on(poll_once(&mut closed)).is_none(),
        "a busy connection is out"
    );
    drop(busy);
    assert!(
        block_on(poll_once(&mut closed)).is_none(),
        "the close tasks and the reaper have not run"
    );
    // Connection 1 panics in `close`: the others are still closed, and the pool finishes.
    tasks.run_until_stalled();
    assert_eq!(tasks.len(), 0, "the reaper ended");
    assert!(block_on(poll_once(&mut closed)).is_some());
    assert_eq!(pool.factory().closed.load(SeqCst), 2);
    let total = pool.stats().total;
    assert_eq!((total.created, total.closed), (2, 2));
}

#[test]
fn acquire_owned_is_a_static_future_that_can_be_spawned() {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let pool = pool(&clock, &tasks);
    let got = Arc::new(AtomicUsize::new(0));
    {
        let acquire = pool.acquire_owned(7, Wait::Forever);
        let got = got.clone();
        let task = async move {
            let conn = acquire.await.unwrap();
            got.store(conn.id, SeqCst);
        };
        fusebox_core::rt::Spawner::spawn(&tasks, Box::pin(task));
    }
    tasks.run_until_stalled();
    assert_eq!(got.load(SeqCst), 1);
    assert_eq!(pool.stats_for(&7).unwrap().idle, 1);
}
