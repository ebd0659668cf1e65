//! [`Http2Connection`]: one HTTP/2 connection on hyper, whose clones send on streams of their own.

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::task::Poll;
use std::time::Duration;

use fusebox_core::rt::{BoxHyperIo, Clock, Spawner};
use fusebox_core::{Connection, Hangup};
use futures_lite::future;
use http::header::HOST;
use http::uri::{PathAndQuery, Uri};
use http::{Request, Response, Version};
use hyper::body::Incoming;
use hyper::client::conn::http2;

use super::refused::{self, Refusal};
use super::rt::{ClockTimer, SpawnerExecutor};
use super::settings::Http2Config;
use crate::driver::{DoneOnDrop, DriverState};
use crate::error::{Fault, io_kind};
use crate::http1::SendError;
use crate::{Error, Origin, RequestBody};
use failure::{settled, unanswered};

mod failure;

/// hyper's connection task: it takes requests from the senders and opens their streams.
type Dispatch = http2::Connection<BoxHyperIo, RequestBody, SpawnerExecutor>;

/// An HTTP/2 client connection: hyper's request sender, its dispatch task running on the
/// runtime's [`Spawner`] and its keep-alive pings timed on the client's [`Clock`].
///
/// Cheap to clone; every clone sends on the same connection, each request on a stream of its
/// own, up to the server's limit of concurrent streams
/// ([`max_concurrent_streams`](Self::max_concurrent_streams)): requests over the limit wait in
/// hyper until a stream ends.
///
/// It can tell a pool (through [`Connection`]) whether it is still usable: not once its
/// dispatch task has ended, which it does when the connection fails, when the server's
/// `GOAWAY` has ended it, or when a keep-alive ping went unanswered (then its streams fail with
/// [`Error::is_ping_timeout`]).
///
/// Made by [`Connector::connect_negotiated`](crate::conn::Connector::connect_negotiated)
/// (feature `http2`).
#[derive(Clone)]
pub struct Http2Connection {
    sender: http2::SendRequest<RequestBody>,
    shared: Arc<Shared>,
}

/// What the clones of a connection and its dispatch task share.
struct Shared {
    driver: Arc<DriverState>,
    /// Polled by the driver task, locked briefly to read the stream limit; dropped when it
    /// ends, so that requests sent after that fail at once rather than wait in its channel.
    dispatch: Arc<Mutex<Option<Dispatch>>>,
    /// The stream limit as last read: what a stream coming back sees while the driver task
    /// holds `dispatch` to poll it, rather than wait for that poll to end.
    streams: Arc<AtomicUsize>,
    /// Set when the dispatch task ended because a ping went unanswered.
    ping_timed_out: Arc<AtomicBool>,
    /// Set when the server refused a stream unprocessed (a `GOAWAY`): the connection takes
    /// no new requests, while those it processes finish.
    going_away: AtomicBool,
    origin: Origin,
    keep_alive_timeout: Option<Duration>,
}

impl Http2Connection {
    /// Starts HTTP/2 (the client preface and `SETTINGS`) on `io` and spawns hyper's dispatch
    /// task on `spawner`; hyper spawns its connection and stream tasks there too.
    pub(crate) async fn handshake(
        io: BoxHyperIo,
        origin: &Origin,
        spawner: Arc<dyn Spawner>,
        clock: Arc<dyn Clock>,
        config: &Http2Config,
    ) -> Result<Http2Connection, hyper::Error> {
        let mut builder = http2::Builder::new(SpawnerExecutor(spawner.clone()));
        builder.timer(ClockTimer(clock));
        let keep_alive = config.keep_alive();
        if let Some(ka) = keep_alive {
            builder
                .keep_alive_interval(ka.interval)
                .keep_alive_timeout(ka.timeout)
                .keep_alive_while_idle(ka.while_idle);
        }
        let (sender, dispatch) = builder.handshake(io).await?;
        let shared = Arc::new(Shared {
            driver: Arc::new(DriverState::default()),
            streams: Arc::new(AtomicUsize::new(dispatch.current_max_send_streams())),
            dispatch: Arc::new(Mutex::new(Some(dispatch))),
            ping_timed_out: Arc::new(AtomicBool::new(false)),
            going_away: AtomicBool::new(false),
            origin: origin.clone(),
            keep_alive_timeout: keep_alive.map(|ka| ka.timeout),
        });
        let done = DoneOnDrop(shared.driver.clone());
        let (dispatch, streams) = (shared.dispatch.clone(), shared.streams.clone());
        let ping_timed_out = shared.ping_timed_out.clone();
        spawner.spawn(Box::pin(async move {
            let ended = future::poll_fn(|cx| match &mut *lock(&dispatch) {
                Some(task) => {
                    let polled = Pin::new(&mut *task).poll(cx);
                    streams.store(task.current_max_send_streams(), Ordering::Relaxed);
                    polled
                }
                None => Poll::Ready(Ok(())),
            })
            .await;
            lock(&dispatch).take();
            streams.store(0, Ordering::Relaxed);
            if let Err(e) = ended {
                tracing::debug!(error = %e, "http2 connection ended with an error");
                // hyper marks the failure of a missed ping as a timeout: nothing else times
                // out on a client connection.
                if e.is_timeout() {
                    ping_timed_out.store(true, Ordering::SeqCst);
                }
                done.0.set_ended_with(io_kind(&e));
            }
            drop(done);
        }));
        Ok(Http2Connection { sender, shared })
    }

