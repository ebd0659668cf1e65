//! The HTTP/2 settings of a [`Builder`] (feature `http2`).

use std::time::Duration;

use super::Builder;
use crate::Origin;

impl Builder {
    /// Speaks HTTP/2 from the first byte with every plain `http` origin (prior knowledge),
    /// without asking: for servers known to speak it.
    ///
    /// For now this configures the client's connector only: the pool keeps sending HTTP/1.1,
    /// and a request that asks for `Version::HTTP_2` fails with
    /// [`Error::is_http2_unavailable`](crate::Error::is_http2_unavailable).
    pub fn http2_prior_knowledge(mut self) -> Builder {
        self.http2 = self.http2.prior_knowledge();
        self
    }

    /// As [`http2_prior_knowledge`](Builder::http2_prior_knowledge), for plain connections to
    /// `origin` only. May be called many times.
    pub fn http2_prior_knowledge_for(mut self, origin: Origin) -> Builder {
        self.http2 = self.http2.prior_knowledge_for(origin);
        self
    }

    /// Whether TLS handshakes may offer `h2` by ALPN (default: yes), so that a server that
    /// chooses it is spoken to in HTTP/2.
    pub fn http2_over_alpn(mut self, allow: bool) -> Builder {
        self.http2 = self.http2.over_alpn(allow);
        self
    }

    /// Sends an HTTP/2 `PING` on a connection that has read nothing for `interval` (unset: no
    /// pings). Must be above zero.
    pub fn http2_keep_alive_interval(mut self, interval: Duration) -> Builder {
        self.http2 = self.http2.keep_alive_interval(interval);
        self
    }

    /// How long a ping may go unanswered before the connection is closed as dead and its
    /// streams fail with [`Error::is_ping_timeout`](crate::Error::is_ping_timeout) (default
    /// 20 s). Must be above zero, and needs an interval.
    pub fn http2_keep_alive_timeout(mut self, timeout: Duration) -> Builder {
        self.http2 = self.http2.keep_alive_timeout(timeout);
        self
    }

    /// Whether to ping HTTP/2 connections that have no open stream too (default: no).
    pub fn http2_keep_alive_while_idle(mut self, enabled: bool) -> Builder {
        self.http2 = self.http2.keep_alive_while_idle(enabled);
        self
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fusebox_tokio::TokioRuntime;

    use crate::Client;

    #[tokio::test]
    async fn http2_settings_are_checked_when_built() {
        let builder = || Client::builder().runtime(TokioRuntime::new());
        let e = builder()
            .http2_keep_alive_interval(Duration::ZERO)
            .build()
            .unwrap_err();
        assert!(e.is_builder());
        assert!(
            e.to_string()
                .contains("http2_keep_alive_interval must be greater than zero"),
            "{e}"
        );
        let e = builder()
            .http2_keep_alive_timeout(Duration::from_secs(1))
            .build()
            .unwrap_err();
        assert!(
            e.to_string().contains("no http2_keep_alive_interval"),
            "{e}"
        );
        builder()
            .http2_prior_knowledge_for("http://127.0.0.1:8080".parse().unwrap())
            .http2_over_alpn(false)
            .http2_keep_alive_interval(Duration::from_secs(10))
            .http2_keep_alive_timeout(Duration::from_secs(5))
            .http2_keep_alive_while_idle(true)
            .build()
            .unwrap();
    }
}
