//! The base URL of a [`FuseClient`](super::FuseClient): one origin and a path prefix.

use http::Uri;
use http::uri::{Authority, PathAndQuery, Scheme};

use crate::{Error, Origin};

/// `http://host:port/prefix` (or `https://..`): where a `FuseClient`'s relative request paths go.
#[derive(Debug, Clone)]
pub(crate) struct Base {
    origin: Origin,
    scheme: Scheme,
    authority: Authority,
    /// The base URL's path without a trailing `/`: empty, or `/api`.
    prefix: String,
}

impl Base {
    /// Parses an absolute `http` or `https` URL without query.
    pub(crate) fn parse(url: &str) -> Result<Base, Error> {
        let uri: Uri = url
            .parse()
            .map_err(|_| Error::unusable_uri(format_args!("the base URL {url:?} is not a URI")))?;
        let origin = Origin::from_uri(&uri).map_err(Error::invalid_uri)?;
        origin.check_supported().map_err(Error::invalid_uri)?;
        if uri.query().is_some() {
            return Err(Error::unusable_uri(
                "the base URL has a query: give the query with each request instead",
            ));
        }
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            unreachable!("an origin was found, so the URI is absolute");
        };
        Ok(Base {
            origin,
            scheme: scheme.clone(),
            authority: authority.clone(),
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    pub(crate) fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The absolute URI of `path` (with an optional query) under the base.
    pub(crate) fn join(&self, path: &str) -> Result<Uri, Error> {
        let slash = if path.starts_with('/') { "" } else { "/" };
        let full = format!("{}{slash}{path}", self.prefix);
        let path_and_query = PathAndQuery::try_from(full.as_str())
            .map_err(|_| Error::unusable_uri(format_args!("{path:?} is not a valid path")))?;
        Ok(Uri::builder()
            .scheme(self.scheme.clone())
            .authority(self.authority.clone())
            .path_and_query(path_and_query)
            .build()
            .expect("scheme, authority and path are each valid"))
    }

    /// A request URI made absolute: a path is joined to the base; an absolute URI must be for
    /// the base's origin.
    pub(crate) fn resolve(&self, uri: &Uri) -> Result<Uri, Error> {
        if uri.scheme().is_none() && uri.authority().is_none() {
            return self.join(uri.path_and_query().map_or("/", PathAndQuery::as_str));
        }
        match Origin::from_uri(uri) {
            Ok(origin) if origin == self.origin => Ok(uri.clone()),
            Ok(origin) => Err(Error::unusable_uri(format_args!(
                "the request is for {origin}, but this FuseClient serves {}: pass a path, or use \
                 a FuseClient for that service",
                self.origin
            ))),
            Err(e) => Err(Error::invalid_uri(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(url: &str) -> Base {
        Base::parse(url).unwrap()
    }

    #[test]
    fn paths_join_under_the_prefix() {
        let b = base("http://svc.example:8080/api/");
        assert_eq!(
            b.join("/users?id=1").unwrap(),
            "http://svc.example:8080/api/users?id=1"
        );
        assert_eq!(
            b.join("users").unwrap(),
            "http://svc.example:8080/api/users"
        );
        let b = base("http://svc.example");
        assert_eq!(b.join("/health").unwrap(), "http://svc.example/health");
        assert_eq!(b.join("").unwrap(), "http://svc.example/");
    }

    #[test]
    fn absolute_uris_must_stay_on_the_origin() {
        let b = base("http://svc.example:8080/api");
        let same: Uri = "http://SVC.example:8080/other".parse().unwrap();
        assert_eq!(b.resolve(&same).unwrap(), same);
        let relative: Uri = "/x?y=z".parse().unwrap();
        assert_eq!(
            b.resolve(&relative).unwrap(),
            "http://svc.example:8080/api/x?y=z"
        );
        let other: Uri = "http://elsewhere.example/".parse().unwrap();
        let e = b.resolve(&other).unwrap_err();
        assert!(e.is_invalid_uri());
        assert!(
            e.to_string()
                .contains("this FuseClient serves http://svc.example:8080")
        );
    }

    #[test]
    fn https_base_urls_need_the_tls_feature() {
        let b = Base::parse("https://svc.example/api");
        if cfg!(feature = "tls") {
            let b = b.unwrap();
            assert_eq!(b.origin().to_string(), "https://svc.example:443");
            assert_eq!(b.join("/health").unwrap(), "https://svc.example/api/health");
            let plain: Uri = "http://svc.example:443/api".parse().unwrap();
            assert!(b.resolve(&plain).unwrap_err().is_invalid_uri());
        } else {
            assert!(b.unwrap_err().is_invalid_uri());
        }
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(
            Base::parse("ftp://svc.example")
                .unwrap_err()
                .is_invalid_uri()
        );
        assert!(Base::parse("/relative").unwrap_err().is_invalid_uri());
        assert!(
            Base::parse("http://svc.example/?q=1")
                .unwrap_err()
                .is_invalid_uri()
        );
        assert!(Base::parse("not a url").unwrap_err().is_invalid_uri());
    }
}
