//! [`HttpConnection`]: one HTTP/1.1 connection on hyper, as the pool keeps it.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{BoxHyperIo, Spawner, Traffic};
use fusebox_core::{Connection, Hangup};
use futures_lite::future;
use http::header::{CONNECTION, HeaderMap, HeaderName};
use http::{Request, Response, Version};
use hyper::body::Incoming;
use hyper::client::conn::http1;

use crate::Error;
use crate::connector::DEFAULT_MAX_HEADERS;
use crate::driver::{DoneOnDrop, DriverState};
use crate::error::{Fault, HeadLimits, NoHttp2, io_kind};
use crate::meter::Mark;

/// The `Keep-Alive` header (RFC 9112 obsoletes it, but servers still send it).
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");

/// The request body type the client hands to hyper.
pub(crate) type ReqBody = crate::RequestBody;

/// An HTTP/1.1 client connection: hyper's request sender, with its connection driver running on
/// the runtime's [`Spawner`].
///
/// The pool asks it, through [`Connection`], whether it is still usable (the driver is running
/// and hyper has not closed it: a server that closes an idle connection is noticed by the
/// driver's pending read) and how long it may idle (what the server announced in a
/// `Keep-Alive: timeout=N` header, less a safety margin, never above the client's own idle
/// timeout).
///
/// Made by a [`Connector`](crate::conn::Connector); users meet it only through the pool's statistics
/// and in custom pools.
pub struct HttpConnection {
    sender: http1::SendRequest<ReqBody>,
    driver: Arc<DriverState>,
    traffic: Arc<Traffic>,
    limits: HeadLimits,
    /// Learned from the server's `Keep-Alive` header, margin already taken off.
    keep_alive: Option<Duration>,
    /// The most `idle_timeout` may be: the client's own idle timeout.
    idle_cap: Option<Duration>,
    requests: u64,
    /// Why this connection speaks HTTP/1.1 and not HTTP/2, for a request that asks for it.
    pub(crate) no_http2: NoHttp2,
}

/// The cause of a request that hyper's channel took just as the connection's driver ended.
fn untaken() -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "the connection ended before it took the request",
    )
}

/// The settings a connection is made with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnSettings {
    /// The most `idle_timeout` may be: the client's own idle timeout.
    pub(crate) idle_cap: Option<Duration>,
    /// The limits on a response head.
    pub(crate) limits: HeadLimits,
}

/// How sending a request failed.
pub(crate) enum SendError {
    /// The connection was closed before any of the request was written; here it is back.
    NotSent(Box<Request<ReqBody>>, Error),
    /// The server refused the request without processing it (an HTTP/2 `GOAWAY` or
    /// `REFUSED_STREAM`): it may be sent again on another connection, whatever its method.
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    Refused(Error),
    /// The request was (or may have been) written, then the exchange failed.
    Failed {
        /// What went wrong, sorted into its kind.
        error: Error,
        /// Whether any byte of the request reached the socket.
        written: bool,
        /// Whether any byte of the response arrived.
        answered: bool,
    },
}

impl HttpConnection {
    /// Performs the HTTP/1.1 handshake on `io`, whose bytes are counted into `traffic`, and
    /// spawns the connection driver on `spawner`.
    pub(crate) async fn handshake(
        io: BoxHyperIo,
        traffic: Arc<Traffic>,
        spawner: &dyn Spawner,
        settings: ConnSettings,
    ) -> Result<HttpConnection, hyper::Error> {
        let mut builder = http1::Builder::new();
        builder.max_header_size(settings.limits.max_head_size);
        // With a header count set, even its default, hyper fills and moves a vector of that many
        // entries for every response head it parses (1.6% of the client's CPU on small
        // requests); left unset, it parses into an array on the stack.
        if settings.limits.max_headers != DEFAULT_MAX_HEADERS {
            builder.max_headers(settings.limits.max_headers);
        }
        let (sender, driver) = builder.handshake::<_, ReqBody>(io).await?;
        let state = Arc::new(DriverState::default());
        let done = DoneOnDrop(state.clone());
        spawner.spawn(Box::pin(async move {
            if let Err(e) = driver.await {
                tracing::debug!(error = %e, "http connection ended with an error");
                done.0.set_ended_with(io_kind(&e));
            }
            drop(done);
        }));
        Ok(HttpConnection {
            sender,
            driver: state,
            traffic,
            limits: settings.limits,
            keep_alive: None,
            idle_cap: settings.idle_cap,
            requests: 0,
            no_http2: NoHttp2::NotConfigured,
        })
    }

