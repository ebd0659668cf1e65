//! What the demo prints: timestamped events in time order, the tally of every request, and the
//! tables at the end.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::SeqCst};
use std::time::{Duration, Instant};

use fusebox_core::breaker::{BreakerConfig, TripReason};

use crate::clients::PACE;
use crate::server::{HealthHit, Phase};

/// What one `FuseClient` call came to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Outcome {
    /// A 2xx in time: a success for the breaker.
    Ok,
    /// A 5xx, a response slower than `max_delay`, a connect error or a timeout.
    Failed,
    /// Failed fast: the breaker was open, nothing was sent.
    Rejected,
    /// Anything else (none expected).
    Other,
}

/// Every request's outcome, by client and by the phase it ended in.
pub(crate) struct Tally {
    phase: AtomicU8,
    counts: Vec<[[AtomicU64; 4]; 4]>,
    first_other: Mutex<Option<String>>,
}

impl Tally {
    pub(crate) fn new(clients: usize) -> Tally {
        Tally {
            phase: AtomicU8::new(0),
            counts: (0..clients).map(|_| Default::default()).collect(),
            first_other: Mutex::new(None),
        }
    }

    pub(crate) fn set_phase(&self, phase: Phase) {
        self.phase.store(phase.index() as u8, SeqCst);
    }

    pub(crate) fn phase(&self) -> usize {
        usize::from(self.phase.load(SeqCst))
    }

    pub(crate) fn add(&self, client: usize, phase: usize, outcome: Outcome) {
        self.counts[client][phase][outcome as usize].fetch_add(1, SeqCst);
    }

    pub(crate) fn note_other(&self, what: String) {
        if let Ok(mut first) = self.first_other.lock() {
            first.get_or_insert(what);
        }
    }

    pub(crate) fn first_other(&self) -> Option<String> {
        self.first_other.lock().ok().and_then(|first| first.clone())
    }

    /// [ok, failed, rejected, other] of the clients and phases that `pick` accepts.
    pub(crate) fn sum(&self, pick: impl Fn(usize, usize) -> bool) -> [u64; 4] {
        let mut sum = [0; 4];
        for (client, phases) in self.counts.iter().enumerate() {
            for (phase, kinds) in phases.iter().enumerate() {
                if pick(client, phase) {
                    for (total, count) in sum.iter_mut().zip(kinds) {
                        *total += count.load(SeqCst);
                    }
                }
            }
        }
        sum
    }
}

/// What the demo runs: the clients, the server, the breaker's settings.
pub(crate) fn header(runtime: &str, clients: &[&str], url: &str, config: &BreakerConfig) {
    println!(
        "fusebox demo on {runtime}: {} FuseClients ({}) share one Client (pool) and one \
         RecoveryGroup",
        clients.len(),
        clients.join(", ")
    );
    println!("server   {url} (embedded; its phases follow this timeline)");
    println!(
        "breaker  failure_threshold={} success_threshold={} probe_interval={:?} probe_retries={} \
         max_backoff={:?} max_delay={:?}",
        config.failure_threshold(),
        config.success_threshold(),
        config.probe_interval(),
        config.probe_retries(),
        config.max_backoff(),
        config.max_delay()
    );
    println!("clients  each sends GET /<client>/<n>, one every {PACE:?}");
    println!(
        "terms    ok = answered and judged good; failed = sent, and the breaker counted it a \
         failure (5xx, too slow, or no answer); rejected = failed fast without being sent, \
         while the client's breaker was open"
    );
    println!();
}

/// `+1.234s` after `t0`.
pub(crate) fn stamp(t0: Instant, at: Instant) -> String {
    format!("+{:.3}s", at.saturating_duration_since(t0).as_secs_f64())
}

/// Events gathered in one tick of the driver, printed in time order.
pub(crate) struct Timeline {
    t0: Instant,
    pending: Vec<(Instant, String)>,
}

impl Timeline {
    pub(crate) fn new(t0: Instant) -> Timeline {
        Timeline {
            t0,
            pending: Vec::new(),
        }
    }

    pub(crate) fn event(&mut self, at: Instant, what: &str, who: &str, detail: &str) {
        let at = at.max(self.t0);
        let line = format!("{:>9}  {what:<10} {who:<20} {detail}", stamp(self.t0, at));
        self.pending.push((at, line));
    }

