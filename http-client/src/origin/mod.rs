//! [`Origin`]: the pool key of an HTTP connection, scheme + host + port.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;
use std::sync::Arc;

use http::HeaderValue;
use http::Uri;

mod cache;
pub(crate) use cache::LastOrigin;

/// The scheme of an [`Origin`]: plain HTTP, or HTTP over TLS.
///
/// Both parse whatever the crate's features; connecting to an `https` origin needs the `tls`
/// feature (on by default), and without it fails with [`OriginError::TlsDisabled`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// `http`, default port 80.
    Http,
    /// `https`, default port 443: HTTP/1.1 over TLS.
    Https,
}

impl Scheme {
    /// The scheme's name as written in a URI.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port a URI without one means.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a connection goes: scheme, host and port. The client's pool keeps connections per
/// origin, so a connection made for one origin never carries a request for another: not even
/// `http://host:8443` and `https://host:8443`, which share host and port.
///
/// The host is kept in lower case (names are case-insensitive) and without the brackets of an
/// IPv6 literal; a missing port is the scheme's default. Different spellings of one server
/// (`localhost` and `127.0.0.1`) are different origins, as browsers and other clients treat them.
///
/// ```
/// use fusebox_http::{Origin, Scheme};
///
/// let origin: Origin = "http://Example.COM/some/path?q=1".parse().unwrap();
/// assert_eq!(origin.scheme(), Scheme::Http);
/// assert_eq!(origin.host(), "example.com");
/// assert_eq!(origin.port(), 80);
/// assert_eq!(origin.to_string(), "http://example.com:80");
///
/// let secure: Origin = "https://example.com/".parse().unwrap();
/// assert_eq!((secure.scheme(), secure.port()), (Scheme::Https, 443));
/// assert_ne!(secure, "http://example.com:443".parse().unwrap());
///
/// let err = "ftp://example.com/".parse::<Origin>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "the scheme \"ftp\" is not supported: use an http:// or https:// URI"
/// );
/// ```
///
/// Cheap to clone: the host is shared, so a clone bumps a reference count and allocates nothing.
#[derive(Clone)]
pub struct Origin {
    scheme: Scheme,
    host: Arc<Host>,
    port: u16,
}

/// An origin's host, shared by its clones, with the `Host` header that requests to it carry
/// (made once: a client that sends to one origin reuses its `Origin`, see `cache.rs`).
struct Host {
    name: Box<str>,
    /// `None` for a name no header may carry, which only [`Origin::new`] accepts (a `Uri`'s
    /// host is always a valid header value).
    header: Option<HeaderValue>,
}

impl PartialEq for Origin {
    fn eq(&self, other: &Origin) -> bool {
        self.scheme == other.scheme
            && self.port == other.port
            && (Arc::ptr_eq(&self.host, &other.host) || self.host.name == other.host.name)
    }
}

impl Eq for Origin {}

impl Hash for Origin {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.scheme.hash(state);
        self.host.name.hash(state);
        self.port.hash(state);
    }
}

impl fmt::Debug for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Origin")
            .field("scheme", &self.scheme)
            .field("host", &self.host.name)
            .field("port", &self.port)
            .finish()
    }
}

impl Origin {
    /// An origin from its parts. The host is lower-cased and stripped of IPv6 brackets.
    pub fn new(scheme: Scheme, host: &str, port: u16) -> Origin {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let name: Box<str> = if host.bytes().any(|b| b.is_ascii_uppercase()) {
            host.to_ascii_lowercase().into()
        } else {
            host.into()
        };
        let header = host_header(scheme, &name, port);
        Origin {
            scheme,
            host: Arc::new(Host { name, header }),
            port,
        }
    }

    /// The origin of an absolute URI such as `http://host:8080/path`.
    ///
    /// # Errors
    ///
    /// [`OriginError`] for a URI without a scheme or host, with a scheme other than `http`
    /// and `https`, or with a port outside 1..=65535.
    pub fn from_uri(uri: &Uri) -> Result<Origin, OriginError> {
        let scheme = match uri.scheme_str() {
            None => return Err(OriginError::MissingScheme),
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(s) => return Err(OriginError::UnsupportedScheme(s.into())),
        };
        let host = match uri.host() {
            Some(h) if !h.is_empty() => h,
            _ => return Err(OriginError::MissingHost),
        };
        let port = match uri.authority().map(|a| port_text(a.as_str())) {
            Some(Some(text)) => parse_port(text)?,
            _ => None,
        };
        Ok(Origin::new(
            scheme,
            host,
            port.unwrap_or(scheme.default_port()),
        ))
    }

    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host: a lower-case name, or an IP literal without brackets.
    pub fn host(&self) -> &str {
        &self.host.name
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether this build can connect to the origin: `https` needs the `tls` feature.
    pub(crate) fn check_supported(&self) -> Result<(), OriginError> {
        if self.scheme == Scheme::Https && !cfg!(feature = "tls") {
            return Err(OriginError::TlsDisabled);
        }
        Ok(())
    }

    /// The authority of an absolute URI to this origin: the host, bracketed if IPv6, and the
    /// port unless it is the scheme's default (as the `Host` header has it).
    #[cfg_attr(not(feature = "http2"), allow(dead_code))]
    pub(crate) fn authority(&self) -> String {
        authority(self.scheme, &self.host.name, self.port).into_owned()
    }

    /// The value of the `Host` header for requests to this origin: the host, bracketed if IPv6,
    /// with the port unless it is the scheme's default.
    pub(crate) fn host_header(&self) -> Option<HeaderValue> {
        self.host.header.clone()
    }

    fn bracketed_host(&self) -> Cow<'_, str> {
        bracketed(&self.host.name)
    }
}

