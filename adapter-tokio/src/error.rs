//! The error of [`TokioRuntime::try_current`](crate::TokioRuntime::try_current).

use std::error::Error;
use std::fmt;

/// There is no tokio runtime to take a handle from.
///
/// Returned by [`TokioRuntime::try_current`](crate::TokioRuntime::try_current) when it is called
/// outside the context of a tokio runtime.
#[derive(Debug)]
#[non_exhaustive]
pub struct TryCurrentError {
    source: tokio::runtime::TryCurrentError,
}

impl TryCurrentError {
    pub(crate) fn new(source: tokio::runtime::TryCurrentError) -> Self {
        Self { source }
    }

    /// Whether the call was made outside the context of any tokio runtime.
    pub fn is_missing_context(&self) -> bool {
        self.source.is_missing_context()
    }

    /// Whether the call was made while the thread-local runtime context was being destroyed.
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.source.is_thread_local_destroyed()
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no tokio runtime in the current context")
    }
}

impl Error for TryCurrentError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}
