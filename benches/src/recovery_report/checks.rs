//! The checks of the figures against what the plan predicts, and the closing summary lines.

use super::{Report, join, median, yes};
use crate::recovery_real::RealFigures;

impl Report<'_> {
    /// Unexpected failures, connections, flat probe counts, exact recoveries; then the summary.
    pub(super) fn checks(&self) {
        let (manual, real) = (self.manual, self.real);
        let (ideal, expected_after_window) = (self.ideal, self.expected_after_window);

        let unexpected: u64 = real.iter().flatten().map(|r| r.unexpected).sum();
        let connections: Vec<String> = real
            .iter()
            .map(|runs| median(runs, |r| r.connections).to_string())
            .collect();
        println!("## Checks\n");
        println!(
            "- calls that failed while the service was healthy, or ended in another error: {unexpected}"
        );
        println!(
            "- TCP connections the server accepted per run (1/10/100 clients, medians): {}",
            connections.join("/")
        );
        let manual_rates: Vec<u64> = manual.iter().map(|m| m.window_probes).collect();
        let real_rates: Vec<u64> = real
            .iter()
            .map(|runs| median(runs, |r| r.window_probes))
            .collect();
        let flat = |v: &[u64]| {
            v.iter()
                .max()
                .zip(v.iter().min())
                .is_some_and(|(hi, lo)| hi - lo <= 1)
        };
        println!(
            "- probe counts flat across 1/10/100 clients: manual clock {} ({}), real time {} ({})",
            yes(flat(&manual_rates)),
            join(&manual_rates),
            yes(flat(&real_rates)),
            join(&real_rates)
        );
        let manual_exact = manual.iter().all(|m| m.recovery == ideal);
        println!(
            "- recovery on the manual clock equals success_threshold x probe_interval exactly: {}; \
             after the window equals the schedule: {}",
            yes(manual_exact),
            yes(manual
                .iter()
                .all(|m| m.recovery_after_window == expected_after_window))
        );
        println!();

        let rates: Vec<String> = real_rates
            .iter()
            .map(|&hits| format!("{:.2}", self.per_sec(hits)))
            .collect();
        let all: Vec<RealFigures> = real.iter().flatten().cloned().collect();
        let recovery = median(&all, |r| r.recovery);
        println!(
            "recovery on the manual clock: {} ms vs success_threshold x probe_interval = {} ms",
            join(
                &manual
                    .iter()
                    .map(|m| m.recovery.as_millis())
                    .collect::<Vec<_>>()
            ),
            ideal.as_millis()
        );
        println!("probe-rate 1/10/100 clients: {} per s", rates.join("/"));
        println!(
            "recovery: {:.1} ms vs success_threshold x probe_interval = {} ms",
            recovery.as_secs_f64() * 1e3,
            ideal.as_millis()
        );
    }
}
