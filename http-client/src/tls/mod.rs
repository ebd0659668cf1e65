//! HTTPS: TLS settings for `https` origins, and the handshake on a dialed stream.
//!
//! TLS is rustls with its `ring` provider, run over the runtime-neutral futures-io traits by
//! `futures-rustls`, so one code path serves every runtime. The [`Connector`](crate::conn::Connector)
//! dials TCP, runs the TLS handshake on that stream when the origin is `https`, then speaks
//! HTTP/1.1 over it exactly as it does over plain TCP (or, with feature `http2`, HTTP/2 when
//! ALPN chose `h2`).

mod cert;
mod config;
mod connect;
mod reason;

pub use cert::{Certificate, Identity};
pub use config::{Roots, TlsConfig, TlsConfigBuilder};
/// The rustls this crate runs on, for [`TlsConfig::from_rustls`].
pub use rustls;

#[cfg(feature = "http2")]
pub(crate) use config::ALPN_H2;
pub(crate) use connect::{HandshakeLimit, HandshakeTimeout, handshake};
