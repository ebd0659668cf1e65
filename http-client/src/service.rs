//! `Client` and `FuseClient` as [`tower_service::Service`]s (feature `tower`), so that tower
//! middleware (retries, rate limits, tracing layers, load shedding) can wrap them.
//!
//! Both are always ready: the pool's wait and the breaker's fail-fast happen in the call, where
//! they are bounded by the client's `pool_timeout` and answered with a typed [`Error`]. A
//! `poll_ready` error would tell tower the service is gone for good, which neither ever is.

use std::task::{Context, Poll};

use fusebox_core::rt::BoxFuture;
use http::Request;
use tower_service::Service;

use crate::{Client, Error, FuseClient, RequestBody, Response};

impl<B> Service<Request<B>> for Client
where
    B: Into<RequestBody> + Send + 'static,
{
    type Response = Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Response, Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    /// Sends `req` as [`Client::send`] does.
    fn call(&mut self, req: Request<B>) -> Self::Future {
        let client = self.clone();
        Box::pin(async move { client.send(req).await })
    }
}

impl<B> Service<Request<B>> for FuseClient
where
    B: Into<RequestBody> + Send + 'static,
{
    type Response = Response;
    type Error = Error;
    type Future = BoxFuture<'static, Result<Response, Error>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Poll::Ready(Ok(()))
    }

    /// Sends `req` through the breaker as [`FuseClient::send`] does: an open breaker answers
    /// with [`Error::is_open`] without sending.
    fn call(&mut self, req: Request<B>) -> Self::Future {
        let client = self.clone();
        Box::pin(async move { client.send(req).await })
    }
}
