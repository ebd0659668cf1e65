//! The HTTP/2 workload's clients and server: 64 tasks sending small `GET`s to one TLS origin,
//! the workspace's test server ([`H2Origin`]), through fusebox over HTTP/2 and over HTTP/1.1,
//! hyper-util's legacy client over HTTP/2 and reqwest over HTTP/2 ([`H2Client`]).
//!
//! Every client trusts only the bench's certificate authority, reads each body whole and checks
//! it: the server answers `/small over HTTP/2.0` (or `HTTP/1.1`), so the body also tells which
//! protocol the request went over.

use std::fmt;

use http::Version;

mod client;
mod server;

pub use client::H2Client;
pub use server::{H2Origin, PATH};

/// A client of the HTTP/2 workload, as a row of its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum H2Kind {
    /// fusebox's [`Client`](fusebox_http::Client) with feature `http2`, its defaults: ALPN
    /// offers `h2`, and the pool hands out streams of one multiplexed connection.
    FuseboxH2,
    /// fusebox's `Client` with `http2_over_alpn(false)`: HTTP/1.1 over TLS, at most
    /// [`MAX_PER_HOST`](super::MAX_PER_HOST) connections.
    FuseboxH1,
    /// hyper-util's legacy `Client` with `http2_only(true)` over hyper-rustls (ALPN `h2`).
    HyperUtilH2,
    /// reqwest with its `http2` feature and rustls, ALPN `h2` and `http/1.1` (its default).
    ReqwestH2,
}

impl H2Kind {
    /// Every client, in the order of the table.
    pub const ALL: [H2Kind; 4] = [
        H2Kind::FuseboxH2,
        H2Kind::FuseboxH1,
        H2Kind::HyperUtilH2,
        H2Kind::ReqwestH2,
    ];

    /// The client's name in the table.
    pub fn name(self) -> &'static str {
        match self {
            H2Kind::FuseboxH2 => "fusebox Client (tokio), HTTP/2",
            H2Kind::FuseboxH1 => "fusebox Client (tokio), HTTP/1.1",
            H2Kind::HyperUtilH2 => "hyper-util legacy Client (tokio), HTTP/2",
            H2Kind::ReqwestH2 => "reqwest (tokio), HTTP/2",
        }
    }

    /// A short name for the command line: `fusebox-h2`, `fusebox-h1`, `hyper-util-h2`,
    /// `reqwest-h2`.
    pub fn id(self) -> &'static str {
        match self {
            H2Kind::FuseboxH2 => "fusebox-h2",
            H2Kind::FuseboxH1 => "fusebox-h1",
            H2Kind::HyperUtilH2 => "hyper-util-h2",
            H2Kind::ReqwestH2 => "reqwest-h2",
        }
    }

    /// The protocol every response must come over.
    pub fn version(self) -> Version {
        match self {
            H2Kind::FuseboxH1 => Version::HTTP_11,
            H2Kind::FuseboxH2 | H2Kind::HyperUtilH2 | H2Kind::ReqwestH2 => Version::HTTP_2,
        }
    }
}

impl fmt::Display for H2Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
