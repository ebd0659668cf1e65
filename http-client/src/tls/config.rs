//! [`TlsConfig`]: what an `https` connection trusts and presents, checked when it is built.

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::{ClientConfig, RootCertStore};

use super::{Certificate, Identity};
use crate::Error;

/// The application protocol offered in every handshake.
const ALPN_HTTP11: &[u8] = b"http/1.1";
/// Offered before `http/1.1` by connections that may speak HTTP/2 (feature `http2`).
#[cfg(feature = "http2")]
pub(crate) const ALPN_H2: &[u8] = b"h2";

/// Which root certificates a [`TlsConfig`] trusts, besides those added with
/// [`TlsConfigBuilder::root_certificate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Roots {
    /// Mozilla's root program, as shipped in the `webpki-roots` crate (the default): the same
    /// on every machine, and updated with this crate's dependencies rather than the system.
    #[default]
    WebPki,
    /// The operating system's trust store, read by `rustls-native-certs` when the config is
    /// built (feature `native-roots`): for networks whose servers use a root installed on the
    /// machine, such as a company's own.
    #[cfg(feature = "native-roots")]
    Native,
    /// None: only the certificates added with [`TlsConfigBuilder::root_certificate`], as for a
    /// private service with its own certificate authority.
    Empty,
}

/// What a client trusts and presents on `https` connections: root certificates, a client
/// identity, and the protocols offered. Cheap to clone (an `Arc` around rustls's
/// `ClientConfig`).
///
/// The [`Default`] is what a [`Client`](crate::Client) uses unless given another: servers are
/// verified against [`Roots::WebPki`], with SNI; TLS 1.3 and 1.2; ALPN offers `http/1.1` only;
/// no client certificate.
///
/// ```
/// use fusebox_http::Client;
/// use fusebox_http::tls::{Certificate, Roots, TlsConfig};
/// use fusebox_tokio::TokioRuntime;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), fusebox_http::Error> {
/// # let ca_pem = rcgen::generate_simple_self_signed(["ca.test".to_owned()]).unwrap().cert.pem();
/// // Trust only the certificate authority of a private service.
/// let tls = TlsConfig::builder()
///     .roots(Roots::Empty)
///     .root_certificate(Certificate::from_pem(ca_pem)?)
///     .build()?;
/// let client = Client::builder().runtime(TokioRuntime::new()).tls(tls).build()?;
/// # drop(client);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    inner: Arc<ClientConfig>,
    /// The same, with ALPN offering `h2` first, for connections that may speak HTTP/2.
    #[cfg(feature = "http2")]
    h2: Arc<ClientConfig>,
}

impl TlsConfig {
    /// Starts configuring TLS: [`Roots::WebPki`], no added roots, no client identity.
    pub fn builder() -> TlsConfigBuilder {
        TlsConfigBuilder {
            roots: Roots::default(),
            added: Vec::new(),
            identity: None,
        }
    }

    /// Takes a rustls `ClientConfig` whole, for what the builder does not offer (a custom
    /// certificate verifier, key logging, another crypto provider). Its ALPN protocols are
    /// replaced by `http/1.1` (and `h2` before it, for the HTTP/2 connections of feature
    /// `http2`).
    ///
    /// `rustls` is re-exported as [`tls::rustls`](crate::tls::rustls), so that the config is
    /// built with the version this crate uses.
    pub fn from_rustls(mut config: ClientConfig) -> TlsConfig {
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        #[cfg(feature = "http2")]
        let h2 = {
            let mut h2 = config.clone();
            h2.alpn_protocols = vec![ALPN_H2.to_vec(), ALPN_HTTP11.to_vec()];
            Arc::new(h2)
        };
        TlsConfig {
            inner: Arc::new(config),
            #[cfg(feature = "http2")]
            h2,
        }
    }

    /// The rustls configuration the handshake runs with (ALPN `http/1.1`).
    pub fn rustls_config(&self) -> &Arc<ClientConfig> {
        &self.inner
    }

    /// The rustls configuration of handshakes that offer `h2` too.
    #[cfg(feature = "http2")]
    pub(crate) fn rustls_config_h2(&self) -> &Arc<ClientConfig> {
        &self.h2
    }
}

impl Default for TlsConfig {
    /// Servers verified against [`Roots::WebPki`]; no client identity. Made once per process.
    fn default() -> TlsConfig {
        static DEFAULT: OnceLock<TlsConfig> = OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                TlsConfig::builder()
                    .build()
                    .expect("the default TLS configuration is valid")
            })
            .clone()
    }
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig")
            .field("alpn", &"http/1.1")
            .field(
                "client_auth",
                &self.inner.client_auth_cert_resolver.has_certs(),
            )
            .finish_non_exhaustive()
    }
}

/// Configures a [`TlsConfig`]; made by [`TlsConfig::builder`].
#[must_use = "a builder does nothing until .build() is called"]
pub struct TlsConfigBuilder {
    roots: Roots,
    added: Vec<Certificate>,
    identity: Option<Identity>,
}

