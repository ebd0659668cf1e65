//! [`HyperIo`]: a futures-io byte stream seen through hyper's IO traits, without `unsafe`.

use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::io::{AsyncRead, AsyncWrite};
use hyper::rt::ReadBufCursor;

/// How many bytes one read may move at first. hyper's own read buffer starts at 8 KiB and grows for
/// large bodies; 16 KiB covers ordinary responses at a small cost per connection.
const SCRATCH_SIZE: usize = 16 * 1024;

/// How far the scratch buffer grows on a connection whose reads keep filling it (large bodies):
/// with 16 KiB reads, a 1 MiB body took 68 reads and twice the CPU of a zero-copy read; 64 KiB
/// measured best, ahead of 256 KiB.
const MAX_SCRATCH_SIZE: usize = 64 * 1024;

/// Adapts a futures-io stream (such as the [`BoxIo`](fusebox_core::rt::BoxIo) a
/// [`Dial`](fusebox_core::rt::Dial) returns) to [`hyper::rt::Read`] and [`hyper::rt::Write`].
///
/// Reads go through a scratch buffer owned by the adapter and are handed to hyper with
/// [`ReadBufCursor::put_slice`], a safe copy. (Reading straight into hyper's uninitialized buffer
/// needs `unsafe`, which this crate forbids; zeroing hyper's buffer first would cost a write of
/// the whole buffer on every read, even one that finds nothing.) A read never takes more than the
/// cursor has room for, so no bytes are ever left over between calls.
///
/// Writes, flushes and shutdown are passed through unchanged.
///
/// ```
/// use fusebox_http::conn::HyperIo;
///
/// // Any futures-io stream: here an in-memory cursor.
/// let io = HyperIo::new(futures_lite::io::Cursor::new(Vec::<u8>::new()));
/// assert!(io.get_ref().get_ref().is_empty());
/// ```
pub struct HyperIo<T> {
    inner: T,
    /// Grows from [`SCRATCH_SIZE`] to [`MAX_SCRATCH_SIZE`] while reads fill it.
    scratch: Vec<u8>,
}

impl<T> HyperIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        HyperIo {
            inner,
            scratch: vec![0; SCRATCH_SIZE],
        }
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }

    /// The wrapped stream, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T> fmt::Debug for HyperIo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HyperIo").finish_non_exhaustive()
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let room = buf.remaining().min(this.scratch.len());
        if room == 0 {
            // Nothing fits: report no progress rather than read bytes we could not hand over.
            return Poll::Ready(Ok(()));
        }
        let wanted = buf.remaining();
        let scratch = &mut this.scratch[..room];
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, scratch))?;
        buf.put_slice(&scratch[..n]);
        // A read that filled the whole scratch while hyper had room for more: a large body is
        // coming, so read more at a time from now on.
        if n == this.scratch.len() && wanted > n && n < MAX_SCRATCH_SIZE {
            this.scratch.resize((n * 2).min(MAX_SCRATCH_SIZE), 0);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::pin::pin;

    use futures_lite::future::block_on;
    use futures_lite::io::Cursor;
    use hyper::rt::{Read, ReadBuf, Write};

    use super::*;

    /// Reads once into a buffer of `cap` bytes, returning what was read.
    fn read_once<T: AsyncRead + Unpin>(io: &mut HyperIo<T>, cap: usize) -> Vec<u8> {
        let mut storage = vec![0u8; cap];
        let mut buf = ReadBuf::new(&mut storage);
        block_on(poll_fn(|cx| {
            Pin::new(&mut *io).poll_read(cx, buf.unfilled())
        }))
        .unwrap();
        buf.filled().to_vec()
    }

    #[test]
    fn reads_hand_over_bytes_in_order_and_never_more_than_fits() {
        let data: Vec<u8> = (0..=255).cycle().take(40_000).collect();
        let mut io = HyperIo::new(Cursor::new(data.clone()));
        let mut got = Vec::new();
        // Small reads leave the rest in the stream, not in the adapter.
        got.extend(read_once(&mut io, 3));
        assert_eq!(got.len(), 3);
        loop {
            let chunk = read_once(&mut io, 50_000);
            assert!(chunk.len() <= MAX_SCRATCH_SIZE);
            if chunk.is_empty() {
                break;
            }
            got.extend(chunk);
        }
        assert_eq!(got, data);
    }

    #[test]
    fn reads_that_fill_the_scratch_make_it_grow_up_to_the_cap() {
        let mut io = HyperIo::new(Cursor::new(vec![7u8; 1 << 20]));
        let sizes: Vec<usize> = (0..5).map(|_| read_once(&mut io, 100_000).len()).collect();
        assert_eq!(sizes, [16_384, 32_768, 65_536, 65_536, 65_536]);
        // A reader with little room does not make it grow.
        let mut small = HyperIo::new(Cursor::new(vec![7u8; 1 << 20]));
        for _ in 0..3 {
            assert_eq!(read_once(&mut small, SCRATCH_SIZE).len(), SCRATCH_SIZE);
        }
        assert_eq!(small.scratch.len(), SCRATCH_SIZE);
    }

    #[test]
    fn eof_is_a_read_of_nothing() {
        let mut io = HyperIo::new(Cursor::new(Vec::<u8>::new()));
        assert!(read_once(&mut io, 16).is_empty());
    }

    #[test]
    fn writes_pass_through() {
        let io = HyperIo::new(Cursor::new(Vec::<u8>::new()));
        let mut io = pin!(io);
        let n = block_on(poll_fn(|cx| io.as_mut().poll_write(cx, b"hello"))).unwrap();
        assert_eq!(n, 5);
        block_on(poll_fn(|cx| io.as_mut().poll_flush(cx))).unwrap();
        block_on(poll_fn(|cx| io.as_mut().poll_shutdown(cx))).unwrap();
        assert_eq!(io.get_ref().get_ref(), b"hello");
    }
}
