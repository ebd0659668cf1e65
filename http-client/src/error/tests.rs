use std::io;
use std::time::Duration;

use super::connect::CertificateProblem;
use super::*;

fn refused(origin: &Origin) -> Error {
    let e = io::Error::from(io::ErrorKind::ConnectionRefused);
    Error::acquire(AcquireError::Connect(ConnectError::dial_to(
        e,
        origin.host(),
    )))
    .with_origin(origin)
}

#[test]
fn errors_are_send_sync_and_small() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
    assert_send_sync::<ConnectError>();
    // The open breaker's answer is inline; everything else is one pointer and a tag.
    assert!(
        std::mem::size_of::<Error>() <= 96,
        "{}",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn connect_failures_say_which() {
    let origin: Origin = "http://127.0.0.1:1".parse().unwrap();
    let e = refused(&origin);
    assert!(e.is_connect() && e.is_refused() && !e.is_timeout() && !e.is_request());
    assert_eq!(
        e.to_string(),
        "could not connect to http://127.0.0.1:1: the connection was refused; check that the \
         server is up and listens on that port"
    );
    assert!(format!("{e:#}").ends_with(": tcp connect failed: connection refused"));

    let dial = |kind: io::ErrorKind, host: &str| {
        Error::acquire(AcquireError::Connect(ConnectError::dial_to(
            kind.into(),
            host,
        )))
    };
    let e = dial(io::ErrorKind::Other, "no-such.test")
        .with_origin(&"http://no-such.test".parse().unwrap());
    assert!(e.is_connect() && e.is_dns() && !e.is_refused());
    assert!(
        e.to_string()
            .contains("the host name no-such.test did not resolve")
    );
    let e = dial(io::ErrorKind::HostUnreachable, "10.9.9.9");
    assert!(e.is_connect() && e.is_unreachable());

    // A server that accepted and reset: the same kind as a reset during the exchange.
    let e = dial(io::ErrorKind::ConnectionReset, "127.0.0.1");
    assert!(e.is_request() && e.is_reset() && e.is_incomplete() && !e.is_connect());

    let e = Error::acquire(AcquireError::ConnectTimeout(Duration::from_secs(1)));
    assert!(e.is_connect() && e.is_timeout() && !e.is_tls());
}

#[test]
fn limits_have_their_own_kinds() {
    let e = Error::timeout(Duration::from_secs(2));
    assert!(e.is_timeout() && !e.is_connect() && !e.is_pool_timeout());
    assert!(Error::body_too_large(10).is_body_too_large());
    assert!(Error::acquire(AcquireError::Closed).is_closed());

    let e = Error::acquire(AcquireError::Timeout {
        waited: Duration::from_millis(500),
    })
    .with_origin(&"http://a.test".parse().unwrap());
    assert!(e.is_pool_timeout() && e.is_timeout() && !e.is_connect() && !e.is_request());
    assert!(
        e.to_string()
            .starts_with("no connection to http://a.test:80 became free within the pool timeout")
    );
}

#[test]
fn connection_faults_have_a_predicate_each() {
    let origin: Origin = "http://a.test:8080".parse().unwrap();
    let limits = HeadLimits {
        max_head_size: 1024,
        max_headers: 10,
    };
    let on = |fault, in_body| Error::on_connection(fault, in_body, "cause").with_origin(&origin);

    let e = on(Fault::Reset, false);
    assert!(e.is_request() && e.is_reset() && e.is_incomplete() && !e.is_body());
    assert_eq!(
        e.to_string(),
        "the connection to http://a.test:8080 was reset before the response arrived: the server \
         or a proxy dropped it; check the server's logs"
    );
    let e = on(Fault::Incomplete, true);
    assert!(e.is_request() && e.is_incomplete() && !e.is_reset() && e.is_body());
    assert!(
        e.to_string()
            .contains("was closed while the response body was read")
    );
    let e = on(Fault::MalformedHead, false);
    assert!(e.is_request() && e.is_malformed() && !e.is_incomplete());
    let e = on(Fault::HeadTooLarge(limits), false);
    assert!(e.is_request() && e.is_head_too_large());
    assert!(
        e.to_string()
            .contains("over max_head_size (1024 bytes) or max_headers (10)")
    );
    assert_eq!(format!("{e:#}").matches(": cause").count(), 1);
    assert!(!e.to_string().contains('\n'));
}

#[test]
fn tls_failures_are_connect_failures_with_their_own_message() {
    let origin: Origin = "https://svc.test:8443".parse().unwrap();
    let problem = CertificateProblem {
        host: "svc.test".into(),
        reason: "it has expired (Expired)".into(),
        advice: "the server's certificate must be renewed",
    };
    let cause: BoxError = "invalid peer certificate: Expired".into();
    let e = Error::acquire(AcquireError::Connect(ConnectError::tls(
        cause,
        Some(problem),
    )))
    .with_origin(&origin);
    assert!(e.is_connect() && e.is_tls() && e.is_certificate() && !e.is_timeout());
    assert_eq!(
        e.to_string(),
        "certificate for host svc.test is not trusted: it has expired (Expired): the server's \
         certificate must be renewed"
    );
    assert!(format!("{e:#}").ends_with(
        ": tls handshake failed: certificate for host svc.test rejected: invalid peer \
         certificate: Expired"
    ));

    let e = Error::acquire(AcquireError::Connect(ConnectError::tls(
        "received corrupt message".into(),
        None,
    )))
    .with_origin(&origin);
    assert!(e.is_connect() && e.is_tls() && !e.is_certificate());
    assert!(
        e.to_string()
            .starts_with("the tls handshake with https://svc.test:8443 failed")
    );

    let e = Error::acquire(AcquireError::Connect(ConnectError::tls_timeout(
        Duration::from_secs(1),
        false,
    )));
    assert!(e.is_connect() && e.is_tls() && e.is_timeout() && !e.is_certificate());
    assert!(e.to_string().contains("tls_handshake_timeout (1s)"));
    let e = Error::acquire(AcquireError::Connect(ConnectError::tls_timeout(
        Duration::from_secs(2),
        true,
    )));
    assert!(e.is_connect() && e.is_tls() && e.is_timeout());
    assert!(e.to_string().contains("within the connect timeout of 2s"));

    let e = ConnectError::unsupported(OriginError::TlsDisabled);
    assert!(!e.is_tls() && e.io_error().is_none());
    assert!(Error::acquire(AcquireError::Connect(e)).is_connect());
}
