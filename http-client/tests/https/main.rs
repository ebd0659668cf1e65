//! HTTPS against real TLS servers on 127.0.0.1, under tokio and smol, with certificates made at
//! test time: keep-alive reuse over one handshake, SNI and ALPN, certificates rejected for an
//! untrusted issuer, a wrong name and an expiry, the breaker and its health probe over TLS,
//! client certificates, handshake timeouts, and http and https on one port kept apart.
//!
//! Every test name starts with `https_`, so `cargo test -p fusebox-http https` runs them.

#[path = "../common/mod.rs"]
mod common;

#[cfg(feature = "tls")]
mod certificates;
#[cfg(feature = "tls")]
mod connections;

#[cfg(not(feature = "tls"))]
mod without_tls {
    use crate::common::whole;
    use fusebox_http::Client;
    use fusebox_tokio::TokioRuntime;

    #[tokio::test]
    async fn https_without_the_tls_feature_is_refused_with_a_clear_error() {
        let client = Client::builder()
            .runtime(TokioRuntime::new())
            .build()
            .unwrap();
        let e = whole(client.get("https://127.0.0.1:9/")).await.unwrap_err();
        assert!(e.is_invalid_uri() && !e.is_connect(), "{e:?}");
        assert!(
            e.to_string()
                .contains("the \"tls\" feature of fusebox-http")
        );
    }
}

#[cfg(feature = "tls")]
mod with_tls {
    use std::sync::Arc;

    use fusebox_core::rt::Runtime;
    use fusebox_http::tls::{Roots, TlsConfig};
    use fusebox_http::{Builder, Client};

    use crate::common::Reply;
    use crate::common::tls::{Ca, LoopbackDial, TlsServer, server_config};

    pub(super) const HOST: &str = "good.test";

    /// A client on `rt` that reaches every host name at 127.0.0.1.
    /// The test server speaks HTTP/1.1 but prefers `h2` in its ALPN list, so that these tests
    /// see the client offer `http/1.1` only; with feature `http2` that takes saying so (HTTP/2
    /// over TLS is tested in `tests/http2`).
    pub(super) fn builder<R: Runtime>(rt: &R) -> Builder {
        let builder = Client::builder()
            .clock(Arc::new(rt.clone()))
            .spawner(Arc::new(rt.clone()))
            .dial(Arc::new(LoopbackDial(rt.clone())));
        #[cfg(feature = "http2")]
        let builder = builder.http2_over_alpn(false);
        builder
    }

    /// TLS that trusts `ca` only.
    pub(super) fn trusting(ca: &Ca) -> TlsConfig {
        TlsConfig::builder()
            .roots(Roots::Empty)
            .root_certificate(ca.root())
            .build()
            .unwrap()
    }

    pub(super) fn client<R: Runtime>(rt: &R, ca: &Ca) -> Client {
        builder(rt).tls(trusting(ca)).build().unwrap()
    }

    /// A server for [`HOST`] with a certificate from `ca`, echoing the path.
    pub(super) fn server(ca: &Ca) -> TlsServer {
        let leaf = ca.server(&[HOST]);
        TlsServer::start(server_config(&leaf), |seen| Reply::ok(seen.path.clone()))
    }
}
