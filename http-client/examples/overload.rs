//! Overload on the caller's side: 2,000 tasks share 16 connections to a healthy server that
//! answers in 10 ms, with a 1 s request timeout, under tokio and under smol. Prints what the
//! requests got and how many connections were opened: with the pool timeout (half the request
//! timeout by default) requests fail fast in the queue instead of getting a connection too late
//! to use it, so the connections opened stay near `max_per_host`.
//!
//! Run it with `cargo run -p fusebox-http --example overload`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_core::rt::Runtime;
use fusebox_http::Client;
use fusebox_smol::SmolRuntime;
use fusebox_testserver::{Reply, Server};
use fusebox_tokio::TokioRuntime;

const TASKS: usize = 2_000;
const REQUESTS_PER_TASK: usize = 5;
const MAX_PER_HOST: usize = 16;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
const SERVER_DELAY: Duration = Duration::from_millis(10);

/// What the requests of one run got.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    pool_timeouts: usize,
    timeouts: usize,
    other: usize,
}

/// Runs the load on `rt` and returns the tally and the connections opened. `pool_timeout`
/// replaces the default (half the request timeout).
async fn load<R: Runtime>(
    rt: R,
    url: String,
    pool_timeout: Option<Duration>,
) -> (Tally, u64, Duration) {
    let mut builder = Client::builder()
        .runtime(rt.clone())
        .max_per_host(MAX_PER_HOST)
        .request_timeout(REQUEST_TIMEOUT);
    if let Some(t) = pool_timeout {
        builder = builder.pool_timeout(t);
    }
    let client = builder.build().expect("a valid client");
    let (tx, rx) = smol::channel::unbounded();
    let start = Instant::now();
    for _ in 0..TASKS {
        let client = client.clone();
        let url = url.clone();
        let tx = tx.clone();
        rt.spawn(Box::pin(async move {
            let mut tally = Tally::default();
            for _ in 0..REQUESTS_PER_TASK {
                match client.get(url.as_str()).await {
                    Ok(_) => tally.ok += 1,
                    Err(e) if e.is_pool_timeout() => tally.pool_timeouts += 1,
                    Err(e) if e.is_timeout() => tally.timeouts += 1,
                    Err(e) => {
                        eprintln!("{e:#}");
                        tally.other += 1;
                    }
                }
            }
            let _ = tx.send(tally).await;
        }));
    }
    drop(tx);
    let mut total = Tally::default();
    while let Ok(t) = rx.recv().await {
        total.ok += t.ok;
        total.pool_timeouts += t.pool_timeouts;
        total.timeouts += t.timeouts;
        total.other += t.other;
    }
    (total, client.pool_stats().total.created, start.elapsed())
}

fn report(runtime: &str, (tally, created, elapsed): (Tally, u64, Duration)) {
    let requests = TASKS * REQUESTS_PER_TASK;
    println!(
        "{runtime}: {requests} requests from {TASKS} tasks in {elapsed:.1?}: ok {}, pool timeouts {}, \
         request timeouts {}, other errors {}; connections opened {created} (max_per_host {MAX_PER_HOST})",
        tally.ok, tally.pool_timeouts, tally.timeouts, tally.other
    );
}

fn main() {
    let server = Server::start(|_| Reply::ok("ok").delay(SERVER_DELAY));
    let url = server.url("/");

    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let rt = TokioRuntime::from_handle(tokio.handle().clone());
    report("tokio", tokio.block_on(load(rt.clone(), url.clone(), None)));
    // Waiting as long as the whole request may: requests get connections with little time left.
    let whole = Some(REQUEST_TIMEOUT);
    report(
        "tokio, pool_timeout = request_timeout",
        tokio.block_on(load(rt, url.clone(), whole)),
    );
    drop(tokio);

    let executor = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let helper = {
        let executor = executor.clone();
        std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
    };
    let rt = SmolRuntime::with_executor(executor.clone());
    let run =
        |pool_timeout| smol::block_on(executor.run(load(rt.clone(), url.clone(), pool_timeout)));
    report("smol", run(None));
    report("smol, pool_timeout = request_timeout", run(whole));
    drop(stop);
    let _ = helper.join();
}
