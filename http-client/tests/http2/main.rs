//! HTTP/2 connections (feature `http2`) made by `Connector::connect_negotiated` and used
//! directly, under tokio and smol, against hyper's server on 127.0.0.1 (the test server's
//! `H2Server`): many streams on one connection, the server's stream limit, ALPN choosing `h2`
//! or `http/1.1`, prior knowledge over plain TCP, and a peer that stops answering pings, timed
//! on the manual clock.
#![cfg(feature = "http2")]

#[path = "../common/mod.rs"]
mod common;

#[cfg(feature = "tls")]
mod alpn;
mod client;
mod fuse;
mod multiplex;
mod ping;
mod refused;

use std::sync::Arc;

use bytes::Bytes;
use fusebox_core::rt::Runtime;
use fusebox_http::conn::{Connector, Http2Config, Http2Connection, Negotiated};
use fusebox_http::{Error, Origin, RequestBody};
use http::Request;
use http_body_util::BodyExt;

/// A connector on `rt` that speaks HTTP/2 as `config` says, its pings on `rt`'s clock.
fn connector<R: Runtime>(rt: &R, config: Http2Config) -> Connector {
    Connector::from_runtime(rt.clone()).http2(config, Arc::new(rt.clone()))
}

/// `http://127.0.0.1:port`.
fn plain_origin(port: u16) -> Origin {
    format!("http://127.0.0.1:{port}").parse().unwrap()
}

/// A GET of `path`, relative: the connection completes it with its origin.
fn get(path: &str) -> Request<RequestBody> {
    Request::get(path).body(RequestBody::empty()).unwrap()
}

/// Sends a GET of `path` on `conn` and reads the whole body.
async fn fetch(conn: &Http2Connection, path: &str) -> Result<(http::Version, Bytes), Error> {
    let response = conn.send(get(path)).await?;
    let version = response.version();
    assert_eq!(response.status(), 200);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok((version, body))
}

/// The HTTP/2 connection `negotiated` must be.
fn http2(negotiated: Negotiated) -> Http2Connection {
    match negotiated {
        Negotiated::Http2(conn) => conn,
        other => panic!("expected an HTTP/2 connection, got {other:?}"),
    }
}
