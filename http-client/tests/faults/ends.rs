//! A server that ends the connection, closing it gracefully or resetting it, at each point of
//! an exchange on a fresh connection: before reading the request, after reading its head,
//! mid-head and mid-body of the response. A request on a fresh connection is never sent
//! again, so each is an error, of one kind per fault whatever the timing. Ended after a whole
//! response, the next request on that connection is sent again and succeeds.

use fusebox_core::rt::Runtime;
use fusebox_http::Error;

use crate::common::whole;
use crate::common::{Accept, Cut, Reply, Server, Then};
use crate::on_both_runtimes;

on_both_runtimes!(
    close_before_reading_the_request_is_incomplete,
    reset_before_reading_the_request_is_reset,
    accept_and_reset_is_one_error_kind_every_time,
    close_after_reading_the_head_is_incomplete,
    reset_after_reading_the_head_is_reset,
    close_mid_head_is_incomplete_in_the_head,
    reset_mid_head_is_reset,
    close_mid_body_is_incomplete_in_the_body,
    reset_mid_body_is_reset,
    close_or_reset_after_the_response_never_fails_the_next_request,
);

/// A server whose first connection gets `first`, and whose other connections are served.
fn server_accepting(first: Accept) -> Server {
    Server::builder()
        .on_accept(move |id| if id == 0 { first } else { Accept::Serve })
        .start(|_| Reply::ok("ok"))
}

/// A server answering `/fault` with `fault` and anything else with 200.
fn server_answering(fault: Reply) -> Server {
    Server::start(move |seen| match seen.path.as_str() {
        "/fault" => fault.clone(),
        _ => Reply::ok("0123456789"),
    })
}

/// The error of a GET of `path` on a fresh client, then the client's recovery.
async fn fault<R: Runtime>(rt: &R, server: &Server, path: &str) -> Error {
    let client = crate::client(rt);
    let e = whole(client.get(server.url(path)))
        .await
        .expect_err("the fault reached the caller as an error");
    assert_eq!(
        client.retries(),
        0,
        "a fresh connection is never retried: {e:#}"
    );
    assert!(
        e.is_request() && !e.is_connect() && !e.is_timeout(),
        "{e:#}"
    );
    crate::recovers(&client, &server.url("/ok")).await;
    e
}

async fn close_before_reading_the_request_is_incomplete<R: Runtime>(rt: R) {
    let server = server_accepting(Accept::Close);
    let e = fault(&rt, &server, "/").await;
    assert!(e.is_incomplete() && !e.is_reset() && !e.is_body(), "{e:#}");
}

async fn reset_before_reading_the_request_is_reset<R: Runtime>(rt: R) {
    let server = server_accepting(Accept::Reset);
    let e = fault(&rt, &server, "/").await;
    assert!(e.is_reset() && e.is_incomplete(), "{e:#}");
}

async fn accept_and_reset_is_one_error_kind_every_time<R: Runtime>(rt: R) {
    let server = Server::builder()
        .on_accept(|_| Accept::Reset)
        .start(|_| Reply::ok("never"));
    let client = crate::client(&rt);
    let mut texts = Vec::new();
    for _ in 0..20 {
        let e = whole(client.get(server.url("/"))).await.unwrap_err();
        let kind = (e.is_reset(), e.is_request(), e.is_connect(), e.is_timeout());
        assert_eq!(kind, (true, true, false, false), "{e:#}");
        texts.push(e.to_string());
    }
    texts.dedup();
    assert_eq!(texts.len(), 1, "one fault, one message: {texts:#?}");
    let total = client.pool_stats().total;
    assert_eq!((total.busy, total.idle), (0, 0), "{total:?}");
}

async fn close_after_reading_the_head_is_incomplete<R: Runtime>(rt: R) {
    let server = server_answering(Reply::drop_connection());
    let e = fault(&rt, &server, "/fault").await;
    assert!(e.is_incomplete() && !e.is_reset() && !e.is_body(), "{e:#}");
}

async fn reset_after_reading_the_head_is_reset<R: Runtime>(rt: R) {
    let server = server_answering(Reply::reset());
    let e = fault(&rt, &server, "/fault").await;
    assert!(e.is_reset(), "{e:#}");
}

async fn close_mid_head_is_incomplete_in_the_head<R: Runtime>(rt: R) {
    let server = server_answering(Reply::ok("0123456789").cut(Cut::MidHead));
    let e = fault(&rt, &server, "/fault").await;
    assert!(e.is_incomplete() && !e.is_reset() && !e.is_body(), "{e:#}");
}

async fn reset_mid_head_is_reset<R: Runtime>(rt: R) {
    let reply = Reply::ok("0123456789").cut(Cut::MidHead).then(Then::Reset);
    let server = server_answering(reply);
    let e = fault(&rt, &server, "/fault").await;
    assert!(e.is_reset(), "{e:#}");
}

async fn close_mid_body_is_incomplete_in_the_body<R: Runtime>(rt: R) {
    let server = server_answering(Reply::ok("0123456789").cut(Cut::MidBody));
    let e = fault(&rt, &server, "/fault").await;
    assert!(e.is_incomplete() && e.is_body() && !e.is_reset(), "{e:#}");
}

async fn reset_mid_body_is_reset<R: Runtime>(rt: R) {
    let reply = Reply::ok("0123456789").cut(Cut::MidBody).then(Then::Reset);
    let server = server_answering(reply);
    // Whether the head was read before the reset is timing: only the kind is fixed.
    let e = fault(&rt, &server, "/fault").await;
    assert!(e.is_reset(), "{e:#}");
}

async fn close_or_reset_after_the_response_never_fails_the_next_request<R: Runtime>(rt: R) {
    for then in [Then::Close, Then::Reset] {
        let server = Server::start(move |seen| Reply::ok(format!("{}", seen.conn)).then(then));
        let client = crate::client(&rt);
        for i in 0..5 {
            let response = whole(client.get(server.url("/"))).await;
            let response = response.unwrap_or_else(|e| panic!("request {i} after {then:?}: {e:#}"));
            assert_eq!(response.status(), 200);
        }
        assert_eq!(server.connections(), 5, "one connection per response");
        crate::recovers(&client, &server.url("/")).await;
    }
}
