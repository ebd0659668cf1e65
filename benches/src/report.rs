//! Printing results: medians, ratios, rates and markdown tables.

use std::fmt;

/// The result of a pool in a cell: a median rate, or a stall.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rate {
    /// Median operations per second over the rounds.
    PerSec(f64),
    /// At least one round stopped making progress.
    Stalled,
}

impl Rate {
    /// The rate from the rounds' results: [`Rate::Stalled`] if any round stalled, else the
    /// median of the rates (`Stalled` too if there were none).
    pub fn from_rounds<E>(rounds: &[Result<f64, E>]) -> Rate {
        let mut rates = Vec::with_capacity(rounds.len());
        for round in rounds {
            match round {
                Ok(rate) => rates.push(*rate),
                Err(_) => return Rate::Stalled,
            }
        }
        median(&rates).map_or(Rate::Stalled, Rate::PerSec)
    }

    /// The rate per second, or `None` for a stall.
    pub fn per_sec(self) -> Option<f64> {
        match self {
            Rate::PerSec(rate) => Some(rate),
            Rate::Stalled => None,
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            // From 999.5k up, `k` would round to "1000k".
            Rate::PerSec(rate) if rate >= 999_500.0 => write!(f, "{:.2}M", rate / 1e6),
            Rate::PerSec(rate) => write!(f, "{:.0}k", rate / 1e3),
            Rate::Stalled => f.write_str("stalled"),
        }
    }
}

/// The median of `values`: the mean of the two middle ones for an even count; `None` if empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// `ours / theirs` where both rates are known; a stall of ours counts as 0, a stall of theirs
/// as nothing to compare with.
pub fn ratio(ours: Rate, theirs: Rate) -> Option<f64> {
    let theirs = theirs.per_sec()?;
    Some(ours.per_sec().unwrap_or(0.0) / theirs)
}

/// The fastest of `rates`, stalls left out; [`Rate::Stalled`] if all stalled.
pub fn fastest(rates: impl IntoIterator<Item = Rate>) -> Rate {
    rates
        .into_iter()
        .filter_map(Rate::per_sec)
        .max_by(f64::total_cmp)
        .map_or(Rate::Stalled, Rate::PerSec)
}

/// A ratio as the tables print it, `-` when there is none.
pub fn format_ratio(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}"))
}

/// `label: min R median R` over `ratios` (`n/a` for none), R with two decimals.
pub fn ratio_line(label: &str, ratios: &[f64]) -> String {
    let min = ratios.iter().copied().min_by(f64::total_cmp);
    format!(
        "{label}: min {} median {}",
        format_or_na(min),
        format_or_na(median(ratios))
    )
}

fn format_or_na(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.2}"))
}

/// A markdown table with padded columns; numbers read best right-aligned, so every column but the
/// first is.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column names.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Table {
        Table {
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are left empty, extra ones dropped.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| {
                let cells = self.rows.iter().map(|row| row[i].len());
                cells.chain([self.header[i].len(), 3]).max().unwrap_or(3)
            })
            .collect();
        let line = |f: &mut fmt::Formatter<'_>, cells: &[String]| {
            for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
                if i == 0 {
                    write!(f, "| {cell:<w$} ")?;
                } else {
                    write!(f, "| {cell:>w$} ")?;
                }
            }
            writeln!(f, "|")
        };
        line(f, &self.header)?;
        for (i, &w) in widths.iter().enumerate() {
            let dashes = "-".repeat(w.saturating_sub(1));
            if i == 0 {
                write!(f, "| {dashes}- ")?;
            } else {
                write!(f, "| {dashes}: ")?;
            }
        }
        writeln!(f, "|")?;
        for row in &self.rows {
            line(f, row)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_in_k_or_m() {
        assert_eq!(Rate::PerSec(987_400.0).to_string(), "987k");
        assert_eq!(Rate::PerSec(999_700.0).to_string(), "1.00M");
        assert_eq!(Rate::PerSec(12_345_678.0).to_string(), "12.35M");
        assert_eq!(Rate::Stalled.to_string(), "stalled");
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }

    #[test]
    fn a_stalled_round_stalls_the_cell() {
        assert_eq!(
            Rate::from_rounds(&[Ok(1.0), Err(()), Ok(3.0)]),
            Rate::Stalled
        );
        assert_eq!(
            Rate::from_rounds::<()>(&[Ok(1.0), Ok(3.0)]),
            Rate::PerSec(2.0)
        );
    }

    #[test]
    fn ratios_leave_out_stalled_peers() {
        let best = fastest([Rate::PerSec(2.0), Rate::Stalled, Rate::PerSec(4.0)]);
        assert_eq!(best, Rate::PerSec(4.0));
        assert_eq!(ratio(Rate::PerSec(5.0), best), Some(1.25));
        assert_eq!(ratio(Rate::Stalled, best), Some(0.0));
        assert_eq!(ratio(Rate::PerSec(5.0), Rate::Stalled), None);
        assert_eq!(
            ratio_line("a/b", &[1.5, 1.234, 2.0]),
            "a/b: min 1.23 median 1.50"
        );
        assert_eq!(ratio_line("a/b", &[]), "a/b: min n/a median n/a");
    }

    #[test]
    fn tables_are_padded_markdown() {
        let mut table = Table::new(["cell", "rate"]);
        table.row(["a", "1.00M"]);
        let text = table.to_string();
        assert_eq!(
            text,
            "| cell |  rate |\n| ---- | ----: |\n| a    | 1.00M |\n"
        );
    }
}
