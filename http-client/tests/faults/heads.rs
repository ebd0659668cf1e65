//! Response heads the client cannot read: a malformed head, and a head with more headers than
//! the limit.

use fusebox_core::rt::Runtime;
use fusebox_http::Client;

use crate::common::whole;
use crate::common::{Reply, Server};
use crate::on_both_runtimes;

on_both_runtimes!(
    malformed_head_is_malformed,
    oversize_head_is_head_too_large_naming_the_limit,
);

/// A server answering `/fault` with `fault` and anything else with 200.
fn server_answering(fault: Reply) -> Server {
    Server::start(move |seen| match seen.path.as_str() {
        "/fault" => fault.clone(),
        _ => Reply::ok("ok"),
    })
}

async fn malformed_head_is_malformed<R: Runtime>(rt: R) {
    let server = server_answering(Reply::malformed_head());
    let client = crate::client(&rt);
    let e = whole(client.get(server.url("/fault"))).await.unwrap_err();
    assert!(e.is_malformed() && e.is_request(), "{e:#}");
    assert!(!e.is_incomplete() && !e.is_connect(), "{e:#}");
    crate::recovers(&client, &server.url("/ok")).await;
}

async fn oversize_head_is_head_too_large_naming_the_limit<R: Runtime>(rt: R) {
    // 101 headers: one more than the default limit of 100.
    let server = server_answering(Reply::ok("").many_headers(101));
    let client = crate::client(&rt);
    let e = whole(client.get(server.url("/fault"))).await.unwrap_err();
    assert!(e.is_head_too_large() && e.is_request(), "{e:#}");
    assert!(!e.is_malformed() && !e.is_incomplete(), "{e:#}");
    assert!(
        e.to_string().contains("100"),
        "the message names the limit: {e}"
    );
    crate::recovers(&client, &server.url("/ok")).await;

    // With the limit raised, the same response is read.
    let roomy = Client::builder()
        .runtime(rt.clone())
        .max_headers(200)
        .build()
        .unwrap();
    let response = whole(roomy.get(server.url("/fault"))).await.unwrap();
    assert_eq!(response.headers().len(), 102);
}
