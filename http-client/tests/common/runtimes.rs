//! Running one scenario under tokio and under smol, bounded in time.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{Clock, Runtime};
use fusebox_smol::SmolRuntime;
use fusebox_tokio::TokioRuntime;
use futures_lite::future;

/// How long a scenario may take before it fails instead of hanging.
const BOUND: Duration = Duration::from_secs(20);

/// Writes each named scenario (an `async fn name<R: Runtime>(rt: R)` in the parent module) as
/// one `#[test]` per runtime: `under_tokio::name` and `under_smol::name`.
#[macro_export]
macro_rules! on_both_runtimes {
    ($($name:ident),* $(,)?) => {
        mod under_tokio {
            $(
                #[test]
                fn $name() {
                    $crate::common::on_tokio(super::$name);
                }
            )*
        }
        mod under_smol {
            $(
                #[test]
                fn $name() {
                    $crate::common::on_smol(super::$name);
                }
            )*
        }
    };
}

/// Runs `scenario` on a two-worker tokio runtime.
pub fn on_tokio<F, Fut>(scenario: F)
where
    F: FnOnce(TokioRuntime) -> Fut,
    Fut: Future<Output = ()>,
{
    on_tokio_within(BOUND, scenario);
}

/// As [`on_tokio`], with a bound of its own for a scenario that does much more work.
pub fn on_tokio_within<F, Fut>(bound: Duration, scenario: F)
where
    F: FnOnce(TokioRuntime) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rt = TokioRuntime::from_handle(runtime.handle().clone());
    runtime.block_on(bounded(rt.clone(), bound, scenario(rt)));
}

/// Runs `scenario` on a smol executor run by the test thread and one more.
pub fn on_smol<F, Fut>(scenario: F)
where
    F: FnOnce(SmolRuntime) -> Fut,
    Fut: Future<Output = ()>,
{
    on_smol_within(BOUND, scenario);
}

/// As [`on_smol`], with a bound of its own for a scenario that does much more work.
pub fn on_smol_within<F, Fut>(bound: Duration, scenario: F)
where
    F: FnOnce(SmolRuntime) -> Fut,
    Fut: Future<Output = ()>,
{
    let executor = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let helper = {
        let executor = executor.clone();
        std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
    };
    let rt = SmolRuntime::with_executor(executor.clone());
    smol::block_on(executor.run(bounded(rt.clone(), bound, scenario(rt))));
    drop(stop);
    helper.join().unwrap().ok();
}

async fn bounded<R: Runtime>(rt: R, bound: Duration, scenario: impl Future<Output = ()>) {
    let deadline = rt.sleep_until(rt.now() + bound);
    future::or(scenario, async {
        deadline.await;
        panic!("the scenario did not finish within {bound:?}");
    })
    .await;
}

/// Sleeps for real on `clock`.
pub async fn sleep(clock: &dyn Clock, d: Duration) {
    clock.sleep_until(clock.now() + d).await;
}

/// Waits (for real, briefly: at most 5 s, looking every 2 ms) until `cond` holds, for what the
/// test cannot await, such as a background task acting on the manual clock.
pub async fn settle(rt: &dyn Clock, what: &str, mut cond: impl FnMut() -> bool) {
    let start = rt.now();
    while !cond() {
        assert!(
            rt.now() - start < Duration::from_secs(5),
            "waited 5 s for {what}"
        );
        sleep(rt, Duration::from_millis(2)).await;
    }
}
