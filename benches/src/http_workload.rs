//! [`Workload`]: what `http_compare`'s clients are asked to do in a round, and which clients
//! run it.

use crate::http_clients::{Kind, Target};

/// What the clients are asked to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// One task, `GET /small` in a loop.
    Sequential,
    /// [`CONCURRENT_TASKS`] tasks, each `GET /small` in a loop.
    Concurrent,
    /// One task, `GET /big` (1 MiB) in a loop.
    Big,
    /// One task, `GET /small` in a loop over HTTPS (the server's HTTPS port); only the HTTPS
    /// clients run it, and the one below.
    Https,
    /// One task, `GET /big` (1 MiB) in a loop over HTTPS.
    HttpsBig,
}

/// How many tasks the concurrent workload runs.
pub const CONCURRENT_TASKS: usize = 64;

impl Workload {
    /// Every workload, in the order of the table.
    pub const ALL: [Workload; 5] = [
        Workload::Sequential,
        Workload::Concurrent,
        Workload::Big,
        Workload::Https,
        Workload::HttpsBig,
    ];

    /// How many tasks send requests at once.
    pub fn tasks(self) -> usize {
        match self {
            Workload::Concurrent => CONCURRENT_TASKS,
            Workload::Sequential | Workload::Big | Workload::Https | Workload::HttpsBig => 1,
        }
    }

    /// What every request asks for.
    pub fn target(self) -> Target {
        match self {
            Workload::Big | Workload::HttpsBig => Target::Big,
            Workload::Sequential | Workload::Concurrent | Workload::Https => Target::Small,
        }
    }

    /// A short name for the command line: `sequential`, `concurrent`, `big`, `https`,
    /// `https-big`.
    pub fn id(self) -> &'static str {
        match self {
            Workload::Sequential => "sequential",
            Workload::Concurrent => "concurrent",
            Workload::Big => "big",
            Workload::Https => "https",
            Workload::HttpsBig => "https-big",
        }
    }

    /// The workload's name in the table and the chart.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Sequential => "sequential GET, 100 B",
            Workload::Concurrent => "64 tasks, GET 100 B",
            Workload::Big => "sequential GET, 1 MiB",
            Workload::Https => "sequential GET, 100 B, HTTPS",
            Workload::HttpsBig => "sequential GET, 1 MiB, HTTPS",
        }
    }

    /// Whether the workload runs over HTTPS.
    pub fn is_https(self) -> bool {
        matches!(self, Workload::Https | Workload::HttpsBig)
    }

    /// Whether `kind` runs this workload: the HTTPS clients run the HTTPS workload, the others
    /// the plain ones; a single-connection client only those of one task.
    pub fn runs(self, kind: Kind) -> bool {
        kind.is_https() == self.is_https() && (self.tasks() == 1 || !kind.is_single_connection())
    }

    /// The client the others are compared with in the table: fusebox's `Client` on tokio, over
    /// HTTPS for the HTTPS workload.
    pub fn reference(self) -> Kind {
        if self.is_https() {
            Kind::FuseboxHttps
        } else {
            Kind::FuseboxTokio
        }
    }
}
