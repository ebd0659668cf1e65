//! HTTP/2 connections (feature `http2`) on hyper's `client::conn::http2`: hyper's executor and
//! timer are the client's [`Spawner`](fusebox_core::rt::Spawner) and
//! [`Clock`](fusebox_core::rt::Clock) (`rt.rs`), so HTTP/2 runs on any runtime and its
//! keep-alive pings run on a `ManualClock` in tests; `settings.rs` says when a connection
//! speaks HTTP/2, `conn.rs` is the connection.

mod conn;
mod refused;
mod rt;
mod settings;

pub use conn::Http2Connection;
pub use settings::{Http2Config, Http2ConfigBuilder};
