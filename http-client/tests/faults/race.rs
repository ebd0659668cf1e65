//! The stale keep-alive race: a server that ends a connection just after a response, while the
//! client may already be writing the next request into it. 10^4 requests (3,000 when every
//! response costs a new connection), one after another and from 16 tasks at once; the goal is
//! that none of them fails.

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;

use futures_lite::future;

use crate::common::whole;
use crate::common::{Reply, Server, Then, sleep};

/// Requests per race.
const REQUESTS: usize = 10_000;
/// Requests per race when the server resets every connection after one response: each needs a
/// new connection (and a server thread), which takes several times longer in a debug build.
const RESET_REQUESTS: usize = 3_000;
/// How long one request of a race may take: on loopback, a request that takes this long is
/// stuck.
const STUCK: Duration = Duration::from_secs(4);
/// How long a race may go without a request finishing before it is reported as stalled, with
/// what it was doing: more than a request may take.
const STALL: Duration = Duration::from_secs(10);
/// How long a whole race may take.
const RACE_BOUND: Duration = Duration::from_secs(90);
/// Tasks sharing the requests in the concurrent races.
const TASKS: usize = 16;

/// Writes each race (an `async fn name<R: Runtime>(rt: R)` here) as one `#[test]` per
/// runtime, as `on_both_runtimes!` does, but bounded by [`RACE_BOUND`]: on a loaded machine
/// 10^4 requests in a debug build can take longer than the usual bound, and slowness is not
/// what a race tests; a stall is, and the watchdog in [`race`] reports one.
macro_rules! races {
    ($($name:ident),* $(,)?) => {
        mod under_tokio {
            $(
                #[test]
                fn $name() {
                    $crate::common::on_tokio_within(super::RACE_BOUND, super::$name);
                }
            )*
        }
        mod under_smol {
            $(
                #[test]
                fn $name() {
                    $crate::common::on_smol_within(super::RACE_BOUND, super::$name);
                }
            )*
        }
    };
}

races!(
    race_close_after_every_5th_unannounced_sequential,
    race_close_after_every_5th_unannounced_16_tasks,
    race_close_1ms_after_every_5th_sequential,
    race_close_1ms_after_every_5th_16_tasks,
    race_reset_after_each_response_sequential,
    race_reset_after_each_response_16_tasks,
);

#[derive(Debug, Clone, Copy)]
enum Fault {
    /// A graceful close right after every 5th response of a connection, not announced.
    CloseAfterEvery5th,
    /// A graceful close 1 ms after every 5th response, whatever arrived meanwhile.
    Close1msAfterEvery5th,
    /// An RST right after every response.
    ResetAfterEach,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::CloseAfterEvery5th => "close after every 5th response, unannounced",
            Fault::Close1msAfterEvery5th => "graceful close 1 ms after every 5th response",
            Fault::ResetAfterEach => "reset after each response",
        }
    }

    fn requests(self) -> usize {
        match self {
            Fault::ResetAfterEach => RESET_REQUESTS,
            _ => REQUESTS,
        }
    }

    fn server(self) -> Server {
        Server::builder().log_limit(0).start(move |seen| {
            let reply = Reply::ok("ok");
            let fifth = seen.nth % 5 == 4;
            match self {
                Fault::CloseAfterEvery5th if fifth => reply.close_after(),
                Fault::Close1msAfterEvery5th if fifth => {
                    reply.then(Then::CloseAfter(Duration::from_millis(1)))
                }
                Fault::ResetAfterEach => reply.then(Then::Reset),
                _ => reply,
            }
        })
    }
}

async fn race_close_after_every_5th_unannounced_sequential<R: Runtime>(rt: R) {
    race(rt, Fault::CloseAfterEvery5th, 1).await;
}

async fn race_close_after_every_5th_unannounced_16_tasks<R: Runtime>(rt: R) {
    race(rt, Fault::CloseAfterEvery5th, TASKS).await;
}

async fn race_close_1ms_after_every_5th_sequential<R: Runtime>(rt: R) {
    race(rt, Fault::Close1msAfterEvery5th, 1).await;
}

async fn race_close_1ms_after_every_5th_16_tasks<R: Runtime>(rt: R) {
    race(rt, Fault::Close1msAfterEvery5th, TASKS).await;
}

async fn race_reset_after_each_response_sequential<R: Runtime>(rt: R) {
    race(rt, Fault::ResetAfterEach, 1).await;
}

async fn race_reset_after_each_response_16_tasks<R: Runtime>(rt: R) {
    race(rt, Fault::ResetAfterEach, TASKS).await;
}

/// What the callers saw.
#[derive(Default)]
struct Tally {
    errors: AtomicUsize,
    done: AtomicUsize,
    first: Mutex<Option<String>>,
}

/// Sends [`Fault::requests`] GETs to a server with `fault`, from `tasks` tasks, prints the figures
/// and asserts that no request failed.
async fn race<R: Runtime>(rt: R, fault: Fault, tasks: usize) {
    let server = fault.server();
    let client = Client::builder()
        .runtime(rt.clone())
        .max_per_host(tasks)
        // A request that hangs is counted as an error, with its cause, well within the bound.
        .request_timeout(STUCK)
        .build()
        .unwrap();
    let requests = fault.requests();
    let tally = Arc::new(Tally::default());
    let (done, finished) = smol::channel::bounded::<()>(tasks);
    for task in 0..tasks {
        let (client, tally, done) = (client.clone(), tally.clone(), done.clone());
        let url = server.url("/race");
        let share = requests / tasks + usize::from(task < requests % tasks);
        rt.spawn(Box::pin(async move {
            for _ in 0..share {
                if let Err(e) = whole(client.get(url.as_str())).await {
                    tally.errors.fetch_add(1, Ordering::SeqCst);
                    tally.first.lock().unwrap().get_or_insert(format!("{e:#}"));
                }
                tally.done.fetch_add(1, Ordering::SeqCst);
            }
            let _ = done.send(()).await;
        }));
    }
    let all_done = async {
        for _ in 0..tasks {
            finished.recv().await.unwrap();
        }
    };
    let watchdog = async {
        let (mut last, mut still) = (0, Duration::ZERO);
        while still < STALL {
            sleep(&rt, Duration::from_millis(500)).await;
            let done = tally.done.load(Ordering::SeqCst);
            still = if done == last {
                still + Duration::from_millis(500)
            } else {
                Duration::ZERO
            };
            last = done;
        }
        panic!(
            "the race stalled for {STALL:?} after {last} of {requests} requests: pool {:?}, \
             server: {} requests read, {} connections accepted, {} ended",
            client.pool_stats().total,
            server.requests(),
            server.connections(),
            server.closed(),
        );
    };
    future::or(all_done, watchdog).await;
    let errors = tally.errors.load(Ordering::SeqCst);
    let mode = if tasks == 1 {
        "sequential".to_owned()
    } else {
        format!("{tasks} tasks")
    };
    println!(
        "race under {}, {}, {mode}: errors: {errors} of {requests} (retries {}, connections {})",
        crate::runtime_name::<R>(),
        fault.name(),
        client.retries(),
        server.connections(),
    );
    let first = tally.first.lock().unwrap().take();
    assert!(
        errors == 0,
        "the race reached the caller {errors} times; the first: {first:?}"
    );
    crate::recovers(&client, &server.url("/after")).await;
}
