//! The client under faults, on the workspace's fault-injecting test server, under tokio and
//! smol: the keep-alive race at 10^4 requests (no error may reach the caller) and the bound on
//! sending again after it, connections the server ends at each point of the exchange,
//! `Connection: close` and HTTP/1.0, ports out of range, malformed and oversize heads, TLS and
//! plain crossed, an early 413, and idle connections the server closes. After each fault no
//! connection is left busy and the next request succeeds.
//!
//! `cargo test -p fusebox-http --test faults race -- --nocapture` prints the race figures.

#[path = "../common/mod.rs"]
mod common;

mod attempts;
mod body;
mod close;
mod ends;
mod heads;
mod race;
#[cfg(feature = "tls")]
mod tls;
mod uri;

use fusebox_core::rt::Runtime;
use fusebox_http::Client;

/// A client on `rt` with the default settings.
fn client<R: Runtime>(rt: &R) -> Client {
    Client::builder().runtime(rt.clone()).build().unwrap()
}

/// After a fault: no connection is busy or waited for, and the next request to `url` succeeds.
async fn recovers(client: &Client, url: &str) {
    let total = client.pool_stats().total;
    assert_eq!(
        (total.busy, total.waiting),
        (0, 0),
        "after the fault: {total:?}"
    );
    let response = common::whole(client.get(url))
        .await
        .unwrap_or_else(|e| panic!("the request after the fault failed: {e:#}"));
    assert_eq!(response.status(), 200);
    let total = client.pool_stats().total;
    assert_eq!(total.busy, 0, "after the next request: {total:?}");
}

/// `tokio` or `smol`, for printed figures.
fn runtime_name<R>() -> &'static str {
    let name = std::any::type_name::<R>();
    if name.contains("Tokio") {
        "tokio"
    } else if name.contains("Smol") {
        "smol"
    } else {
        name
    }
}
