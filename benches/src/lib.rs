//! Shared helpers of fusebox's benchmarks.
//!
//! The binaries in `src/bin` run one workload on fusebox and on the crates people would pick
//! instead, and print markdown tables. Those crates (the peers) are behind the feature `peers`,
//! so that `cargo test --workspace` compiles none of them:
//!
//! ```sh
//! cargo run --release -p fusebox-benches --features peers --bin pool_compare
//! ```
//!
//! This library holds what the binaries share. Without `peers`: the trivial in-memory connection
//! (`conn`), the round's time bound (`watchdog`), the recovery figures (`recovery_*`), the
//! machine's description (`machine`), CPU accounting (`http_cpu`) and medians, ratios and
//! markdown tables (`report`). With `peers`: one small adapter per pool (`pool_peers`), the task
//! loops (`workload`), one measured round on each runtime (`run_tokio`, `run_smol`), the pool at
//! scale (`scale`), the breaker and HTTP comparisons (`breaker_*`, `http_*`, `fuse_alloc`) and
//! the charts (`*_chart`).
#![forbid(unsafe_code)]

#[cfg(feature = "peers")]
pub mod breaker_chart;
#[cfg(feature = "peers")]
pub mod breaker_measure;
#[cfg(feature = "peers")]
pub mod breaker_peers;
pub mod conn;
#[cfg(feature = "peers")]
pub mod fuse_alloc;
#[cfg(feature = "peers")]
pub mod http_chart;
#[cfg(feature = "peers")]
pub mod http_clients;
pub mod http_cpu;
#[cfg(feature = "peers")]
pub mod http_run;
#[cfg(feature = "peers")]
pub mod http_server;
#[cfg(feature = "peers")]
pub mod http_workload;
pub mod machine;
#[cfg(feature = "peers")]
pub mod pool_chart;
#[cfg(feature = "peers")]
pub mod pool_peers;
pub mod recovery_manual;
pub mod recovery_plan;
pub mod recovery_real;
pub mod recovery_report;
pub mod recovery_server;
pub mod report;
#[cfg(feature = "peers")]
pub mod run_smol;
#[cfg(feature = "peers")]
pub mod run_tokio;
#[cfg(feature = "peers")]
pub mod scale;
pub mod watchdog;
#[cfg(feature = "peers")]
pub mod workload;
