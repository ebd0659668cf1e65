//! Shared helpers of fusebox's conformance and fault-injection tests.
#![forbid(unsafe_code)]
