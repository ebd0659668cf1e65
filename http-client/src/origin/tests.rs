//! Origins parsed, compared and written out.

use super::*;

fn origin(s: &str) -> Origin {
    s.parse().unwrap()
}

#[test]
fn default_and_explicit_ports() {
    assert_eq!(origin("http://a.example/").port(), 80);
    assert_eq!(origin("http://a.example:8080/x").port(), 8080);
    assert_eq!(origin("HTTP://a.example").scheme(), Scheme::Http);
    assert_eq!(origin("https://a.example/").port(), 443);
    assert_eq!(origin("HTTPS://a.example:8443").port(), 8443);
    assert_eq!(origin("https://a.example").scheme(), Scheme::Https);
}

#[test]
fn the_scheme_is_part_of_the_key() {
    let plain = origin("http://a.example:8443");
    let secure = origin("https://a.example:8443");
    assert_eq!((plain.host(), plain.port()), (secure.host(), secure.port()));
    assert_ne!(plain, secure);
    assert_eq!(secure.to_string(), "https://a.example:8443");
    assert_eq!(
        origin("https://a.example").host_header().unwrap(),
        "a.example"
    );
    assert_eq!(
        origin("https://a.example:80").host_header().unwrap(),
        "a.example:80"
    );
}

#[test]
fn https_needs_the_tls_feature() {
    let checked = origin("https://a.example").check_supported();
    if cfg!(feature = "tls") {
        assert!(checked.is_ok());
    } else {
        assert!(matches!(checked, Err(OriginError::TlsDisabled)));
    }
    assert!(origin("http://a.example").check_supported().is_ok());
}

#[test]
fn host_is_case_insensitive_and_path_is_ignored() {
    assert_eq!(
        origin("http://A.Example/one"),
        origin("http://a.example/two?x")
    );
    assert_ne!(origin("http://a.example"), origin("http://a.example:81"));
    assert_ne!(origin("http://localhost:80"), origin("http://127.0.0.1:80"));
}

#[test]
fn ipv6_literals_lose_their_brackets_but_keep_them_in_text() {
    let o = origin("http://[::1]:8080/");
    assert_eq!(o.host(), "::1");
    assert_eq!(o.to_string(), "http://[::1]:8080");
    assert_eq!(o.host_header().unwrap(), "[::1]:8080");
}

#[test]
fn host_header_omits_the_default_port() {
    assert_eq!(
        origin("http://a.example/").host_header().unwrap(),
        "a.example"
    );
    assert_eq!(
        origin("http://a.example:8080/").host_header().unwrap(),
        "a.example:8080"
    );
}

#[test]
fn ports_out_of_range_are_refused_by_name() {
    for (uri, port) in [
        ("http://127.0.0.1:99999/", "99999"),
        ("http://127.0.0.1:65536/", "65536"),
        ("http://127.0.0.1:4294967376/", "4294967376"),
        ("http://127.0.0.1:0/", "0"),
        ("http://[::1]:70000/", "70000"),
        ("http://user@a.example:00/", "00"),
    ] {
        match uri.parse::<Origin>() {
            Err(OriginError::InvalidPort(p)) => assert_eq!(&*p, port, "{uri}"),
            other => panic!("{uri}: {other:?}"),
        }
    }
    let e = "http://a.example:65536/".parse::<Origin>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "the port \"65536\" is not a port number: use a port from 1 to 65535, or none for \
         the scheme's default"
    );
    assert_eq!(origin("http://a.example:65535/").port(), 65535);
    assert_eq!(origin("http://a.example:1").port(), 1);
    assert_eq!(origin("http://a.example:/").port(), 80);
    assert_eq!(origin("http://[::1]/").port(), 80);
    assert_eq!(origin("http://[::1]:0081/").port(), 81);
}

#[test]
fn clones_share_the_host() {
    let a = origin("http://a.example:8080");
    let b = a.clone();
    assert!(Arc::ptr_eq(&a.host, &b.host));
}

#[test]
fn equal_origins_hash_alike_whether_or_not_they_share_a_host() {
    use std::hash::BuildHasher;
    let hasher = std::collections::hash_map::RandomState::new();
    let (a, b) = (
        origin("http://A.example:8080/x"),
        origin("http://a.example:8080"),
    );
    assert!(!Arc::ptr_eq(&a.host, &b.host));
    assert_eq!(a, b);
    assert_eq!(hasher.hash_one(&a), hasher.hash_one(&b));
    assert_ne!(a, origin("https://a.example:8080"));
    assert_ne!(a, origin("http://a.example:8081"));
    assert_ne!(a, origin("http://b.example:8080"));
    assert_eq!(
        format!("{a:?}"),
        r#"Origin { scheme: Http, host: "a.example", port: 8080 }"#
    );
}

#[test]
fn a_host_no_header_may_carry_has_no_host_header_and_no_panic() {
    let o = Origin::new(Scheme::Http, "a\nb", 80);
    assert_eq!(o.host(), "a\nb");
    assert!(o.host_header().is_none());
}

#[test]
fn unusable_uris_are_typed_errors() {
    assert!(matches!(
        "/just/a/path".parse::<Origin>(),
        Err(OriginError::MissingScheme)
    ));
    assert!(matches!(
        "ftp://a.example/".parse::<Origin>(),
        Err(OriginError::UnsupportedScheme(s)) if &*s == "ftp"
    ));
    assert!(matches!(
        "http://exa mple".parse::<Origin>(),
        Err(OriginError::InvalidUri(_))
    ));
}
