//! The SVG chart of `http_compare`: requests per second per client, one panel per workload, each
//! on its own linear scale (a 1 MiB body and a 100-byte one differ by orders of magnitude).

use std::error::Error;
use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::http_clients::Kind;

/// One panel of the chart: a workload and the median rate of each client on it.
#[derive(Clone, Debug)]
pub struct Panel {
    /// The workload, as the panel's title.
    pub title: String,
    /// Each client's median requests per second, top to bottom; `None` for a client whose
    /// rounds failed.
    pub bars: Vec<(Kind, Option<f64>)>,
}

const WIDTH: u32 = 1100;
const LABEL_WIDTH: u32 = 330;
const ROW_HEIGHT: u32 = 26;
const HEADER: u32 = 70;
const PANEL_TOP: u32 = 34;
const PANEL_BOTTOM: u32 = 46;

fn colour(kind: Kind) -> RGBColor {
    match kind {
        Kind::FuseboxTokio => RGBColor(31, 119, 180),
        Kind::FuseTokio => RGBColor(95, 160, 215),
        Kind::FuseboxSmol => RGBColor(23, 190, 207),
        Kind::FuseSmol => RGBColor(120, 215, 225),
        Kind::BareTokio | Kind::BareSmol => RGBColor(148, 103, 189),
        Kind::HyperUtil => RGBColor(255, 127, 14),
        Kind::Reqwest => RGBColor(44, 160, 44),
        Kind::Unpooled => RGBColor(150, 150, 150),
        Kind::FuseboxHttps => RGBColor(31, 119, 180),
        Kind::UnpooledHttps => RGBColor(150, 150, 150),
    }
}

/// A rate as the chart prints it next to its bar.
fn format_rate(rate: f64) -> String {
    if rate >= 10_000.0 {
        format!("{:.1}k", rate / 1e3)
    } else {
        format!("{rate:.0}")
    }
}

/// Writes the chart of `panels` (top to bottom) to `path`, titled `title`, with `note` under the
/// title (the machine, the run).
///
/// # Errors
///
/// An error of plotters' SVG backend, such as the file not being writable.
pub fn write_svg(
    path: &Path,
    title: &str,
    note: &str,
    panels: &[Panel],
) -> Result<(), Box<dyn Error>> {
    let heights: Vec<u32> = panels
        .iter()
        .map(|p| PANEL_TOP + PANEL_BOTTOM + ROW_HEIGHT * p.bars.len() as u32)
        .collect();
    let height = HEADER + heights.iter().sum::<u32>();
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE)?;

    let title_style = ("sans-serif", 22).into_font().color(&BLACK);
    root.draw(&Text::new(title.to_owned(), (20, 12), title_style))?;
    let note_style = ("sans-serif", 14).into_font().color(&RGBColor(90, 90, 90));
    root.draw(&Text::new(note.to_owned(), (20, 42), note_style))?;

    let (_, mut rest) = root.split_vertically(HEADER);
    for (panel, &panel_height) in panels.iter().zip(&heights) {
        let (area, below) = rest.split_vertically(panel_height);
        rest = below;
        draw_panel(&area, panel)?;
    }
    root.present()?;
    Ok(())
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel,
) -> Result<(), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let n = panel.bars.len();
    let max = panel
        .bars
        .iter()
        .filter_map(|(_, r)| *r)
        .filter(|r| r.is_finite())
        .fold(0.0, f64::max);
    let x_max = if max > 0.0 { max * 1.18 } else { 1.0 };

    let heading = ("sans-serif", 16).into_font().color(&BLACK);
    area.draw(&Text::new(panel.title.clone(), (20, 8), heading))?;

    let (labels, right) = area.split_horizontally(LABEL_WIDTH);
    let mut chart = ChartBuilder::on(&right)
        .margin_top(PANEL_TOP)
        .margin_right(30)
        .x_label_area_size(PANEL_BOTTOM - 10)
        .build_cartesian_2d(0f64..x_max, 0f64..n as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_labels(8)
        .x_desc("requests per second (median of rounds, higher is better)")
        .x_label_formatter(&|v| format_rate(*v))
        .light_line_style(WHITE)
        .draw()?;

    let bottom_of = |i: usize| (n - 1 - i) as f64;
    let bars = panel
        .bars
        .iter()
        .enumerate()
        .filter_map(|(i, (kind, rate))| {
            let rate = (*rate)?;
            let y = bottom_of(i);
            Some(Rectangle::new(
                [(0.0, y + 0.18), (rate, y + 0.82)],
                colour(*kind).filled(),
            ))
        });
    chart.draw_series(bars)?;

    let value_style = ("sans-serif", 12)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, (_, rate)) in panel.bars.iter().enumerate() {
        let y = bottom_of(i) + 0.5;
        let (x, text) = match rate {
            Some(rate) => (*rate + x_max * 0.005, format_rate(*rate)),
            None => (x_max * 0.005, "failed".to_owned()),
        };
        chart.draw_series([Text::new(text, (x, y), value_style.clone())])?;
    }

    // The client names, in the band left of the plot, at the rows' heights.
    let label_style = ("sans-serif", 13)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Right, VPos::Center));
    for (i, (kind, _)) in panel.bars.iter().enumerate() {
        let (_, y) = chart.backend_coord(&(0.0, bottom_of(i) + 0.5));
        // `backend_coord` is in the whole backend's pixels; the label band starts at the
        // panel's top.
        let (_, top) = labels.get_base_pixel();
        labels.draw(&Text::new(
            kind.name().to_owned(),
            (LABEL_WIDTH as i32 - 10, y - top),
            label_style.clone(),
        ))?;
    }
    Ok(())
}
