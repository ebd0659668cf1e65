//! Moving the manual clock a step at a time and waiting, in real time, for the work each step
//! woke to be done.

use std::time::{Duration, Instant};

use fusebox_core::rt::Clock;

use super::{REAL_LIMIT, Rig};

/// One reading of what the woken work has done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reading {
    answered: u64,
    sent: u64,
    pending: usize,
    due: bool,
    running: bool,
    recoveries: u64,
}

impl Rig<'_> {
    /// Steps the clock by `by`, with no calls.
    pub(super) async fn step_for(&self, by: Duration) -> Result<(), String> {
        let until = self.clock.now() + by;
        while self.clock.now() < until {
            self.step().await?;
        }
        Ok(())
    }

    pub(super) fn steps_per_pause(&self) -> u128 {
        (self.plan.pause.as_nanos() / self.plan.step.as_nanos().max(1)).max(1)
    }

    /// Moves the clock one step; if that reached a deadline, waits for the woken work to be done.
    pub(super) async fn step(&self) -> Result<(), String> {
        let to = self.clock.now() + self.plan.step;
        let wakes = self.clock.earliest().is_some_and(|at| at <= to);
        self.clock.manual.advance(self.plan.step);
        if wakes {
            self.settle().await?;
        }
        Ok(())
    }

    fn read(&self) -> Reading {
        Reading {
            answered: self.server.health_answered(),
            sent: self.group.stats().probes_sent,
            pending: self.clock.live(),
            due: self
                .clock
                .earliest()
                .is_some_and(|at| at <= self.clock.now()),
            running: self.group.stats().recovering,
            recoveries: self.group.stats().recoveries,
        }
    }

    fn is_quiet(&self, r: Reading) -> bool {
        !r.due && r.answered == r.sent && r.pending == self.idle_sleeps + usize::from(r.running)
    }

    /// Waits, in real time, until the clients and the recovery task are quiet (see the
    /// documentation of `recovery_manual`).
    pub(super) async fn settle(&self) -> Result<(), String> {
        let deadline = Instant::now() + REAL_LIMIT;
        loop {
            let first = self.read();
            if self.is_quiet(first) {
                tokio::time::sleep(Duration::from_millis(1)).await;
                if self.read() == first {
                    return Ok(());
                }
            } else {
                tokio::task::yield_now().await;
                std::thread::sleep(Duration::from_micros(100));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the woken work was not done within {REAL_LIMIT:?}: {:?}, {} idle sleeps",
                    self.read(),
                    self.idle_sleeps
                ));
            }
        }
    }

    /// The sleeps pending once the client has been quiet a while: waits for the count to hold
    /// for 20 ms (within 2 s).
    pub(super) async fn quiet_sleeps(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut last = self.clock.live();
        let mut held = Instant::now();
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
            let now = self.clock.live();
            if now != last {
                (last, held) = (now, Instant::now());
            } else if held.elapsed() >= Duration::from_millis(20) && now > 0 {
                break;
            }
        }
        last
    }
}
