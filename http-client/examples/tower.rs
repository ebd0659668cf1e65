//! `FuseClient` as a tower service: a generic caller that knows only `tower_service::Service`
//! drives it against a server that fails for a while, and sees the breaker trip, fail fast
//! without sending, recover through its health probe, and send again.
//!
//! `cargo run -p fusebox-http --example tower`

use std::future::poll_fn;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fusebox_core::breaker::BreakerConfig;
use fusebox_http::{Client, Error, FuseClient, Response};
use fusebox_testserver::{Reply, Server};
use fusebox_tokio::TokioRuntime;
use http::Request;
use tower_service::Service;

/// What tower middleware does with any service: wait until ready, then call.
async fn call<S>(svc: &mut S, uri: &str) -> String
where
    S: Service<Request<()>, Response = Response, Error = Error>,
{
    if let Err(e) = poll_fn(|cx| svc.poll_ready(cx)).await {
        return format!("not ready: {e}");
    }
    match svc.call(Request::get(uri).body(()).unwrap()).await {
        Ok(response) => {
            let status = response.status();
            let _ = response.bytes().await;
            format!("{status}")
        }
        Err(e) => format!("error: {e}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let down = Arc::new(AtomicBool::new(true));
    let server = {
        let down = down.clone();
        Server::start(move |_| match down.load(Ordering::SeqCst) {
            true => Reply::ok("down").status(503),
            false => Reply::ok("up"),
        })
    };
    let client = Client::builder().runtime(TokioRuntime::new()).build()?;
    let breaker = BreakerConfig::builder()
        .failure_threshold(3)
        .probe_interval(Duration::from_millis(200))
        .jitter(0.0)
        .build()?;
    let mut svc = FuseClient::builder(client, &server.url(""))
        .breaker(breaker)
        .build()?;
    let uri = server.url("/orders");

    for i in 1..=5 {
        println!("call {i} (server failing): {}", call(&mut svc, &uri).await);
    }
    println!("requests the server saw: {}", server.seen().len());
    down.store(false, Ordering::SeqCst);
    println!("server healthy again; waiting for the recovery task's probe");
    for _ in 0..100 {
        if svc.is_closed() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = svc.recovery_group().stats();
    println!(
        "breaker closed: {}, recoveries: {}, probes sent: {}",
        svc.is_closed(),
        stats.recoveries,
        stats.probes_sent
    );
    println!("call 6 (server healthy): {}", call(&mut svc, &uri).await);
    Ok(())
}
