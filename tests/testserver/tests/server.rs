//! The server's faults as a raw std client sees them.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use fusebox_testserver::{Accept, Cut, Reply, Server, Then};
use futures_lite::future::block_on;

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Everything the server sends until it closes, or the error that ended the read.
fn read_all(stream: &mut TcpStream) -> (Vec<u8>, Option<io::ErrorKind>) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&chunk[..n]),
            Err(e) => return (got, Some(e.kind())),
        }
    }
}

const GET: &[u8] = b"GET /x HTTP/1.1\r\nhost: h\r\n\r\n";

#[test]
fn reset_on_accept_is_a_reset() {
    let server = Server::builder()
        .on_accept(|_| Accept::Reset)
        .start(|_| Reply::ok("never"));
    let mut stream = connect(&server);
    let (got, error) = read_all(&mut stream);
    assert!(got.is_empty());
    assert_eq!(error, Some(io::ErrorKind::ConnectionReset));
    assert!(server.seen().is_empty());
}

#[test]
fn reset_after_the_response_follows_the_whole_response() {
    let server = Server::start(|_| Reply::ok("body").then(Then::Reset));
    let mut stream = connect(&server);
    stream.write_all(GET).unwrap();
    block_on(server.wait_closed(1));
    let (got, error) = read_all(&mut stream);
    assert!(got.ends_with(b"\r\n\r\nbody"), "{got:?}");
    assert_eq!(error, Some(io::ErrorKind::ConnectionReset));
}

#[test]
fn cuts_break_off_where_told_and_close_gracefully() {
    let server = Server::start(|seen| match seen.path.as_str() {
        "/head" => Reply::ok("0123456789").cut(Cut::MidHead),
        _ => Reply::ok("0123456789").cut(Cut::MidBody),
    });
    let mut stream = connect(&server);
    stream.write_all(b"GET /head HTTP/1.1\r\n\r\n").unwrap();
    let (got, error) = read_all(&mut stream);
    assert_eq!(
        (got.as_slice(), error),
        (&b"HTTP/1.1 200 Whatever\r"[..], None)
    );
    let mut stream = connect(&server);
    stream.write_all(GET).unwrap();
    let (got, error) = read_all(&mut stream);
    assert!(got.ends_with(b"content-length: 10\r\n\r\n01234"), "{got:?}");
    assert_eq!(error, None);
}

#[test]
fn requests_are_logged_with_their_bodies_per_connection() {
    let server = Server::start(|seen| Reply::ok(seen.body.clone()).status(201));
    let mut stream = connect(&server);
    stream
        .write_all(
            b"POST /a HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc\
              PUT /b HTTP/1.0\r\ntransfer-encoding: chunked\r\n\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
    block_on(server.wait_requests(2));
    let seen = server.seen();
    let brief: Vec<_> = seen
        .iter()
        .map(|s| (s.method.as_str(), s.nth, s.version, s.body.as_slice()))
        .collect();
    assert_eq!(brief, [("POST", 0, 1, &b"abc"[..]), ("PUT", 1, 0, b"de")]);
    assert_eq!(seen[0].header("Content-Length"), Some("3"));
}

#[test]
fn early_reply_is_sent_before_the_body_is_read() {
    let server = Server::builder()
        .on_head(|seen| (seen.path == "/big").then(|| Reply::ok("no").status(413).announce_close()))
        .start(|_| Reply::ok("read"));
    let mut stream = connect(&server);
    // The body announced never comes; the answer does.
    stream
        .write_all(b"POST /big HTTP/1.1\r\ncontent-length: 1000000\r\n\r\nxx")
        .unwrap();
    let (got, error) = read_all(&mut stream);
    assert!(got.starts_with(b"HTTP/1.1 413"), "{got:?}");
    assert_eq!(error, None);
    assert_eq!(server.seen()[0].status, Some(413));
}

#[test]
fn malformed_requests_are_refused_with_400_and_closed() {
    let server = Server::start(|_| Reply::ok("never"));
    let mut stream = connect(&server);
    stream.write_all(b"\x16\x03\x01\x00\x05hello").unwrap();
    let (got, _) = read_all(&mut stream);
    assert!(got.starts_with(b"HTTP/1.1 400"), "{got:?}");
    assert!(server.seen().is_empty());
}

#[test]
fn idle_connections_are_closed_after_the_idle_limit() {
    let server = Server::builder()
        .idle_close(Duration::from_millis(20))
        .start(|_| Reply::ok("ok"));
    let mut stream = connect(&server);
    stream.write_all(GET).unwrap();
    let (got, error) = read_all(&mut stream);
    assert!(got.ends_with(b"ok") && error.is_none(), "{got:?} {error:?}");
    // The server closed first; its lingering close ends when the client closes too.
    drop(stream);
    block_on(server.wait_closed(1));
}

#[test]
fn dropping_the_server_ends_hung_and_silent_connections_at_once() {
    let server = Server::builder()
        .on_accept(|id| {
            if id == 0 {
                Accept::Silent
            } else {
                Accept::Serve
            }
        })
        .start(|_| Reply::hang());
    let _silent = connect(&server);
    let mut hung = connect(&server);
    hung.write_all(GET).unwrap();
    block_on(server.wait_requests(1));
    let start = Instant::now();
    drop(server);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(read_all(&mut hung).0, b"");
}
