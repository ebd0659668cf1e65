//! Serving one accepted connection: what to do with it, then its requests one after another,
//! each answered as the plan says, until it ends.

use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::reply::{Accept, Action, Reply, Then};
use crate::request::{self, Parsed};
use crate::response;
use crate::seen::Seen;
use crate::server::Shared;
use crate::wire::{self, Fill, POLL, Wire, pause};

/// How a connection ends.
enum End {
    Close,
    Reset,
    /// The client went away, the connection broke, or the server stopped: just drop it.
    Gone,
}

/// Serves connection number `id` until it ends. The socket is closed when this returns.
pub(crate) fn serve(tcp: TcpStream, id: usize, shared: &Shared) {
    if tcp.set_read_timeout(Some(POLL)).is_err() || tcp.set_write_timeout(Some(POLL)).is_err() {
        return;
    }
    let _ = tcp.set_nodelay(true);
    let accept = shared
        .plan
        .on_accept
        .as_ref()
        .map_or(Accept::Serve, |f| f(id));
    match accept {
        Accept::Serve => {}
        Accept::Close => return Wire::Plain(tcp).close(&shared.stop),
        Accept::Reset => return wire::reset(&tcp),
        Accept::Silent => {
            pause(&shared.stop, Duration::MAX);
            return;
        }
    }
    let Some((wire, tls)) = crate::server::open(tcp, shared) else {
        return;
    };
    let mut conn = Conn {
        wire,
        id,
        tls,
        nth: 0,
        buf: Vec::new(),
        shared,
    };
    let end = conn.run();
    match end {
        End::Close => conn.wire.close(&shared.stop),
        End::Reset => conn.wire.reset(),
        End::Gone => {}
    }
}

struct Conn<'a> {
    wire: Wire,
    id: usize,
    tls: bool,
    /// Requests read so far.
    nth: usize,
    /// Bytes read and not parsed yet.
    buf: Vec<u8>,
    shared: &'a Shared,
}

enum Step<T> {
    Done(T),
    End(End),
}

impl Conn<'_> {
    fn run(&mut self) -> End {
        let mut idle_since = Instant::now();
        loop {
            let head = match self.read(request::head, Some(idle_since)) {
                Step::Done(head) => head,
                Step::End(end) => return end,
            };
            self.buf.drain(..head.len);
            let mut seen = self.seen(&head);
            self.nth += 1;
            let early = self.shared.plan.on_head.as_ref().and_then(|f| f(&seen));
            let answered = early.is_some();
            if let Some(reply) = early {
                let index = self.shared.log.request(seen.clone());
                if let Some(end) = self.act(reply, index) {
                    return end;
                }
            }
            let framing = head.framing;
            let (body, used) = match self.read(|buf| request::body(framing, buf), None) {
                Step::Done(found) => found,
                Step::End(end) => return end,
            };
            self.buf.drain(..used);
            // Answered from its head already, and kept alive: the body is read and dropped.
            if !answered {
                seen.body = body;
                let index = self.shared.log.request(seen.clone());
                let reply = (self.shared.plan.handler)(&seen);
                if let Some(end) = self.act(reply, index) {
                    return end;
                }
            }
            idle_since = Instant::now();
        }
    }

    /// Reads until `parse` finds something whole at the start of the buffer. With `idle_since`,
    /// the connection is closed once the buffer has stayed empty for the idle limit.
    fn read<T>(
        &mut self,
        parse: impl Fn(&[u8]) -> Parsed<T>,
        idle_since: Option<Instant>,
    ) -> Step<T> {
        loop {
            if self.shared.stop.load(Ordering::SeqCst) {
                return Step::End(End::Gone);
            }
            match parse(&self.buf) {
                Parsed::Done(found) => return Step::Done(found),
                Parsed::Invalid(status) => return Step::End(self.refuse(status)),
                Parsed::Partial => {}
            }
            match self.wire.fill(&mut self.buf) {
                Fill::Data => {}
                Fill::Gone => return Step::End(End::Gone),
                Fill::Nothing => {
                    let idle = self.shared.plan.idle_close;
                    let idle_out = idle.zip(idle_since).is_some_and(|(limit, since)| {
                        self.buf.is_empty() && since.elapsed() >= limit
                    });
                    if idle_out {
                        return Step::End(End::Close);
                    }
                }
            }
        }
    }

    /// A request the server will not serve: answer `status` and close.
    fn refuse(&mut self, status: u16) -> End {
        let reply = Reply::ok("").status(status).announce_close();
        self.act(reply, None).unwrap_or(End::Close)
    }

    fn seen(&self, head: &request::Head) -> Seen {
        Seen {
            conn: self.id,
            nth: self.nth,
            tls: self.tls,
            method: head.method.clone(),
            path: head.path.clone(),
            version: head.version,
            host: head
                .headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("host"))
                .map(|(_, value)| value.clone()),
            headers: head.headers.clone(),
            body: Vec::new(),
            received: Instant::now(),
            status: None,
            answered: None,
        }
    }

    /// Carries out `reply` to the request at `index` of the log: how the connection ends, or
    /// `None` to keep it for the next request.
    fn act(&mut self, reply: Reply, index: Option<usize>) -> Option<End> {
        let stop = &self.shared.stop;
        match reply.action {
            Action::Hang => {
                pause(stop, Duration::MAX);
                return Some(End::Gone);
            }
            Action::End => return Some(self.end(reply.then)),
            Action::Respond | Action::Raw => {}
        }
        if !pause(stop, reply.delay) {
            return Some(End::Gone);
        }
        let (bytes, head) = response::encode(&reply);
        let upto = reply
            .cut
            .map_or(bytes.len(), |cut| response::cut_at(cut, head, bytes.len()));
        if self.write(&bytes[..upto], reply.trickle).is_err() {
            return Some(End::Gone);
        }
        if reply.cut.is_some() {
            return Some(self.end(reply.then));
        }
        self.shared.log.answered(index, reply.status);
        match reply.then {
            Then::KeepAlive => None,
            then => Some(self.end(then)),
        }
    }

    /// How the connection ends after `then`, having waited for [`Then::CloseAfter`].
    fn end(&self, then: Then) -> End {
        match then {
            Then::Reset => End::Reset,
            Then::CloseAfter(d) if !pause(&self.shared.stop, d) => End::Gone,
            _ => End::Close,
        }
    }

    fn write(&mut self, bytes: &[u8], trickle: Option<(usize, Duration)>) -> std::io::Result<()> {
        let stop = &self.shared.stop;
        let Some((size, gap)) = trickle else {
            return self.wire.send(bytes, stop);
        };
        for (i, piece) in bytes.chunks(size).enumerate() {
            if i > 0 && !pause(stop, gap) {
                return Err(std::io::Error::other("the server stopped"));
            }
            self.wire.send(piece, stop)?;
        }
        Ok(())
    }
}
