//! Heap allocations of a [`FuseClient`]'s fail-fast refusal, for `breaker_compare`.

use std::alloc::System;

use bytes::Bytes;
use fusebox_http::{Client, FuseClient};
use fusebox_tokio::TokioRuntime;
use futures_lite::future::block_on;
use http::Request;
use stats_alloc::{Region, StatsAlloc};

/// Allocations per refused `FuseClient::get` and per refused `FuseClient::send` (the request
/// built before counting), over `calls` calls each, with the breaker forced open.
///
/// # Errors
///
/// When the client cannot be built or its breaker does not refuse.
pub fn refusal_allocations(
    runtime: &TokioRuntime,
    alloc: &'static StatsAlloc<System>,
    calls: usize,
) -> Result<(f64, f64), String> {
    let client = Client::builder()
        .runtime(runtime.clone())
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let fuse = FuseClient::builder(client, "http://127.0.0.1:9/api")
        .build()
        .map_err(|e| format!("fuse client: {e}"))?;
    fuse.breaker().force_open();
    let refused = |r: Result<fusebox_http::Response, fusebox_http::Error>| match r {
        Err(e) if e.is_open() => Ok(()),
        other => Err(format!("expected a refusal, got {other:?}")),
    };
    // Warm-up: block_on's thread-local parker, tracing's callsite registration.
    for _ in 0..100 {
        refused(block_on(fuse.get("/users/1").send()))?;
    }

    let region = Region::new(alloc);
    for _ in 0..calls {
        refused(block_on(fuse.get("/users/1").send()))?;
    }
    let get = region.change().allocations as f64 / calls as f64;

    let requests: Vec<Request<Bytes>> = (0..calls)
        .map(|_| Request::get("/users/1").body(Bytes::new()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("request: {e}"))?;
    let region = Region::new(alloc);
    for request in requests {
        refused(block_on(fuse.send(request)))?;
    }
    let send = region.change().allocations as f64 / calls as f64;
    Ok((get, send))
}