    /// Sends `req` on a stream of its own and waits for the response head; the body streams
    /// from the connection as it is read.
    ///
    /// A relative URI (`/path`) is completed with the connection's origin; the version is set
    /// to HTTP/2.
    ///
    /// # Errors
    ///
    /// [`Error::is_invalid_request`] for a request HTTP/2 cannot carry (an HTTP/1.0 one, or
    /// one whose URI names another origin), [`Error::is_ping_timeout`] when the server stopped
    /// answering pings, [`Error::is_request`] for other failures of the connection or the
    /// stream.
    pub async fn send(&self, req: Request<RequestBody>) -> Result<Response<Incoming>, Error> {
        let req = self.prepare(req, false)?;
        let mut sender = self.sender.clone();
        match sender.send_request(req).await {
            Ok(response) => Ok(response),
            Err(e) => Err(self.classify(e, false).await),
        }
    }

    /// Sends a request the client prepared (an absolute URI for the connection's origin) as the
    /// pool's exchange does, telling a request the server refused unprocessed (it may go again
    /// anywhere) from one that failed.
    pub(crate) async fn send_pooled(
        &self,
        mut req: Request<RequestBody>,
    ) -> Result<Response<Incoming>, SendError> {
        // HTTP/2 carries the origin in `:authority`, which hyper takes from the URI.
        req.headers_mut().remove(HOST);
        let req = self.prepare(req, true).map_err(|error| SendError::Failed {
            error,
            written: false,
            answered: false,
        })?;
        let mut sender = self.sender.clone();
        let mut sending = pin!(sender.try_send_request(req));
        let ended = async {
            self.shared.driver.ended().await;
            None
        };
        let sent = future::or(async { Some(sending.as_mut().await) }, ended).await;
        let sent = match sent {
            Some(sent) => sent,
            None => match settled(sending.as_mut()).await {
                Some(sent) => sent,
                // hyper's dispatch task ended (a graceful `GOAWAY` ends it at once) while the
                // request was in its hands, and nothing will ever answer it: seen in about 1 of
                // 250 runs of the GOAWAY test, where it hung. It may have reached the server.
                None => {
                    let error = Error::on_connection(Fault::Incomplete, false, unanswered());
                    return Err(SendError::Failed {
                        error: error.with_origin(&self.shared.origin),
                        written: true,
                        answered: false,
                    });
                }
            },
        };
        match sent {
            Ok(response) => Ok(response),
            Err(mut e) => {
                let unsent = e.take_message();
                let e = e.into_error();
                let refused = refused::by_server(&e);
                if refused == Some(Refusal::GoingAway) {
                    self.shared.going_away.store(true, Ordering::SeqCst);
                }
                let error = self.classify(e, false).await;
                match unsent {
                    Some(req) => Err(SendError::NotSent(Box::new(req), error)),
                    None if refused.is_some() => Err(SendError::Refused(error)),
                    None => Err(SendError::Failed {
                        error,
                        written: true,
                        answered: false,
                    }),
                }
            }
        }
    }

