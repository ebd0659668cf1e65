//! What counts as a failure for the breaker: the [`Verdict`] of a classifier, the default
//! classifier, slowness, and `Retry-After`.

use std::time::{Duration, SystemTime};

use fusebox_core::breaker::{Outcome, TripReason};
use http::StatusCode;
use http::header::RETRY_AFTER;

use crate::{Error, Response};

/// What a request's outcome means to the breaker, as a classifier judges it
/// ([`FuseBuilder::classify`](super::FuseBuilder::classify)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// The service works: counts as a success (resets the consecutive failures).
    Success,
    /// The service failed, for this reason: counts toward a trip.
    Failure(TripReason),
    /// Says nothing about the service's health: counts neither way.
    Neutral,
}

/// The classifier a [`FuseClient`](super::FuseClient) uses unless told otherwise.
///
/// - a 5xx status is a failure ([`TripReason::Status`]); any other status is a success (a 429
///   too: make it a failure with your own classifier, as the example shows);
/// - no connection made ([`Error::is_connect`]) is a [`TripReason::Connect`] failure;
/// - the connection failing during the request ([`Error::is_request`], [`Error::is_body`]:
///   reset, closed before the response was complete, a malformed answer) is a
///   [`TripReason::Connection`] failure;
/// - a timeout ([`Error::is_timeout`]) is a [`TripReason::Timeout`] failure, except the wait for
///   one of the pool's connections ([`Error::is_pool_timeout`]): that is the caller's own load,
///   and neutral;
/// - anything else (a bad URI, a body over the limit, a closed client) is neutral.
///
/// Separately from the classifier, a success that came later than
/// [`max_delay`](fusebox_core::BreakerConfig::max_delay) after the request had its connection
/// counts as a [`TripReason::TooSlow`] failure.
///
/// The classifier sees the response at its head, before its body is read; an error met while
/// the body streams is judged again, as an `Err`.
///
/// ```
/// use fusebox_core::TripReason;
/// use fusebox_http::{Body, Error, Response, Verdict, default_classifier};
/// use fusebox_http::http::StatusCode;
///
/// // 429 Too Many Requests trips the breaker too.
/// fn with_429(result: &Result<Response, Error>) -> Verdict {
///     match result {
///         Ok(r) if r.status() == StatusCode::TOO_MANY_REQUESTS => {
///             Verdict::Failure(TripReason::Status { status: 429 })
///         }
///         other => default_classifier(other),
///     }
/// }
/// let busy = || {
///     let head = http::Response::builder().status(429).body(Body::empty()).unwrap();
///     Ok(Response::from(head))
/// };
/// assert_eq!(default_classifier(&busy()), Verdict::Success);
/// assert_eq!(with_429(&busy()), Verdict::Failure(TripReason::Status { status: 429 }));
/// ```
pub fn default_classifier(result: &Result<Response, Error>) -> Verdict {
    match result {
        Ok(response) if response.status().is_server_error() => {
            Verdict::Failure(TripReason::Status {
                status: response.status().as_u16(),
            })
        }
        Ok(_) => Verdict::Success,
        Err(e) if e.is_pool_timeout() => Verdict::Neutral,
        Err(e) if e.is_timeout() => Verdict::Failure(TripReason::Timeout),
        Err(e) if e.is_connect() => Verdict::Failure(TripReason::Connect),
        Err(e) if e.is_request() || e.is_body() => Verdict::Failure(TripReason::Connection),
        Err(_) => Verdict::Neutral,
    }
}

/// The outcome to record: the classifier's verdict, made a failure when a success was slower
/// than `max_delay` after the connection was had; `None` for neutral.
pub(crate) fn outcome(
    verdict: Verdict,
    result: &Result<Response, Error>,
    elapsed: Option<Duration>,
    max_delay: Duration,
) -> Option<Outcome> {
    match verdict {
        Verdict::Neutral => None,
        Verdict::Success => match elapsed {
            Some(elapsed) if elapsed > max_delay => Some(Outcome::Failure {
                reason: TripReason::TooSlow { elapsed },
                retry_after: None,
            }),
            _ => Some(Outcome::Success),
        },
        Verdict::Failure(reason) => Some(Outcome::Failure {
            reason,
            retry_after: result.as_ref().ok().and_then(retry_after),
        }),
    }
}

