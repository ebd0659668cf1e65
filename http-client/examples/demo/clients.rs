//! The demo's service clients: each sends a `GET` every [`PACE`] through its `FuseClient` and
//! tallies what became of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use fusebox_core::rt::Runtime;
use fusebox_http::http::StatusCode;
use fusebox_http::{Error, FuseClient};

use crate::sleep;
use crate::timeline::{Outcome, Tally};

/// Pause between two requests of one client.
pub(crate) const PACE: Duration = Duration::from_millis(20);

/// One service client: a `GET` every [`PACE`] until `stop`, each outcome tallied under the phase
/// it ended in.
pub(crate) async fn drive<R: Runtime>(
    rt: R,
    fuse: FuseClient,
    me: usize,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let max_delay = fuse.breaker().config().max_delay();
    let mut n = 0u64;
    while !stop.load(SeqCst) {
        n += 1;
        let start = rt.now();
        // The body is read to its end: that gives the connection back to the pool, and the
        // breaker counts a success only then.
        let result = match fuse.get(&format!("/{n}")).await {
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|_| status)
            }
            Err(e) => Err(e),
        };
        let elapsed = rt.now().saturating_duration_since(start);
        let outcome = classify(&result, elapsed, max_delay);
        if let (Outcome::Other, Err(e)) = (outcome, &result) {
            tally.note_other(format!("{e:#}"));
        }
        tally.add(me, tally.phase(), outcome);
        sleep(&rt, PACE).await;
    }
}

/// What the breaker made of a request (as `FuseClient` judges it), or that it was never sent.
fn classify(result: &Result<StatusCode, Error>, elapsed: Duration, max: Duration) -> Outcome {
    match result {
        Err(e) if e.is_open() => Outcome::Rejected,
        Err(e) if e.is_timeout() || e.is_connect() => Outcome::Failed,
        Err(_) => Outcome::Other,
        Ok(status) if status.is_server_error() || elapsed > max => Outcome::Failed,
        Ok(status) if status.is_success() => Outcome::Ok,
        Ok(_) => Outcome::Other,
    }
}
