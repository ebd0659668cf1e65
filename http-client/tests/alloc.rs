//! An open breaker's answer allocates nothing: constructing and dropping the `Open` error of a
//! `FuseClient` whose breaker is open, origin included. In a test binary of its own, so that
//! the counting allocator sees no other test's allocations.

use std::alloc::System;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fusebox_core::breaker::{BreakerConfig, TripReason};
use fusebox_core::rt::{BoxFuture, BoxIo, Clock, Dial, ManualClock, Spawner};
use fusebox_http::{Client, FuseClient};
use futures_lite::future::block_on;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Keeps the tasks it is given without running them (so that the recovery task counts as
/// running), and dials nothing: the breaker's answer needs neither.
#[derive(Clone, Default)]
struct Idle(Arc<std::sync::Mutex<Vec<BoxFuture<'static, ()>>>>);

impl Spawner for Idle {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        self.0.lock().unwrap().push(task);
    }
}

impl Dial for Idle {
    fn dial(&self, _: &str, _: u16) -> BoxFuture<'static, std::io::Result<BoxIo>> {
        Box::pin(async { Err(std::io::ErrorKind::Unsupported.into()) })
    }
}

#[test]
fn an_open_breaker_fails_a_request_without_allocating() {
    let clock = Arc::new(ManualClock::new());
    let client = Client::builder()
        .clock(clock.clone())
        .spawner(Arc::new(Idle::default()))
        .dial(Arc::new(Idle::default()))
        .build()
        .unwrap();
    let config = BreakerConfig::builder()
        .failure_threshold(1)
        .build()
        .unwrap();
    let fuse = FuseClient::builder(client, "http://127.0.0.1:9/api")
        .breaker(config)
        .build()
        .unwrap();
    let permit = fuse.breaker().check().unwrap();
    permit.failure(clock.now(), TripReason::Connect);
    clock.advance(Duration::from_secs(1));

    let request = || http::Request::get("/users").body(Bytes::new()).unwrap();
    // Once outside the region: block_on's parker and waker are made on first use.
    let e = block_on(fuse.send(request())).unwrap_err();
    assert!(e.is_open() && e.origin().is_some(), "{e:?}");

    let req = request();
    let region = Region::new(GLOBAL);
    let result = block_on(fuse.send(req));
    let open = result.as_ref().is_err_and(|e| e.is_open());
    drop(result);
    let allocations = region.change().allocations;
    assert!(open);
    assert_eq!(allocations, 0, "an open breaker's error allocated");

    // The builder's way: the refusal is held by the builder, and sending it allocates nothing.
    let region = Region::new(GLOBAL);
    let result = block_on(fuse.get("/users").header("x-a", "1").send());
    let open = result.as_ref().is_err_and(|e| e.is_open());
    drop(result);
    let allocations = region.change().allocations;
    assert!(open);
    assert_eq!(allocations, 0, "a refused builder allocated");
}
