//! Request heads parsed with `httparse`, and the body framing they announce.

/// The longest request head accepted; a longer one is answered `431`.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// The most request headers accepted; more are answered `431`.
const MAX_HEADERS: usize = 128;

/// A request head read whole.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) path: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(crate) version: u8,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) framing: Framing,
    /// Bytes the head took, its final empty line included.
    pub(crate) len: usize,
}

/// How the body after a head is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    Length(usize),
    Chunked,
}

/// What the start of a buffer holds.
#[derive(Debug)]
pub(crate) enum Parsed<T> {
    /// Not whole yet: read more.
    Partial,
    Done(T),
    /// Not HTTP/1.x, or over a limit: answer with this status and close.
    Invalid(u16),
}

/// Parses the request head at the start of `buf`.
pub(crate) fn head(buf: &[u8]) -> Parsed<Head> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Parsed::Invalid(431),
        Ok(httparse::Status::Partial) => return Parsed::Partial,
        Err(httparse::Error::TooManyHeaders) => return Parsed::Invalid(431),
        Err(_) => return Parsed::Invalid(400),
    };
    if len > MAX_HEAD {
        return Parsed::Invalid(431);
    }
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).into_owned();
            (h.name.to_owned(), value)
        })
        .collect();
    let Some(framing) = framing(&headers) else {
        return Parsed::Invalid(400);
    };
    Parsed::Done(Head {
        method: request.method.unwrap_or_default().to_owned(),
        path: request.path.unwrap_or_default().to_owned(),
        version: request.version.unwrap_or(1),
        headers,
        framing,
        len,
    })
}

/// The framing the headers announce; `None` for a length that is not a number.
fn framing(headers: &[(String, String)]) -> Option<Framing> {
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding")
            && value.to_ascii_lowercase().contains("chunked")
    });
    if chunked {
        return Some(Framing::Chunked);
    }
    match headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
    {
        Some((_, value)) => value.trim().parse().ok().map(Framing::Length),
        None => Some(Framing::Length(0)),
    }
}

/// Parses a body framed as `framing` at the start of `buf`: the body and the bytes it took.
pub(crate) fn body(framing: Framing, buf: &[u8]) -> Parsed<(Vec<u8>, usize)> {
    match framing {
        Framing::Length(len) if buf.len() >= len => Parsed::Done((buf[..len].to_vec(), len)),
        Framing::Length(_) => Parsed::Partial,
        Framing::Chunked => chunked(buf),
    }
}

fn chunked(buf: &[u8]) -> Parsed<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (used, size) = match httparse::parse_chunk_size(&buf[at..]) {
            Ok(httparse::Status::Complete(found)) => found,
            Ok(httparse::Status::Partial) => return Parsed::Partial,
            Err(_) => return Parsed::Invalid(400),
        };
        at += used;
        let Ok(size) = usize::try_from(size) else {
            return Parsed::Invalid(413);
        };
        if size == 0 {
            return trailers(buf, at).map(|end| (body, end));
        }
        // The chunk, then its CRLF.
        let Some(end) = at.checked_add(size).filter(|end| end + 2 <= buf.len()) else {
            return Parsed::Partial;
        };
        if &buf[end..end + 2] != b"\r\n" {
            return Parsed::Invalid(400);
        }
        body.extend_from_slice(&buf[at..end]);
        at = end + 2;
    }
}

/// Skips the trailer section that starts at `at`: where it ends.
fn trailers(buf: &[u8], at: usize) -> Parsed<usize> {
    let rest = &buf[at..];
    if rest.starts_with(b"\r\n") {
        return Parsed::Done(at + 2);
    }
    match rest.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => Parsed::Done(at + end + 4),
        None if rest.len() > MAX_HEAD => Parsed::Invalid(431),
        None => Parsed::Partial,
    }
}

impl<T> Parsed<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        match self {
            Parsed::Partial => Parsed::Partial,
            Parsed::Done(t) => Parsed::Done(f(t)),
            Parsed::Invalid(status) => Parsed::Invalid(status),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done<T: std::fmt::Debug>(parsed: Parsed<T>) -> T {
        match parsed {
            Parsed::Done(t) => t,
            other => panic!("not parsed whole: {other:?}"),
        }
    }

    #[test]
    fn heads_parse_only_when_whole() {
        let get = b"GET /a?b HTTP/1.1\r\nHost: x\r\ncontent-length: 2\r\n\r\nhiGET";
        let head = done(super::head(get));
        assert_eq!((head.method.as_str(), head.path.as_str()), ("GET", "/a?b"));
        assert_eq!(head.version, 1);
        assert_eq!(head.headers[0], ("Host".to_owned(), "x".to_owned()));
        assert_eq!(head.framing, Framing::Length(2));
        assert_eq!(&get[head.len..], b"hiGET");
        assert!(matches!(super::head(&get[..20]), Parsed::Partial));
        assert!(matches!(
            super::head(b"\x16\x03\x01\x02\x00"),
            Parsed::Invalid(400)
        ));
    }

    #[test]
    fn oversize_heads_are_refused() {
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("x-{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(super::head(&many), Parsed::Invalid(431)));
        let long = [b"GET /".as_slice(), &vec![b'a'; MAX_HEAD + 1]].concat();
        assert!(matches!(super::head(&long), Parsed::Invalid(431)));
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        let wire = b"3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\nNEXT";
        let (body, used) = done(super::body(Framing::Chunked, wire));
        assert_eq!(
            (body.as_slice(), &wire[used..]),
            (&b"abcde"[..], &b"NEXT"[..])
        );
        let trailer = b"1\r\na\r\n0\r\nx-t: 1\r\n\r\n";
        assert_eq!(
            done(super::body(Framing::Chunked, trailer)).1,
            trailer.len()
        );
        for cut in 0..wire.len() - 4 {
            assert!(matches!(
                super::body(Framing::Chunked, &wire[..cut]),
                Parsed::Partial
            ));
        }
        assert!(matches!(
            super::body(Framing::Chunked, b"3\r\nabcX\r\n"),
            Parsed::Invalid(400)
        ));
    }

    #[test]
    fn lengths_that_are_not_numbers_are_refused() {
        let bad = b"POST / HTTP/1.1\r\ncontent-length: ten\r\n\r\n";
        assert!(matches!(super::head(bad), Parsed::Invalid(400)));
    }
}
