//! The tables of figures: time to detect, time to recover, probes while tripped, and the burst
//! after the un-trip.

use super::{Report, manual_ms, median, ms, range};
use crate::report::Table;

impl Report<'_> {
    /// Calls and time from the first failing answer to the trip.
    pub(super) fn detect(&self) {
        let (plan, manual, real) = (self.plan, self.manual, self.real);
        let c = &plan.config;

        println!("## Time to detect\n");
        println!(
            "Every path answers 503. Calls: failing answers a client got up to its trip. Time: from \
             the first failing answer to the trip (clients call with a {:?} pause, so about \
             (failure_threshold - 1) x (pause + round trip)).\n",
            plan.pause
        );
        let mut table = Table::new([
            "clock",
            "clients",
            "calls before trip",
            "failure_threshold",
            "first failing answer -> first trip",
            "per client: own first failing answer -> own trip (median / max)",
        ]);
        for m in manual {
            table.row([
                "manual".to_owned(),
                m.clients.to_string(),
                range(m.calls_before_trip),
                c.failure_threshold().to_string(),
                manual_ms(m.detect),
                format!("{} / {}", manual_ms(m.detect), manual_ms(m.detect)),
            ]);
        }
        for runs in real {
            let mut lo_hi = (u32::MAX, 0);
            for r in runs {
                lo_hi = (
                    lo_hi.0.min(r.calls_before_trip.0),
                    lo_hi.1.max(r.calls_before_trip.1),
                );
            }
            table.row([
                "real".to_owned(),
                runs[0].clients.to_string(),
                range(lo_hi),
                c.failure_threshold().to_string(),
                ms(median(runs, |r| r.detect_first)),
                format!(
                    "{} / {}",
                    ms(median(runs, |r| r.detect_median)),
                    ms(median(runs, |r| r.detect_max))
                ),
            ]);
        }
        println!("{table}");
    }

    /// From the service turning healthy to the un-trip, at the trip and after the window.
    pub(super) fn recover(&self) {
        let (manual, real) = (self.manual, self.real);
        let (ideal, window, expected_after_window) =
            (self.ideal, self.window, self.expected_after_window);

        println!("## Time to recover\n");
        println!(
            "Healthy at the trip: `/health` turns good as the first client trips (on the manual clock \
             at the very instant; on real time when the controller sees the trip) and the work paths \
             once all have tripped; expected `success_threshold x probe_interval` = {}. Healthy \
             after {}: everything is down for {} from the first trip, then good; expected: the wait \
             for the next round of the backoff schedule plus (success_threshold - 1) intervals = {}.\n",
            manual_ms(ideal),
            manual_ms(window),
            manual_ms(window),
            manual_ms(expected_after_window),
        );
        let mut table = Table::new([
            "clock",
            "clients",
            "healthy",
            "health good -> un-trip",
            "expected",
            "trip -> un-trip",
            "last probe answered -> un-trip seen",
        ]);
        for m in manual {
            table.row([
                "manual".to_owned(),
                m.clients.to_string(),
                "at the trip".to_owned(),
                manual_ms(m.recovery),
                manual_ms(ideal),
                manual_ms(m.recovery),
                "-".to_owned(),
            ]);
        }
        for runs in real {
            table.row([
                "real".to_owned(),
                runs[0].clients.to_string(),
                format!(
                    "{} after the trip",
                    ms(median(runs, |r| r.healthy_after_trip))
                ),
                ms(median(runs, |r| r.recovery)),
                manual_ms(ideal),
                ms(median(runs, |r| r.recovery_from_trip)),
                ms(median(runs, |r| r.untrip_lag)),
            ]);
        }
        for m in manual {
            table.row([
                "manual".to_owned(),
                m.clients.to_string(),
                format!("after {}", manual_ms(window)),
                manual_ms(m.recovery_after_window),
                manual_ms(expected_after_window),
                "-".to_owned(),
                "-".to_owned(),
            ]);
        }
        for runs in real {
            table.row([
                "real".to_owned(),
                runs[0].clients.to_string(),
                format!("after {}", manual_ms(window)),
                ms(median(runs, |r| r.recovery_after_window)),
                manual_ms(expected_after_window),
                "-".to_owned(),
                "-".to_owned(),
            ]);
        }
        println!("{table}");
    }

    /// Health checks reaching the server while every breaker is open.
    pub(super) fn probes(&self) {
        let (manual, real) = (self.manual, self.real);
        let c = &self.plan.config;
        let (schedule, window, expected_probes) =
            (self.schedule, self.window, self.expected_probes);

        println!("## Probes while tripped\n");
        println!(
            "Health checks the server answered while everything is down, over {} from the first \
             trip, the clients calling (and being rejected) all along. Expected from the schedule \
             (rounds at {}; {} probe(s) per round): {expected_probes}.\n",
            manual_ms(window),
            schedule
                .failed_rounds(window)
                .iter()
                .map(|&at| manual_ms(at))
                .collect::<Vec<_>>()
                .join(", "),
            c.probe_retries() + 1,
        );
        let mut table = Table::new([
            "clock",
            "clients",
            "/health hits",
            "probes/s",
            "expected",
            "probes the group sent",
            "recovery tasks / recoveries",
        ]);
        for m in manual {
            table.row([
                "manual".to_owned(),
                m.clients.to_string(),
                m.window_probes.to_string(),
                format!("{:.2}", self.per_sec(m.window_probes)),
                expected_probes.to_string(),
                m.window_probes_sent.to_string(),
                format!("{} / {}", m.tasks_started, m.recoveries),
            ]);
        }
        for runs in real {
            let hits = median(runs, |r| r.window_probes);
            let (lo, hi) = (
                runs.iter().map(|r| r.window_probes).min().unwrap_or(0),
                runs.iter().map(|r| r.window_probes).max().unwrap_or(0),
            );
            let spread = if lo == hi {
                String::new()
            } else {
                format!(" ({lo}-{hi})")
            };
            table.row([
                "real".to_owned(),
                runs[0].clients.to_string(),
                format!("{hits}{spread}"),
                format!("{:.2}", self.per_sec(hits)),
                expected_probes.to_string(),
                "-".to_owned(),
                format!(
                    "{} / {}",
                    median(runs, |r| r.tasks_started),
                    median(runs, |r| r.recoveries)
                ),
            ]);
        }
        println!("{table}");
    }

    /// Work requests reaching the server right after the un-trip (real time only).
    pub(super) fn burst(&self) {
        let (plan, real) = (self.plan, self.real);

        println!("## Burst after un-trip (real time)\n");
        println!(
            "Work requests reaching the server in the first {} after the un-trip (counted from the \
             server's answer to the last probe). Every breaker of the group closes at once, so every \
             client's next call goes through; steady: the same count per {} while healthy, before the \
             first trip.\n",
            manual_ms(plan.burst),
            manual_ms(plan.burst),
        );
        let mut table = Table::new([
            "clients",
            "after healthy at the trip",
            "after the window",
            "per client",
            "steady (healthy)",
            "burst / steady",
        ]);
        for runs in real {
            let burst = median(runs, |r| r.burst);
            let after_window = median(runs, |r| r.burst_after_window);
            let mut steady: Vec<f64> = runs.iter().map(|r| r.steady).collect();
            steady.sort_by(f64::total_cmp);
            let steady = steady[steady.len() / 2];
            let n = runs[0].clients;
            table.row([
                n.to_string(),
                burst.to_string(),
                after_window.to_string(),
                format!("{:.1}", burst as f64 / n as f64),
                format!("{steady:.0}"),
                if steady > 0.0 {
                    format!("{:.2}", burst as f64 / steady)
                } else {
                    "-".to_owned()
                },
            ]);
        }
        println!("{table}");
    }
}
