//! The client's last origin, so that a run of requests to one origin parses its URI's authority,
//! allocates its host and writes its `Host` header once, not once per request.
//!
//! Kept per thread, so that requests on two cores share neither a lock nor one origin's reference
//! count (which every clone and drop changes): with one cache for all threads, HTTP/2 with 64 tasks
//! ran at 0.87-0.88 of hyper-util in two A/B runs, against 0.93-0.96 reading the origin anew.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use http::Uri;
use http::uri::{Authority, Scheme as UriScheme};

use super::{Origin, OriginError};

/// How many threads keep an origin of their own; more share one by their number.
const SLOTS: usize = 8;

/// The origin of the last request of each thread, by the thread's number.
#[derive(Default)]
pub(crate) struct LastOrigin(Box<[Slot; SLOTS]>);

/// The origin of a thread's last request, with the scheme and authority it was read from, on
/// cache lines of its own.
#[derive(Default)]
#[repr(align(128))]
struct Slot(Mutex<Option<(UriScheme, Authority, Origin)>>);

/// This thread's slot number, drawn once.
fn thread_number() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static NUMBER: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SLOTS;
    }
    NUMBER.with(|n| *n)
}

impl LastOrigin {
    /// The origin of `uri`, as [`Origin::from_uri`] reads it: the last one when `uri` writes
    /// the same scheme and authority, byte for byte (`Authority`'s own comparison ignores case,
    /// a byte at a time, and costs more than the rest of the lookup), else a new one, kept for
    /// the next request.
    pub(crate) fn of(&self, uri: &Uri) -> Result<Origin, OriginError> {
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Origin::from_uri(uri);
        };
        let mut last = self.lock();
        if let Some((s, a, origin)) = &*last
            && s == scheme
            && a.as_str() == authority.as_str()
        {
            return Ok(origin.clone());
        }
        let origin = Origin::from_uri(uri)?;
        *last = Some((scheme.clone(), authority.clone(), origin.clone()));
        Ok(origin)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(UriScheme, Authority, Origin)>> {
        // Nothing panics while it is held but a clone; a poisoned cache is still a right one.
        (self.0[thread_number()].0.lock()).unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    #[test]
    fn one_origin_is_read_once_and_shared() {
        let last = LastOrigin::default();
        let a = last.of(&uri("http://a.example:8080/one")).unwrap();
        let b = last.of(&uri("http://a.example:8080/two?x")).unwrap();
        assert!(
            Arc::ptr_eq(&a.host, &b.host),
            "the second is the first, shared"
        );
        // Spelled otherwise, it is read again, and equal.
        let c = last.of(&uri("http://A.Example:8080/")).unwrap();
        assert!(!Arc::ptr_eq(&a.host, &c.host));
        assert_eq!(c, a);
        assert_eq!(c.to_string(), "http://a.example:8080");
    }

    #[test]
    fn another_scheme_port_or_host_is_another_origin() {
        let last = LastOrigin::default();
        let first = last.of(&uri("http://a.example:8080/")).unwrap();
        for other in [
            "https://a.example:8080/",
            "http://a.example:8081/",
            "http://b.example:8080/",
            "http://a.example/",
        ] {
            let o = last.of(&uri(other)).unwrap();
            assert_eq!(o, Origin::from_uri(&uri(other)).unwrap(), "{other}");
            assert_ne!(o, first, "{other}");
        }
        // The last one is kept, whatever came before.
        let again = last.of(&uri("http://a.example/x")).unwrap();
        assert_eq!(again.port(), 80);
    }

    #[test]
    fn errors_are_those_of_from_uri_and_keep_nothing() {
        let last = LastOrigin::default();
        assert!(matches!(
            last.of(&uri("/relative")),
            Err(OriginError::MissingScheme)
        ));
        assert!(matches!(
            last.of(&uri("http://a.example:0/")),
            Err(OriginError::InvalidPort(_))
        ));
        assert!(last.lock().is_none());
        let ok = last.of(&uri("http://a.example:80/")).unwrap();
        assert_eq!(ok.port(), 80);
    }

    #[test]
    fn threads_keep_origins_of_their_own() {
        let last = LastOrigin::default();
        let here = last.of(&uri("http://a.example/")).unwrap();
        let mine = thread_number();
        std::thread::scope(|s| {
            s.spawn(|| {
                let there = last.of(&uri("http://a.example/")).unwrap();
                assert_eq!(there, here);
                // Threads whose numbers meet share a slot (numbers wrap at `SLOTS`).
                let shared = thread_number() == mine;
                assert_eq!(Arc::ptr_eq(&there.host, &here.host), shared);
            });
        });
    }
}