/// A host as written in a URI: an IPv6 literal in brackets.
fn bracketed(host: &str) -> Cow<'_, str> {
    if host.contains(':') {
        format!("[{host}]").into()
    } else {
        host.into()
    }
}

/// The authority for `host` (lower case, without brackets) and `port`: the host, bracketed if
/// IPv6, and the port unless it is the scheme's default; also the `Host` header's value.
fn authority(scheme: Scheme, host: &str, port: u16) -> Cow<'_, str> {
    let host = bracketed(host);
    if port == scheme.default_port() {
        host
    } else {
        format!("{host}:{port}").into()
    }
}

/// The `Host` header's value for `host` and `port`, if the host can be one.
fn host_header(scheme: Scheme, host: &str, port: u16) -> Option<HeaderValue> {
    HeaderValue::from_str(&authority(scheme, host, port)).ok()
}

impl fmt::Display for Origin {
    /// `scheme://host:port`, always with the port.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}:{}",
            self.scheme,
            self.bracketed_host(),
            self.port
        )
    }
}

impl FromStr for Origin {
    type Err = OriginError;

    /// Parses a URI and takes its origin, as [`Origin::from_uri`] does.
    fn from_str(s: &str) -> Result<Origin, OriginError> {
        let uri: Uri = s.parse().map_err(OriginError::InvalidUri)?;
        Origin::from_uri(&uri)
    }
}

/// The text after the authority's port colon, if it has one: `http::Uri` reads it as a `u16`
/// and forgets a port it cannot hold, so the client reads it itself.
fn port_text(authority: &str) -> Option<&str> {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    // An IPv6 literal's colons are inside its brackets.
    let after_host = match host_port.rfind(']') {
        Some(end) => &host_port[end + 1..],
        None => host_port,
    };
    after_host.rsplit_once(':').map(|(_, port)| port)
}

/// A port as written in a URI: empty means the scheme's default (RFC 3986), otherwise 1..=65535.
fn parse_port(text: &str) -> Result<Option<u16>, OriginError> {
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u16>() {
        Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(port)),
        _ => Err(OriginError::InvalidPort(text.into())),
    }
}

/// Why a URI has no [`Origin`] the client can connect to.
#[derive(Debug)]
#[non_exhaustive]
pub enum OriginError {
    /// The text is not a URI at all.
    InvalidUri(http::uri::InvalidUri),
    /// The URI is relative (`/path`): the client needs `http://host/path`.
    MissingScheme,
    /// The URI's scheme is neither `http` nor `https`.
    UnsupportedScheme(Box<str>),
    /// The URI names no host.
    MissingHost,
    /// The URI's port is 0, above 65535 or not a number: the text as written.
    InvalidPort(Box<str>),
    /// The URI is `https`, but this build of `fusebox-http` leaves out its `tls` feature.
    TlsDisabled,
}

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginError::InvalidUri(_) => f.write_str("not a valid URI"),
            OriginError::MissingScheme => f.write_str(
                "the URI has no scheme and host: use an absolute URI like http://host/path",
            ),
            OriginError::UnsupportedScheme(s) => {
                write!(
                    f,
                    "the scheme {s:?} is not supported: use an http:// or https:// URI"
                )
            }
            OriginError::MissingHost => {
                f.write_str("the URI has no host: use an absolute URI like http://host/path")
            }
            OriginError::InvalidPort(port) => write!(
                f,
                "the port {port:?} is not a port number: use a port from 1 to 65535, or none for \
                 the scheme's default"
            ),
            OriginError::TlsDisabled => f.write_str(
                "https needs the \"tls\" feature of fusebox-http, which this build leaves out: \
                 enable it in Cargo.toml, or use an http:// URI",
            ),
        }
    }
}

impl StdError for OriginError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            OriginError::InvalidUri(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
