//! The acquire future: check out, wait for a grant, or connect.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use std::panic::{AssertUnwindSafe, catch_unwind};

use futures_lite::FutureExt;

use super::deadline::Deadline;
use super::state::{Checkout, Effects, Grant, Idle, KeyId, Spent, Stream};
use super::tickets::{CheckTicket, SlotTicket, WaiterTicket};
use super::{AcquireError, Key, Pooled, ShardRef, Wait};
use crate::rt::BoxFuture;
use crate::{Connect, Connection};

type Outcome<K, F> = Result<Pooled<K, F>, AcquireError<<F as Connect<K>>::Error>>;
type Connecting<'a, K, F> =
    BoxFuture<'a, Result<<F as Connect<K>>::Conn, <F as Connect<K>>::Error>>;

/// The future of [`Pool::acquire`](super::Pool::acquire).
///
/// # Cancel safety
///
/// Dropping it at any await point leaks nothing: it leaves the queue, and a connection or slot
/// it had been handed goes to the next waiter; a connection attempt in flight is abandoned and its
/// slot freed.
#[must_use = "futures do nothing unless polled"]
pub struct Acquire<'a, K: Key, F: Connect<K>> {
    /// The pool, as the key's shard holds it: what a guard keeps.
    link: &'a Arc<ShardRef<K, F>>,
    key: &'a K,
    wait: Wait,
    step: Step<'a, K, F>,
}

enum Step<'a, K: Key, F: Connect<K>> {
    Start,
    Waiting {
        /// Queued in this poll, with the waker: no need to look for a grant yet.
        queued_now: bool,
        ticket: WaiterTicket<'a, K, F>,
        deadline: Option<BoxFuture<'static, ()>>,
    },
    Checking {
        /// Declared before `ticket`, like `connect` below.
        check: BoxFuture<'static, Option<F::Conn>>,
        deadline: Deadline,
        ticket: CheckTicket<'a, K, F>,
    },
    Connecting {
        /// Declared before `slot` so that it is dropped first: an abandoned attempt is gone
        /// before its slot goes to the next in line.
        connect: Connecting<'a, K, F>,
        deadline: Deadline,
        slot: SlotTicket<'a, K, F>,
    },
    Done,
}

impl<'a, K: Key, F: Connect<K>> Acquire<'a, K, F> {
    pub(super) fn new(link: &'a Arc<ShardRef<K, F>>, key: &'a K, wait: Wait) -> Self {
        Acquire {
            link,
            key,
            wait,
            step: Step::Start,
        }
    }

    /// Applies the checkout transition and moves to the step it calls for.
    fn start(&mut self, waker: &Waker) -> Option<Outcome<K, F>> {
        let inner = &self.link.inner;
        let now = inner.clock.now();
        let may_wait = self.wait.limit() != Some(Duration::ZERO);
        let mut fx = Effects::new();
        // The lock is held for the transition alone (and, when waiting, to queue the waiter with
        // its waker); effects and the factory run after it is released.
        let shared = inner.factory.multiplexes(self.key);
        let (checkout, queued) = {
            let mut state = inner.lock(self.link.shard);
            match state.checkout_expecting(self.key, now, may_wait, shared, &mut fx) {
                Checkout::Wait(k) => (Checkout::Wait(k), Some(state.enqueue(k, waker, now))),
                other => (other, None),
            }
        };
        inner.apply(fx);
        match checkout {
            Checkout::Reuse(k, idle) => self.hand_over(k, idle, now),
            Checkout::Stream(k, stream) => self.stream_over(k, stream, now),
            Checkout::Connect(k) => {
                self.step = self.connecting(k, now);
                None
            }
            Checkout::Wait(_) => {
                let waiting = queued.expect("a waiter was queued");
                let deadline = (self.wait.limit()).map(|d| inner.clock.sleep_from(now, d));
                self.step = Step::Waiting {
                    queued_now: true,
                    ticket: WaiterTicket {
                        inner,
                        shard: self.link.shard,
                        waiting: Some(waiting),
                        started: now,
                    },
                    deadline,
                };
                None
            }
            Checkout::Full => Some(Err(AcquireError::Timeout {
                waited: Duration::ZERO,
            })),
            Checkout::Closed => Some(Err(AcquireError::Closed)),
        }
    }

