//! How a dialed stream reaches hyper: straight into hyper's buffer when the dialer offers that,
//! through smol-hyper's futures-io bridge otherwise; counted either way.
//!
//! - A plain-TCP origin is dialed with [`Dial::dial_hyper`] first. fusebox-tokio answers with
//!   hyper-util's `TokioIo` over its `TcpStream`: hyper reads into its own buffer, no copy.
//! - Every other stream (smol's, TLS over any dial, a dialer that answers `None`) is a futures-io
//!   one, and a safe futures-io read needs initialised memory: smol-hyper's `FuturesIo` zeroes
//!   the part of hyper's buffer a read may fill, then reads into it. (fusebox forbids `unsafe`
//!   in its own crates, so it keeps no bridge of its own.)
//!
//! Both forms count their bytes into the connection's [`Traffic`], below hyper, where a read
//! shows how much it moved.

use std::io;
use std::sync::Arc;

use fusebox_core::rt::{BoxHyperIo, BoxIo, Dial, Traffic};
use smol_hyper::rt::FuturesIo;

use crate::meter::Metered;

/// Opens a plain-TCP stream to `host:port` as [`Dial::dial_hyper`] has it, or as
/// [`Dial::dial`]'s stream seen through [`bridge`].
pub(crate) async fn dial_plain(
    dial: &dyn Dial,
    host: &str,
    port: u16,
    traffic: Arc<Traffic>,
) -> io::Result<BoxHyperIo> {
    match dial.dial_hyper(host, port, traffic.clone()) {
        Some(direct) => direct.await,
        None => Ok(bridge(dial.dial(host, port).await?, traffic)),
    }
}

/// `io` seen through hyper's IO traits, its bytes counted into `traffic`.
pub(crate) fn bridge(io: BoxIo, traffic: Arc<Traffic>) -> BoxHyperIo {
    Box::new(FuturesIo::new(Metered::new(io, traffic)))
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::pin::Pin;

    use futures_lite::future::block_on;
    use futures_lite::io::Cursor;
    use hyper::rt::{Read, ReadBuf, Write};

    use super::*;

    /// Reads once into a buffer of `cap` bytes, returning what was read.
    fn read_once(io: &mut BoxHyperIo, cap: usize) -> Vec<u8> {
        let mut storage = vec![0u8; cap];
        let mut buf = ReadBuf::new(&mut storage);
        block_on(poll_fn(|cx| {
            Pin::new(&mut *io).poll_read(cx, buf.unfilled())
        }))
        .unwrap();
        buf.filled().to_vec()
    }

    #[test]
    fn the_bridge_hands_over_bytes_in_order_and_counts_them() {
        let data: Vec<u8> = (0..=255).cycle().take(40_000).collect();
        let traffic = Arc::new(Traffic::default());
        let mut io = bridge(Box::new(Cursor::new(data.clone())), traffic.clone());
        let mut got = read_once(&mut io, 3);
        assert_eq!((got.len(), traffic.read()), (3, 3));
        loop {
            let chunk = read_once(&mut io, 50_000);
            if chunk.is_empty() {
                break;
            }
            got.extend(chunk);
        }
        assert_eq!(got, data);
        assert_eq!((traffic.read(), traffic.written()), (40_000, 0));
        let n = block_on(poll_fn(|cx| Pin::new(&mut io).poll_write(cx, b"hello"))).unwrap();
        assert_eq!((n, traffic.written()), (5, 5));
    }
}
