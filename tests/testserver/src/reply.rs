//! What the server does with a connection ([`Accept`]) and with a request ([`Reply`]).

use std::time::Duration;

/// What the server does with a connection it has just accepted, before reading anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Accept {
    /// Serve its requests (after the TLS handshake, on a TLS server).
    #[default]
    Serve,
    /// Close it at once, gracefully (a FIN), without reading a byte.
    Close,
    /// Reset it at once (an RST: `SO_LINGER` 0), without reading a byte.
    Reset,
    /// Keep it open but never read from it nor answer, until the server stops.
    Silent,
}

/// How a connection ends after a response, or stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Then {
    /// Keep the connection open for the next request.
    #[default]
    KeepAlive,
    /// Close it gracefully: TLS `close_notify`, a FIN, then read and drop what the client still
    /// sends until it closes too (a lingering close, so that a response the client has not read
    /// yet is not destroyed by an RST).
    Close,
    /// Wait this long, then close as [`Then::Close`] does, whatever the client sent meanwhile.
    CloseAfter(Duration),
    /// Reset the connection (an RST: `SO_LINGER` 0).
    Reset,
}

/// Where to break off a response: only the bytes before that point are sent, then the
/// connection ends as the reply's [`Then`] says ([`Then::KeepAlive`] counts as [`Then::Close`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cut {
    /// Halfway through the response head.
    MidHead,
    /// After the head and half of the body.
    MidBody,
    /// After this many bytes of the response.
    At(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Respond,
    /// Send the bytes of `body` as they are, with no head of our making.
    Raw,
    /// Never answer; keep the connection open until the server stops.
    Hang,
    /// End the connection without answering, as `then` says.
    End,
}

/// What to answer to one request, and what to do around it.
///
/// Built from one of the constructors, then adjusted:
///
/// ```
/// use std::time::Duration;
/// use fusebox_testserver::{Reply, Then};
///
/// // 503 with a Keep-Alive header, 10 ms late, then an RST.
/// let reply = Reply::ok("down")
///     .status(503)
///     .keep_alive_timeout(5)
///     .delay(Duration::from_millis(10))
///     .then(Then::Reset);
/// # let _ = reply;
/// ```
#[derive(Debug, Clone)]
pub struct Reply {
    pub(crate) action: Action,
    pub(crate) status: u16,
    pub(crate) http10: bool,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) chunked: bool,
    pub(crate) delay: Duration,
    pub(crate) trickle: Option<(usize, Duration)>,
    pub(crate) cut: Option<Cut>,
    pub(crate) then: Then,
}

impl Reply {
    /// `200 OK` with `body`, framed by `content-length`, keeping the connection alive.
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            action: Action::Respond,
            status: 200,
            http10: false,
            headers: Vec::new(),
            body: body.into(),
            chunked: false,
            delay: Duration::ZERO,
            trickle: None,
            cut: None,
            then: Then::KeepAlive,
        }
    }

    /// Sends `bytes` as they are instead of a response of our making: for malformed heads and
    /// other protocol violations. [`delay`](Self::delay), [`trickle`](Self::trickle),
    /// [`cut`](Self::cut) and [`then`](Self::then) still apply.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply {
            action: Action::Raw,
            ..Reply::ok(bytes)
        }
    }

    /// A response head that no HTTP/1.1 parser accepts: a status code that is not a number.
    pub fn malformed_head() -> Reply {
        Reply::raw(&b"HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n"[..])
    }

    /// Holds the request forever: no answer until the server stops.
    pub fn hang() -> Reply {
        Reply {
            action: Action::Hang,
            ..Reply::ok("")
        }
    }

    /// Closes the connection gracefully without answering.
    pub fn drop_connection() -> Reply {
        Reply {
            action: Action::End,
            then: Then::Close,
            ..Reply::ok("")
        }
    }

    /// Resets the connection (an RST) without answering.
    pub fn reset() -> Reply {
        Reply {
            action: Action::End,
            then: Then::Reset,
            ..Reply::ok("")
        }
    }

    /// The status code (any number: the reason phrase is always `Whatever`).
    pub fn status(mut self, status: u16) -> Reply {
        self.status = status;
        self
    }

    /// Adds a header, sent as given, after the ones already added.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds `count` filler headers (`x-filler-0: ...`): with 101 of them the head has more
    /// headers than hyper's default limit of 100.
    pub fn many_headers(mut self, count: usize) -> Reply {
        for i in 0..count {
            self.headers
                .push((format!("x-filler-{i}"), "0123456789".to_owned()));
        }
        self
    }

    /// Adds `Keep-Alive: timeout=<secs>`, as servers announce their idle timeout.
    pub fn keep_alive_timeout(self, secs: u64) -> Reply {
        self.header("Keep-Alive", &format!("timeout={secs}"))
    }

    /// Announces `Connection: close` and closes the connection gracefully after the response.
    pub fn announce_close(self) -> Reply {
        self.header("Connection", "close").close_after()
    }

    /// Closes the connection gracefully right after the response, without saying so in a
    /// header.
    pub fn close_after(self) -> Reply {
        self.then(Then::Close)
    }

    /// What becomes of the connection after the response.
    pub fn then(mut self, then: Then) -> Reply {
        self.then = then;
        self
    }

    /// Answers with an `HTTP/1.0` status line and no `Keep-Alive` header, so that by HTTP/1.0's
    /// rules the connection is not persistent. The server itself keeps reading it unless told
    /// otherwise with [`then`](Self::then): a client that reuses it shows.
    pub fn http10(mut self) -> Reply {
        self.http10 = true;
        self
    }

    /// Sends the body with chunked transfer encoding, in two chunks (no length announced).
    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    /// Waits this long before answering (ended early by the server stopping).
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Sends the response `bytes` at a time, pausing `pause` between writes.
    ///
    /// # Panics
    ///
    /// If `bytes` is 0.
    pub fn trickle(mut self, bytes: usize, pause: Duration) -> Reply {
        assert!(bytes > 0, "a trickle of 0 bytes would never end");
        self.trickle = Some((bytes, pause));
        self
    }

    /// Breaks off the response at `cut`, then ends the connection as [`then`](Self::then) says
    /// (gracefully unless told [`Then::Reset`]).
    pub fn cut(mut self, cut: Cut) -> Reply {
        self.cut = Some(cut);
        self
    }
}