/// A 503's or 429's `Retry-After`, in seconds or as an HTTP date.
fn retry_after(response: &Response) -> Option<Duration> {
    let busy = [
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::TOO_MANY_REQUESTS,
    ];
    if !busy.contains(&response.status()) {
        return None;
    }
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: Duration = Duration::from_secs(1);

    fn status(code: u16) -> Result<Response, Error> {
        let mut response = http::Response::new(crate::Body::empty());
        *response.status_mut() = StatusCode::from_u16(code).unwrap();
        Ok(Response::from(response))
    }

    fn judged(result: &Result<Response, Error>, elapsed: Duration) -> Option<Outcome> {
        outcome(default_classifier(result), result, Some(elapsed), MAX)
    }

    fn failure(reason: TripReason) -> Option<Outcome> {
        Some(Outcome::Failure {
            reason,
            retry_after: None,
        })
    }

    #[test]
    fn server_errors_and_slow_responses_are_failures() {
        let fast = Duration::from_millis(10);
        assert_eq!(judged(&status(200), fast), Some(Outcome::Success));
        assert_eq!(judged(&status(404), fast), Some(Outcome::Success));
        assert_eq!(judged(&status(429), fast), Some(Outcome::Success));
        assert_eq!(judged(&status(200), MAX), Some(Outcome::Success));
        assert_eq!(
            judged(&status(503), fast),
            failure(TripReason::Status { status: 503 })
        );
        let slow = MAX + Duration::from_millis(1);
        assert_eq!(
            judged(&status(200), slow),
            failure(TripReason::TooSlow { elapsed: slow })
        );
        // A request that never had a connection is not slow.
        let ok = status(200);
        assert_eq!(
            outcome(Verdict::Success, &ok, None, MAX),
            Some(Outcome::Success)
        );
    }

    #[test]
    fn connect_errors_timeouts_and_broken_connections_are_failures() {
        let fast = Duration::from_millis(10);
        let timeout = Err(Error::timeout(Duration::from_secs(1)));
        assert_eq!(judged(&timeout, fast), failure(TripReason::Timeout));
        let connect = Err(Error::acquire(fusebox_core::AcquireError::Connect(
            crate::ConnectError::dial(std::io::ErrorKind::ConnectionRefused.into()),
        )));
        assert_eq!(judged(&connect, fast), failure(TripReason::Connect));
        let body = Err(Error::on_connection(
            crate::error::Fault::Reset,
            true,
            std::io::Error::from(std::io::ErrorKind::ConnectionReset),
        ));
        assert_eq!(judged(&body, fast), failure(TripReason::Connection));
        let too_large = Err(Error::body_too_large(10));
        assert_eq!(judged(&too_large, fast), None);
    }

    #[test]
    fn retry_after_comes_with_503_and_429_failures() {
        let busy = |code: u16, value: &str| -> Result<Response, Error> {
            Ok(Response::from(
                http::Response::builder()
                    .status(code)
                    .header(RETRY_AFTER, value)
                    .body(crate::Body::empty())
                    .unwrap(),
            ))
        };
        let reason = TripReason::Status { status: 503 };
        let after =
            |r: &Result<Response, Error>| match outcome(Verdict::Failure(reason), r, None, MAX) {
                Some(Outcome::Failure { retry_after, .. }) => retry_after,
                _ => panic!("a failure"),
            };
        assert_eq!(after(&busy(503, "120")), Some(Duration::from_secs(120)));
        assert_eq!(after(&busy(429, " 7 ")), Some(Duration::from_secs(7)));
        assert_eq!(after(&busy(500, "120")), None, "only 503 and 429 carry it");
        assert_eq!(after(&busy(503, "soon")), None);
        let past = httpdate::fmt_http_date(SystemTime::UNIX_EPOCH);
        assert_eq!(after(&busy(503, &past)), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3600));
        assert!(after(&busy(503, &later)).unwrap() > Duration::from_secs(3500));
    }
}
