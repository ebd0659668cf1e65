//! One connection handed along a queue of waiters.
//!
//! `tasks` tasks share a pool of one connection (fusebox: one key, `max_per_key` 1; deadpool:
//! `max_size` 1) and loop: acquire, hold across one yield, drop. While one holds it the others
//! queue, so every acquire is a hand-off from the task that dropped it to the first in line. The
//! rounds are pool_compare's hold rounds (a tokio multi-thread runtime of two workers, a warm-up,
//! the watchdog), so the figures compare with its table.

use fusebox_tokio::TokioRuntime;

use super::Plan;
use super::table::{figures_row, section};
use crate::report::{Table, median};

use crate::pool_peers::{Deadpool, Fusebox};
use crate::run_tokio::run_round;
use crate::watchdog::Stall;
use crate::workload::{Cell, Mode, Round};

const WAITERS: [usize; 3] = [10, 100, 1000];

/// The pool handed along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// fusebox on `TokioRuntime`.
    Fusebox,
    /// deadpool's managed pool.
    Deadpool,
}

/// Nanoseconds per hand-off of one connection among `tasks` tasks, over one round.
///
/// # Errors
///
/// The round's [`Stall`], when it stopped making progress.
pub fn ns_per_handoff(peer: Peer, tasks: usize, round: Round) -> Result<f64, Stall> {
    let cell = Cell {
        size: 1,
        tasks,
        mode: Mode::Hold,
    };
    let rate = match peer {
        Peer::Fusebox => run_round(|size| Fusebox::new(size, TokioRuntime::new()), cell, round),
        Peer::Deadpool => run_round(Deadpool::new, cell, round),
    }?;
    Ok(1e9 / rate)
}

/// Row 2: hand-off cost with 10, 100 and 1000 tasks, deadpool beside.
pub fn handoff_row(plan: &Plan) {
    let mut header = vec!["pool".to_owned()];
    header.extend(WAITERS.map(|w| format!("{w} tasks")));
    header.push("verdict".to_owned());
    let mut table = Table::new(header);
    for (peer, name) in [
        (Peer::Fusebox, "fusebox-tokio"),
        (Peer::Deadpool, "deadpool (size 1)"),
    ] {
        let cells: Vec<Option<f64>> = WAITERS
            .iter()
            .map(|&tasks| {
                // A stall ends the cell: no median, and no more rounds of it.
                let rounds: Result<Vec<f64>, _> = (0..plan.runs)
                    .map(|_| ns_per_handoff(peer, tasks, plan.handoff))
                    .collect();
                rounds.ok().and_then(|ns| median(&ns))
            })
            .collect();
        eprintln!("hand-off {name}: {cells:?}");
        table.row(figures_row(name, &cells));
    }
    let note = format!(
        "ns per hand-off of one connection among N tasks (acquire, hold across a yield, drop); \
         tokio multi-thread, 2 workers; {} hand-offs per round; `-` for a round that stalled.",
        plan.handoff.ops
    );
    section("2. hand-off along a queue of waiters", &note, &table);
}
