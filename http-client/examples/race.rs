//! The keep-alive race, counted: 10,000 GETs, one at a time, against servers that close
//! keep-alive connections under the client: after every 5th response without announcing it,
//! 1 ms after every 5th response, and with a reset after every response. Prints, per runtime,
//! the errors the caller saw (the goal is 0), the requests sent again and the connections
//! opened.
//!
//! Run it with `cargo run -p fusebox-http --example race`.

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;
use fusebox_smol::SmolRuntime;
use fusebox_testserver::{Reply, Server, Then};
use fusebox_tokio::TokioRuntime;

const REQUESTS: usize = 10_000;

/// The servers: a name and how each response ends its connection.
fn servers() -> Vec<(&'static str, Server)> {
    let every_5th = |then: Then| {
        move |seen: &fusebox_testserver::Seen| {
            let reply = Reply::ok("ok");
            if seen.nth % 5 == 4 {
                reply.then(then)
            } else {
                reply
            }
        }
    };
    vec![
        (
            "close after every 5th, unannounced",
            Server::start(every_5th(Then::Close)),
        ),
        (
            "close 1 ms after every 5th",
            Server::start(every_5th(Then::CloseAfter(Duration::from_millis(1)))),
        ),
        (
            "reset after every response",
            Server::start(|_| Reply::ok("ok").then(Then::Reset)),
        ),
    ]
}

async fn run<R: Runtime>(rt: R, url: String) -> (usize, u64, u64) {
    let client = Client::builder()
        .runtime(rt)
        .build()
        .expect("a valid client");
    let mut errors = 0;
    for _ in 0..REQUESTS {
        if let Err(e) = client.get(url.as_str()).await {
            if errors < 3 {
                eprintln!("  {e:#}");
            }
            errors += 1;
        }
    }
    (errors, client.retries(), client.pool_stats().total.created)
}

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let executor = Arc::new(async_executor::Executor::new());
    let (stop, stopped) = smol::channel::bounded::<()>(1);
    let helper = {
        let executor = executor.clone();
        std::thread::spawn(move || smol::block_on(executor.run(stopped.recv())))
    };
    for (name, server) in servers() {
        let url = server.url("/");
        let rt = TokioRuntime::from_handle(tokio.handle().clone());
        let (errors, retries, created) = tokio.block_on(run(rt, url.clone()));
        println!(
            "tokio, {name}: {REQUESTS} GETs, {errors} errors, {retries} sent again, {created} connections"
        );
        let rt = SmolRuntime::with_executor(executor.clone());
        let (errors, retries, created) = smol::block_on(executor.run(run(rt, url)));
        println!(
            "smol, {name}: {REQUESTS} GETs, {errors} errors, {retries} sent again, {created} connections"
        );
    }
    drop(stop);
    let _ = helper.join();
}