impl TlsConfigBuilder {
    /// Which built-in set of roots to trust (default [`Roots::WebPki`]).
    pub fn roots(mut self, roots: Roots) -> TlsConfigBuilder {
        self.roots = roots;
        self
    }

    /// Trusts `root` as well: the certificate of a private certificate authority, or a server's
    /// self-signed certificate. May be called many times.
    pub fn root_certificate(mut self, root: Certificate) -> TlsConfigBuilder {
        self.added.push(root);
        self
    }

    /// Presents `identity` to servers that ask for a client certificate (mutual TLS).
    pub fn client_identity(mut self, identity: Identity) -> TlsConfigBuilder {
        self.identity = Some(identity);
        self
    }

    /// Checks the certificates and builds the configuration.
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`], with what to change, for an added root that is not a usable
    /// certificate, no roots at all ([`Roots::Empty`] and none added), a system trust store
    /// without usable roots, or a client identity whose key does not fit.
    pub fn build(self) -> Result<TlsConfig, Error> {
        let mut store = match self.roots {
            Roots::WebPki => {
                RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned())
            }
            #[cfg(feature = "native-roots")]
            Roots::Native => native_roots()?,
            Roots::Empty => RootCertStore::empty(),
        };
        for (i, root) in self.added.iter().enumerate() {
            store.add(root.to_der()).map_err(|e| {
                Error::build(format_args!(
                    "root certificate {} is not usable ({e}): give an X.509 certificate in DER \
                     or PEM",
                    i + 1
                ))
            })?;
        }
        if store.is_empty() {
            return Err(Error::build(
                "no root certificates to trust: with Roots::Empty, add at least one with \
                 .root_certificate(..)",
            ));
        }
        let builder =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(store);
        let config = match self.identity {
            None => builder.with_no_client_auth(),
            Some(identity) => builder
                .with_client_auth_cert(identity.chain, identity.key)
                .map_err(|e| {
                    Error::build(format_args!(
                        "the client identity is not usable ({e}): give the private key that \
                         belongs to the first certificate of the chain"
                    ))
                })?,
        };
        Ok(TlsConfig::from_rustls(config))
    }
}

/// The system's trust store, as far as it parses.
#[cfg(feature = "native-roots")]
fn native_roots() -> Result<RootCertStore, Error> {
    let found = rustls_native_certs::load_native_certs();
    for e in &found.errors {
        tracing::debug!(error = %e, "could not read part of the system's trust store");
    }
    let mut store = RootCertStore::empty();
    let (added, ignored) = store.add_parsable_certificates(found.certs);
    tracing::debug!(added, ignored, "loaded the system's root certificates");
    if added == 0 {
        return Err(Error::build(
            "no usable root certificates in the system's trust store: install the system's CA \
             certificates (e.g. the ca-certificates package), or use Roots::WebPki",
        ));
    }
    Ok(store)
}

impl fmt::Debug for TlsConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfigBuilder")
            .field("roots", &self.roots)
            .field("added_roots", &self.added.len())
            .field("client_identity", &self.identity.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_offers_http11_only_and_trusts_webpki_roots() {
        let config = TlsConfig::default();
        let rustls = config.rustls_config();
        assert_eq!(rustls.alpn_protocols, [b"http/1.1".to_vec()]);
        assert!(rustls.enable_sni);
        assert!(!rustls.client_auth_cert_resolver.has_certs());
        // The same config each time: made once.
        assert!(Arc::ptr_eq(rustls, TlsConfig::default().rustls_config()));
    }

    #[test]
    fn empty_roots_need_an_added_one() {
        let e = TlsConfig::builder()
            .roots(Roots::Empty)
            .build()
            .unwrap_err();
        assert!(e.is_builder());
        assert!(
            e.to_string()
                .contains("add at least one with .root_certificate(..)")
        );
    }

    #[test]
    fn a_root_that_is_not_a_certificate_is_refused_by_position() {
        let e = TlsConfig::builder()
            .root_certificate(Certificate::from_der(b"junk".to_vec()))
            .build()
            .unwrap_err();
        assert!(e.is_builder());
        assert!(
            e.to_string()
                .starts_with("invalid client configuration: root certificate 1 is not usable")
        );
    }

    #[cfg(feature = "native-roots")]
    #[test]
    fn native_roots_load_or_say_what_to_install() {
        match TlsConfig::builder().roots(Roots::Native).build() {
            Ok(config) => assert_eq!(
                config.rustls_config().alpn_protocols,
                [b"http/1.1".to_vec()]
            ),
            Err(e) => {
                assert!(e.is_builder());
                assert!(
                    e.to_string()
                        .contains("install the system's CA certificates")
                );
            }
        }
    }

    #[test]
    fn alpn_of_a_given_rustls_config_is_replaced() {
        let mut config = (*TlsConfig::default().rustls_config().clone()).clone();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let tls = TlsConfig::from_rustls(config);
        assert_eq!(tls.rustls_config().alpn_protocols, [b"http/1.1".to_vec()]);
        #[cfg(feature = "http2")]
        assert_eq!(
            tls.rustls_config_h2().alpn_protocols,
            [b"h2".to_vec(), b"http/1.1".to_vec()]
        );
    }
}
