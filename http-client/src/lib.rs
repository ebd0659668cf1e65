//! An HTTP/1.1 client on fusebox's pool, for any async runtime.
//!
//! `fusebox-http` keeps HTTP/1.1 connections (on [`hyper`]'s low-level client) alive in a
//! [`fusebox_core::Pool`] keyed by [`Origin`], and never names an async runtime: a clock, a
//! spawner and a TCP dialer come from `fusebox-tokio` or `fusebox-smol` (or your own
//! implementation of [`fusebox_core::rt`]'s traits).
//!
//! - [`Client`]: pooled requests with a connect timeout, a request timeout and a maximum
//!   response body size, each a clear [`Error`]; a request that meets a connection the server has
//!   just closed is sent again on another when nothing of it was written.
//! - [`FuseClient`]: requests to one service behind a circuit breaker: after consecutive
//!   failures (5xx, too slow, connect error, timeout) it fails requests at once, until the one
//!   recovery task of its [`RecoveryGroup`](fusebox_core::breaker::RecoveryGroup) sees the
//!   service's health path answer again.
//! - [`Connector`] and [`HttpConnection`]: the factory and the connection, for pools of your own.
//! - [`HyperIo`]: the safe adapter from futures-io streams to hyper's IO traits.
//!
//! ```
//! use fusebox_http::Client;
//! use fusebox_tokio::TokioRuntime;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let client = Client::builder().runtime(TokioRuntime::new()).build().unwrap();
//! // Nothing listens on port 9 here.
//! let err = client.get("http://127.0.0.1:9/").await.unwrap_err();
//! assert!(err.is_connect());
//! assert_eq!(client.pool_stats().total.connect_failures, 1);
//! # }
//! ```
//!
//! When not to use it: for HTTPS, HTTP/2, streaming bodies or cookies, use `reqwest`. This client
//! speaks plain HTTP/1.1 and reads every response body whole.
#![forbid(unsafe_code)]

mod body;
mod builder;
mod client;
mod conn;
mod connector;
mod error;
mod fuse;
mod io;
mod origin;

pub use builder::Builder;
pub use client::Client;
pub use conn::HttpConnection;
pub use connector::Connector;
pub use error::{ConnectError, Error};
pub use fuse::{FuseBuilder, FuseClient};
pub use io::HyperIo;
pub use origin::{Origin, OriginError, Scheme};

#[cfg(test)]
mod tests {
    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::Builder>();
        assert_send_sync::<crate::FuseClient>();
        assert_send_sync::<crate::FuseBuilder>();
        assert_send_sync::<crate::Connector>();
        assert_send_sync::<crate::HttpConnection>();
        assert_send_sync::<crate::Origin>();
        assert_send_sync::<crate::Error>();
        fn assert_send<T: Send + 'static>() {}
        assert_send::<crate::HyperIo<fusebox_core::rt::BoxIo>>();
    }
}
