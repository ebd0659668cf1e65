//! The real runtimes: tokio (current-thread or multi-thread) and smol.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Instant;

use async_executor::Executor;
use fusebox_core::rt::{Clock, Spawner};
use fusebox_smol::SmolRuntime;
use fusebox_tokio::TokioRuntime;

use super::{
    CatchPanics, Harness, RUN_BOUND, SETTLE_BOUND, check_bound, check_no_panics, spin_until_after,
};

/// tokio, on a current-thread or a multi-thread runtime.
pub struct TokioHarness {
    runtime: tokio::runtime::Runtime,
    name: &'static str,
    panics: Arc<AtomicUsize>,
}

impl TokioHarness {
    /// A current-thread runtime: the scenario and its tasks share one thread.
    ///
    /// # Panics
    ///
    /// If tokio cannot build the runtime.
    pub fn current_thread() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio current-thread runtime");
        TokioHarness {
            runtime,
            name: "tokio current-thread",
            panics: Arc::default(),
        }
    }

    /// A multi-thread runtime with `workers` worker threads; the scenario runs on the test's
    /// thread and spawned tasks on the workers.
    ///
    /// # Panics
    ///
    /// If tokio cannot build the runtime.
    pub fn multi_thread(workers: usize) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
            .expect("tokio multi-thread runtime");
        TokioHarness {
            runtime,
            name: "tokio multi-thread",
            panics: Arc::default(),
        }
    }

    fn rt(&self) -> TokioRuntime {
        TokioRuntime::from_handle(self.runtime.handle().clone())
    }
}

impl fmt::Debug for TokioHarness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokioHarness")
            .field("name", &self.name)
            .finish()
    }
}

impl Harness for TokioHarness {
    fn name(&self) -> &'static str {
        self.name
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.rt())
    }

    fn spawner(&self) -> Arc<dyn Spawner> {
        Arc::new(CatchPanics {
            inner: Arc::new(self.rt()),
            panics: self.panics.clone(),
        })
    }

    fn run<T>(&self, scenario: impl Future<Output = T>) -> T {
        let name = self.name;
        let output = self.runtime.block_on(async move {
            tokio::time::timeout(RUN_BOUND, scenario)
                .await
                .unwrap_or_else(|_| panic!("{name}: the scenario did not finish in {RUN_BOUND:?}"))
        });
        check_no_panics(&self.panics, name);
        output
    }

    async fn settle<'a>(&'a self, what: &'a str, mut cond: impl FnMut() -> bool + 'a) {
        let bound = Instant::now() + SETTLE_BOUND;
        while !cond() {
            check_bound(bound, self.name, what);
            tokio::task::yield_now().await;
        }
    }

    fn let_time_pass(&self) {
        let clock = self.rt();
        spin_until_after(&clock, clock.now());
    }
}

/// smol: async-io timers and an executor that runs on the scenario's thread.
pub struct SmolHarness {
    executor: Arc<Executor<'static>>,
    panics: Arc<AtomicUsize>,
}

impl SmolHarness {
    /// A harness with a fresh executor.
    pub fn new() -> Self {
        SmolHarness {
            executor: Arc::new(Executor::new()),
            panics: Arc::default(),
        }
    }

    fn rt(&self) -> SmolRuntime {
        SmolRuntime::with_executor(self.executor.clone())
    }
}

impl Default for SmolHarness {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SmolHarness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmolHarness").finish_non_exhaustive()
    }
}

impl Harness for SmolHarness {
    fn name(&self) -> &'static str {
        "smol"
    }

    fn clock(&self) -> Arc<dyn Clock> {
        Arc::new(self.rt())
    }

    fn spawner(&self) -> Arc<dyn Spawner> {
        Arc::new(CatchPanics {
            inner: Arc::new(self.rt()),
            panics: self.panics.clone(),
        })
    }

    fn run<T>(&self, scenario: impl Future<Output = T>) -> T {
        let bounded = futures_lite::future::or(scenario, async {
            smol::Timer::after(RUN_BOUND).await;
            panic!("smol: the scenario did not finish in {RUN_BOUND:?}")
        });
        let output = futures_lite::future::block_on(self.executor.run(bounded));
        check_no_panics(&self.panics, "smol");
        output
    }

    async fn settle<'a>(&'a self, what: &'a str, mut cond: impl FnMut() -> bool + 'a) {
        let bound = Instant::now() + SETTLE_BOUND;
        while !cond() {
            check_bound(bound, "smol", what);
            futures_lite::future::yield_now().await;
        }
    }

    fn let_time_pass(&self) {
        let clock = self.rt();
        spin_until_after(&clock, clock.now());
    }
}
