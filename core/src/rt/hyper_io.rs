//! [`HyperIo`]: a byte stream in hyper's own IO traits, for dialers that can read without a copy,
//! and the [`Traffic`] it counts.

use std::sync::atomic::{AtomicU64, Ordering};

/// A byte stream that hyper reads straight into its own (uninitialised) buffer: what
/// [`Dial::dial_hyper`](super::Dial::dial_hyper) returns, with feature `hyper-io`.
///
/// Why the core names hyper's IO traits: a read with no copy and no zeroing needs `unsafe` at
/// hyper's `ReadBufCursor`, and fusebox forbids `unsafe` in its own crates, so a well-kept crate
/// must do it. The one that does, hyper-util's `TokioIo`, reads a *tokio* stream. An adapter
/// cannot hand such a stream to fusebox-http through the runtime-neutral futures-io stream of
/// [`Dial::dial`](super::Dial::dial), and fusebox-http must not name tokio; so the seam between
/// them, [`Dial`](super::Dial), offers this second form. The feature brings in hyper without
/// any of its own features (its IO traits only), and only fusebox-http and the tokio adapter
/// turn it on: a pool without HTTP never builds hyper.
///
/// Any `hyper::rt::Read + hyper::rt::Write` stream is one:
///
/// ```
/// use fusebox_core::rt::BoxHyperIo;
///
/// fn takes(_io: BoxHyperIo) {}
///
/// // An in-memory stream seen through hyper's traits (what a test might pass).
/// struct Empty;
/// impl hyper::rt::Read for Empty {
///     fn poll_read(
///         self: std::pin::Pin<&mut Self>,
///         _: &mut std::task::Context<'_>,
///         _: hyper::rt::ReadBufCursor<'_>,
///     ) -> std::task::Poll<std::io::Result<()>> {
///         std::task::Poll::Ready(Ok(())) // end of stream
///     }
/// }
/// impl hyper::rt::Write for Empty {
///     fn poll_write(
///         self: std::pin::Pin<&mut Self>,
///         _: &mut std::task::Context<'_>,
///         buf: &[u8],
///     ) -> std::task::Poll<std::io::Result<usize>> {
///         std::task::Poll::Ready(Ok(buf.len()))
///     }
///     fn poll_flush(
///         self: std::pin::Pin<&mut Self>,
///         _: &mut std::task::Context<'_>,
///     ) -> std::task::Poll<std::io::Result<()>> {
///         std::task::Poll::Ready(Ok(()))
///     }
///     fn poll_shutdown(
///         self: std::pin::Pin<&mut Self>,
///         _: &mut std::task::Context<'_>,
///     ) -> std::task::Poll<std::io::Result<()>> {
///         std::task::Poll::Ready(Ok(()))
///     }
/// }
/// takes(Box::new(Empty));
/// ```
pub trait HyperIo: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static {}

impl<T: hyper::rt::Read + hyper::rt::Write + Send + Unpin + 'static> HyperIo for T {}

/// A boxed [`HyperIo`] stream, as [`Dial::dial_hyper`](super::Dial::dial_hyper) returns it.
pub type BoxHyperIo = Box<dyn HyperIo>;

/// Bytes read from and written to one stream so far, counted by the stream that
/// [`Dial::dial_hyper`](super::Dial::dial_hyper) opens.
///
/// fusebox-http reads it to tell whether a failed request was written and whether any byte of its
/// response arrived (what decides a retry on a fresh connection). A wrapper above hyper's IO
/// traits cannot count reads, because hyper's `ReadBufCursor` is consumed by the read, so the
/// stream itself counts, below hyper.
///
/// ```
/// use fusebox_core::rt::Traffic;
///
/// let traffic = Traffic::default();
/// traffic.add_read(5);
/// traffic.add_written(2);
/// assert_eq!((traffic.read(), traffic.written()), (5, 2));
/// ```
#[derive(Debug, Default)]
pub struct Traffic {
    read: AtomicU64,
    written: AtomicU64,
}

impl Traffic {
    /// Counts `n` bytes read.
    pub fn add_read(&self, n: usize) {
        self.read.fetch_add(n as u64, Ordering::Release);
    }

    /// Counts `n` bytes written.
    pub fn add_written(&self, n: usize) {
        self.written.fetch_add(n as u64, Ordering::Release);
    }

    /// The bytes read so far.
    pub fn read(&self) -> u64 {
        self.read.load(Ordering::Acquire)
    }

    /// The bytes written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }
}
