//! Shared helpers of fusebox's benchmarks.
#![forbid(unsafe_code)]
