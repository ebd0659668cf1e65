//! Streams the server refused unprocessed (`REFUSED_STREAM`, RFC 9113 8.7) are sent again,
//! whatever their method, and reach no caller; on tokio and smol.

use fusebox_core::rt::Runtime;
use fusebox_http::{Client, RequestBody};
use fusebox_testserver::H2Refusing;
use http::Request;

/// A `POST`, which the client sends again after a failure only when the server says it did not
/// process it, is refused twice and answered the third time: the caller sees the answer, and
/// the client counts two retries.
async fn a_refused_stream_is_sent_again_whatever_its_method<R: Runtime>(rt: R) {
    let server = H2Refusing::start(2);
    let client = Client::builder()
        .runtime(rt)
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let req = Request::post(format!("http://127.0.0.1:{}/jobs", server.port()))
        .body(RequestBody::from("payload"))
        .unwrap();
    let response = client.send(req).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    assert_eq!(response.text().await.unwrap(), "payload");
    assert_eq!(server.streams(), 3);
    assert_eq!(client.retries(), 2);
}

/// With no attempts left, the refusal is the caller's: an error that says the server refused
/// the stream unprocessed, after the client's last attempt.
async fn a_stream_refused_past_the_last_attempt_is_an_error<R: Runtime>(rt: R) {
    let server = H2Refusing::start(usize::MAX);
    let client = Client::builder()
        .runtime(rt)
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let e = client
        .get(format!("http://127.0.0.1:{}/", server.port()))
        .await
        .unwrap_err();
    assert!(e.is_request(), "{e:#}");
    assert!(
        e.to_string().starts_with(&format!(
            "the http/2 server at http://127.0.0.1:{} refused the request's stream without \
             processing it: ",
            server.port()
        )),
        "{e}"
    );
    assert_eq!(server.streams() as u64, client.retries() + 1);
}

crate::on_both_runtimes!(
    a_refused_stream_is_sent_again_whatever_its_method,
    a_stream_refused_past_the_last_attempt_is_an_error,
);
