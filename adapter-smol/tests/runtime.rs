//! The smol adapter against real timers, executors and TCP.

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{Clock, Dial, Spawner};
use fusebox_smol::SmolRuntime;
use futures_lite::io::{AsyncReadExt, AsyncWriteExt};
use futures_lite::{FutureExt, future};
use smol::net::TcpListener;

const BOUND: Duration = Duration::from_secs(10);

/// Runs `fut` to completion, failing the test if it takes longer than [`BOUND`].
fn bounded<T>(fut: impl Future<Output = T>) -> T {
    smol::block_on(fut.or(async {
        smol::Timer::after(BOUND).await;
        panic!("timed out after {BOUND:?}")
    }))
}

#[test]
fn clock_advances_and_sleep_until_completes() {
    let rt = SmolRuntime::new();
    let start = rt.now();
    let deadline = start + Duration::from_millis(2);
    bounded(rt.sleep_until(deadline));
    assert!(rt.now() >= deadline);
}

#[test]
fn sleep_until_a_past_deadline_completes_at_once() {
    let rt = SmolRuntime::default();
    let mut sleep = rt.sleep_until(rt.now());
    assert!(future::block_on(future::poll_once(&mut sleep)).is_some());
}

#[test]
fn sleep_until_a_future_deadline_is_pending_first() {
    let rt = SmolRuntime::new();
    let mut sleep = rt.sleep_until(rt.now() + Duration::from_secs(3600));
    assert!(future::block_on(future::poll_once(&mut sleep)).is_none());
}

#[test]
fn spawn_runs_a_task_on_the_global_executor() {
    let rt = SmolRuntime::new();
    assert!(rt.executor().is_none());
    let (tx, rx) = smol::channel::bounded(1);
    rt.spawn(Box::pin(async move {
        tx.send(7).await.unwrap();
    }));
    assert_eq!(bounded(rx.recv()), Ok(7));
}

#[test]
fn spawn_runs_a_task_on_a_given_executor() {
    let executor = Arc::new(smol::Executor::new());
    let rt = SmolRuntime::with_executor(executor.clone());
    assert!(Arc::ptr_eq(rt.executor().unwrap(), &executor));
    let (tx, rx) = smol::channel::bounded(1);
    rt.spawn(Box::pin(async move {
        tx.send(7).await.unwrap();
    }));
    // Nothing runs the executor yet, so the task has not run.
    assert!(rx.try_recv().is_err());
    assert_eq!(bounded(executor.run(rx.recv())), Ok(7));
}

async fn echo_once(listener: TcpListener) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = [0; 4];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"ping");
    stream.write_all(b"pong").await.unwrap();
}

async fn ping(rt: &SmolRuntime, host: &str, port: u16) {
    let mut io = rt.dial(host, port).await.unwrap();
    io.write_all(b"ping").await.unwrap();
    io.flush().await.unwrap();
    let mut buf = [0; 4];
    io.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"pong");
    io.close().await.unwrap();
}

fn dial_and_ping(host: &str) {
    let rt = SmolRuntime::new();
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = smol::spawn(echo_once(listener));
        ping(&rt, host, port).await;
        server.await;
    });
}

#[test]
fn dial_connects_and_exchanges_bytes() {
    dial_and_ping("127.0.0.1");
}

#[test]
fn dial_resolves_a_host_name() {
    dial_and_ping("localhost");
}

#[test]
fn dial_to_a_closed_port_fails() {
    let rt = SmolRuntime::new();
    bounded(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        assert!(rt.dial("127.0.0.1", port).await.is_err());
    });
}
