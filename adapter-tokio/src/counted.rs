//! [`Counted`]: a tokio stream that counts its bytes into a [`Traffic`], below hyper.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use fusebox_core::rt::Traffic;
use pin_project_lite::pin_project;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pin_project! {
    /// Wraps a tokio stream and counts what it reads and writes. It sits under hyper-util's
    /// `TokioIo` in [`dial_hyper`](fusebox_core::rt::Dial::dial_hyper)'s stream: tokio's
    /// `ReadBuf` shows how much a read filled, where hyper's cursor, above, does not.
    pub(crate) struct Counted<T> {
        #[pin]
        inner: T,
        traffic: Arc<Traffic>,
    }
}

impl<T> Counted<T> {
    pub(crate) fn new(inner: T, traffic: Arc<Traffic>) -> Self {
        Counted { inner, traffic }
    }
}

impl<T: AsyncRead> AsyncRead for Counted<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        ready!(this.inner.poll_read(cx, buf))?;
        this.traffic.add_read(buf.filled().len() - before);
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite> AsyncWrite for Counted<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let n = ready!(this.inner.poll_write(cx, buf))?;
        this.traffic.add_written(n);
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.project();
        let n = ready!(this.inner.poll_write_vectored(cx, bufs))?;
        this.traffic.add_written(n);
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().inner.poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn reads_and_writes_are_counted_to_the_byte() {
        let (a, mut b) = tokio::io::duplex(64);
        let traffic = Arc::new(Traffic::default());
        let mut a = Counted::new(a, traffic.clone());
        a.write_all(b"hello").await.unwrap();
        assert_eq!((traffic.read(), traffic.written()), (0, 5));
        b.write_all(b"abc").await.unwrap();
        let mut buf = [0u8; 8];
        let n = a.read(&mut buf).await.unwrap();
        assert_eq!((n, traffic.read()), (3, 3));
        // The end of the stream moves nothing.
        drop(b);
        assert_eq!(a.read(&mut buf).await.unwrap(), 0);
        assert_eq!((traffic.read(), traffic.written()), (3, 5));
    }
}
