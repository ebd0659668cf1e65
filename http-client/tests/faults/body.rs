//! An early final response: a server that answers a large upload with 413 and closes while the
//! client is still sending the body. The caller gets the 413.

use fusebox_core::rt::Runtime;

use crate::common::whole;
use crate::common::{Reply, Server};
use crate::on_both_runtimes;

on_both_runtimes!(early_413_while_the_body_is_sent_is_returned);

/// Far more than the socket buffers of loopback hold: the client is still writing when the
/// answer comes.
const UPLOAD: usize = 8 << 20;

async fn early_413_while_the_body_is_sent_is_returned<R: Runtime>(rt: R) {
    let server = Server::builder()
        .on_head(|seen| {
            (seen.path == "/upload").then(|| Reply::ok("too large").status(413).announce_close())
        })
        .start(|_| Reply::ok("ok"));
    let client = crate::client(&rt);
    let body = bytes::Bytes::from(vec![b'x'; UPLOAD]);
    let mut statuses = Vec::new();
    for _ in 0..10 {
        let request = http::Request::post(server.url("/upload"))
            .body(body.clone())
            .unwrap();
        statuses.push(match whole(client.send(request)).await {
            Ok(response) => response.status().as_u16().to_string(),
            Err(e) => format!("{e:#}"),
        });
    }
    let all_413 = statuses.iter().all(|s| s == "413");
    assert!(all_413, "{statuses:#?}");
    crate::recovers(&client, &server.url("/ok")).await;
}
