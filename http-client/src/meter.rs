//! [`Metered`]: a byte stream that counts what passes through it, so that the client can tell
//! whether a failed request was written and whether any of its response arrived.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use fusebox_core::rt::Traffic;
use futures_lite::io::{AsyncRead, AsyncWrite};

/// A reading of a [`Traffic`], to compare with a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    read: u64,
    written: u64,
}

impl Mark {
    /// What `traffic` has counted so far.
    pub(crate) fn of(traffic: &Traffic) -> Mark {
        Mark {
            read: traffic.read(),
            written: traffic.written(),
        }
    }

    /// Whether anything was read since `self`.
    pub(crate) fn read_since(self, now: Mark) -> bool {
        now.read != self.read
    }

    /// Whether anything was written since `self`.
    pub(crate) fn written_since(self, now: Mark) -> bool {
        now.written != self.written
    }
}

/// Wraps a futures-io stream and counts its bytes into a shared [`Traffic`].
#[derive(Debug)]
pub(crate) struct Metered<T> {
    inner: T,
    traffic: Arc<Traffic>,
}

impl<T> Metered<T> {
    pub(crate) fn new(inner: T, traffic: Arc<Traffic>) -> Metered<T> {
        Metered { inner, traffic }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Metered<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.traffic.add_read(n);
        Poll::Ready(Ok(n))
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Metered<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, buf))?;
        this.traffic.add_written(n);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let n = ready!(Pin::new(&mut this.inner).poll_write_vectored(cx, bufs))?;
        this.traffic.add_written(n);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use futures_lite::future::block_on;
    use futures_lite::io::{AsyncReadExt, AsyncWriteExt, Cursor};

    use super::*;

    #[test]
    fn reads_and_writes_are_counted() {
        let traffic = Arc::new(Traffic::default());
        let mut io = Metered::new(Cursor::new(b"hello".to_vec()), traffic.clone());
        let start = Mark::of(&traffic);
        let mut buf = [0u8; 3];
        block_on(io.read(&mut buf)).unwrap();
        let after_read = Mark::of(&traffic);
        assert!(start.read_since(after_read) && !start.written_since(after_read));
        block_on(io.write_all(b"xy")).unwrap();
        let after_write = Mark::of(&traffic);
        assert!(after_read.written_since(after_write) && !after_read.read_since(after_write));
        // End of stream moves nothing.
        let mut rest = Vec::new();
        block_on(io.read_to_end(&mut rest)).unwrap();
        let end = Mark::of(&traffic);
        assert!(!end.read_since(Mark::of(&traffic)));
    }
}
