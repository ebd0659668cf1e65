//! One `fusebox.request` span per request, with its story in the fields: method, origin,
//! attempt, whether the connection was reused, the status or the error, and the breaker's name
//! for a `FuseClient`.
//!
//! A binary of its own with a single test: its recording subscriber is the global default, so no
//! other test's thread can leave a callsite's interest cached as "never".

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use fusebox_core::rt::Runtime;
use fusebox_http::{Client, FuseClient};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use common::{Reply, Server};

/// A request span's fields, as text.
type Fields = BTreeMap<String, String>;

/// Records the fields of every `fusebox.request` span, in the order the spans were made.
#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<(u64, Fields)>>>,
}

struct Text<'a>(&'a mut Fields);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, SeqCst);
        if attrs.metadata().name() == "fusebox.request" {
            let mut fields = Fields::new();
            attrs.record(&mut Text(&mut fields));
            self.spans.lock().unwrap().push((id, fields));
        }
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some((_, fields)) = spans.iter_mut().find(|(id, _)| *id == span.into_u64()) {
            values.record(&mut Text(fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

impl Recorder {
    /// The recorded spans' fields, and forgets them.
    fn take(&self) -> Vec<Fields> {
        std::mem::take(&mut *self.spans.lock().unwrap())
            .into_iter()
            .map(|(_, fields)| fields)
            .collect()
    }
}

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields.get(name).map(String::as_str)
}

#[test]
fn each_request_has_one_span_with_its_story() {
    let recorder = Recorder::default();
    tracing::subscriber::set_global_default(recorder.clone()).unwrap();
    common::on_tokio(|rt| story(rt, recorder.clone()));
    common::on_smol(|rt| story(rt, recorder.clone()));
}

async fn story<R: Runtime>(rt: R, recorder: Recorder) {
    recorder.take();
    let server = Server::start(|seen| match seen.path.as_str() {
        "/missing" => Reply::ok("").status(404),
        _ => Reply::ok("ok"),
    });
    let client = Client::builder().runtime(rt.clone()).build().unwrap();
    client
        .get(server.url("/a"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    client
        .post(server.url("/missing"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let fuse = FuseClient::builder(client.clone(), &server.url(""))
        .name("orders")
        .build()
        .unwrap();
    fuse.get("/b").send().await.unwrap().bytes().await.unwrap();
    let refused = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    assert!(
        client
            .get(format!("http://127.0.0.1:{refused}/"))
            .await
            .is_err()
    );

    let spans = recorder.take();
    assert_eq!(spans.len(), 4, "one span per request: {spans:#?}");
    let origin = server.url("");
    let origin = origin.trim_end_matches('/');
    let story: Vec<_> = spans
        .iter()
        .map(|f| {
            (
                field(f, "method"),
                field(f, "attempt"),
                field(f, "reused"),
                field(f, "status"),
                field(f, "breaker"),
            )
        })
        .collect();
    assert_eq!(
        story,
        [
            (Some("GET"), Some("1"), Some("false"), Some("200"), None),
            (Some("POST"), Some("1"), Some("true"), Some("404"), None),
            (
                Some("GET"),
                Some("1"),
                Some("true"),
                Some("200"),
                Some("orders")
            ),
            (Some("GET"), None, None, None, None),
        ],
        "{spans:#?}"
    );
    assert!(
        spans[..3]
            .iter()
            .all(|f| field(f, "origin") == Some(origin)),
        "{spans:#?}"
    );
    let error = field(&spans[3], "error").expect("the refused request's error");
    assert!(error.contains(&refused.to_string()), "{error}");
}
