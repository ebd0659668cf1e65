//! HTTP/2 on the test server (feature `h2`): [`H2Server`], hyper's own server speaking
//! HTTP/1.1 and HTTP/2 (plain, or TLS with ALPN); [`H2Silent`], a peer that completes the
//! HTTP/2 handshake and then answers nothing, not even pings; and [`H2Refusing`], which refuses
//! the first streams it is sent.

mod refusing;
mod server;
mod silent;

pub use refusing::H2Refusing;
pub use server::{H2Builder, H2Server};
pub use silent::H2Silent;
