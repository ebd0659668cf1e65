//! Which dial a plain-HTTP origin goes through: `Dial::dial_hyper` when the dialer offers it (on
//! tokio: hyper reads into its own buffer), `Dial::dial` and the futures-io bridge otherwise.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use fusebox_core::rt::{BoxFuture, BoxHyperIo, BoxIo, Dial, Runtime, Traffic};
use fusebox_http::Client;

use crate::common::{Reply, Server, on_tokio, whole};
use crate::on_both_runtimes;

on_both_runtimes!(a_dialer_without_hyper_streams_is_read_through_the_bridge);

#[test]
fn tokio_streams_are_dialed_for_hyper_and_kept_alive() {
    on_tokio(|rt| async move {
        let (dials, hyper_dials) = three_requests(rt, true).await;
        assert_eq!((dials, hyper_dials), (0, 1));
    });
}

async fn a_dialer_without_hyper_streams_is_read_through_the_bridge<R: Runtime>(rt: R) {
    let (dials, hyper_dials) = three_requests(rt, false).await;
    assert_eq!((dials, hyper_dials), (1, 0));
}

/// Three GETs of a 100 KiB body through a [`Paths`] dialer that offers `dial_hyper` if
/// `offer`: every byte arrives, and one kept-alive connection serves them all. Returns how many
/// times each dial was used.
async fn three_requests<R: Runtime>(rt: R, offer: bool) -> (usize, usize) {
    let body = "fusebox ".repeat(100 * 1024 / 8);
    let server = Server::start({
        let body = body.clone();
        move |_| Reply::ok(body.clone())
    });
    let paths = Arc::new(Paths {
        rt: rt.clone(),
        offer,
        dials: AtomicUsize::new(0),
        hyper_dials: AtomicUsize::new(0),
    });
    let client = Client::builder()
        .runtime(rt)
        .dial(paths.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        let response = whole(client.get(server.url("/"))).await.unwrap();
        assert_eq!(response.body(), body.as_bytes());
    }
    let total = client.pool_stats().total;
    assert_eq!((total.created, total.reused), (1, 2));
    (
        paths.dials.load(Ordering::SeqCst),
        paths.hyper_dials.load(Ordering::SeqCst),
    )
}

/// A runtime's dialer that counts which of its two dials the client used, and that hides
/// `dial_hyper` unless told to offer it.
struct Paths<R> {
    rt: R,
    offer: bool,
    dials: AtomicUsize,
    hyper_dials: AtomicUsize,
}

impl<R: Runtime> Dial for Paths<R> {
    fn dial(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        self.dials.fetch_add(1, Ordering::SeqCst);
        self.rt.dial(host, port)
    }

    fn dial_hyper(
        &self,
        host: &str,
        port: u16,
        traffic: Arc<Traffic>,
    ) -> Option<BoxFuture<'static, io::Result<BoxHyperIo>>> {
        if !self.offer {
            return None;
        }
        let direct = self.rt.dial_hyper(host, port, traffic)?;
        self.hyper_dials.fetch_add(1, Ordering::SeqCst);
        Some(direct)
    }
}
