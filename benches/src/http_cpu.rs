//! CPU time of this process's threads by name, from Linux's `/proc/self/task/*/schedstat`.
//!
//! On a shared, loaded machine, requests per second depend on how much of the cores the bench
//! gets; the CPU time a client's threads spend per request does much less, so `http_compare`
//! reports both. Elsewhere than on Linux the figures are missing, not wrong.

use std::fs;

/// The names (`comm`, at most 15 bytes) of the threads that run clients: tokio workers and
/// blocking threads of the client runtimes, and the threads of the smol executors.
pub const CLIENT_THREADS: [&str; 2] = ["http-client", "http-smol-"];

/// async-io's reactor thread, which smol clients use (and nobody else in `http_compare`).
pub const SMOL_REACTOR_THREAD: &str = "async-io";

/// The server's thread.
pub const SERVER_THREAD: &str = "http-server";

/// Stands for the process's main thread in the prefixes of [`cpu_ns`]: the thread that waits
/// for a round's tasks, and that smol's `block_on` may use to drive the reactor.
pub const MAIN_THREAD: &str = ":main";

/// Nanoseconds on a CPU, so far, of the live threads of this process whose name starts with
/// one of `prefixes` (or that are the main thread, with [`MAIN_THREAD`] among them); `None`
/// where `/proc` cannot tell (not Linux, or no scheduler statistics).
pub fn cpu_ns(prefixes: &[&str]) -> Option<u64> {
    let pid = std::process::id().to_string();
    let with_main = prefixes.contains(&MAIN_THREAD);
    let mut total = 0;
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
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
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
}
