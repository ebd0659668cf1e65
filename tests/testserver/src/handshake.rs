//! The server side of TLS handshakes, on rustls's blocking `ServerConnection`, and telling TLS
//! connections from plain ones by their first byte.

use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::seen::Handshake;
use crate::server::Shared;
use crate::wire::{Wire, is_timeout};

/// The first byte of a TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;
/// The longest a handshake may take before the server gives up on it.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

/// Completes the server side of a TLS handshake on `tcp`, logging it: the TLS stream, or `None`
/// (the failure counted) when it failed, took too long or the server stopped.
pub(crate) fn accept(
    mut tcp: TcpStream,
    config: &Arc<ServerConfig>,
    shared: &Shared,
) -> Option<(Wire, bool)> {
    let Ok(mut conn) = ServerConnection::new(config.clone()) else {
        return failed(tcp, shared);
    };
    let until = Instant::now() + HANDSHAKE_LIMIT;
    while conn.is_handshaking() {
        if shared.stop.load(Ordering::SeqCst) || Instant::now() >= until {
            return failed(tcp, shared);
        }
        match conn.complete_io(&mut tcp) {
            Ok((0, 0)) if conn.is_handshaking() && !conn.wants_write() => {
                // The client closed before finishing.
                return failed(tcp, shared);
            }
            Ok(_) => {}
            Err(e) if is_timeout(&e) => {}
            // rustls has already sent the alert that says why.
            Err(_) => return failed(tcp, shared),
        }
    }
    shared.log.handshake(Handshake {
        sni: conn.server_name().map(str::to_owned),
        alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        client_certificate: conn.peer_certificates().is_some(),
    });
    Some((Wire::Tls(Box::new(StreamOwned::new(conn, tcp))), true))
}

/// Counts a failed handshake and closes its connection gracefully, so that the alert rustls
/// sent is not lost to a reset caused by bytes left unread.
fn failed(tcp: TcpStream, shared: &Shared) -> Option<(Wire, bool)> {
    shared.log.bump(&shared.log.failed_handshakes);
    Wire::Plain(tcp).close(&shared.stop);
    None
}

/// Serves `tcp` with TLS if its first byte opens a TLS handshake, else as plain HTTP (counted).
pub(crate) fn sniff(
    tcp: TcpStream,
    config: &Arc<ServerConfig>,
    shared: &Shared,
) -> Option<(Wire, bool)> {
    let mut first = [0u8; 1];
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return None;
        }
        match tcp.peek(&mut first) {
            Ok(0) => return None,
            Ok(_) => break,
            Err(e) if is_timeout(&e) => {}
            Err(_) => return None,
        }
    }
    if first[0] == TLS_HANDSHAKE {
        return accept(tcp, config, shared);
    }
    shared.log.bump(&shared.log.plain);
    Some((Wire::Plain(tcp), false))
}
