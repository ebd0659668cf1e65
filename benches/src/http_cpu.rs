//! CPU time and page faults of this process's threads by name, from Linux's
//! `/proc/self/task/*/schedstat` and `/proc/self/task/*/stat`.
//!
//! On a shared, loaded machine, requests per second depend on how much of the cores the bench
//! gets; the CPU time a client's threads spend per request does much less, so `http_compare`
//! reports both. Page faults tell why a large body costs what it does: a first touch of memory
//! the allocator has just taken from the kernel costs microseconds per 4 KiB page. Elsewhere
//! than on Linux the figures are missing, not wrong.

use std::fs;

/// The names (`comm`, at most 15 bytes) of the threads that run clients: tokio workers and
/// blocking threads of the client runtimes, and the threads of the smol executors.
pub const CLIENT_THREADS: [&str; 2] = ["http-client", "http-smol-"];

/// async-io's reactor thread, which smol clients use (and nobody else in `http_compare`).
pub const SMOL_REACTOR_THREAD: &str = "async-io";

/// The server's thread.
pub const SERVER_THREAD: &str = "http-server";

/// Stands for the process's main thread in the prefixes of [`usage`]: the thread that waits
/// for a round's tasks, and that smol's `block_on` may use to drive the reactor.
pub const MAIN_THREAD: &str = ":main";

/// What some threads have used so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Nanoseconds on a CPU.
    pub cpu_ns: u64,
    /// Minor page faults: pages the kernel had to map (and zero) on first touch.
    pub minor_faults: u64,
}

impl Usage {
    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu_ns: self.cpu_ns.saturating_sub(earlier.cpu_ns),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }
}

/// Nanoseconds on a CPU, so far, of the live threads of this process whose name starts with
/// one of `prefixes` (or that are the main thread, with [`MAIN_THREAD`] among them); `None`
/// where `/proc` cannot tell (not Linux, or no scheduler statistics).
pub fn cpu_ns(prefixes: &[&str]) -> Option<u64> {
    usage(prefixes).map(|u| u.cpu_ns)
}

/// CPU time and minor page faults, so far, of the live threads of this process whose name
/// starts with one of `prefixes` (or that are the main thread, with [`MAIN_THREAD`] among
/// them); `None` where `/proc` cannot tell.
pub fn usage(prefixes: &[&str]) -> Option<Usage> {
    let pid = std::process::id().to_string();
    let with_main = prefixes.contains(&MAIN_THREAD);
    let mut total = Usage::default();
    for entry in fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        let Ok(comm) = fs::read_to_string(dir.join("comm")) else {
            // The thread ended meanwhile.
            continue;
        };
        let comm = comm.trim_end();
        let main = with_main && entry.file_name().to_str() == Some(pid.as_str());
        if !main && !prefixes.iter().any(|p| comm.starts_with(p)) {
            continue;
        }
        let Ok(stat) = fs::read_to_string(dir.join("schedstat")) else {
            continue;
        };
        // "run-time-ns wait-time-ns timeslices"
        total.cpu_ns += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        if let Ok(stat) = fs::read_to_string(dir.join("stat")) {
            total.minor_faults += minor_faults(&stat).unwrap_or(0);
        }
    }
    Some(total)
}

/// The `minflt` field of a `/proc/.../stat` line: the 10th, counting past the command name in
/// parentheses (which may hold spaces).
fn minor_faults(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10).
    rest.split_whitespace().nth(7)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn a_busy_named_thread_is_counted() {
        let busy = std::thread::Builder::new()
            .name("cpu-test-busy".to_owned())
            .spawn(|| {
                let start = std::time::Instant::now();
                let mut x = 0u64;
                while start.elapsed() < std::time::Duration::from_millis(30) {
                    x = x.wrapping_add(std::hint::black_box(1));
                }
                let ns = cpu_ns(&["cpu-test-busy"]);
                (x, ns)
            })
            .unwrap();
        let (_, ns) = busy.join().unwrap();
        assert!(ns.is_some_and(|ns| ns > 1_000_000), "{ns:?}");
        assert_eq!(cpu_ns(&["no-such-thread"]), Some(0));
    }

    #[test]
    fn minor_faults_are_read_past_a_name_with_spaces() {
        let stat = "42 (a b) S 1 42 42 0 -1 4194560 1234 0 0 0 7 11";
        assert_eq!(minor_faults(stat), Some(1234));
    }
}
