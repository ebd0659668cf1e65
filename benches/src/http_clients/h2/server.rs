//! [`H2Origin`]: the server of the HTTP/2 workload, the workspace's test server (hyper's own,
//! HTTP/1.1 and HTTP/2 by ALPN) over TLS, with the certificate authority its clients trust.

use std::fmt;
use std::sync::Arc;
use std::thread;

use fusebox_http::tls::{Certificate, Roots, TlsConfig};
use fusebox_testserver::H2Server;
use futures_rustls::rustls::crypto::ring;
use futures_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use futures_rustls::rustls::{ClientConfig, RootCertStore, ServerConfig};
use http::Uri;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

use crate::http_cpu::SERVER_THREAD;

/// The path every request of the workload asks for.
pub const PATH: &str = "/small";

/// The running server, its URL and what a client needs to trust it; dropping it stops the
/// server.
pub struct H2Origin {
    server: H2Server,
    base: String,
    uri: Uri,
    url: reqwest::Url,
    ca_der: Vec<u8>,
    tls: TlsConfig,
}

impl fmt::Debug for H2Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("H2Origin")
            .field("base", &self.base)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl H2Origin {
    /// Makes a certificate authority and a certificate for 127.0.0.1 signed by it, and starts
    /// the server on a free port of 127.0.0.1 over TLS, its ALPN offering `h2` and
    /// `http/1.1`.
    ///
    /// The server's thread is started from a thread named [`SERVER_THREAD`], whose name it
    /// inherits, so that its CPU time is counted as the server's.
    ///
    /// # Errors
    ///
    /// When the certificates or the TLS settings cannot be made.
    pub fn start() -> Result<H2Origin, String> {
        let (ca_der, config) = server_tls()?;
        let server = thread::Builder::new()
            .name(SERVER_THREAD.to_owned())
            .spawn(move || H2Server::builder().tls(config).start())
            .map_err(|e| format!("a thread to start the server: {e}"))?
            .join()
            .map_err(|_| "starting the HTTP/2 server panicked".to_owned())?;
        let base = format!("https://127.0.0.1:{}", server.port());
        let tls = TlsConfig::builder()
            .roots(Roots::Empty)
            .root_certificate(Certificate::from_der(ca_der.clone()))
            .build()
            .map_err(|e| format!("TLS config: {e}"))?;
        Ok(H2Origin {
            uri: format!("{base}{PATH}")
                .parse()
                .map_err(|e| format!("{e}"))?,
            url: reqwest::Url::parse(&format!("{base}{PATH}")).map_err(|e| format!("{e}"))?,
            base,
            server,
            ca_der,
            tls,
        })
    }

    /// Connections the server has accepted so far.
    pub fn connections(&self) -> u64 {
        self.server.connections() as u64
    }

    /// `https://127.0.0.1:PORT/small`, parsed once.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The same, as reqwest takes it.
    pub fn url(&self) -> &reqwest::Url {
        &self.url
    }

    /// The certificate authority, DER.
    pub fn ca_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// fusebox's TLS settings: that authority and no other root.
    pub fn tls(&self) -> &TlsConfig {
        &self.tls
    }

    /// A rustls client config with that authority as its only root, the ring provider and no
    /// ALPN protocols (hyper-rustls sets them).
    ///
    /// # Errors
    ///
    /// When the authority's certificate is refused.
    pub fn rustls_client(&self) -> Result<ClientConfig, String> {
        let mut roots = RootCertStore::empty();
        roots
            .add(CertificateDer::from(self.ca_der.clone()))
            .map_err(|e| format!("root certificate: {e}"))?;
        Ok(
            ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
                .with_safe_default_protocol_versions()
                .map_err(|e| format!("TLS versions: {e}"))?
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
}

/// The authority's certificate (DER) and the server's TLS settings: a certificate for the IP
/// address 127.0.0.1 issued by that authority, ALPN `h2` then `http/1.1`.
fn server_tls() -> Result<(Vec<u8>, ServerConfig), String> {
    let failed = |what: &'static str| move |e: rcgen::Error| format!("{what}: {e}");
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed("CA params"))?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca.distinguished_name
        .push(DnType::CommonName, "http_compare h2 CA");
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().map_err(failed("CA key"))?)
        .map_err(failed("CA certificate"))?;

    // rcgen turns "127.0.0.1" into an IP address SAN, which clients match against the URL.
    let mut leaf =
        CertificateParams::new(vec!["127.0.0.1".to_owned()]).map_err(failed("leaf params"))?;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(failed("leaf key"))?;
    let cert = leaf
        .signed_by(&key, &issuer)
        .map_err(failed("leaf certificate"))?;
    let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(key.serialize_der()));

    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS versions: {e}"))?
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone()], key)
        .map_err(|e| format!("server certificate: {e}"))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((issuer.der().to_vec(), config))
}
