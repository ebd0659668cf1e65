//! The SVG chart of `pool_compare`: operations per second by number of tasks, one line per pool,
//! one panel per pool size, one row of panels per mode; both axes on log scales.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One measured cell of one pool.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The mode (a row of panels), e.g. `get-and-drop`.
    pub mode: String,
    /// The pool size (a panel).
    pub size: usize,
    /// Concurrent tasks (the x axis).
    pub tasks: usize,
    /// The pool (a line).
    pub pool: String,
    /// Median operations per second; `None` for a stall (left out of the line).
    pub ops_per_sec: Option<f64>,
}

const PANEL_WIDTH: u32 = 420;
const PANEL_HEIGHT: u32 = 340;
const TOP: u32 = 80;
const LEGEND: u32 = 40;

/// The colours of the lines, in the order the pools first appear; fusebox's first.
const COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(23, 190, 207),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
];

/// The values of `items` in the order they first appear.
fn distinct<T: PartialEq + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// The smallest power of ten at or above `v` (`v` > 0).
fn decade_above(v: f64) -> f64 {
    10f64.powf(v.log10().ceil())
}

/// The largest power of ten at or below `v` (`v` > 0).
fn decade_below(v: f64) -> f64 {
    10f64.powf(v.log10().floor())
}

/// A rate on an axis: `500k`, `2M`.
fn short_rate(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// Writes the chart of `points` to `path`, titled `title`, with `note` under the title (the
/// machine, the date, the command).
///
/// Modes are rows and sizes columns, in the order they first appear in `points`; each row has
/// its own y range, shared by its panels. A stalled cell (`ops_per_sec` `None`) is a cross at the
/// foot of its panel, in the pool's colour.
///
/// # Errors
///
/// An error of plotters' SVG backend, such as the file not being writable.
pub fn write_svg(
    path: &Path,
    title: &str,
    note: &str,
    points: &[Point],
) -> Result<(), Box<dyn Error>> {
    let modes = distinct(points.iter().map(|p| p.mode.clone()));
    let sizes = distinct(points.iter().map(|p| p.size));
    let pools = distinct(points.iter().map(|p| p.pool.clone()));
    let tasks = {
        let mut t = distinct(points.iter().map(|p| p.tasks));
        t.sort_unstable();
        t
    };
    let cols = sizes.len().max(1);
    let rows = modes.len().max(1);
    let width = PANEL_WIDTH * cols as u32 + 20;
    let height = TOP + LEGEND + PANEL_HEIGHT * rows as u32;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;

    let title_style = ("sans-serif", 22).into_font().color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (20, 12), title_style))?;
    let note_style = ("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90));
    for (i, line) in note.lines().enumerate() {
        let y = 42 + 16 * i as i32;
        root.draw(&Text::new(line.to_owned(), (20, y), note_style.clone()))?;
    }

    // The legend: one swatch per pool, in a row under the note.
    let legend_style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let legend_y = (TOP + LEGEND / 2) as i32;
    let mut x = 30;
    for (i, pool) in pools.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        root.draw(&PathElement::new(
            [(x, legend_y), (x + 24, legend_y)],
            c.stroke_width(3),
        ))?;
        root.draw(&Circle::new((x + 12, legend_y), 4, c.filled()))?;
        root.draw(&Text::new(
            pool.clone(),
            (x + 30, legend_y),
            legend_style.clone(),
        ))?;
        x += 40 + 8 * pool.len() as i32;
    }

    let (_, body) = root.split_vertically(TOP + LEGEND);
    let panels = body.split_evenly((rows, cols));
    let (x_lo, x_hi) = match (tasks.first(), tasks.last()) {
        (Some(&lo), Some(&hi)) => (lo as f64 / 1.4, hi as f64 * 1.4),
        _ => (1.0, 300.0),
    };
    let task_marks: Vec<f64> = tasks.iter().map(|&t| t as f64).collect();

    for (r, mode) in modes.iter().enumerate() {
        let in_mode = || points.iter().filter(move |p| &p.mode == mode);
        let rates = in_mode().filter_map(|p| p.ops_per_sec);
        let positive = rates.filter(|v| v.is_finite() && *v > 0.0);
        let (lo, hi) = positive.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (y_lo, y_hi) = if lo <= hi {
            (decade_below(lo), decade_above(hi * 1.05))
        } else {
            (1e3, 1e7)
        };
        for (c, &size) in sizes.iter().enumerate() {
            let area = &panels[r * cols + c];
            let mut chart = ChartBuilder::on(area)
                .caption(
                    format!("{mode}, pool size {size}"),
                    ("sans-serif", 15).into_font(),
                )
                .margin(8)
                .x_label_area_size(36)
                .y_label_area_size(52)
                .build_cartesian_2d(
                    (x_lo..x_hi).log_scale().with_key_points(task_marks.clone()),
                    (y_lo..y_hi).log_scale(),
                )?;
            chart
                .configure_mesh()
                .x_desc("tasks")
                .y_desc(if c == 0 { "operations per second" } else { "" })
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| short_rate(*v))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(225, 225, 225))
                .label_style(("sans-serif", 11))
                .axis_desc_style(("sans-serif", 12))
                .draw()?;
            for (i, pool) in pools.iter().enumerate() {
                let colour = COLOURS[i % COLOURS.len()];
                let mut line: Vec<(f64, f64)> = in_mode()
                    .filter(|p| p.size == size && &p.pool == pool)
                    .filter_map(|p| Some((p.tasks as f64, p.ops_per_sec?)))
                    .filter(|&(_, v)| v > 0.0)
                    .collect();
                line.sort_by(|a, b| a.0.total_cmp(&b.0));
                chart.draw_series([PathElement::new(line.clone(), colour.stroke_width(2))])?;
                chart.draw_series(
                    line.iter()
                        .map(|&point| Circle::new(point, 3, colour.filled())),
                )?;
                // A stalled cell: a cross at the foot of the panel.
                let stalled = in_mode()
                    .filter(|p| p.size == size && &p.pool == pool && p.ops_per_sec.is_none())
                    .map(|p| Cross::new((p.tasks as f64, y_lo * 1.25), 5, colour.stroke_width(2)));
                chart.draw_series(stalled)?;
            }
        }
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_short() {
        assert_eq!(short_rate(2_000_000.0), "2M");
        assert_eq!(short_rate(500_000.0), "500k");
        assert_eq!(short_rate(1_500.0), "1.5k");
    }

    #[test]
    fn writes_a_chart_with_a_stall() {
        let mut points = Vec::new();
        for mode in ["get-and-drop", "hold"] {
            for size in [2, 8] {
                for tasks in [2, 8, 32, 256] {
                    for (pool, rate) in [("fusebox", 2e6), ("peer", 1e6)] {
                        points.push(Point {
                            mode: mode.into(),
                            size,
                            tasks,
                            pool: pool.into(),
                            ops_per_sec: (tasks != 32 || pool == "fusebox")
                                .then_some(rate / tasks as f64),
                        });
                    }
                }
            }
        }
        let path = std::env::temp_dir().join(format!("pool_chart_{}.svg", std::process::id()));
        write_svg(&path, "title", "line one\nline two", &points).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(svg.contains("get-and-drop, pool size 8"));
        assert!(svg.contains("hold, pool size 2"));
        assert!(svg.contains("fusebox"));
    }
}
