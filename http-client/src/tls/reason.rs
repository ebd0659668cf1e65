//! Turning rustls's handshake errors into messages that name the host, the reason and the fix.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use rustls::CertificateError;
use rustls::pki_types::InvalidDnsNameError;

use crate::error::{CertificateProblem, ConnectError};

type BoxError = Box<dyn StdError + Send + Sync>;

const ADD_ROOT: &str = "if you trust the server's certificate authority, add its root with \
                        TlsConfig::builder().root_certificate(..)";
const USE_LISTED_NAME: &str =
    "connect with a host name the certificate lists, or give the server a certificate for this one";
const RENEW: &str = "the server needs a certificate that is valid now; check this machine's \
                     clock too";
const CHECK_CLOCK: &str =
    "check this machine's clock, or wait until the server's certificate is valid";
const FIX_SERVER: &str = "the server's certificate must be replaced";

/// A failed handshake's IO error as a [`ConnectError`], whose source is rustls's own error when
/// there is one, and which says why a rejected certificate was rejected.
pub(crate) fn classify(e: io::Error, host: &str) -> ConnectError {
    let cause: BoxError = if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        e.into_inner().expect("the io error wraps rustls's")
    } else {
        Box::new(e)
    };
    let problem = match cause.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(e)) => Some(certificate_problem(host, e)),
        _ => None,
    };
    ConnectError::tls(cause, problem)
}

/// The cause of a host that cannot be a TLS server name.
pub(crate) fn invalid_name(host: &str, e: InvalidDnsNameError) -> BoxError {
    format!("{host:?} cannot be checked against a certificate ({e})").into()
}

