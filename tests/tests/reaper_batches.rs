//! The reaper gives its thread back between batches: a round that has work in many shards yields
//! after each batch, so that no one poll of the reaper runs the batches of several shards back to
//! back (on a current-thread runtime, that would keep every other task waiting that long).
#![forbid(unsafe_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use fusebox_core::rt::{BoxFuture, ManualClock, ManualSpawner, Spawner};
use fusebox_core::{Pool, Wait};
use fusebox_tests::TestFactory;
use futures_lite::future::block_on;

/// Counts the polls of the first task spawned through it (the pool's reaper).
#[derive(Clone)]
struct CountFirst {
    tasks: ManualSpawner,
    spawned: Arc<AtomicUsize>,
    polls: Arc<AtomicUsize>,
}

impl Spawner for CountFirst {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        if self.spawned.fetch_add(1, Ordering::SeqCst) == 0 {
            let polls = self.polls.clone();
            self.tasks.spawn(Box::pin(Counted { task, polls }));
        } else {
            self.tasks.spawn(task);
        }
    }
}

struct Counted {
    task: BoxFuture<'static, ()>,
    polls: Arc<AtomicUsize>,
}

impl Future for Counted {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        self.task.as_mut().poll(cx)
    }
}

#[test]
fn a_round_with_work_in_many_shards_yields_after_each_batch() {
    const KEYS: u32 = 64;
    let clock = ManualClock::new();
    let spawner = CountFirst {
        tasks: ManualSpawner::new(),
        spawned: Arc::default(),
        polls: Arc::default(),
    };
    let reap = Duration::from_secs(10);
    let pool = Pool::builder(TestFactory::new())
        .max_per_key(1)
        .idle_timeout(reap)
        .reap_interval(reap)
        .clock(Arc::new(clock.clone()))
        .spawner(Arc::new(spawner.clone()))
        .build()
        .expect("a valid configuration");
    spawner.tasks.run_until_stalled();
    for key in 0..KEYS {
        drop(block_on(pool.acquire(&key, Wait::Forever)).expect("a connection"));
    }
    assert_eq!(pool.stats().total.idle, KEYS as usize);

    let before = spawner.polls.load(Ordering::SeqCst);
    clock.advance(reap);
    spawner.tasks.run_until_stalled();
    let polls = spawner.polls.load(Ordering::SeqCst) - before;

    assert_eq!(
        pool.stats().total.idle,
        0,
        "the round closed every connection"
    );
    // 64 keys spread over the pool's shards, each shard's share done in one batch: one poll per
    // batch, and the one that goes back to sleep. Run back to back, they took a single poll.
    assert!(
        polls > 4,
        "{polls} polls of the reaper for a round over {KEYS} keys"
    );
}
