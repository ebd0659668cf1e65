//! [`H2Silent`]: an HTTP/2 peer that completes the handshake and then answers nothing.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::wire::is_timeout;

/// The client connection preface of HTTP/2 (RFC 9113 section 3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Frame types (RFC 9113 section 6).
const HEADERS: u8 = 0x1;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
/// The `ACK` flag of `SETTINGS` and `PING`.
const ACK: u8 = 0x1;
/// How often the peer's blocking reads wake to look whether it should stop.
const POLL: Duration = Duration::from_millis(5);

/// A peer on 127.0.0.1 that speaks the HTTP/2 handshake (its `SETTINGS`, and the `ACK` of the
/// client's) and then goes silent, as a server that hangs or a network that drops everything
/// would: it answers no request and no `PING`, but counts the requests and pings it receives. One
/// connection at a time; stops when dropped.
#[derive(Debug)]
pub struct H2Silent {
    port: u16,
    stop: Arc<AtomicBool>,
    pings: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl H2Silent {
    /// Binds a free port of 127.0.0.1 and starts listening.
    ///
    /// # Panics
    ///
    /// If no port can be bound.
    pub fn start() -> H2Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port of 127.0.0.1");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let port = listener.local_addr().expect("the bound address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let pings = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let thread = {
            let (stop, pings, requests) = (stop.clone(), pings.clone(), requests.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((tcp, _)) => {
                            // The connection ends with an error when the client closes it.
                            serve(tcp, &stop, &pings, &requests).ok();
                        }
                        Err(_) => thread::sleep(POLL),
                    }
                }
            })
        };
        H2Silent {
            port,
            stop,
            pings,
            requests,
            thread: Some(thread),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `PING` frames received so far (none answered).
    pub fn pings(&self) -> usize {
        self.pings.load(Ordering::SeqCst)
    }

    /// The `HEADERS` frames received so far: requests (none answered).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for H2Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

/// Reads the preface, sends the server's `SETTINGS`, acknowledges the client's, and reads
/// (and drops) every other frame until the client closes or the peer stops.
fn serve(
    mut tcp: TcpStream,
    stop: &AtomicBool,
    pings: &AtomicUsize,
    requests: &AtomicUsize,
) -> io::Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(POLL))?;
    let mut preface = [0u8; PREFACE.len()];
    read_exact(&mut tcp, &mut preface, stop)?;
    if preface != PREFACE {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not http/2"));
    }
    tcp.write_all(&frame_head(0, SETTINGS, 0))?;
    loop {
        let mut head = [0u8; 9];
        read_exact(&mut tcp, &mut head, stop)?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let (kind, flags) = (head[3], head[4]);
        let mut payload = vec![0u8; len];
        read_exact(&mut tcp, &mut payload, stop)?;
        match kind {
            SETTINGS if flags & ACK == 0 => tcp.write_all(&frame_head(0, SETTINGS, ACK))?,
            PING if flags & ACK == 0 => {
                pings.fetch_add(1, Ordering::SeqCst);
            }
            HEADERS => {
                requests.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
    }
}

/// The 9-byte head of a frame on stream 0.
fn frame_head(len: u32, kind: u8, flags: u8) -> [u8; 9] {
    let len = len.to_be_bytes();
    [len[1], len[2], len[3], kind, flags, 0, 0, 0, 0]
}

/// Fills `buf`, waking every few milliseconds to look whether the peer should stop.
fn read_exact(tcp: &mut TcpStream, buf: &mut [u8], stop: &AtomicBool) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        if stop.load(Ordering::SeqCst) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        match tcp.read(&mut buf[filled..]) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if is_timeout(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
