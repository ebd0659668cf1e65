//! The TLS handshake on a dialed stream, bounded by an optional timeout of its own.

use std::sync::Arc;
use std::time::Duration;

use fusebox_core::rt::{BoxIo, Clock};
use futures_lite::future;
use rustls::pki_types::ServerName;

use super::TlsConfig;
use super::reason;
use crate::error::ConnectError;

/// A limit on the TLS handshake alone, read on the client's clock.
#[derive(Clone)]
pub(crate) struct HandshakeTimeout {
    pub(crate) after: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

/// Runs the TLS handshake for `host` on `io`: SNI for a host name, the server's certificate
/// verified for `host` (a name or an IP address), `http/1.1` offered by ALPN. Returns the
/// encrypted stream, boxed like the plain one it wraps.
pub(crate) async fn handshake(
    config: &TlsConfig,
    io: BoxIo,
    host: &str,
    timeout: Option<&HandshakeTimeout>,
) -> Result<BoxIo, ConnectError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| ConnectError::tls(reason::invalid_name(host, e), None))?;
    let connector = futures_rustls::TlsConnector::from(config.rustls_config().clone());
    let handshake = async {
        let stream = connector
            .connect(name, io)
            .await
            .map_err(|e| reason::classify(e, host))?;
        Ok(Box::new(stream) as BoxIo)
    };
    match timeout {
        None => handshake.await,
        Some(t) => {
            let deadline = t.clock.sleep_from(t.clock.now(), t.after);
            future::or(handshake, async {
                deadline.await;
                Err(ConnectError::tls_timeout(t.after))
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
