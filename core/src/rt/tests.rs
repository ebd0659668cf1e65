//! Tests of the manual runtime: `ManualSpawner` and `ManualClock::next_deadline`.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::Poll;
use std::time::Duration;

use event_listener::Event;
use futures_lite::future::{block_on, poll_fn, poll_once, yield_now};

use super::{BoxFuture, Clock, ManualClock, ManualSpawner, Spawner};

const SEC: Duration = Duration::from_secs(1);

fn spawn(tasks: &ManualSpawner, task: impl Future<Output = ()> + Send + 'static) {
    tasks.spawn(Box::pin(task));
}

/// A task that is never ready and never wakes itself; counts its polls.
fn stuck(polls: &Arc<AtomicUsize>) -> BoxFuture<'static, ()> {
    let polls = polls.clone();
    Box::pin(poll_fn(move |_| {
        polls.fetch_add(1, SeqCst);
        Poll::Pending
    }))
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    check::<ManualSpawner>();
    check::<ManualClock>();
}

#[test]
fn a_task_runs_only_when_asked() {
    let tasks = ManualSpawner::new();
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    spawn(&tasks, async move { flag.store(true, SeqCst) });
    assert_eq!((tasks.len(), tasks.is_empty()), (1, false));
    assert!(!ran.load(SeqCst));
    assert_eq!(tasks.run_until_stalled(), 0);
    assert!(ran.load(SeqCst));
    assert!(tasks.is_empty());
    assert_eq!(ManualSpawner::new().run_until_stalled(), 0);
}

#[test]
fn a_task_woken_by_advance_between_runs_runs_in_the_next() {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let woke = Arc::new(AtomicBool::new(false));
    let (sleep, flag) = (clock.sleep_from(clock.now(), SEC), woke.clone());
    spawn(&tasks, async move {
        sleep.await;
        flag.store(true, SeqCst);
    });
    assert_eq!(tasks.run_until_stalled(), 1);
    assert_eq!(tasks.run_until_stalled(), 1);
    assert!(!woke.load(SeqCst));
    clock.advance(SEC);
    assert_eq!(tasks.run_until_stalled(), 0);
    assert!(woke.load(SeqCst));
}

#[test]
fn a_task_woken_by_advance_during_a_run_is_polled_again_in_it() {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let (sleep, woke) = (
        clock.sleep_from(clock.now(), SEC),
        Arc::new(AtomicBool::new(false)),
    );
    let flag = woke.clone();
    spawn(&tasks, async move {
        sleep.await;
        flag.store(true, SeqCst);
    });
    // Polled after the sleeper has registered its sleep.
    let mover = clock.clone();
    spawn(&tasks, async move { mover.advance(SEC) });
    assert_eq!(tasks.run_until_stalled(), 0);
    assert!(woke.load(SeqCst));
}

#[test]
fn a_task_woken_by_a_later_task_is_polled_again_in_the_same_run() {
    let tasks = ManualSpawner::new();
    let (event, set) = (Arc::new(Event::new()), Arc::new(AtomicBool::new(false)));
    let order = Arc::new(AtomicUsize::new(0));
    let (listen, seen, done) = (event.clone(), set.clone(), order.clone());
    spawn(&tasks, async move {
        while !seen.load(SeqCst) {
            let listener = listen.listen();
            if seen.load(SeqCst) {
                break;
            }
            listener.await;
        }
        done.store(2, SeqCst);
    });
    let notified = order.clone();
    spawn(&tasks, async move {
        notified.store(1, SeqCst);
        set.store(true, SeqCst);
        event.notify(usize::MAX);
    });
    assert_eq!(tasks.run_until_stalled(), 0);
    assert_eq!(order.load(SeqCst), 2);
}

#[test]
fn tasks_spawned_by_tasks_run_in_the_same_run() {
    let tasks = ManualSpawner::new();
    let ran = Arc::new(AtomicUsize::new(0));
    let (spawner, count) = (tasks.clone(), ran.clone());
    spawn(&tasks, async move {
        count.fetch_add(1, SeqCst);
        let (grand_spawner, child_count) = (spawner.clone(), count.clone());
        spawn(&spawner, async move {
            child_count.fetch_add(1, SeqCst);
            // The task being polled counts as alive; its parent is done.
            assert_eq!(grand_spawner.len(), 1);
            let grand_count = child_count.clone();
            spawn(&grand_spawner, async move {
                grand_count.fetch_add(1, SeqCst);
            });
        });
    });
    assert_eq!(tasks.run_until_stalled(), 0);
    assert_eq!(ran.load(SeqCst), 3);
}

