//! Shared helpers of fusebox's benchmarks.
//!
//! The binaries in `src/bin` run one workload on fusebox and on the crates people would pick
//! instead, and print markdown tables. This library holds what they share:
//!
//! - [`conn`]: the trivial in-memory connection that every pool hands out;
//! - [`pool_peers`]: one small adapter per pool, behind the [`pool_peers::BenchPool`] trait;
//! - [`workload`]: the task loops (get-and-drop, hold across a yield) and the warm-up;
//! - [`watchdog`]: bounds a round in time and tells a stalled pool from a slow one;
//! - [`run_tokio`] and [`run_smol`]: one measured round on each runtime;
//! - [`report`]: medians, ratios and markdown tables.
#![forbid(unsafe_code)]

pub mod breaker_chart;
pub mod breaker_measure;
pub mod breaker_peers;
pub mod conn;
pub mod fuse_alloc;
pub mod http_chart;
pub mod http_clients;
pub mod http_cpu;
pub mod http_run;
pub mod http_server;
pub mod machine;
pub mod pool_chart;
pub mod pool_peers;
pub mod recovery_manual;
pub mod recovery_plan;
pub mod recovery_real;
pub mod recovery_server;
pub mod report;
pub mod run_smol;
pub mod run_tokio;
pub mod watchdog;
pub mod workload;
