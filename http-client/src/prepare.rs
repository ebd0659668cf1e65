//! Turning a caller's request into the one hyper sends: checked, with the client's default
//! headers; [`to_http1`] puts it in the form an HTTP/1.1 connection sends (HTTP/2 takes its
//! `:scheme` and `:authority` from the absolute URI as it is).

use http::header::{HOST, HeaderMap};
use http::uri::PathAndQuery;
use http::{Request, Uri, Version};

use crate::error::NoHttp2;
use crate::origin::LastOrigin;
use crate::request::Timeout;
use crate::{Error, Origin, RequestBody};

/// Checks the request and adds the client's default headers under those the request has; the
/// URI stays absolute, for the pool's key and for HTTP/2. Also returns the request's own
/// timeout, if its builder gave one.
pub(crate) fn prepare<B: Into<RequestBody>>(
    req: Request<B>,
    defaults: &HeaderMap,
    last: &LastOrigin,
) -> Result<(Origin, Request<RequestBody>, Option<Timeout>), Error> {
    let (mut parts, body) = req.into_parts();
    let origin = last.of(&parts.uri).map_err(Error::invalid_uri)?;
    origin.check_supported().map_err(Error::invalid_uri)?;
    // An HTTP/2 request goes to the pool, whose connection says whether it speaks it.
    if parts.version == Version::HTTP_2 && cfg!(not(feature = "http2")) {
        return Err(Error::http2_unavailable(NoHttp2::FeatureOff).with_origin(&origin));
    }
    let speaks = |v| v == Version::HTTP_11 || v == Version::HTTP_10 || v == Version::HTTP_2;
    if !speaks(parts.version) {
        return Err(Error::invalid_request(format!(
            "{:?} requested, but this client speaks HTTP/1.1: leave the request's version at its default",
            parts.version
        ))
        .with_origin(&origin));
    }
    // The request's own headers win: a default is added only under a name it does not have.
    for name in defaults.keys() {
        if !parts.headers.contains_key(name) {
            for value in defaults.get_all(name) {
                parts.headers.append(name.clone(), value.clone());
            }
        }
    }
    let timeout = parts.extensions.remove::<Timeout>();
    Ok((origin, Request::from_parts(parts, body.into()), timeout))
}