#[test]
fn a_never_ready_task_does_not_keep_the_run_going() {
    let tasks = ManualSpawner::new();
    let polls = Arc::new(AtomicUsize::new(0));
    tasks.spawn(stuck(&polls));
    spawn(&tasks, async {
        for _ in 0..3 {
            yield_now().await;
        }
    });
    tasks.spawn(Box::pin(std::future::pending()));
    assert_eq!(tasks.run_until_stalled(), 2);
    assert_eq!(tasks.run_until_stalled(), 2);
    // Never woken, so polled once, not once a round.
    assert_eq!(polls.load(SeqCst), 1);
    assert_eq!(tasks.len(), 2);
}

#[test]
fn a_panic_reaches_the_caller_and_the_other_tasks_stay() {
    let tasks = ManualSpawner::new();
    let polls = Arc::new(AtomicUsize::new(0));
    let ran = Arc::new(AtomicBool::new(false));
    tasks.spawn(stuck(&polls));
    spawn(&tasks, async { panic!("the reaper fell over") });
    let flag = ran.clone();
    spawn(&tasks, async move { flag.store(true, SeqCst) });

    let payload = catch_unwind(AssertUnwindSafe(|| tasks.run_until_stalled())).unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the reaper fell over")
    );
    assert_eq!(tasks.len(), 2);
    assert!(!ran.load(SeqCst));

    // The spawner is still usable: the task after the panicking one runs next time.
    assert_eq!(tasks.run_until_stalled(), 1);
    assert!(ran.load(SeqCst));
    assert_eq!(polls.load(SeqCst), 1);
}

#[test]
fn dropping_the_last_clone_drops_the_tasks() {
    let tasks = ManualSpawner::new();
    let marker = Arc::new(());
    let held = marker.clone();
    spawn(&tasks, async move {
        let _held = held;
        std::future::pending::<()>().await;
    });
    assert_eq!(tasks.run_until_stalled(), 1);
    let clone = tasks.clone();
    drop(tasks);
    assert_eq!(Arc::strong_count(&marker), 2);
    drop(clone);
    assert_eq!(Arc::strong_count(&marker), 1);
}

#[test]
fn next_deadline_is_the_earliest_registered_sleep() {
    let clock = ManualClock::new();
    let start = clock.now();
    assert_eq!(clock.next_deadline(), None);
    let mut sleeps: Vec<_> = [3, 1, 2]
        .map(|s| clock.sleep_until(start + s * SEC))
        .into_iter()
        .collect();
    // A sleep registers when it is first polled.
    assert_eq!(clock.next_deadline(), None);
    for sleep in &mut sleeps {
        assert!(block_on(poll_once(sleep)).is_none());
    }
    assert_eq!(clock.next_deadline(), Some(start + SEC));
    assert_eq!(clock.pending_sleeps(), 3);

    clock.advance(SEC);
    assert_eq!(clock.next_deadline(), Some(start + 2 * SEC));
    // Dropping a sleep forgets it.
    drop(sleeps.remove(2));
    assert_eq!(clock.next_deadline(), Some(start + 3 * SEC));
    clock.advance(5 * SEC);
    assert_eq!(clock.next_deadline(), None);
    assert_eq!(clock.pending_sleeps(), 0);
}

#[test]
fn advance_to_next_wakes_the_sleeps_of_the_earliest_deadline_only() {
    let clock = ManualClock::new();
    let start = clock.now();
    assert_eq!(clock.advance_to_next(), None);
    assert_eq!(clock.now(), start);
    let mut sleeps = [2, 2, 4].map(|s| clock.sleep_until(start + s * SEC));
    for sleep in &mut sleeps {
        assert!(block_on(poll_once(sleep)).is_none());
    }
    assert_eq!(clock.advance_to_next(), Some(start + 2 * SEC));
    assert_eq!(clock.now(), start + 2 * SEC);
    let ready = sleeps.each_mut().map(|s| block_on(poll_once(s)).is_some());
    assert_eq!(ready, [true, true, false]);
    assert_eq!(clock.advance_to_next(), Some(start + 4 * SEC));
    assert!(block_on(poll_once(&mut sleeps[2])).is_some());
    assert_eq!(clock.advance_to_next(), None);
}

#[test]
fn a_spawner_and_a_clock_drive_a_timer_loop() {
    let (clock, tasks) = (ManualClock::new(), ManualSpawner::new());
    let ticks = Arc::new(AtomicUsize::new(0));
    let (timer, count) = (clock.clone(), ticks.clone());
    spawn(&tasks, async move {
        loop {
            timer.sleep_from(timer.now(), SEC).await;
            count.fetch_add(1, SeqCst);
        }
    });
    let start = clock.now();
    for tick in 1..=3 {
        assert_eq!(tasks.run_until_stalled(), 1);
        assert_eq!(clock.next_deadline(), Some(start + tick * SEC));
        clock.advance_to_next();
    }
    assert_eq!(tasks.run_until_stalled(), 1);
    assert_eq!(ticks.load(SeqCst), 3);
}
