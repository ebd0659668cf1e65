//! The tokio adapter against a real tokio runtime: clock, timers, spawning and TCP.

use std::time::Duration;

use fusebox_core::rt::{Clock, Dial, Spawner};
use fusebox_tokio::TokioRuntime;
use futures_lite::future;
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

const BOUND: Duration = Duration::from_secs(10);

#[test]
fn try_current_outside_a_runtime_is_an_error() {
    let err = TokioRuntime::try_current().unwrap_err();
    assert!(err.is_missing_context());
    assert_eq!(err.to_string(), "no tokio runtime in the current context");
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn try_current_inside_a_runtime_succeeds() {
    let rt = TokioRuntime::try_current().unwrap();
    let _ = rt.handle();
}

#[tokio::test]
async fn clock_advances_and_sleep_until_completes() {
    let rt = TokioRuntime::new();
    let start = rt.now();
    let deadline = start + Duration::from_millis(2);
    tokio::time::timeout(BOUND, rt.sleep_until(deadline))
        .await
        .unwrap();
    assert!(rt.now() >= deadline);
}

#[tokio::test]
async fn sleep_until_a_past_deadline_completes_at_once() {
    let rt = TokioRuntime::new();
    let past = rt.now();
    let mut sleep = rt.sleep_until(past);
    assert!(future::poll_once(&mut sleep).await.is_some());
}

#[tokio::test(start_paused = true)]
async fn clock_follows_paused_time() {
    let rt = TokioRuntime::new();
    let start = rt.now();
    tokio::time::advance(Duration::from_secs(90)).await;
    assert_eq!(rt.now() - start, Duration::from_secs(90));

    // A sleep fires when paused time reaches its deadline, and not before.
    let mut sleep = rt.sleep_until(start + Duration::from_secs(100));
    assert!(future::poll_once(&mut sleep).await.is_none());
    tokio::time::advance(Duration::from_secs(9)).await;
    assert!(future::poll_once(&mut sleep).await.is_none());
    tokio::time::advance(Duration::from_secs(1)).await;
    assert!(future::poll_once(&mut sleep).await.is_some());
    assert_eq!(rt.now() - start, Duration::from_secs(100));
}

#[tokio::test(start_paused = true)]
async fn long_sleep_auto_advances_paused_time() {
    let rt = TokioRuntime::new();
    let start = rt.now();
    rt.sleep_until(start + Duration::from_secs(3600)).await;
    assert!(rt.now() - start >= Duration::from_secs(3600));
}

#[tokio::test]
async fn spawn_runs_a_task() {
    let rt = TokioRuntime::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    rt.spawn(Box::pin(async move {
        tx.send(7).unwrap();
    }));
    assert_eq!(tokio::time::timeout(BOUND, rx).await.unwrap(), Ok(7));
}

async fn echo_once(listener: TcpListener) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = [0; 4];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    stream.write_all(b"pong").await.unwrap();
}

async fn ping(rt: &TokioRuntime, host: &str, port: u16) {
    let mut io = rt.dial(host, port).await.unwrap();
    io.write_all(b"ping").await.unwrap();
    io.flush().await.unwrap();
    let mut buf = [0; 4];
    io.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
    io.close().await.unwrap();
}

#[tokio::test]
async fn dial_connects_and_exchanges_bytes() {
    let rt = TokioRuntime::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(echo_once(listener));
    tokio::time::timeout(BOUND, ping(&rt, "127.0.0.1", port))
        .await
        .unwrap();
    server.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn dial_resolves_a_host_name() {
    let rt = TokioRuntime::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(echo_once(listener));
    tokio::time::timeout(BOUND, ping(&rt, "localhost", port))
        .await
        .unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn dial_to_a_closed_port_fails() {
    let rt = TokioRuntime::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let result = tokio::time::timeout(BOUND, rt.dial("127.0.0.1", port))
        .await
        .unwrap();
    assert!(result.is_err());
}

/// The futures the adapter returns work when polled off the runtime, on another executor.
#[test]
fn dial_and_sleep_work_from_another_executor() {
    let tokio_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let rt = TokioRuntime::from_handle(tokio_rt.handle().clone());
    let listener = tokio_rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio_rt.spawn(echo_once(listener));

    future::block_on(async {
        let start = rt.now();
        let mut past = rt.sleep_until(start);
        assert!(future::poll_once(&mut past).await.is_some());
        rt.sleep_until(start + Duration::from_millis(1)).await;
        assert!(rt.now() >= start + Duration::from_millis(1));
        ping(&rt, "127.0.0.1", port).await;
    });
    tokio_rt.block_on(server).unwrap();
}

/// `dial_hyper`'s stream speaks hyper's IO traits and counts what it moves, to the byte.
#[cfg(feature = "hyper-io")]
#[tokio::test]
async fn dial_hyper_exchanges_bytes_through_hyper_and_counts_them() {
    use std::future::poll_fn;
    use std::pin::Pin;
    use std::sync::Arc;

    use fusebox_core::rt::Traffic;
    use hyper::rt::{Read, ReadBuf, Write};

    let rt = TokioRuntime::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(echo_once(listener));
    let traffic = Arc::new(Traffic::default());
    let dialing = rt.dial_hyper("127.0.0.1", port, traffic.clone()).unwrap();
    let mut io = tokio::time::timeout(BOUND, dialing).await.unwrap().unwrap();
    let n = poll_fn(|cx| Pin::new(&mut io).poll_write(cx, b"ping"))
        .await
        .unwrap();
    assert_eq!((n, traffic.written(), traffic.read()), (4, 4, 0));
    let mut got = Vec::new();
    while got.len() < 4 {
        let mut storage = [0u8; 16];
        let mut buf = ReadBuf::new(&mut storage);
        let read = poll_fn(|cx| Pin::new(&mut io).poll_read(cx, buf.unfilled()));
        tokio::time::timeout(BOUND, read).await.unwrap().unwrap();
        assert!(
            !buf.filled().is_empty(),
            "the server closed before answering"
        );
        got.extend_from_slice(buf.filled());
    }
    assert_eq!(got, b"pong");
    assert_eq!((traffic.written(), traffic.read()), (4, 4));
    server.await.unwrap();
}
