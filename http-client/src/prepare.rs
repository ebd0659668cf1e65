//! Turning a caller's request into the one hyper sends: checked, origin-form URI, `Host`.

use bytes::Bytes;
use http::header::HOST;
use http::uri::PathAndQuery;
use http::{Request, Uri, Version};
use http_body_util::Full;

use crate::conn::ReqBody;
use crate::{Error, Origin};

/// Checks the request and puts it in the form hyper sends: origin-form URI, `Host` header.
pub(crate) fn prepare<B: Into<Bytes>>(
    req: Request<B>,
) -> Result<(Origin, Request<ReqBody>), Error> {
    let (mut parts, body) = req.into_parts();
    let origin = Origin::from_uri(&parts.uri).map_err(Error::invalid_uri)?;
    origin.check_supported().map_err(Error::invalid_uri)?;
    if parts.version != Version::HTTP_11 && parts.version != Version::HTTP_10 {
        return Err(Error::invalid_request(format!(
            "{:?} requested, but this client speaks HTTP/1.1: leave the request's version at its default",
            parts.version
        ))
        .with_origin(&origin));
    }
    let path = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    parts.uri = Uri::from(path);
    if !parts.headers.contains_key(HOST) {
        parts.headers.insert(HOST, origin.host_header());
    }
    Ok((origin, Request::from_parts(parts, Full::new(body.into()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_out_in_origin_form_with_a_host_header() {
        let req = Request::post("http://Example.com:8080/a/b?c=d")
            .body("x")
            .unwrap();
        let (origin, req) = prepare(req).unwrap();
        assert_eq!(origin.to_string(), "http://example.com:8080");
        assert_eq!(req.uri(), "/a/b?c=d");
        assert_eq!(req.headers()[HOST], "example.com:8080");

        let (_, req) = prepare(Request::get("http://example.com").body("").unwrap()).unwrap();
        assert_eq!(req.uri(), "/");
        assert_eq!(req.headers()[HOST], "example.com");
    }

    #[test]
    fn a_given_host_header_is_kept() {
        let req = Request::get("http://127.0.0.1:8080/")
            .header(HOST, "virtual.example")
            .body("")
            .unwrap();
        let (_, req) = prepare(req).unwrap();
        assert_eq!(req.headers()[HOST], "virtual.example");
    }

    #[test]
    fn relative_and_unknown_scheme_uris_are_refused() {
        let e = prepare(Request::get("/path").body("").unwrap()).unwrap_err();
        assert!(e.is_invalid_uri());
        let e = prepare(Request::get("ftp://example.com/").body("").unwrap()).unwrap_err();
        assert!(e.is_invalid_uri());
        assert_eq!(
            e.to_string(),
            "unusable request URI: the scheme \"ftp\" is not supported: use an http:// or \
             https:// URI"
        );
    }

    #[cfg(feature = "tls")]
    #[test]
    fn https_requests_go_out_with_a_host_header_without_the_default_port() {
        let (origin, req) =
            prepare(Request::get("https://Example.com/a").body("").unwrap()).unwrap();
        assert_eq!(origin.to_string(), "https://example.com:443");
        assert_eq!(req.uri(), "/a");
        assert_eq!(req.headers()[HOST], "example.com");
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_without_the_tls_feature_is_a_clear_error() {
        let e = prepare(Request::get("https://example.com/").body("").unwrap()).unwrap_err();
        assert!(e.is_invalid_uri() && !e.is_connect());
        assert_eq!(
            e.to_string(),
            "unusable request URI: https needs the \"tls\" feature of fusebox-http, which this \
             build leaves out: enable it in Cargo.toml, or use an http:// URI"
        );
    }

    #[test]
    fn http2_requests_are_refused() {
        let req = Request::get("http://example.com/")
            .version(Version::HTTP_2)
            .body("")
            .unwrap();
        assert!(prepare(req).unwrap_err().is_invalid_request());
    }
}
