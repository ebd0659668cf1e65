//! [`Certificate`] and [`Identity`]: certificates and keys given to a [`TlsConfig`], in DER or PEM.
//!
//! [`TlsConfig`]: super::TlsConfig

use std::fmt;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// An X.509 certificate, in DER: a root to trust ([`TlsConfigBuilder::root_certificate`]) or
/// part of a client's chain ([`Identity`]).
///
/// The bytes are checked when they are used: a root when the [`TlsConfig`] is built.
///
/// ```
/// use fusebox_http::tls::Certificate;
///
/// let err = Certificate::from_pem(b"not a certificate").unwrap_err();
/// assert!(err.is_builder());
/// assert_eq!(
///     err.to_string(),
///     "invalid client configuration: no certificate in the PEM text: give the text of a \
///      \"-----BEGIN CERTIFICATE-----\" block"
/// );
/// ```
///
/// [`TlsConfigBuilder::root_certificate`]: super::TlsConfigBuilder::root_certificate
/// [`TlsConfig`]: super::TlsConfig
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    der: CertificateDer<'static>,
}

impl Certificate {
    /// A certificate from its DER bytes.
    pub fn from_der(der: impl Into<Vec<u8>>) -> Certificate {
        Certificate {
            der: CertificateDer::from(der.into()),
        }
    }

    /// The one certificate in PEM text (a `-----BEGIN CERTIFICATE-----` block; other blocks are
    /// skipped).
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`] when the text holds no certificate or more than one (read a bundle
    /// with [`from_pem_bundle`](Certificate::from_pem_bundle)).
    pub fn from_pem(pem: impl AsRef<[u8]>) -> Result<Certificate, Error> {
        let mut all = Certificate::from_pem_bundle(pem)?;
        if all.len() > 1 {
            return Err(Error::build(format_args!(
                "the PEM text holds {} certificates where one was expected: read it with \
                 Certificate::from_pem_bundle",
                all.len()
            )));
        }
        Ok(all.remove(0))
    }

    /// Every certificate in PEM text, in order: a CA bundle, or a chain.
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`] when the text holds no certificate, or a certificate block that is
    /// not valid base64.
    pub fn from_pem_bundle(pem: impl AsRef<[u8]>) -> Result<Vec<Certificate>, Error> {
        let all = CertificateDer::pem_slice_iter(pem.as_ref())
            .map(|der| der.map(|der| Certificate { der }))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                Error::build(format_args!(
                    "the PEM text is not valid ({e}): give the text of \"-----BEGIN \
                     CERTIFICATE-----\" blocks"
                ))
            })?;
        if all.is_empty() {
            return Err(Error::build(
                "no certificate in the PEM text: give the text of a \"-----BEGIN \
                 CERTIFICATE-----\" block",
            ));
        }
        Ok(all)
    }

    /// The DER bytes.
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }

    pub(crate) fn to_der(&self) -> CertificateDer<'static> {
        self.der.clone()
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("der_len", &self.der.len())
            .finish()
    }
}

/// A client's certificate chain and private key, for servers that ask clients for a
/// certificate (mutual TLS); given with [`TlsConfigBuilder::client_identity`].
///
/// The key must match the first certificate of the chain; that is checked when the
/// [`TlsConfig`] is built.
///
/// ```
/// use fusebox_http::tls::Identity;
///
/// let err = Identity::from_pem(b"", b"").unwrap_err();
/// assert!(err.is_builder());
/// ```
///
/// [`TlsConfigBuilder::client_identity`]: super::TlsConfigBuilder::client_identity
/// [`TlsConfig`]: super::TlsConfig
pub struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

impl Identity {
    /// An identity from PEM text: the certificate chain, the client's own certificate first,
    /// and the private key (PKCS#8, PKCS#1 or SEC1). One text that holds both may be passed
    /// twice.
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`] when `chain_pem` holds no certificate or `key_pem` no private key.
    pub fn from_pem(
        chain_pem: impl AsRef<[u8]>,
        key_pem: impl AsRef<[u8]>,
    ) -> Result<Identity, Error> {
        let chain = Certificate::from_pem_bundle(chain_pem)?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_ref()).map_err(|e| {
            Error::build(format_args!(
                "no private key in the key's PEM text ({e}): give the text of a \"-----BEGIN \
                 PRIVATE KEY-----\" block (or an RSA or EC private key block)"
            ))
        })?;
        Identity::new(chain, key)
    }

    /// An identity from DER: the certificate chain, the client's own certificate first, and
    /// the private key (PKCS#8, PKCS#1 or SEC1).
    ///
    /// # Errors
    ///
    /// [`Error::is_builder`] when `chain` is empty or `key_der` is not a private key.
    pub fn from_der(
        chain: Vec<Certificate>,
        key_der: impl Into<Vec<u8>>,
    ) -> Result<Identity, Error> {
        let key = PrivateKeyDer::try_from(key_der.into()).map_err(|e| {
            Error::build(format_args!(
                "the client's private key is not usable ({e}): give a PKCS#8, PKCS#1 or SEC1 \
                 key in DER"
            ))
        })?;
        Identity::new(chain, key)
    }

    fn new(chain: Vec<Certificate>, key: PrivateKeyDer<'static>) -> Result<Identity, Error> {
        if chain.is_empty() {
            return Err(Error::build(
                "the client identity has no certificate: give its certificate chain",
            ));
        }
        Ok(Identity {
            chain: chain.into_iter().map(|c| c.der).collect(),
            key,
        })
    }
}

impl Clone for Identity {
    fn clone(&self) -> Identity {
        Identity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for Identity {
    /// The chain's length; never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}