/// Puts `req` in the form an HTTP/1.1 connection to `origin` sends: an origin-form URI
/// (`/path?query`) and a `Host` header, unless it has one. A request already in that form is
/// left as it is, so a request sent again is not changed twice.
pub(crate) fn to_http1<B>(req: &mut Request<B>, origin: &Origin) {
    if req.uri().authority().is_some() {
        let path = req
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *req.uri_mut() = Uri::from(path);
    }
    if !req.headers().contains_key(HOST)
        && let Some(host) = origin.host_header()
    {
        req.headers_mut().insert(HOST, host);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `prepare`, then `to_http1`, as an HTTP/1.1 connection sends it.
    fn http1(req: Request<&'static str>) -> (Origin, Request<RequestBody>) {
        let (origin, mut req, _) = prepare(req, &HeaderMap::new(), &LastOrigin::default()).unwrap();
        to_http1(&mut req, &origin);
        (origin, req)
    }

    #[test]
    fn requests_keep_their_absolute_uri_until_a_protocol_takes_them() {
        let req = Request::post("http://Example.com:8080/a/b?c=d")
            .body("x")
            .unwrap();
        let (origin, req, _) = prepare(req, &HeaderMap::new(), &LastOrigin::default()).unwrap();
        assert_eq!(origin.to_string(), "http://example.com:8080");
        assert_eq!(req.uri(), "http://Example.com:8080/a/b?c=d");
        assert!(!req.headers().contains_key(HOST));
    }

    #[test]
    fn http1_requests_go_out_in_origin_form_with_a_host_header() {
        let (_, req) = http1(
            Request::post("http://Example.com:8080/a/b?c=d")
                .body("x")
                .unwrap(),
        );
        assert_eq!(req.uri(), "/a/b?c=d");
        assert_eq!(req.headers()[HOST], "example.com:8080");

        let (origin, mut req) = http1(Request::get("http://example.com").body("").unwrap());
        assert_eq!(req.uri(), "/");
        assert_eq!(req.headers()[HOST], "example.com");
        // Sent again, it is left as it is.
        to_http1(&mut req, &origin);
        assert_eq!(req.uri(), "/");
        assert_eq!(req.headers().get_all(HOST).iter().count(), 1);
    }

    #[test]
    fn a_given_host_header_is_kept() {
        let req = Request::get("http://127.0.0.1:8080/")
            .header(HOST, "virtual.example")
            .body("")
            .unwrap();
        let (_, req) = http1(req);
        assert_eq!(req.headers()[HOST], "virtual.example");
    }

    #[test]
    fn default_headers_go_under_the_requests_own() {
        let mut defaults = HeaderMap::new();
        defaults.insert("user-agent", "fusebox/test".parse().unwrap());
        defaults.append("accept", "text/plain".parse().unwrap());
        defaults.append("accept", "text/html".parse().unwrap());
        let req = Request::get("http://example.com/")
            .header("user-agent", "mine")
            .body(())
            .unwrap();
        let (_, req, _) = prepare(req, &defaults, &LastOrigin::default()).unwrap();
        assert_eq!(req.headers()["user-agent"], "mine");
        assert_eq!(req.headers().get_all("accept").iter().count(), 2);
    }

    #[test]
    fn relative_and_unknown_scheme_uris_are_refused() {
        let e = prepare(
            Request::get("/path").body("").unwrap(),
            &HeaderMap::new(),
            &LastOrigin::default(),
        )
        .unwrap_err();
        assert!(e.is_invalid_uri());
        let e = prepare(
            Request::get("ftp://example.com/").body("").unwrap(),
            &HeaderMap::new(),
            &LastOrigin::default(),
        )
        .unwrap_err();
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
        let (origin, req) = http1(Request::get("https://Example.com/a").body("").unwrap());
        assert_eq!(origin.to_string(), "https://example.com:443");
        assert_eq!(req.uri(), "/a");
        assert_eq!(req.headers()[HOST], "example.com");
    }

    #[cfg(not(feature = "tls"))]
    #[test]
    fn https_without_the_tls_feature_is_a_clear_error() {
        let e = prepare(
            Request::get("https://example.com/").body("").unwrap(),
            &HeaderMap::new(),
            &LastOrigin::default(),
        )
        .unwrap_err();
        assert!(e.is_invalid_uri() && !e.is_connect());
        assert_eq!(
            e.to_string(),
            "unusable request URI: https needs the \"tls\" feature of fusebox-http, which this \
             build leaves out: enable it in Cargo.toml, or use an http:// URI"
        );
    }

    #[test]
    fn http2_requests_go_to_the_pool_only_with_the_feature() {
        let req = Request::get("http://example.com/")
            .version(Version::HTTP_2)
            .body("")
            .unwrap();
        let prepared = prepare(req, &HeaderMap::new(), &LastOrigin::default());
        if cfg!(feature = "http2") {
            // The connection the pool hands out says whether it speaks HTTP/2.
            assert_eq!(prepared.unwrap().1.version(), Version::HTTP_2);
        } else {
            let e = prepared.unwrap_err();
            assert!(e.is_http2_unavailable() && !e.is_invalid_request());
            assert!(
                e.to_string().starts_with(
                    "the request to http://example.com:80 asked for http/2, but this build of \
                     fusebox-http has no http/2: enable its http2 feature"
                ),
                "{e}"
            );
        }
        let req = Request::get("http://example.com/")
            .version(Version::HTTP_3)
            .body("")
            .unwrap();
        assert!(
            prepare(req, &HeaderMap::new(), &LastOrigin::default())
                .unwrap_err()
                .is_invalid_request()
        );
    }
}
