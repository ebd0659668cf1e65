//! One accepted connection's byte stream, plain or TLS, on a blocking socket whose reads and
//! writes time out every [`POLL`] so that its thread can see the server stop.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How often blocked threads look at the stop flag.
pub(crate) const POLL: Duration = Duration::from_millis(5);
/// How long a graceful close goes on reading what the client still sends.
const LINGER: Duration = Duration::from_secs(2);

/// The byte stream of a connection.
#[derive(Debug)]
pub(crate) enum Wire {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

/// What a read brought.
pub(crate) enum Fill {
    Data,
    /// Nothing within [`POLL`].
    Nothing,
    /// The client closed its side, or the connection broke.
    Gone,
}

impl Wire {
    fn tcp(&self) -> &TcpStream {
        match self {
            Wire::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            Wire::Tls(tls) => &tls.sock,
        }
    }

    fn stream(&mut self) -> &mut dyn ReadWrite {
        match self {
            Wire::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            Wire::Tls(tls) => tls.as_mut(),
        }
    }

    /// Reads what has arrived into `buf`, waiting at most about [`POLL`].
    pub(crate) fn fill(&mut self, buf: &mut Vec<u8>) -> Fill {
        let mut chunk = [0u8; 16 * 1024];
        match self.stream().read(&mut chunk) {
            Ok(0) => Fill::Gone,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                Fill::Data
            }
            Err(e) if is_timeout(&e) => Fill::Nothing,
            Err(_) => Fill::Gone,
        }
    }

    /// Writes all of `bytes` and flushes them, however slowly the client reads, unless the
    /// server stops.
    pub(crate) fn send(&mut self, bytes: &[u8], stop: &AtomicBool) -> io::Result<()> {
        let stream = self.stream();
        let mut rest = bytes;
        while !rest.is_empty() {
            stopped(stop)?;
            match stream.write(rest) {
                // A TLS stream whose buffer is full: push it out first.
                Ok(0) => flush(stream, stop)?,
                Ok(n) => rest = &rest[n..],
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
        flush(stream, stop)
    }

    /// Closes gracefully: TLS `close_notify`, a FIN, then reads and drops what the client still
    /// sends until it closes too, for at most [`LINGER`].
    pub(crate) fn close(self, stop: &AtomicBool) {
        // Without TLS, the match has one arm.
        #[cfg_attr(not(feature = "tls"), allow(clippy::infallible_destructuring_match))]
        let tcp = match self {
            Wire::Plain(tcp) => tcp,
            #[cfg(feature = "tls")]
            Wire::Tls(mut tls) => {
                tls.conn.send_close_notify();
                let _ = flush(tls.as_mut(), stop);
                tls.sock
            }
        };
        let mut tcp = tcp;
        let _ = tcp.shutdown(Shutdown::Write);
        let until = Instant::now() + LINGER;
        while Instant::now() < until && !stop.load(Ordering::SeqCst) {
            let mut chunk = [0u8; 16 * 1024];
            match tcp.read(&mut chunk) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(_) => return,
            }
        }
    }

    /// Resets the connection: `SO_LINGER` 0, then close, so that the kernel sends an RST.
    pub(crate) fn reset(self) {
        reset(self.tcp());
    }
}

/// Resets `tcp` when it is dropped: `SO_LINGER` 0 makes the close an RST.
pub(crate) fn reset(tcp: &TcpStream) {
    let _ = socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO));
}

/// Sleeps up to `d`, ending early when the server stops: whether it slept the whole time.
pub(crate) fn pause(stop: &AtomicBool, d: Duration) -> bool {
    let start = Instant::now();
    loop {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        let left = d.saturating_sub(start.elapsed());
        if left.is_zero() {
            return true;
        }
        thread::sleep(left.min(POLL));
    }
}

pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

fn stopped(stop: &AtomicBool) -> io::Result<()> {
    if stop.load(Ordering::SeqCst) {
        return Err(io::Error::other("the server stopped"));
    }
    Ok(())
}

fn flush(stream: &mut dyn ReadWrite, stop: &AtomicBool) -> io::Result<()> {
    loop {
        stopped(stop)?;
        match stream.flush() {
            Ok(()) => return Ok(()),
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
}

/// A stream to read and write: a `TcpStream` or a TLS stream over one.
pub(crate) trait ReadWrite: Read + Write {}

impl<T: Read + Write> ReadWrite for T {}
