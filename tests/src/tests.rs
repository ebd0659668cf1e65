//! Tests of the helpers themselves: a harness that could not fail would make every scenario pass.

use std::task::Poll;
use std::time::Duration;

use fusebox_core::Connect;

use crate::{Harness, ManualHarness, Probe, TestError, TestFactory, TimeControl};

#[test]
fn probe_sees_wakeups_between_polls() {
    let h = ManualHarness::new();
    let clock = h.clock();
    let mut sleep = Probe::new(clock.sleep_until(clock.now() + Duration::from_secs(1)));
    sleep.assert_pending();
    assert!(!sleep.is_woken());
    h.advance(Duration::from_secs(1));
    assert!(sleep.is_woken());
    assert_eq!(sleep.poll(), Poll::Ready(()));
}

#[test]
#[should_panic(expected = "no task can run")]
fn manual_settle_fails_when_nothing_can_happen() {
    let h = ManualHarness::new();
    h.run(h.settle("something that never happens", || false));
}

#[test]
#[should_panic(expected = "the scenario is pending and no task can run")]
fn manual_run_fails_a_stalled_scenario() {
    let h = ManualHarness::new();
    let clock = h.clock();
    h.run(clock.sleep_until(clock.now() + Duration::from_secs(1)));
}

#[test]
#[should_panic(expected = "1 spawned task(s) panicked")]
fn manual_run_fails_when_a_spawned_task_panicked() {
    let h = ManualHarness::new();
    h.spawner()
        .spawn(Box::pin(async { panic!("in the background") }));
    h.run(async { h.run_ready() });
}

#[test]
fn spawned_tasks_run_and_join_under_the_manual_clock() {
    let h = ManualHarness::new();
    let task = h.spawn(async { 6 * 7 });
    assert!(!task.is_finished(), "nothing runs until the scenario waits");
    assert_eq!(h.run(h.join(task)), 42);
}

#[test]
fn factory_gate_and_failures() {
    let f = TestFactory::new();
    f.hold();
    f.fail_next(1);
    let mut first = Probe::new(Connect::<char>::connect(&f, &'a'));
    let mut second = Probe::new(Connect::<char>::connect(&f, &'a'));
    first.assert_pending();
    second.assert_pending();
    assert_eq!((f.attempts(), f.in_flight()), (2, 2));
    f.release(1);
    assert!(first.is_woken());
    assert_eq!(first.ready().unwrap_err(), TestError);
    second.assert_pending();
    drop(second);
    assert_eq!((f.in_flight(), f.created()), (0, 0));
    f.open();
    let conn = Probe::new(Connect::<char>::connect(&f, &'a'))
        .ready()
        .unwrap();
    assert_eq!((conn.id(), f.live()), (1, 1));
    drop(conn);
    assert_eq!(f.live(), 0);
    assert!(f.closed().is_empty(), "dropped, not closed");
}
