//! The bytes of a [`Reply`]: its head and body as they go on the wire.

use crate::reply::{Action, Cut, Reply};

/// The reply's bytes, and how many of them are the head.
pub(crate) fn encode(reply: &Reply) -> (Vec<u8>, usize) {
    if reply.action == Action::Raw {
        let head = reply
            .body
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(reply.body.len(), |end| end + 4);
        return (reply.body.clone(), head);
    }
    let version = if reply.http10 { "1.0" } else { "1.1" };
    let mut out = format!("HTTP/{version} {} Whatever\r\n", reply.status).into_bytes();
    for (name, value) in &reply.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if reply.chunked {
        out.extend_from_slice(b"transfer-encoding: chunked\r\n\r\n");
        let head = out.len();
        let (first, second) = reply.body.split_at(reply.body.len() / 2);
        for part in [first, second] {
            if !part.is_empty() {
                out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
                out.extend_from_slice(part);
                out.extend_from_slice(b"\r\n");
            }
        }
        out.extend_from_slice(b"0\r\n\r\n");
        (out, head)
    } else {
        out.extend_from_slice(format!("content-length: {}\r\n\r\n", reply.body.len()).as_bytes());
        let head = out.len();
        out.extend_from_slice(&reply.body);
        (out, head)
    }
}

/// How many of a response's `len` bytes, `head` of them its head, go out before `cut`.
pub(crate) fn cut_at(cut: Cut, head: usize, len: usize) -> usize {
    match cut {
        Cut::MidHead => head / 2,
        Cut::MidBody => head + (len - head) / 2,
        Cut::At(n) => n.min(len),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_encode_as_announced() {
        let (bytes, head) = encode(&Reply::ok("hello").status(404).header("a", "b"));
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "HTTP/1.1 404 Whatever\r\na: b\r\ncontent-length: 5\r\n\r\nhello"
        );
        assert_eq!(&text[head..], "hello");
        let (bytes, _) = encode(&Reply::ok("abcd").chunked().http10());
        assert!(bytes.starts_with(b"HTTP/1.0 200"));
        assert!(bytes.ends_with(b"2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"));
    }

    #[test]
    fn cuts_fall_inside_the_part_they_name() {
        let (bytes, head) = encode(&Reply::ok("0123456789"));
        let mid_head = cut_at(Cut::MidHead, head, bytes.len());
        assert!(mid_head > 0 && mid_head < head);
        assert_eq!(cut_at(Cut::MidBody, head, bytes.len()), head + 5);
        assert_eq!(cut_at(Cut::At(1000), head, bytes.len()), bytes.len());
        assert_eq!(encode(&Reply::raw("x\r\n\r\ny")).1, 5);
    }
}
