//! [`Deferred`]: a breaker's verdict that rides in a response body until its end.

use std::fmt;

use fusebox_core::breaker::{Outcome, OwnedPermit};

use super::{Classifier, judge};
use crate::{Error, Response};

/// A call judged at its head as a success (or neutral), whose body still streams: recorded when
/// the body ends, or judged anew by the classifier if the body fails.
pub(crate) struct Deferred {
    permit: OwnedPermit,
    /// What a clean end records: `None` for a head judged neutral.
    at_head: Option<Outcome>,
    classify: Classifier,
}

impl Deferred {
    pub(crate) fn new(permit: OwnedPermit, at_head: Option<Outcome>, classify: Classifier) -> Self {
        Deferred {
            permit,
            at_head,
            classify,
        }
    }

    /// The body ended cleanly, or was dropped: what the head was judged.
    pub(crate) fn ended(self) {
        if let Some(outcome) = self.at_head {
            self.permit.record(outcome);
        }
    }

    /// The body failed with `error`: the classifier judges it (the default: a failure of the
    /// connection or a timeout trips, a body over the limit is neutral). Returns the error.
    pub(crate) fn failed(self, error: Error) -> Error {
        let result: Result<Response, Error> = Err(error);
        let verdict = (self.classify)(&result);
        if let Some(outcome) = judge::outcome(verdict, &result, None, std::time::Duration::MAX) {
            self.permit.record(outcome);
        }
        result.map(drop).unwrap_err()
    }
}

impl fmt::Debug for Deferred {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deferred")
            .field("permit", &self.permit)
            .field("at_head", &self.at_head)
            .finish_non_exhaustive()
    }
}