/// What is wrong with the server's certificate, and what to change.
pub(crate) fn certificate_problem(host: &str, e: &CertificateError) -> CertificateProblem {
    use CertificateError as C;
    let (reason, advice) = match e {
        C::UnknownIssuer => (
            "it is not signed by a trusted root (UnknownIssuer)".to_owned(),
            ADD_ROOT,
        ),
        C::NotValidForName => (
            "it is not valid for that name (NotValidForName)".to_owned(),
            USE_LISTED_NAME,
        ),
        C::NotValidForNameContext { presented, .. } if presented.is_empty() => (
            "it is not valid for any name (NotValidForName)".to_owned(),
            USE_LISTED_NAME,
        ),
        C::NotValidForNameContext { presented, .. } => (
            format!(
                "it is not valid for that name, only for {} (NotValidForName)",
                presented
                    .iter()
                    .map(|name| plain_name(name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            USE_LISTED_NAME,
        ),
        C::Expired => ("it has expired (Expired)".to_owned(), RENEW),
        C::ExpiredContext { time, not_after } => (
            format!(
                "it expired {} ago (Expired)",
                span(time.as_secs().saturating_sub(not_after.as_secs()))
            ),
            RENEW,
        ),
        C::NotValidYet => ("it is not valid yet (NotValidYet)".to_owned(), CHECK_CLOCK),
        C::NotValidYetContext { time, not_before } => (
            format!(
                "it is not valid for another {} (NotValidYet)",
                span(not_before.as_secs().saturating_sub(time.as_secs()))
            ),
            CHECK_CLOCK,
        ),
        C::Revoked => ("it has been revoked (Revoked)".to_owned(), FIX_SERVER),
        C::BadSignature => (
            "its signature does not verify (BadSignature)".to_owned(),
            FIX_SERVER,
        ),
        C::BadEncoding => ("it is malformed (BadEncoding)".to_owned(), FIX_SERVER),
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => (
            "it is not meant for a tls server (InvalidPurpose)".to_owned(),
            FIX_SERVER,
        ),
        C::UnhandledCriticalExtension => (
            "it has a critical extension this client cannot check (UnhandledCriticalExtension)"
                .to_owned(),
            FIX_SERVER,
        ),
        C::UnsupportedSignatureAlgorithmContext { .. }
        | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => (
            "it is signed with an algorithm this client does not support \
             (UnsupportedSignatureAlgorithm)"
                .to_owned(),
            FIX_SERVER,
        ),
        other => (format!("{other}"), FIX_SERVER),
    };
    CertificateProblem {
        host: host.into(),
        reason,
        advice,
    }
}

/// A name the certificate presents, as webpki writes it (`DnsName("a.test")`,
/// `IpAddress(192.0.2.1)`), without the wrapping: `a.test`, `192.0.2.1`.
fn plain_name(presented: &str) -> &str {
    let inner = presented
        .strip_prefix("DnsName(")
        .or_else(|| presented.strip_prefix("IpAddress("))
        .and_then(|rest| rest.strip_suffix(')'));
    match inner {
        Some(name) => name.trim_matches('"'),
        None => presented,
    }
}

/// A length of time in its largest whole unit: `3 days`, `1 hour`, `40 seconds`.
fn span(secs: u64) -> String {
    let d = Duration::from_secs(secs);
    let (n, unit) = match d.as_secs() {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    let plural = if n == 1 { "" } else { "s" };
    format!("{n} {unit}{plural}")
}

#[cfg(test)]
mod tests {
    use rustls::pki_types::{ServerName, UnixTime};

    use super::*;

    fn reason(e: CertificateError) -> String {
        certificate_problem("svc.test", &e).to_string()
    }

    #[test]
    fn certificate_problems_name_the_host_the_reason_and_the_fix() {
        assert_eq!(
            reason(CertificateError::UnknownIssuer),
            "certificate for host svc.test is not trusted: it is not signed by a trusted root \
             (UnknownIssuer): if you trust the server's certificate authority, add its root with \
             TlsConfig::builder().root_certificate(..)"
        );
        let wrong_name = CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("svc.test").unwrap(),
            presented: vec!["DnsName(\"a.test\")".into(), "b.test".into()],
        };
        assert!(reason(wrong_name).contains(
            "it is not valid for that name, only for a.test, b.test (NotValidForName): connect \
             with a host name"
        ));
        let expired = CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(10 * 86_400)),
            not_after: UnixTime::since_unix_epoch(Duration::from_secs(7 * 86_400 - 5)),
        };
        assert!(reason(expired).contains("it expired 3 days ago (Expired)"));
        let early = CertificateError::NotValidYetContext {
            time: UnixTime::since_unix_epoch(Duration::from_secs(0)),
            not_before: UnixTime::since_unix_epoch(Duration::from_secs(3_600)),
        };
        assert!(reason(early).contains("it is not valid for another 1 hour (NotValidYet)"));
        assert!(reason(CertificateError::Revoked).contains("(Revoked)"));
        assert!(
            reason(CertificateError::ApplicationVerificationFailure)
                .contains("ApplicationVerificationFailure")
        );
    }

    #[test]
    fn presented_names_lose_webpki_s_wrapping() {
        assert_eq!(plain_name("DnsName(\"*.a.test\")"), "*.a.test");
        assert_eq!(plain_name("IpAddress(192.0.2.1)"), "192.0.2.1");
        assert_eq!(plain_name("IpAddress(2001::db8)"), "2001::db8");
        assert_eq!(plain_name("a.test"), "a.test");
        assert_eq!(plain_name("DirectoryName"), "DirectoryName");
    }

    #[test]
    fn spans_use_the_largest_whole_unit() {
        assert_eq!(span(0), "0 seconds");
        assert_eq!(span(1), "1 second");
        assert_eq!(span(119), "1 minute");
        assert_eq!(span(7_200), "2 hours");
        assert_eq!(span(86_400 * 400), "400 days");
    }

    #[test]
    fn handshake_errors_keep_rustls_as_their_source() {
        let io = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
        );
        let e = classify(io, "svc.test");
        assert!(e.is_certificate());
        let source = StdError::source(&e).unwrap();
        assert!(source.is::<rustls::Error>());

        let eof = classify(io::ErrorKind::UnexpectedEof.into(), "svc.test");
        assert!(eof.is_tls() && !eof.is_certificate());
    }
}
