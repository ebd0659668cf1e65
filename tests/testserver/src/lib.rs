//! A fault-injecting HTTP/1.1 server on 127.0.0.1, for the tests, examples and benches of the
//! fusebox workspace.
//!
//! It runs on blocking std threads (one to accept, one per connection), so it is independent of
//! the async runtime under test. A handler says what to answer to each request ([`Reply`]):
//! answer, delay, trickle the bytes, break off mid-head or mid-body ([`Cut`]), send malformed or
//! oversize heads, answer as HTTP/1.0, announce `Connection: close` or `Keep-Alive: timeout=N`,
//! and then keep the connection, close it gracefully, close it after a pause, or reset it
//! ([`Then`]). Per connection it can close or reset before reading anything ([`Accept`]), answer
//! from the request head before the body is read ([`Builder::on_head`]), close idle connections,
//! and speak TLS (feature `tls`, with certificates made at test time in its `tls` module).
//! With feature `h2`, `H2Server` is hyper's own server for HTTP/2 (and HTTP/1.1) tests,
//! `H2Silent` an HTTP/2 peer that stops answering after the handshake, and `H2Refusing` one that
//! refuses the first streams it is sent.
//! Request heads are parsed with `httparse`.
//!
//! It records what it saw: connections accepted and ended, requests with their method, path,
//! headers and body ([`Seen`]), TLS handshakes ([`Handshake`]); [`Server::wait_requests`] and
//! [`Server::wait_closed`] wait for them on any runtime. Dropping the [`Server`] stops it, and
//! every thread it started has ended when the drop returns.
//!
//! ```
//! use std::io::{Read, Write};
//! use fusebox_testserver::{Reply, Server};
//!
//! // Answer every 2nd request on a connection with `Connection: close`, and close it.
//! let server = Server::start(|seen| {
//!     let reply = Reply::ok(format!("hello {}", seen.path));
//!     if seen.nth == 1 { reply.announce_close() } else { reply }
//! });
//! let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
//! stream.write_all(b"GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
//! let mut answers = String::new();
//! stream.read_to_string(&mut answers).unwrap();
//! assert!(answers.starts_with("HTTP/1.1 200"));
//! assert!(answers.ends_with("Connection: close\r\ncontent-length: 8\r\n\r\nhello /b"));
//! let seen = server.seen();
//! assert_eq!((seen[1].path.as_str(), seen[1].conn, seen[1].nth), ("/b", 0, 1));
//! assert_eq!(server.connections(), 1);
//! ```
//!
//! Not a server to benchmark against: a thread per connection and a poll every few
//! milliseconds to notice that it should stop.
#![forbid(unsafe_code)]

mod conn;
#[cfg(feature = "h2")]
mod h2;
#[cfg(feature = "tls")]
mod handshake;
mod reply;
mod request;
mod response;
mod seen;
mod server;
mod silent;
#[cfg(feature = "tls")]
pub mod tls;
mod wire;

#[cfg(feature = "h2")]
pub use h2::{H2Builder, H2Refusing, H2Server, H2Silent};
pub use reply::{Accept, Cut, Reply, Then};
pub use seen::{Handshake, Seen};
pub use server::{Builder, Server};
pub use silent::Silent;