    pub(crate) fn flush(&mut self) {
        self.pending.sort_by_key(|(at, _)| *at);
        for (_, line) in self.pending.drain(..) {
            println!("{line}");
        }
    }
}

/// Labels the recovery task's probes as the server saw them, following the task's rules: a failed
/// probe is retried at once up to `probe_retries` times; a round is good when a probe of it is
/// 2xx within `max_delay`.
pub(crate) struct Probes {
    config: BreakerConfig,
    pub(crate) seen: u64,
    attempt: u32,
    last_failed: bool,
    good_rounds: u32,
}

impl Probes {
    pub(crate) fn new(config: BreakerConfig) -> Probes {
        Probes {
            config,
            seen: 0,
            attempt: 0,
            last_failed: false,
            good_rounds: 0,
        }
    }

    pub(crate) fn record(&mut self, hit: &HealthHit, timeline: &mut Timeline) {
        self.seen += 1;
        let retries = self.config.probe_retries();
        if !(self.last_failed && self.attempt <= retries) {
            self.attempt = 0; // a new round
        }
        self.attempt += 1;
        let max_delay = self.config.max_delay();
        let answer = match hit.delay {
            Duration::ZERO => format!("{} at once", hit.status),
            delay => format!("{} after {}ms", hit.status, delay.as_millis()),
        };
        let verdict = if (200..300).contains(&hit.status) && hit.delay <= max_delay {
            self.last_failed = false;
            self.good_rounds += 1;
            let of = self.config.success_threshold();
            let verdict = format!("good round {}/{of}", self.good_rounds);
            if self.good_rounds >= of {
                self.good_rounds = 0;
            }
            verdict
        } else {
            self.last_failed = true;
            let why = if hit.status >= 500 {
                "bad".to_owned()
            } else {
                format!("too slow (max_delay {}ms)", max_delay.as_millis())
            };
            if self.attempt <= retries {
                format!("{why}: retry at once")
            } else {
                self.good_rounds = 0;
                format!("{why}: round failed, back off")
            }
        };
        let what = format!("probe #{}", self.seen);
        let who = format!("GET {}", hit.path);
        timeline.event(hit.at, &what, &who, &format!("{answer:<16} {verdict}"));
    }
}

/// The table of outcomes by phase; `starts[i]`: when phase `i` began and how many connections
/// the server had accepted by then, with the end as a last entry.
pub(crate) fn phase_table(tally: &Tally, starts: &[(Instant, u64)]) {
    println!();
    println!(
        "{:<16} {:>7} {:>9} {:>7} {:>7} {:>9} {:>10}",
        "phase", "time", "requests", "ok", "failed", "rejected", "new conns"
    );
    for (i, phase) in Phase::ALL.iter().enumerate() {
        let (Some(&(from, conns_from)), Some(&(to, conns_to))) = (starts.get(i), starts.get(i + 1))
        else {
            continue;
        };
        let [ok, failed, rejected, other] = tally.sum(|_, p| p == i);
        let name = format!("{} {}", i + 1, phase.name());
        let time = format!("{:.2}s", to.saturating_duration_since(from).as_secs_f64());
        let requests = ok + failed + rejected + other;
        let conns = conns_to - conns_from;
        println!(
            "{name:<16} {time:>7} {requests:>9} {ok:>7} {failed:>7} {rejected:>9} {conns:>10}"
        );
    }
}

/// The table of outcomes by client, with each one's trips.
pub(crate) fn client_table(tally: &Tally, names: &[&str], trips: &[u64]) {
    println!();
    println!(
        "{:<16} {:>7} {:>9} {:>7} {:>7} {:>9} {:>10}",
        "client", "", "requests", "ok", "failed", "rejected", "trips"
    );
    for (i, name) in names.iter().enumerate() {
        let [ok, failed, rejected, other] = tally.sum(|c, _| c == i);
        let requests = ok + failed + rejected + other;
        let trips = trips[i];
        println!(
            "{name:<16} {:>7} {requests:>9} {ok:>7} {failed:>7} {rejected:>9} {trips:>10}",
            ""
        );
    }
}

/// A trip's reason, with a slow response's time in whole milliseconds.
pub(crate) fn reason(reason: &TripReason) -> String {
    match reason {
        TripReason::TooSlow { elapsed } => {
            format!("response too slow ({} ms)", elapsed.as_millis())
        }
        other => other.to_string(),
    }
}
