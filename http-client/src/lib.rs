//! An HTTP/1.1 client on fusebox's pool, for any async runtime, over plain TCP or TLS.
//!
//! `fusebox-http` keeps HTTP/1.1 connections (on [`hyper`]'s low-level client) alive in a
//! [`fusebox_core::Pool`] keyed by [`Origin`], and never names an async runtime: a clock, a
//! spawner and a TCP dialer come from `fusebox-tokio` or `fusebox-smol` (or your own
//! implementation of [`fusebox_core::rt`]'s traits).
//!
//! - [`Client`]: pooled requests with a connect timeout, a request timeout and a maximum
//!   response body size, each a clear [`Error`]; a request that meets a keep-alive connection
//!   the server has just closed is sent again on another when that is safe (see [`Client`]).
//! - [`FuseClient`]: requests to one service behind a circuit breaker: after consecutive
//!   failures (5xx, too slow, connect error, timeout) it fails requests at once, until the one
//!   recovery task of its [`RecoveryGroup`](fusebox_core::breaker::RecoveryGroup) sees the
//!   service's health path answer again.
//! - [`conn::Connector`] and [`conn::HttpConnection`]: the factory and the connection, for pools of
//!   your own.
//! - `tls` (feature `tls`, on by default): the TLS settings of `https` origins.
//!
//! Reads: for a plain `http` origin, hyper reads straight into its own buffer when the dialer
//! offers such a stream ([`Dial::dial_hyper`](fusebox_core::rt::Dial::dial_hyper); fusebox-tokio
//! does, with hyper-util's `TokioIo`). Every other stream (smol's, TLS, a dialer of your own) is
//! a futures-io one and reaches hyper through smol-hyper's `FuturesIo`, which zeroes the part of
//! hyper's buffer a read may fill before reading into it.
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
//! # HTTPS
//!
//! With the `tls` feature (on by default), `https://` URIs work like `http://` ones: the
//! [`conn::Connector`] runs a TLS handshake (rustls with its `ring` provider, over the same
//! runtime-neutral IO traits, so tokio and smol share one code path) on the TCP stream before
//! HTTP/1.1 starts. The server's certificate is verified for the URI's host, against the
//! Mozilla roots of `webpki-roots` unless the client is given a `tls::TlsConfig` that says
//! otherwise (the system's roots with feature `native-roots`, a private certificate authority,
//! a client certificate). SNI is sent, and ALPN offers `http/1.1` only. `https` and `http`
//! origins are separate pool keys, even on the same host and port, and kept-alive TLS
//! connections are reused like plain ones: one handshake serves many requests. The connect
//! timeout bounds dial and handshake together.
//!
//! A rejected certificate fails the request with an [`Error`] that
//! [`is_certificate`](Error::is_certificate) (and [`is_tls`](Error::is_tls),
//! [`is_connect`](Error::is_connect)), naming the host and the reason; a [`FuseClient`] counts
//! it as a connect failure.
//!
//! ```no_run
//! # #[cfg(not(feature = "tls"))]
//! # fn main() {}
//! # #[cfg(feature = "tls")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use fusebox_http::Client;
//! use fusebox_http::tls::{Certificate, TlsConfig};
//! use fusebox_tokio::TokioRuntime;
//!
//! // Public services: nothing to configure.
//! let client = Client::builder().runtime(TokioRuntime::new()).build()?;
//! let response = client.get("https://example.com/").await?;
//! println!("{}", response.status());
//!
//! // A service whose certificate comes from a private certificate authority.
//! let tls = TlsConfig::builder()
//!     .root_certificate(Certificate::from_pem(std::fs::read("ca.pem")?)?)
//!     .build()?;
//! let internal = Client::builder().runtime(TokioRuntime::new()).tls(tls).build()?;
//! match internal.get("https://billing.internal:8443/health").await {
//!     Ok(response) => println!("{}", response.status()),
//!     // "certificate for host billing.internal is not trusted: it expired 3 days ago
//!     // (Expired): ..."
//!     Err(e) if e.is_certificate() => eprintln!("{e}"),
//!     Err(e) => eprintln!("{e:#}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Without the `tls` feature, an `https` URI fails at once with
//! [`is_invalid_uri`](Error::is_invalid_uri), saying the feature is off.
//!
//! # Features
//!
//! | feature | default | what it adds |
//! | --- | --- | --- |
//! | `tls` | on | `https` origins: rustls with the `ring` provider, roots from `webpki-roots` |
//! | `native-roots` | off | `tls::Roots::Native`: the operating system's trust store, read by `rustls-native-certs` |
//! | `http2` | off | HTTP/2 connections on hyper's `client::conn::http2`: `conn::Connector::connect_negotiated` (ALPN `h2` over TLS, prior knowledge over plain TCP), `conn::Http2Connection`, keep-alive pings on the client's clock; the `Client`'s pool still sends HTTP/1.1 |
//! | `json` | off | `Body::json`, `Response::json` and `RequestBuilder::json`, with `serde_json` (`query` and `form` need only `serde` and `serde_urlencoded`, always on) |
//!
//! # When not to use it
//!
//! For proxies or cookies, or HTTP/2 through a pooled client today, use `reqwest`. This
//! client's pool speaks HTTP/1.1; feature `http2` adds HTTP/2 connections for pools of your own.
#![forbid(unsafe_code)]

