//! What the sections of `pool_scale` share: figures, labels, verdicts and goals.

use crate::report::{Table, median};

/// Above this growth from the smallest to the largest size, a row is not `flat` (the goal of
/// issue 12).
pub const FLAT_WITHIN: f64 = 1.5;

/// The verdict of a row from its values at the smallest and the largest size: `flat` within
/// [`FLAT_WITHIN`], else the growth factor (`x3.2`); `-` when either is missing.
pub fn verdict(smallest: Option<f64>, largest: Option<f64>) -> String {
    match (smallest, largest) {
        (Some(s), Some(l)) if s > 0.0 => {
            let growth = l / s;
            if growth <= FLAT_WITHIN {
                "flat".to_owned()
            } else {
                format!("x{growth:.1}")
            }
        }
        _ => "-".to_owned(),
    }
}

/// A figure as the tables print it: `-` when missing, no decimals from 100 up, one below.
pub fn format_figure(value: Option<f64>) -> String {
    match value {
        None => "-".to_owned(),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
    }
}

/// `10^4` for 10 000 and so on; other numbers as they are.
pub fn power_of_ten(n: usize) -> String {
    let mut power = 0;
    let mut rest = n;
    while rest >= 10 && rest.is_multiple_of(10) {
        rest /= 10;
        power += 1;
    }
    match (rest, power) {
        (1, p) if p >= 2 => format!("10^{p}"),
        _ => n.to_string(),
    }
}

/// The median of `runs` samples of `sample`.
pub fn median_of(runs: usize, mut sample: impl FnMut() -> f64) -> Option<f64> {
    let samples: Vec<f64> = (0..runs).map(|_| sample()).collect();
    median(&samples)
}

/// Prints a section: its title, a note on what it measures, and its table.
pub fn section(title: &str, note: &str, table: &Table) {
    println!("## {title}\n\n{note}\n\n{table}");
}

/// A row: its name, a figure per size, the verdict from the first size to the last.
pub fn figures_row(name: &str, cells: &[Option<f64>]) -> Vec<String> {
    let mut row = vec![name.to_owned()];
    row.extend(cells.iter().map(|&c| format_figure(c)));
    row.push(verdict(cells[0], cells[cells.len() - 1]));
    row
}

/// `1 key`, `10^4 keys`.
pub fn keys_label(keys: usize) -> String {
    match keys {
        1 => "1 key".to_owned(),
        n => format!("{} keys", power_of_ten(n)),
    }
}

/// A goal and whether it was `met` or `missed`.
pub fn met(ok: bool, goal: &str) -> String {
    format!("{goal}: {}", if ok { "met" } else { "missed" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_flat_or_a_growth_factor() {
        assert_eq!(verdict(Some(100.0), Some(140.0)), "flat");
        assert_eq!(verdict(Some(100.0), Some(60.0)), "flat");
        assert_eq!(verdict(Some(100.0), Some(320.0)), "x3.2");
        assert_eq!(verdict(None, Some(1.0)), "-");
    }

    #[test]
    fn sizes_print_as_powers_of_ten() {
        assert_eq!(power_of_ten(1), "1");
        assert_eq!(power_of_ten(10), "10");
        assert_eq!(power_of_ten(100), "10^2");
        assert_eq!(power_of_ten(10_000), "10^4");
        assert_eq!(power_of_ten(2_000), "2000");
    }
}
