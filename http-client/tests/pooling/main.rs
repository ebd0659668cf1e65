//! Connection reuse against real servers on 127.0.0.1, under tokio and smol: keep-alive reuse,
//! servers closing idle connections, the stale-connection retry, `Keep-Alive: timeout`,
//! `Connection: close`, the pool timeout, and per-origin isolation.

#[path = "../common/mod.rs"]
mod common;

mod dial_path;
mod keep_alive;
mod pool_timeout;
mod reuse;
mod stale;