    /// Starts connecting at `now`, in a slot of key `k`.
    fn connecting(&self, k: KeyId, now: Instant) -> Step<'a, K, F> {
        let inner = &self.link.inner;
        Step::Connecting {
            connect: Box::pin(inner.factory.connect(self.key)),
            deadline: Deadline::new(now, inner.connect_timeout),
            slot: SlotTicket {
                inner,
                shard: self.link.shard,
                key: Some(k),
            },
        }
    }

    /// Hands out a connection taken from idle or granted, after asking it (off the lock)
    /// whether it is still good, and checking it asynchronously if it has been idle long; one
    /// that is not good is closed, and the room it held stays ours.
    fn hand_over(&mut self, k: KeyId, idle: Idle<F::Conn>, now: Instant) -> Option<Outcome<K, F>> {
        let inner = &self.link.inner;
        let idle_for = match idle.check_out_check(now) {
            Ok(idle_for) => idle_for,
            Err(why) => return self.rejected(k, Some(idle.conn), why, now),
        };
        if idle_for < inner.check_after {
            return Some(Ok(Pooled::new(self.link.clone(), k, idle)));
        }
        let (ticket, conn) = CheckTicket::new(inner, self.link.shard, k, idle);
        let Ok(check) = catch_unwind(AssertUnwindSafe(|| conn.check())) else {
            let k = { ticket }.failed();
            return self.rejected(k, None, Spent::Unusable, now);
        };
        self.step = Step::Checking {
            check: Box::pin(
                async move { AssertUnwindSafe(check).catch_unwind().await.ok().flatten() },
            ),
            deadline: Deadline::new(now, inner.check_timeout),
            ticket,
        };
        None
    }

    /// The connection handed to us failed a check: it is counted and closed (`conn`, unless the
    /// check consumed it), and we go on with what the room we held gives.
    fn rejected(
        &mut self,
        k: KeyId,
        conn: Option<F::Conn>,
        why: Spent,
        now: Instant,
    ) -> Option<Outcome<K, F>> {
        let inner = &self.link.inner;
        let mut fx = Effects::new();
        let next = inner
            .lock(self.link.shard)
            .reject(k, conn, why, now, &mut fx);
        inner.apply(fx);
        match next {
            Checkout::Reuse(k, idle) => self.hand_over(k, idle, now),
            Checkout::Stream(k, stream) => self.stream_over(k, stream, now),
            Checkout::Connect(k) => {
                self.step = self.connecting(k, now);
                None
            }
            Checkout::Closed | Checkout::Wait(_) | Checkout::Full => {
                Some(Err(AcquireError::Closed))
            }
        }
    }

    /// Hands out a stream on a multiplexed connection, with a handle made off the lock if no
    /// spare came with it, once the handle passes the checks; one that does not retires the
    /// connection, and the acquire starts over.
    fn stream_over(
        &mut self,
        k: KeyId,
        stream: Stream<F::Conn>,
        now: Instant,
    ) -> Option<Outcome<K, F>> {
        let inner = &self.link.inner;
        let Stream {
            id,
            handle,
            mux,
            created,
            last_used,
            hung_up,
        } = stream;
        let handle = handle.or_else(|| mux.share());
        let handle = handle.map(|conn| Idle {
            conn,
            created,
            last_used,
            // A stream in use never idles: only its connection's lifetime can end it.
            expires: (inner.limits.max_lifetime).and_then(|l| created.checked_add(l)),
            hung_up,
            // Kept to ask its limit again when the stream comes back.
            mux: Some(mux),
        });
        let why = match &handle {
            Some(idle) => match idle.check_out_check(now) {
                Ok(_) => return Some(Ok(Pooled::stream(self.link.clone(), k, handle?, id))),
                Err(why) => why,
            },
            None => Spent::Unusable,
        };
        let mut fx = Effects::new();
        let handle = handle.map(|idle| idle.conn);
        let unneeded =
            (inner.lock(self.link.shard)).reject_stream(k, id, handle, why, now, &mut fx);
        inner.apply(fx);
        drop(unneeded);
        self.step = Step::Start;
        None
    }

    /// Acts on what a waiter was handed at `now`.
    fn granted(&mut self, grant: Grant<F::Conn>, k: KeyId, now: Instant) -> Option<Outcome<K, F>> {
        match grant {
            Grant::Conn(idle) => self.hand_over(k, idle, now),
            Grant::Stream(stream) => self.stream_over(k, stream, now),
            Grant::Slot => {
                self.step = self.connecting(k, now);
                None
            }
            Grant::Closed => Some(Err(AcquireError::Closed)),
        }
    }
}

