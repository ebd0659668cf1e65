//! fusebox's runtime traits as hyper's: [`Spawner`] as its executor, [`Clock`] as its timer, so
//! that HTTP/2's background tasks run on the client's runtime and its keep-alive pings are timed
//! on the client's clock (a `ManualClock` in tests).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use fusebox_core::rt::{BoxFuture, Clock, Spawner};
use hyper::rt::{Executor, Sleep, Timer};

/// hyper's executor over a [`Spawner`]: the streams and the connection task of an HTTP/2
/// connection are spawned on it.
#[derive(Clone)]
pub(crate) struct SpawnerExecutor(pub(crate) Arc<dyn Spawner>);

impl<F> Executor<F> for SpawnerExecutor
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, fut: F) {
        self.0.spawn(Box::pin(fut));
    }
}

/// hyper's timer over a [`Clock`]: `now` and every sleep are the clock's.
#[derive(Clone)]
pub(crate) struct ClockTimer(pub(crate) Arc<dyn Clock>);

impl Timer for ClockTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Sleep>> {
        let clock = &self.0;
        Box::pin(ClockSleep::new(clock.sleep_from(clock.now(), duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn Sleep>> {
        Box::pin(ClockSleep::new(self.0.sleep_until(deadline)))
    }

    fn now(&self) -> Instant {
        self.0.now()
    }
}

/// A clock's sleep as hyper's [`Sleep`], which must be `Sync`: the boxed future is `Send` only,
/// so it sits behind a mutex that polling reaches through `&mut` without locking.
struct ClockSleep {
    sleep: Mutex<BoxFuture<'static, ()>>,
}

impl ClockSleep {
    fn new(sleep: BoxFuture<'static, ()>) -> ClockSleep {
        ClockSleep {
            sleep: Mutex::new(sleep),
        }
    }
}

impl Future for ClockSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self
            .get_mut()
            .sleep
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        sleep.as_mut().poll(cx)
    }
}

impl Sleep for ClockSleep {}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use fusebox_core::rt::ManualClock;
    use futures_lite::future::{block_on, poll_once};

    use super::*;

    #[test]
    fn the_timer_reads_and_sleeps_on_the_clock() {
        let clock = ManualClock::new();
        let timer = ClockTimer(Arc::new(clock.clone()));
        assert_eq!(timer.now(), clock.now());
        let mut short = timer.sleep(Duration::from_secs(1));
        let mut until = timer.sleep_until(clock.now() + Duration::from_secs(3));
        clock.advance(Duration::from_secs(1));
        assert!(block_on(poll_once(&mut short)).is_some());
        assert!(block_on(poll_once(&mut until)).is_none());
        // hyper moves a sleep to a new deadline with `reset`.
        timer.reset(&mut until, clock.now() + Duration::from_secs(5));
        clock.advance(Duration::from_secs(2));
        assert!(block_on(poll_once(&mut until)).is_none());
        clock.advance(Duration::from_secs(3));
        assert!(block_on(poll_once(&mut until)).is_some());
    }

    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl Spawner for Counting {
        fn spawn(&self, task: BoxFuture<'static, ()>) {
            self.0.fetch_add(1, Ordering::SeqCst);
            block_on(task);
        }
    }

    #[test]
    fn the_executor_spawns_on_the_spawner() {
        let spawner = Arc::new(Counting::default());
        let exec = SpawnerExecutor(spawner.clone());
        let ran = Arc::new(AtomicUsize::new(0));
        let r = ran.clone();
        exec.execute(async move {
            r.fetch_add(1, Ordering::SeqCst);
        });
        assert_eq!(spawner.0.load(Ordering::SeqCst), 1);
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
