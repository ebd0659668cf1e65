//! [`HttpConnection`]: one HTTP/1.1 connection on hyper, as the pool keeps it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use fusebox_core::Connection;
use fusebox_core::rt::{BoxIo, Spawner};
use http::header::{HeaderMap, HeaderName};
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::client::conn::http1;

use crate::io::HyperIo;

/// The `Keep-Alive` header (RFC 9112 obsoletes it, but servers still send it).
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// The request body type the client hands to hyper.
pub(crate) type ReqBody = Full<Bytes>;

/// An HTTP/1.1 client connection: hyper's request sender, with its connection driver running on
/// the runtime's [`Spawner`].
///
/// The pool asks it, through [`Connection`], whether it is still usable (the driver is running
/// and hyper has not closed it: a server that closes an idle connection is noticed by the
/// driver's pending read) and how long it may idle (what the server announced in a
/// `Keep-Alive: timeout=N` header, less a safety margin, never above the client's own idle
/// timeout).
///
/// Made by a [`Connector`](crate::Connector); users meet it only through the pool's statistics
/// and in custom pools.
pub struct HttpConnection {
    sender: http1::SendRequest<ReqBody>,
    driver: Arc<DriverState>,
    /// Learned from the server's `Keep-Alive` header, margin already taken off.
    keep_alive: Option<Duration>,
    /// The most `idle_timeout` may be: the client's own idle timeout.
    idle_cap: Option<Duration>,
    requests: u64,
}

/// Shared between the connection and its driver task.
#[derive(Debug, Default)]
struct DriverState {
    /// Set when the driver task ends or is dropped: the connection is gone.
    done: AtomicBool,
}

/// Sets `done` when the driver task ends, however it ends (finished, failed, or dropped by a
/// runtime shutting down).
struct DoneOnDrop(Arc<DriverState>);

impl Drop for DoneOnDrop {
    fn drop(&mut self) {
        self.0.done.store(true, Ordering::Release);
    }
}

/// How sending a request failed: whether hyper handed the request back unsent.
pub(crate) enum SendError {
    /// The connection was closed before any of the request was written; here it is back.
    NotSent(Box<Request<ReqBody>>, hyper::Error),
    /// The request was (or may have been) written, then the connection failed.
    Failed(hyper::Error),
}

impl HttpConnection {
    /// Performs the HTTP/1.1 handshake on `io` and spawns the connection driver on `spawner`.
    pub(crate) async fn handshake(
        io: BoxIo,
        spawner: &dyn Spawner,
        idle_cap: Option<Duration>,
    ) -> Result<HttpConnection, hyper::Error> {
        let (sender, driver) = http1::Builder::new()
            .handshake::<_, ReqBody>(HyperIo::new(io))
            .await?;
        let state = Arc::new(DriverState::default());
        let done = DoneOnDrop(state.clone());
        spawner.spawn(Box::pin(async move {
            let _done = done;
            if let Err(e) = driver.await {
                tracing::debug!(error = %e, "http connection ended with an error");
            }
        }));
        Ok(HttpConnection {
            sender,
            driver: state,
            keep_alive: None,
            idle_cap,
            requests: 0,
        })
    }

    /// Sends `req`, waiting first until the connection can take it.
    ///
    /// A request that hyper never started writing comes back in [`SendError::NotSent`], so the
    /// caller may send it elsewhere.
    pub(crate) async fn send(
        &mut self,
        req: Request<ReqBody>,
    ) -> Result<Response<Incoming>, SendError> {
        // After a response, the driver needs a moment to be ready for the next request; waiting
        // here keeps a healthy connection from being mistaken for a closed one.
        if let Err(e) = self.sender.ready().await {
            return Err(SendError::NotSent(Box::new(req), e));
        }
        self.requests += 1;
        self.sender
            .try_send_request(req)
            .await
            .map_err(|mut e| match e.take_message() {
                Some(req) => SendError::NotSent(Box::new(req), e.into_error()),
                None => SendError::Failed(e.into_error()),
            })
    }

    /// How many requests were handed to this connection so far: above zero means reused.
    pub fn requests_sent(&self) -> u64 {
        self.requests
    }