impl<K: Key, F: Connect<K>> Future for Acquire<'_, K, F> {
    type Output = Outcome<K, F>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<K, F>> {
        let this = &mut *self;
        loop {
            let outcome = match &mut this.step {
                Step::Start => this.start(cx.waker()),
                Step::Waiting {
                    queued_now,
                    ticket,
                    deadline,
                } => {
                    let taken = match std::mem::take(queued_now) {
                        true => None,
                        false => ticket.poll_grant(cx.waker()),
                    };
                    if let Some((grant, k, now)) = taken {
                        this.granted(grant, k, now)
                    } else if let Some(sleep) = deadline
                        && sleep.as_mut().poll(cx).is_ready()
                    {
                        let now = this.link.inner.clock.now();
                        let waited = now.saturating_duration_since(ticket.started);
                        match ticket.give_up(now) {
                            Some((grant, k)) => this.granted(grant, k, now),
                            None => Some(Err(AcquireError::Timeout { waited })),
                        }
                    } else {
                        return Poll::Pending;
                    }
                }
                Step::Checking {
                    check,
                    deadline,
                    ticket,
                } => match check.as_mut().poll(cx) {
                    Poll::Ready(Some(conn)) => {
                        let (k, idle) = ticket.passed(conn);
                        Some(Ok(Pooled::new(this.link.clone(), k, idle)))
                    }
                    Poll::Ready(None) => {
                        let k = ticket.failed();
                        this.rejected(k, None, Spent::Unusable, this.link.inner.clock.now())
                    }
                    Poll::Pending => match deadline.poll(&*this.link.inner.clock, cx) {
                        Poll::Ready(()) => {
                            // The check (and the connection in it) is dropped first.
                            *check = Box::pin(std::future::pending());
                            let k = ticket.failed();
                            this.rejected(k, None, Spent::Unusable, this.link.inner.clock.now())
                        }
                        Poll::Pending => return Poll::Pending,
                    },
                },
                Step::Connecting {
                    slot,
                    connect,
                    deadline,
                } => match connect.as_mut().poll(cx) {
                    Poll::Ready(Ok(conn)) => {
                        let inner = &this.link.inner;
                        let mut idle = Idle::new(conn, inner.clock.now(), &inner.limits);
                        let k = slot.key.expect("a slot is settled once");
                        inner.watch_hangup(this.link.shard, k, &mut idle);
                        match multiplex(&idle.conn) {
                            None => {
                                slot.connected();
                                Some(Ok(Pooled::new(this.link.clone(), k, idle)))
                            }
                            Some(mux) => {
                                let id = slot.connected_shared(&idle, mux.clone());
                                idle.mux = Some(mux);
                                Some(Ok(Pooled::stream(this.link.clone(), k, idle, id)))
                            }
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        slot.failed();
                        Some(Err(AcquireError::Connect(e)))
                    }
                    Poll::Pending => match deadline.poll(&*this.link.inner.clock, cx) {
                        Poll::Ready(()) => {
                            // The attempt is dropped before its slot goes to the next in line.
                            *connect = Box::pin(std::future::pending());
                            slot.failed();
                            Some(Err(AcquireError::ConnectTimeout(
                                this.link.inner.connect_timeout,
                            )))
                        }
                        Poll::Pending => return Poll::Pending,
                    },
                },
                Step::Done => panic!("`Acquire` polled after it completed"),
            };
            if let Some(outcome) = outcome {
                this.step = Step::Done;
                return Poll::Ready(outcome);
            }
        }
    }
}

/// How a new connection multiplexes, if it does: asked off the lock, a panic or a single stream
/// counting as not at all.
fn multiplex<C: Connection>(conn: &C) -> Option<Arc<crate::Multiplex<C>>> {
    catch_unwind(AssertUnwindSafe(|| conn.multiplex()))
        .ok()
        .flatten()
        .filter(|mux| mux.streams() > 1)
        .map(Arc::new)
}

impl<K: Key, F: Connect<K>> fmt::Debug for Acquire<'_, K, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match self.step {
            Step::Start => "start",
            Step::Waiting { .. } => "waiting",
            Step::Checking { .. } => "checking",
            Step::Connecting { .. } => "connecting",
            Step::Done => "done",
        };
        f.debug_struct("Acquire")
            .field("wait", &self.wait)
            .field("step", &step)
            .finish()
    }
}
