//! [`Silent`]: a port that takes TCP connections into its backlog and never answers.

use std::net::TcpListener;

/// A listener on 127.0.0.1 that never accepts: connects succeed (into the backlog) and then
/// nothing ever comes back, as with a server that hangs before its first byte.
#[derive(Debug)]
pub struct Silent {
    listener: TcpListener,
}

impl Silent {
    /// Binds a free port of 127.0.0.1.
    ///
    /// # Panics
    ///
    /// If no port can be bound.
    pub fn start() -> Silent {
        Silent {
            listener: TcpListener::bind("127.0.0.1:0").expect("bind a port of 127.0.0.1"),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .expect("the bound address")
            .port()
    }
}