mod body;
mod builder;
mod client;
mod connector;
mod driver;
mod error;
mod exchange;
mod fuse;
mod http1;
#[cfg(feature = "http2")]
mod http2;
mod inflight;
mod io;
mod meter;
mod negotiate;
mod origin;
mod prepare;
mod request;
mod response;
mod retry;
#[cfg(feature = "tower")]
mod service;
mod span;
#[cfg(feature = "tls")]
pub mod tls;

pub use body::{Body, RequestBody};
pub use builder::Builder;
pub use client::Client;
pub use error::{ConnectError, Error};
pub use fuse::{FuseBuilder, FuseClient, Verdict, default_classifier};
pub use origin::{Origin, OriginError, Scheme};
pub use request::{Pending, RequestBuilder};
pub use response::Response;
pub use retry::Retryable;

/// The pieces of the client for a pool of one's own: a `Pool<Origin, Connector>` holds the
/// same [`HttpConnection`](conn::HttpConnection)s a [`Client`] keeps (see
/// [`Connector`](conn::Connector) for an example). A [`Client`] needs none of them.
pub mod conn {
    pub use crate::connector::Connector;
    pub use crate::http1::HttpConnection;
    #[cfg(feature = "http2")]
    pub use crate::http2::{Http2Config, Http2ConfigBuilder, Http2Connection};
    pub use crate::negotiate::Negotiated;
}

/// The `http` crate, whose types requests and responses are made of.
pub use http;

/// The `bytes` crate, whose `Bytes` bodies are made of.
pub use bytes;

#[cfg(test)]
mod tests {
    #[test]
    fn public_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        fn assert_send<T: Send + 'static>() {}
        assert_send_sync::<crate::Client>();
        assert_send_sync::<crate::Builder>();
        assert_send_sync::<crate::FuseClient>();
        assert_send_sync::<crate::FuseBuilder>();
        assert_send_sync::<crate::conn::Connector>();
        assert_send_sync::<crate::conn::HttpConnection>();
        assert_send::<crate::conn::Negotiated>();
        #[cfg(feature = "http2")]
        {
            assert_send_sync::<crate::conn::Http2Connection>();
            assert_send_sync::<crate::conn::Http2Config>();
            assert_send_sync::<crate::conn::Http2ConfigBuilder>();
        }
        assert_send_sync::<crate::Origin>();
        assert_send_sync::<crate::Error>();
        assert_send::<crate::RequestBuilder>();
        assert_send::<crate::Body>();
        assert_send::<crate::RequestBody>();
        assert_send::<crate::Response>();
        assert_send::<crate::Pending>();
        #[cfg(feature = "tls")]
        {
            assert_send_sync::<crate::tls::TlsConfig>();
            assert_send_sync::<crate::tls::TlsConfigBuilder>();
            assert_send_sync::<crate::tls::Certificate>();
            assert_send_sync::<crate::tls::Identity>();
        }
    }
}
