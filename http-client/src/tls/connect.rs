//! The TLS handshake on a dialed stream, bounded by an optional timeout of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fusebox_core::rt::{BoxIo, Clock};
use futures_lite::future;
use rustls::ClientConfig;
use rustls::pki_types::ServerName;

use super::reason;
use crate::error::ConnectError;

/// A limit on the TLS handshake alone, read on the client's clock.
#[derive(Clone)]
pub(crate) struct HandshakeTimeout {
    pub(crate) after: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

/// What bounds a handshake: its own timeout, counted from its start, and the connect timeout,
/// counted from when the connect started.
#[derive(Clone, Copy)]
pub(crate) struct HandshakeLimit<'a> {
    pub(crate) own: Option<&'a HandshakeTimeout>,
    pub(crate) connect: Option<(&'a HandshakeTimeout, Instant)>,
}

impl HandshakeLimit<'_> {
    /// The sleep that ends the handshake, on which clock, and the error it ends with.
    fn deadline(self) -> Option<(fusebox_core::rt::BoxFuture<'static, ()>, ConnectError)> {
        let own = self.own.map(|t| {
            let now = t.clock.now();
            (now.checked_add(t.after), t, false)
        });
        // Just before the pool's connect deadline, so that this one fires first.
        let connect = self.connect.map(|(t, started)| {
            let margin = (t.after / 10).min(Duration::from_millis(50));
            (started.checked_add(t.after - margin), t, true)
        });
        let (at, t, of_connect) = match (own, connect) {
            (Some(a), Some(b)) => match (a.0, b.0) {
                (Some(x), Some(y)) if y < x => b,
                (None, Some(_)) => b,
                _ => a,
            },
            (a, b) => a.or(b)?,
        };
        let sleep = match at {
            Some(at) => t.clock.sleep_until(at),
            None => Box::pin(future::pending()),
        };
        Some((sleep, ConnectError::tls_timeout(t.after, of_connect)))
    }
}

/// A finished TLS handshake: the encrypted stream, boxed like the plain one it wraps, and the
/// protocol the server chose by ALPN.
pub(crate) struct Secured {
    pub(crate) io: BoxIo,
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    pub(crate) alpn: Option<Vec<u8>>,
}

/// Runs the TLS handshake for `host` on `io` with `config` (a `TlsConfig`'s, offering
/// `http/1.1`, or `h2` too): SNI for a host name, the server's certificate verified for `host`
/// (a name or an IP address).
pub(crate) async fn handshake(
    config: &Arc<ClientConfig>,
    io: BoxIo,
    host: &str,
    limit: HandshakeLimit<'_>,
) -> Result<Secured, ConnectError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| ConnectError::tls(reason::invalid_name(host, e), None))?;
    let connector = futures_rustls::TlsConnector::from(config.clone());
    let handshake = async {
        let stream = connector
            .connect(name, io)
            .await
            .map_err(|e| reason::classify(e, host))?;
        let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
        Ok(Secured {
            io: Box::new(stream),
            alpn,
        })
    };
    match limit.deadline() {
        None => handshake.await,
        Some((deadline, error)) => {
            future::or(handshake, async {
                deadline.await;
                Err(error)
            })
            .await
        }
    }
}

impl std::fmt::Debug for HandshakeTimeout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandshakeTimeout")
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}