    /// Sends `req`, waiting first until the connection can take it.
    ///
    /// A request that hyper never started writing comes back in [`SendError::NotSent`], so the
    /// caller may send it elsewhere; otherwise the error says whether anything was written and
    /// whether anything of the response arrived.
    pub(crate) async fn send(
        &mut self,
        req: Request<ReqBody>,
    ) -> Result<Response<Incoming>, SendError> {
        let mark = Mark::of(&self.traffic);
        // After a response, the driver needs a moment to be ready for the next request; waiting
        // here keeps a healthy connection from being mistaken for a closed one.
        if let Err(e) = self.sender.ready().await {
            let error = self.classify(e, false).await;
            return Err(SendError::NotSent(Box::new(req), error));
        }
        self.requests += 1;
        let mut sending = pin!(self.sender.try_send_request(req));
        let ended = async {
            self.driver.ended().await;
            None
        };
        let sent = future::or(async { Some(sending.as_mut().await) }, ended).await;
        // The driver cancels what it holds before it counts as ended, so a request still pending
        // now is one hyper's channel took as the driver dropped its end: it was never written,
        // and nothing will ever answer it.
        let sent = match sent {
            Some(sent) => sent,
            None => match future::poll_once(sending).await {
                Some(sent) => sent,
                None => {
                    // What ended the driver (a reset, say) is the cause, as when the request
                    // was taken: which side of that race a request lands on is timing alone.
                    let fault = (self.driver.ended_with()).map_or(Fault::Incomplete, Fault::of_io);
                    return Err(SendError::Failed {
                        error: Error::on_connection(fault, false, untaken()),
                        written: mark.written_since(Mark::of(&self.traffic)),
                        answered: false,
                    });
                }
            },
        };
        match sent {
            Ok(response) => Ok(response),
            Err(mut e) => {
                let unsent = e.take_message();
                let error = self.classify(e.into_error(), false).await;
                match unsent {
                    Some(req) => Err(SendError::NotSent(Box::new(req), error)),
                    None => {
                        let now = Mark::of(&self.traffic);
                        Err(SendError::Failed {
                            error,
                            written: mark.written_since(now),
                            answered: mark.read_since(now),
                        })
                    }
                }
            }
        }
    }

    /// Sorts a failure of hyper's into an [`Error`] of its kind. hyper reports a request that
    /// a failing connection dropped as canceled or closed, without the cause: then the cause is
    /// how the driver ended, which it is about to.
    pub(crate) async fn classify(&self, e: hyper::Error, in_body: bool) -> Error {
        if e.is_user() {
            return Error::invalid_request(e);
        }
        if (e.is_canceled() || e.is_closed()) && io_kind(&e).is_none() {
            self.driver.ended().await;
        }
        let ended = self.driver.ended_with();
        Error::on_connection(Fault::of(&e, ended, self.limits), in_body, e)
    }

    /// Sorts a failure while the response body was read, as far as is known now.
    pub(crate) fn classify_body(&self, e: Box<dyn std::error::Error + Send + Sync>) -> Error {
        let ended = self.driver.ended_with();
        let fault = match e.downcast_ref::<hyper::Error>() {
            Some(h) => Fault::of(h, ended, self.limits),
            None => io_kind(&*e).map_or(Fault::Other, Fault::of_io),
        };
        Error::on_connection(fault, true, e)
    }

    /// How many requests were handed to this connection so far: above zero means reused.
    pub fn requests_sent(&self) -> u64 {
        self.requests
    }

    /// Whether the connection is closed: its driver ended, or hyper closed it.
    pub fn is_closed(&self) -> bool {
        self.driver.is_done() || self.sender.is_closed()
    }

    /// The idle timeout the server announced, margin taken off, if it announced one.
    pub fn keep_alive_timeout(&self) -> Option<Duration> {
        self.keep_alive
    }

    /// Whether the connection may carry another request after this response: not when the
    /// server said `Connection: close`, nor for an HTTP/1.0 response without
    /// `Connection: keep-alive`.
    pub(crate) fn keeps_alive(version: Version, headers: &HeaderMap) -> bool {
        let has = |token: &str| {
            headers
                .get_all(CONNECTION)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if has("close") {
            return false;
        }
        version != Version::HTTP_10 || has("keep-alive")
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

    /// Keeps the pool's hang-up and raises it when the driver ends (at once, if it already has),
    /// so that a connection the server closed leaves the idle count as soon as hyper sees the
    /// close.
    fn watch_hangup(&mut self, hangup: Hangup) {
        self.driver.watch_hangup(hangup);
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
/// window in which a request meets a connection the server is closing (which the client then
/// sends again, when that is safe).
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
    fn connection_close_and_http10_end_the_connection() {
        let with = |v: &'static str| {
            let mut map = HeaderMap::new();
            map.append(CONNECTION, HeaderValue::from_static(v));
            map
        };
        let keeps = HttpConnection::keeps_alive;
        assert!(keeps(Version::HTTP_11, &HeaderMap::new()));
        assert!(!keeps(Version::HTTP_11, &with("close")));
        assert!(!keeps(Version::HTTP_11, &with("Upgrade, Close")));
        assert!(keeps(Version::HTTP_11, &with("keep-alive")));
        assert!(!keeps(Version::HTTP_10, &HeaderMap::new()));
        assert!(keeps(Version::HTTP_10, &with("Keep-Alive")));
        assert!(!keeps(Version::HTTP_10, &with("keep-alive, close")));
    }

    #[test]
    fn connection_is_send() {
        fn assert_send<T: Send + 'static>() {}
        assert_send::<HttpConnection>();
    }
}