    /// Checks `req` for this connection and makes it an HTTP/2 request to its origin. `keyed`:
    /// the client's pool chose this connection by the URI's origin, which needs no second look.
    fn prepare(
        &self,
        mut req: Request<RequestBody>,
        keyed: bool,
    ) -> Result<Request<RequestBody>, Error> {
        match req.version() {
            Version::HTTP_11 | Version::HTTP_2 => *req.version_mut() = Version::HTTP_2,
            other => {
                return Err(Error::invalid_request(format!(
                    "an {other:?} request cannot be sent on an HTTP/2 connection: leave its \
                     version at its default"
                )));
            }
        }
        let origin = &self.shared.origin;
        if let Some(authority) = req.uri().authority() {
            if !keyed {
                let named = Origin::from_uri(req.uri()).map_err(Error::invalid_uri)?;
                if named != *origin {
                    return Err(Error::invalid_request(format!(
                        "the request is for {named}, but the connection is to {origin}: send it \
                         on a connection to its own origin"
                    )));
                }
            }
            // hyper sends the authority as `:authority`, which carries no user info (RFC 9113,
            // 8.3.1): only a URI with some is rebuilt.
            if !authority.as_str().contains('@') {
                return Ok(req);
            }
        }
        let path = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let uri = Uri::builder()
            .scheme(origin.scheme().as_str())
            .authority(origin.authority())
            .path_and_query(path)
            .build()
            .map_err(Error::invalid_request)?;
        *req.uri_mut() = uri;
        Ok(req)
    }

    /// The most streams the server lets this connection have open at once, as its latest
    /// `SETTINGS_MAX_CONCURRENT_STREAMS` says (until its first `SETTINGS` arrive, hyper's
    /// assumption of 100). It may change while the connection lives; 0 once the connection
    /// has ended.
    pub fn max_concurrent_streams(&self) -> usize {
        let limit = |dispatch: &Option<Dispatch>| {
            dispatch
                .as_ref()
                .map_or(0, Dispatch::current_max_send_streams)
        };
        match self.shared.dispatch.try_lock() {
            Ok(dispatch) => {
                let now = limit(&dispatch);
                self.shared.streams.store(now, Ordering::Relaxed);
                now
            }
            Err(TryLockError::Poisoned(dispatch)) => limit(&dispatch.into_inner()),
            // The driver task is polling it (every stream's end would wait for that poll, a
            // contended lock per request): the limit as it read it last.
            Err(TryLockError::WouldBlock) => self.shared.streams.load(Ordering::Relaxed),
        }
    }

    /// Whether the connection is closed: its dispatch task ended (the connection failed, a
    /// `GOAWAY` ended it, a ping went unanswered), or hyper closed it.
    pub fn is_closed(&self) -> bool {
        self.shared.driver.is_done() || self.sender.is_closed()
    }

    /// The origin the connection was made to.
    pub fn origin(&self) -> &Origin {
        &self.shared.origin
    }
}

fn lock(dispatch: &Mutex<Option<Dispatch>>) -> std::sync::MutexGuard<'_, Option<Dispatch>> {
    dispatch.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Connection for Http2Connection {
    /// Usable while hyper's dispatch task runs and has not closed the connection, and no
    /// stream was refused by a `GOAWAY`.
    fn is_usable(&self) -> bool {
        !self.is_closed() && !self.shared.going_away.load(Ordering::SeqCst)
    }

    /// HTTP/2 servers announce no idle timeout: the pool's applies.
    fn idle_timeout(&self) -> Option<Duration> {
        None
    }

    /// Raises the pool's hang-up when the dispatch task ends (at once, if it already has).
    fn watch_hangup(&mut self, hangup: Hangup) {
        self.shared.driver.watch_hangup(hangup);
    }

    /// Drops this sender: once every clone is gone, hyper ends the connection on its own task.
    fn close(self) -> impl Future<Output = ()> + Send + 'static {
        drop(self);
        std::future::ready(())
    }
}

impl fmt::Debug for Http2Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http2Connection")
            .field("origin", &format_args!("{}", self.shared.origin))
            .field("closed", &self.is_closed())
            .field("keep_alive_timeout", &self.shared.keep_alive_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn connection_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<super::Http2Connection>();
    }
}
