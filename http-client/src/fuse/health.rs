//! The health probe of a [`FuseClient`](super::FuseClient)'s service.

use std::time::Duration;

use fusebox_core::rt::BoxFuture;
use futures_lite::future;
use http::Uri;

use crate::Client;

/// A `GET` of `uri` that must answer 2xx within `max_delay` (the recovery task bounds it further
/// by its probe timeout).
pub(crate) fn health_probe(
    client: Client,
    uri: Uri,
    max_delay: Duration,
) -> impl Fn() -> BoxFuture<'static, bool> + Send + Sync + 'static {
    move || -> BoxFuture<'static, bool> {
        let client = client.clone();
        let uri = uri.clone();
        Box::pin(async move {
            let clock = client.clock().clone();
            let start = clock.now();
            let deadline = clock.sleep_from(start, max_delay);
            let get = async {
                // The body is read whole whatever the status, so that the probe's connection
                // goes back to the pool; a probe cut short by `max_delay` discards it.
                match client.get(uri).await {
                    Ok(response) => {
                        let good = response.status().is_success();
                        response.bytes().await.is_ok() && good
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "health probe failed");
                        false
                    }
                }
            };
            let ok = future::or(get, async {
                deadline.await;
                false
            })
            .await;
            ok && clock.now().saturating_duration_since(start) <= max_delay
        })
    }
}
