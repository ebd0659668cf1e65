//! The SVG chart of `breaker_compare`: nanoseconds per call of each measured call, one bar for one
//! thread and one for two threads, on a log scale.

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::breaker_peers::{Kind, Library};

/// One measured call as the chart shows it.
#[derive(Clone, Debug)]
pub struct Bars {
    /// `library call`.
    pub label: String,
    /// The library, which picks the colour.
    pub library: Library,
    /// Closed check or fail-fast.
    pub kind: Kind,
    /// Median nanoseconds per call on one thread.
    pub one_thread: f64,
    /// Median nanoseconds per call on each of two threads.
    pub two_threads: f64,
}

const WIDTH: u32 = 1100;
const LABEL_WIDTH: u32 = 330;
const ROW_HEIGHT: u32 = 44;
const TOP: u32 = 70;
const BOTTOM: u32 = 60;

fn colour(library: Library) -> RGBColor {
    match library {
        Library::Fusebox => RGBColor(31, 119, 180),
        Library::Failsafe => RGBColor(255, 127, 14),
        Library::Recloser => RGBColor(44, 160, 44),
    }
}

/// The smallest power of ten at or above `v` (`v` > 0).
fn decade_above(v: f64) -> f64 {
    10f64.powf(v.log10().ceil())
}

/// The largest power of ten at or below `v` (`v` > 0).
fn decade_below(v: f64) -> f64 {
    10f64.powf(v.log10().floor())
}

/// Writes the chart of `rows` (top to bottom) to `path`, titled `title`, with `note` under the
/// title (the machine, the run).
///
/// # Errors
///
/// An error of plotters' SVG backend, such as the file not being writable.
pub fn write_svg(
    path: &Path,
    title: &str,
    note: &str,
    rows: &[Bars],
) -> Result<(), Box<dyn Error>> {
    let n = rows.len();
    let height = TOP + BOTTOM + ROW_HEIGHT * n as u32;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;

    let values = rows.iter().flat_map(|r| [r.one_thread, r.two_threads]);
    let positive = values.filter(|v| v.is_finite() && *v > 0.0);
    let (lo, hi) = positive.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let (x_min, x_max) = if lo <= hi {
        (decade_below(lo), decade_above(hi * 4.0))
    } else {
        (0.1, 1000.0)
    };

    let title_style = ("sans-serif", 22).into_font().color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (20, 12), title_style))?;
    let note_style = ("sans-serif", 14).into_font().color(&RGBColor(90, 90, 90));
    root.draw(&Text::new(note.to_owned(), (20, 42), note_style))?;

    let (_, right) = root.split_horizontally(LABEL_WIDTH);
    let mut chart = ChartBuilder::on(&right)
        .margin_top(TOP)
        .margin_right(30)
        .x_label_area_size(BOTTOM - 10)
        .build_cartesian_2d((x_min..x_max).log_scale(), 0f64..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_desc("nanoseconds per call (log scale, lower is better)")
        .x_label_formatter(&|v| format!("{v}"))
        .light_line_style(WHITE)
        .draw()?;

    let bottom_of = |i: usize| (n - 1 - i) as f64;
    for library in [Library::Fusebox, Library::Failsafe, Library::Recloser] {
        let c = colour(library);
        let mine = || {
            rows.iter()
                .enumerate()
                .filter(move |(_, r)| r.library == library)
        };
        let one = mine().map(|(i, r)| {
            let y = bottom_of(i);
            Rectangle::new([(x_min, y + 0.52), (r.one_thread, y + 0.9)], c.filled())
        });
        chart
            .draw_series(one)?
            .label(format!("{}, 1 thread", library.name()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
        let two = mine().map(|(i, r)| {
            let y = bottom_of(i);
            Rectangle::new(
                [(x_min, y + 0.1), (r.two_threads, y + 0.48)],
                c.mix(0.4).filled(),
            )
        });
        chart
            .draw_series(two)?
            .label(format!("{}, 2 threads", library.name()))
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.mix(0.4).filled())
            });
    }

    // A rule between the closed checks and the rejections.
    for i in 1..n {
        if rows[i].kind != rows[i - 1].kind {
            let y = bottom_of(i - 1);
            let rule = PathElement::new([(x_min, y), (x_max, y)], RGBColor(150, 150, 150));
            chart.draw_series([rule])?;
        }
    }

    let value_style = ("sans-serif", 12)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        let y = bottom_of(i);
        for (v, dy) in [(row.one_thread, 0.71), (row.two_threads, 0.29)] {
            let text = format!("{v:.2}");
            chart.draw_series([Text::new(text, (v * 1.06, y + dy), value_style.clone())])?;
        }
    }

    // The case labels, in the free band left of the plot, at the rows' heights.
    let label_style = ("sans-serif", 14)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    let kind_style = ("sans-serif", 12)
        .into_font()
        .color(&RGBColor(90, 90, 90))
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, row) in rows.iter().enumerate() {
        let (_, y) = chart.backend_coord(&(x_min, bottom_of(i) + 0.5));
        let x = LABEL_WIDTH as i32 - 10;
        root.draw(&Text::new(
            row.label.clone(),
            (x, y - 8),
            label_style.clone(),
        ))?;
        root.draw(&Text::new(
            row.kind.to_string(),
            (x, y + 9),
            kind_style.clone(),
        ))?;
    }

    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .label_font(("sans-serif", 12))
        .draw()?;
    root.present()?;
    Ok(())
}
