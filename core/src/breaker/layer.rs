//! The breaker as a tower [`Layer`]: any tower service gets a fusebox breaker, with a classifier
//! of its own and the recovery group (and probe) of the breaker it is given.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use super::error::OpenError;
use super::handle::{Breaker, Outcome, OwnedPermit};

/// Wraps services in a [`BreakerService`] that asks `breaker` before each call and records each
/// call's outcome, as `classify` judges it (`None`: neutral).
///
/// ```
/// use std::future::{Ready, ready};
/// use std::sync::Arc;
/// use std::task::{Context, Poll};
/// use fusebox_core::breaker::{BreakerConfig, BreakerLayer, Outcome, RecoveryGroup, TripReason};
/// use fusebox_core::rt::{BoxFuture, ManualClock, ManualSpawner};
/// use futures_lite::future::block_on;
/// use tower_layer::Layer;
/// use tower_service::Service;
///
/// /// A backend that answers every call with `status`.
/// struct Backend { status: u16, calls: u32 }
/// impl Service<()> for Backend {
///     type Response = u16;
///     type Error = std::io::Error;
///     type Future = Ready<Result<u16, std::io::Error>>;
///     fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
///         Poll::Ready(Ok(()))
///     }
///     fn call(&mut self, _: ()) -> Self::Future {
///         self.calls += 1;
///         ready(Ok(self.status))
///     }
/// }
///
/// let config = BreakerConfig::builder().failure_threshold(1).build()?;
/// let group = RecoveryGroup::new(config, Arc::new(ManualClock::new()), Arc::new(ManualSpawner::new()));
/// let probe = || -> BoxFuture<'static, bool> { Box::pin(async { true }) };
/// let classify = |r: &Result<u16, std::io::Error>| match r {
///     Ok(status) if *status >= 500 => Some(Outcome::failure(TripReason::Status { status: *status })),
///     Ok(_) => Some(Outcome::Success),
///     Err(_) => Some(Outcome::failure(TripReason::Connection)),
/// };
/// let layer = BreakerLayer::new(group.breaker_named("backend", probe), classify);
/// let mut service = layer.layer(Backend { status: 503, calls: 0 });
///
/// assert_eq!(block_on(service.call(())).unwrap(), 503); // a failure: the breaker trips
/// assert!(block_on(service.call(())).unwrap_err().is_open()); // refused
/// assert_eq!(service.get_ref().calls, 1, "the refused call never reached the backend");
/// # Ok::<(), fusebox_core::breaker::ConfigError>(())
/// ```
#[derive(Clone, Debug)]
pub struct BreakerLayer<C> {
    breaker: Breaker,
    classify: C,
}

impl<C> BreakerLayer<C> {
    /// A layer asking `breaker` (and its group) before each call, recording what `classify`
    /// makes of each result.
    pub fn new(breaker: Breaker, classify: C) -> Self {
        BreakerLayer { breaker, classify }
    }
}

impl<S, C: Clone> Layer<S> for BreakerLayer<C> {
    type Service = BreakerService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        BreakerService {
            inner,
            breaker: self.breaker.clone(),
            classify: self.classify.clone(),
        }
    }
}

/// A service behind a breaker; made by [`BreakerLayer`].
///
/// While the breaker is open, `call` returns [`BreakerError::Open`] at once, without calling the
/// inner service (which may already have reserved capacity in `poll_ready`, as with tower's load
/// shedding).
#[derive(Clone, Debug)]
pub struct BreakerService<S, C> {
    inner: S,
    breaker: Breaker,
    classify: C,
}

impl<S, C> BreakerService<S, C> {
    /// The breaker it asks.
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, C, Req> Service<Req> for BreakerService<S, C>
where
    S: Service<Req>,
    C: Fn(&Result<S::Response, S::Error>) -> Option<Outcome> + Clone,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = ResponseFuture<S::Future, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, req: Req) -> Self::Future {
        match self.breaker.check_owned() {
            Err(open) => ResponseFuture::refused(open),
            Ok(permit) => {
                ResponseFuture::called(self.inner.call(req), permit, self.classify.clone())
            }
        }
    }
}

pin_project! {
    /// The future of a [`BreakerService`] call.
    pub struct ResponseFuture<F, C> {
        #[pin]
        step: Step<F, C>,
    }
}

pin_project! {
    #[project = Projected]
    enum Step<F, C> {
        Refused { open: Option<OpenError> },
        Called {
            #[pin]
            future: F,
            permit: Option<OwnedPermit>,
            classify: C,
        },
    }
}

impl<F, C> ResponseFuture<F, C> {
    fn refused(open: OpenError) -> Self {
        let step = Step::Refused { open: Some(open) };
        ResponseFuture { step }
    }

    fn called(future: F, permit: OwnedPermit, classify: C) -> Self {
        let permit = Some(permit);
        let step = Step::Called {
            future,
            permit,
            classify,
        };
        ResponseFuture { step }
    }
}

impl<F, C, T, E> Future for ResponseFuture<F, C>
where
    F: Future<Output = Result<T, E>>,
    C: Fn(&Result<T, E>) -> Option<Outcome>,
{
    type Output = Result<T, BreakerError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().step.project() {
            Projected::Refused { open } => match open.take() {
                Some(open) => Poll::Ready(Err(BreakerError::Open(open))),
                None => panic!("a breaker's response future polled after it completed"),
            },
            Projected::Called {
                future,
                permit,
                classify,
            } => {
                let result = ready!(future.poll(cx));
                if let (Some(permit), Some(outcome)) = (permit.take(), classify(&result)) {
                    permit.record(outcome);
                }
                Poll::Ready(result.map_err(BreakerError::Inner))
            }
        }
    }
}

impl<F, C> fmt::Debug for ResponseFuture<F, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let step = match &self.step {
            Step::Refused { .. } => "refused",
            Step::Called { .. } => "called",
        };
        f.debug_struct("ResponseFuture")
            .field("step", &step)
            .finish()
    }
}

/// The error of a [`BreakerService`]: the breaker refused the call, or the inner service failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum BreakerError<E> {
    /// The breaker is open: the inner service was not called.
    Open(OpenError),
    /// The inner service's error.
    Inner(E),
}

impl<E> BreakerError<E> {
    /// Whether the breaker refused the call.
    pub fn is_open(&self) -> bool {
        matches!(self, BreakerError::Open(_))
    }

    /// The inner service's error, if that is what it is.
    pub fn into_inner(self) -> Option<E> {
        match self {
            BreakerError::Inner(e) => Some(e),
            BreakerError::Open(_) => None,
        }
    }
}

impl<E: fmt::Display> fmt::Display for BreakerError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakerError::Open(open) => write!(f, "not called: {open}"),
            BreakerError::Inner(e) => e.fmt(f),
        }
    }
}

impl<E: StdError + 'static> StdError for BreakerError<E> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            BreakerError::Open(open) => Some(open),
            BreakerError::Inner(e) => e.source(),
        }
    }
}
