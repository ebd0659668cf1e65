use super::*;
use fusebox_core::rt::{BoxFuture, BoxIo, ManualClock};
use std::io;

#[derive(Debug, Clone)]
struct Nothing;
impl Spawner for Nothing {
    fn spawn(&self, _task: BoxFuture<'static, ()>) {}
}
impl Dial for Nothing {
    fn dial(&self, _: &str, _: u16) -> BoxFuture<'static, io::Result<BoxIo>> {
        Box::pin(async { Err(io::ErrorKind::Unsupported.into()) })
    }
}

fn builder() -> Builder {
    Client::builder()
        .clock(Arc::new(ManualClock::new()))
        .spawner(Arc::new(Nothing))
        .dial(Arc::new(Nothing))
}

#[test]
fn a_runtime_is_required() {
    let e = Client::builder().build().unwrap_err();
    assert!(e.is_builder());
    assert!(e.to_string().contains("call .runtime(rt)"));
    assert!(builder().build().is_ok());
}

#[test]
fn zero_settings_are_refused_by_name() {
    let msg = |b: Builder| b.build().unwrap_err().to_string();
    assert_eq!(
        msg(builder().max_per_host(0)),
        "invalid client configuration: max_per_host must be greater than zero"
    );
    assert!(msg(builder().request_timeout(Duration::ZERO)).contains("request_timeout"));
    assert!(msg(builder().connect_timeout(Duration::ZERO)).contains("connect_timeout"));
    assert!(msg(builder().idle_timeout(Duration::ZERO)).contains("idle_timeout"));
    assert!(msg(builder().max_per_host(4).max_total(2)).contains("raise max_total"));
    assert!(msg(builder().reap_interval(Duration::ZERO)).contains("reap_interval"));
    assert!(msg(builder().pool_timeout(Duration::ZERO)).contains("pool_timeout"));
    assert!(msg(builder().max_headers(0)).contains("max_headers"));
    assert_eq!(
        msg(builder().max_head_size(100)),
        "invalid client configuration: max_head_size (100) is below 8192 bytes, the least a \
         response head may be given: raise max_head_size"
    );
    assert!(builder().max_head_size(8192).max_headers(1).build().is_ok());
}

#[cfg(feature = "tls")]
#[test]
fn tls_handshake_timeout_must_fit_in_the_connect_timeout() {
    let msg = |b: Builder| b.build().unwrap_err().to_string();
    assert!(msg(builder().tls_handshake_timeout(Duration::ZERO)).contains("tls_handshake_timeout"));
    assert_eq!(
        msg(builder()
            .connect_timeout(Duration::from_secs(2))
            .tls_handshake_timeout(Duration::from_secs(3))),
        "invalid client configuration: tls_handshake_timeout (3s) is above connect_timeout \
         (2s), which bounds the handshake too: lower tls_handshake_timeout or raise \
         connect_timeout"
    );
    assert!(
        builder()
            .connect_timeout(Duration::from_secs(2))
            .tls_handshake_timeout(Duration::from_secs(2))
            .tls(TlsConfig::default())
            .build()
            .is_ok()
    );
}
