//! The errors a response's reader asks for: an error status (`error_for_status`), and a body
//! that does not decode.

use http::StatusCode;

use super::Error;
use super::kind::Kind;

impl Error {
    /// A 4xx or 5xx answer, reported by `error_for_status`.
    pub(crate) fn bad_status(status: StatusCode) -> Error {
        Error::new(Kind::Status(status))
    }

    /// A body that did not decode (`json()`).
    #[cfg_attr(not(feature = "json"), allow(dead_code))]
    pub(crate) fn decode(source: impl Into<super::BoxError>) -> Error {
        Error::new(Kind::Decode).with_source(source)
    }

    /// A query, form or JSON body that could not be encoded; `what` names it.
    pub(crate) fn encode(what: &'static str, source: impl Into<super::BoxError>) -> Error {
        Error::new(Kind::Encode(what)).with_source(source)
    }

    /// Whether the server answered with an error status (4xx or 5xx) and
    /// [`Response::error_for_status`](crate::Response::error_for_status) reported it;
    /// [`status`](Self::status) says which.
    pub fn is_status(&self) -> bool {
        matches!(self.kind(), Some(Kind::Status(_)))
    }

    /// The status of an [`is_status`](Self::is_status) error.
    pub fn status(&self) -> Option<StatusCode> {
        match self.kind() {
            Some(Kind::Status(status)) => Some(*status),
            _ => None,
        }
    }

    /// Whether a response body could not be decoded as asked (`json()`: not JSON, or not of
    /// the type's shape).
    pub fn is_decode(&self) -> bool {
        matches!(self.kind(), Some(Kind::Decode))
    }
}