    /// Whether the connection is closed: its driver ended, or hyper closed it.
    pub fn is_closed(&self) -> bool {
        self.driver.done.load(Ordering::Acquire) || self.sender.is_closed()
    }

    /// The idle timeout the server announced, margin taken off, if it announced one.
    pub fn keep_alive_timeout(&self) -> Option<Duration> {
        self.keep_alive
    }

    /// Takes note of a response's `Keep-Alive: timeout=N` header, if it has one.
    pub(crate) fn learn_keep_alive(&mut self, headers: &HeaderMap) {
        if let Some(timeout) = keep_alive_timeout(headers) {
            self.keep_alive = Some(with_margin(timeout));
        }
    }
}

impl Connection for HttpConnection {
    /// Usable while the driver runs and hyper has not closed the connection.
    ///
    /// hyper's `is_ready` is not asked: right after a response it may briefly say "not yet" for
    /// a healthy connection; the client waits for readiness before sending instead.
    fn is_usable(&self) -> bool {
        !self.is_closed()
    }

    /// The server's keep-alive timeout less the margin, capped at the client's idle timeout;
    /// `None` (the pool's idle timeout) when the server announced none.
    fn idle_timeout(&self) -> Option<Duration> {
        match (self.keep_alive, self.idle_cap) {
            (Some(k), Some(cap)) => Some(k.min(cap)),
            (k, _) => k,
        }
    }

    /// Drops the request sender: hyper's driver then ends the connection and closes the socket
    /// on its own task.
    fn close(self) -> impl Future<Output = ()> + Send + 'static {
        drop(self);
        std::future::ready(())
    }
}

impl fmt::Debug for HttpConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConnection")
            .field("closed", &self.is_closed())
            .field("requests_sent", &self.requests)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

/// The `timeout=N` parameter of the first `Keep-Alive` header that has a valid one.
///
/// The header is a comma-separated list of `name=value` parameters (`timeout=5, max=100`); names
/// are case-insensitive and a value may be quoted.
pub(crate) fn keep_alive_timeout(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get_all(KEEP_ALIVE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .find_map(|param| {
            let (name, value) = param.split_once('=')?;
            if !name.trim().eq_ignore_ascii_case("timeout") {
                return None;
            }
            let secs: u64 = value.trim().trim_matches('"').parse().ok()?;
            Some(Duration::from_secs(secs))
        })
}

/// The time a connection may idle when the server announced `timeout`: one second less (half
/// the time for announcements under two seconds), so that the client retires a connection before
/// the server closes it despite the response's time in transit and timer slack. This narrows the
/// window in which a request meets a connection the server is closing (which the client retries
/// only when nothing was sent).
pub(crate) fn with_margin(timeout: Duration) -> Duration {
    let margin = Duration::from_secs(1).min(timeout / 2);
    timeout - margin
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;

    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(KEEP_ALIVE, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn keep_alive_timeout_is_parsed_from_the_header() {
        let secs = |v: &[&'static str]| keep_alive_timeout(&headers(v)).map(|d| d.as_secs());
        assert_eq!(secs(&["timeout=5, max=100"]), Some(5));
        assert_eq!(secs(&["max=100, Timeout = 7"]), Some(7));
        assert_eq!(secs(&["timeout=\"3\""]), Some(3));
        assert_eq!(secs(&["max=5", "timeout=9"]), Some(9));
        assert_eq!(secs(&["timeout=soon"]), None);
        assert_eq!(secs(&["max=100"]), None);
        assert_eq!(secs(&[]), None);
    }

    #[test]
    fn margin_is_a_second_or_half_of_short_timeouts() {
        let ms = |s: u64| with_margin(Duration::from_secs(s)).as_millis();
        assert_eq!(ms(0), 0);
        assert_eq!(ms(1), 500);
        assert_eq!(ms(2), 1000);
        assert_eq!(ms(5), 4000);
        assert_eq!(ms(60), 59_000);
    }

    #[test]
    fn connection_is_send() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<HttpConnection>();
    }
}
