//! Compile-time checks that the pool's public types can cross threads: the pool and its guard are
//! `Send` and `Sync`, the acquire future is `Send`, for every key and factory the pool accepts.
//! The functions below need only compile; the tests call them so that nothing is dead code.
#![forbid(unsafe_code)]

use std::future::Future;

use fusebox_core::pool::{Acquire, Builder, Key};
use fusebox_core::{
    AcquireError, BuildError, Connect, Counts, Pool, Pooled, Stats, Wait, WaitError,
};
use fusebox_tests::{TestError, TestFactory};

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

/// For any key and factory.
fn any_key_and_factory<K: Key, F: Connect<K>>() {
    assert_send::<Pool<K, F>>();
    assert_sync::<Pool<K, F>>();
    assert_send::<Builder<K, F>>();
    assert_send::<Pooled<K, F>>();
    assert_send::<Acquire<'static, K, F>>();
    assert_send::<Stats<K>>();
    assert_sync::<Stats<K>>();
    assert_send::<AcquireError<F::Error>>();
    assert_sync::<AcquireError<F::Error>>();
}

/// A guard is shared between threads exactly when its connection can be.
fn guard_shared_when_the_connection_is<K: Key, F: Connect<K>>()
where
    F::Conn: Sync,
{
    assert_sync::<Pooled<K, F>>();
}

/// An acquire awaited inside a task that a multi-thread runtime can run.
#[expect(
    clippy::manual_async_fn,
    reason = "the explicit `Send + 'static` bound is the check"
)]
fn acquire_in_a_task<K: Key, F: Connect<K>>(
    pool: Pool<K, F>,
    key: K,
) -> impl Future<Output = ()> + Send + 'static {
    async move {
        if let Ok(conn) = pool.acquire(&key, Wait::Forever).await {
            drop(conn);
        }
    }
}

#[test]
fn pool_guard_and_acquire_are_send_and_sync_where_they_should_be() {
    any_key_and_factory::<char, TestFactory>();
    any_key_and_factory::<String, TestFactory>();
    guard_shared_when_the_connection_is::<char, TestFactory>();
    assert_send::<Counts>();
    assert_sync::<Counts>();
    assert_send::<BuildError>();
    assert_sync::<BuildError>();
    assert_send::<Wait>();
    assert_sync::<Wait>();
    assert_send::<WaitError>();
    assert_sync::<WaitError>();
    assert_send::<AcquireError<TestError>>();
    assert_sync::<AcquireError<TestError>>();
}

#[test]
fn an_acquire_can_be_spawned_on_a_multi_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let pool: Pool<String, TestFactory> = Pool::builder(TestFactory::new())
        .max_per_key(1)
        .runtime(fusebox_tokio::TokioRuntime::from_handle(
            runtime.handle().clone(),
        ))
        .build()
        .unwrap();
    runtime
        .block_on(runtime.spawn(acquire_in_a_task(pool, "db".to_string())))
        .expect("the task ran");
    // Keys that hold a lifetime, like `&'static str`, make rustc fail to prove such a task `Send`
    // ("implementation of `Send` is not general enough", a limitation of its auto-trait checks of
    // async blocks): the suite uses `char` keys, and users should prefer owned keys.
}
