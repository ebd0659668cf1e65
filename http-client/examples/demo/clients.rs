//! The demo's service clients: each sends a `GET` every [`PACE`] through its `FuseClient` and
//! tallies what became of it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::time::Duration;

use bytes::Bytes;
use fusebox_core::rt::Runtime;
use fusebox_http::{Error, FuseClient};
use http::Response;

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
        let result = fuse.get(&format!("/{n}")).await;
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
fn classify(result: &Result<Response<Bytes>, Error>, elapsed: Duration, max: Duration) -> Outcome {
    match result {
        Err(e) if e.is_open() => Outcome::Rejected,
        Err(e) if e.is_timeout() || e.is_connect() => Outcome::Failed,
        Err(_) => Outcome::Other,
        Ok(response) if response.status().is_server_error() || elapsed > max => Outcome::Failed,
        Ok(response) if response.status().is_success() => Outcome::Ok,
        Ok(_) => Outcome::Other,
    }
}
