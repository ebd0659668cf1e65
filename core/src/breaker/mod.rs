//! The circuit breaker: per-client counters and a recovery shared by a group of clients.
