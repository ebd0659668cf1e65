//! What counts as a failure for the breaker, and the health probe.

use std::time::Duration;

use bytes::Bytes;
use fusebox_core::breaker::TripReason;
use fusebox_core::rt::BoxFuture;
use futures_lite::future;
use http::{Response, Uri};

use crate::{Client, Error};

/// What a request's outcome means to the breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Resets the count of consecutive failures.
    Success,
    /// Counts toward a trip.
    Failure(TripReason),
    /// Says nothing about the service's health: a bad URI, a body over the client's limit, a
    /// connection that broke midway, a closed client.
    Neutral,
}

/// Judges a request that took `elapsed`: a 5xx status, a response slower than `max_delay`, a
/// connect error or a timeout is a failure.
pub(crate) fn judge(
    result: &Result<Response<Bytes>, Error>,
    elapsed: Duration,
    max_delay: Duration,
) -> Verdict {
    match result {
        Ok(response) if response.status().is_server_error() => {
            Verdict::Failure(TripReason::ServerError {
                status: response.status().as_u16(),
            })
        }
        Ok(_) if elapsed > max_delay => Verdict::Failure(TripReason::TooSlow { elapsed }),
        Ok(_) => Verdict::Success,
        Err(e) if e.is_timeout() => Verdict::Failure(TripReason::Timeout),
        Err(e) if e.is_connect() => Verdict::Failure(TripReason::Connect),
        Err(_) => Verdict::Neutral,
    }
}

/// The health probe of a service: a `GET` of `uri` that must answer 2xx within `max_delay`.
pub(crate) fn health_probe(
    client: Client,
    uri: Uri,
    max_delay: Duration,
) -> impl Fn() -> BoxFuture<'static, bool> + Send + Sync + 'static {
    move || -> BoxFuture<'static, bool> {
        let client = client.clone();
        let uri = uri.clone();
        Box::pin(async move {
            let clock = client.clock().clone();
            let start = clock.now();
            let deadline = clock.sleep_until(start + max_delay);
            let get = async {
                match client.get(uri).await {
                    Ok(response) => response.status().is_success(),
                    Err(e) => {
                        tracing::debug!(error = %e, "health probe failed");
                        false
                    }
                }
            };
            let ok = future::or(get, async {
                deadline.await;
                false
            })
            .await;
            ok && clock.now().saturating_duration_since(start) <= max_delay
        })
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    const MAX: Duration = Duration::from_secs(1);

    fn status(code: u16) -> Result<Response<Bytes>, Error> {
        let mut response = Response::new(Bytes::new());
        *response.status_mut() = StatusCode::from_u16(code).unwrap();
        Ok(response)
    }

    #[test]
    fn server_errors_and_slow_responses_are_failures() {
        let fast = Duration::from_millis(10);
        assert_eq!(judge(&status(200), fast, MAX), Verdict::Success);
        assert_eq!(judge(&status(404), fast, MAX), Verdict::Success);
        assert_eq!(judge(&status(200), MAX, MAX), Verdict::Success);
        assert_eq!(
            judge(&status(503), fast, MAX),
            Verdict::Failure(TripReason::ServerError { status: 503 })
        );
        let slow = MAX + Duration::from_millis(1);
        assert_eq!(
            judge(&status(200), slow, MAX),
            Verdict::Failure(TripReason::TooSlow { elapsed: slow })
        );
    }

    #[test]
    fn connect_errors_and_timeouts_are_failures_other_errors_neutral() {
        let fast = Duration::from_millis(10);
        let timeout = Err(Error::timeout(Duration::from_secs(1)));
        assert_eq!(
            judge(&timeout, fast, MAX),
            Verdict::Failure(TripReason::Timeout)
        );
        let connect = Err(Error::acquire(fusebox_core::AcquireError::Connect(
            crate::ConnectError::dial(std::io::ErrorKind::ConnectionRefused.into()),
        )));
        assert_eq!(
            judge(&connect, fast, MAX),
            Verdict::Failure(TripReason::Connect)
        );
        let certificate = crate::error::CertificateProblem {
            host: "svc.test".into(),
            reason: "it is not signed by a trusted root (UnknownIssuer)".into(),
            advice: "add its root",
        };
        let rejected = Err(Error::acquire(fusebox_core::AcquireError::Connect(
            crate::ConnectError::tls("invalid peer certificate".into(), Some(certificate)),
        )));
        assert_eq!(
            judge(&rejected, fast, MAX),
            Verdict::Failure(TripReason::Connect),
            "a rejected certificate is a connect failure"
        );
        let too_large = Err(Error::body_too_large(10));
        assert_eq!(judge(&too_large, fast, MAX), Verdict::Neutral);
    }
}
