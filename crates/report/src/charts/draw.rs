//! What every chart shares: colours per theme, the bundled font, the SVG canvas and its
//! accessible title and description.

use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontStyle;
use rollbook_core::Status;

use super::{status_index, Theme};
use crate::measures::Tier;
use crate::ReportError;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`): plotters measures text
/// with it, and the PNG renderer draws with it, so layout and pixels agree everywhere.
pub(crate) static FONT: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");

/// The family plotters writes into the SVG; the PNG renderer maps it to [`FONT`].
pub(crate) const FAMILY: &str = "sans-serif";

pub(crate) const TITLE_SIZE: f64 = 22.0;
pub(crate) const LABEL_SIZE: f64 = 15.0;
pub(crate) const SMALL_SIZE: f64 = 13.0;

/// Colours chosen from the Okabe–Ito palette (distinguishable with colour-vision deficiency);
/// status fills are mid-tones that carry black letters in both themes.
pub(crate) struct Palette {
    pub bg: RGBColor,
    pub fg: RGBColor,
    pub muted: RGBColor,
    pub grid: RGBColor,
    pub line: RGBColor,
    pub on_fill: RGBColor,
    /// Text on a bar of the `line` colour.
    pub on_line: RGBColor,
    pub status: [RGBColor; 4],
    pub heat_lo: RGBColor,
    pub heat_hi: RGBColor,
    pub tier: [RGBColor; 5],
}

impl Palette {
    pub fn of(theme: Theme) -> Palette {
        let status = [
            RGBColor(0x00, 0x9E, 0x73), // present: bluish green
            RGBColor(0xE6, 0x9F, 0x00), // late: orange
            RGBColor(0xD5, 0x5E, 0x00), // absent: vermillion
            RGBColor(0x56, 0xB4, 0xE9), // excused: sky blue
        ];
        match theme {
            Theme::Light => Palette {
                bg: RGBColor(0xFF, 0xFF, 0xFF),
                fg: RGBColor(0x1A, 0x1A, 0x1A),
                muted: RGBColor(0x5F, 0x5F, 0x5F),
                grid: RGBColor(0xDD, 0xDD, 0xDD),
                line: RGBColor(0x00, 0x72, 0xB2),
                on_fill: BLACK,
                on_line: WHITE,
                status,
                heat_lo: RGBColor(0xCC, 0xEB, 0xDF),
                heat_hi: RGBColor(0xB3, 0x3C, 0x00),
                tier: [
                    RGBColor(0x9A, 0x9A, 0x9A),
                    status[0],
                    status[1],
                    status[2],
                    RGBColor(0xA0, 0x1E, 0x1E),
                ],
            },
            Theme::Dark => Palette {
                bg: RGBColor(0x1E, 0x1E, 0x24),
                fg: RGBColor(0xEC, 0xEC, 0xEC),
                muted: RGBColor(0xB0, 0xB0, 0xB8),
                grid: RGBColor(0x44, 0x44, 0x4E),
                line: RGBColor(0x56, 0xB4, 0xE9),
                on_fill: BLACK,
                on_line: BLACK,
                status,
                heat_lo: RGBColor(0x2E, 0x5E, 0x4E),
                heat_hi: RGBColor(0xFF, 0x8C, 0x42),
                tier: [
                    RGBColor(0x80, 0x80, 0x88),
                    status[0],
                    status[1],
                    status[2],
                    RGBColor(0xFF, 0x6B, 0x6B),
                ],
            },
        }
    }

    pub fn status(&self, s: Status) -> RGBColor {
        self.status[status_index(s)]
    }

    pub fn tier(&self, t: Tier) -> RGBColor {
        self.tier[match t {
            Tier::InsufficientData => 0,
            Tier::Satisfactory => 1,
            Tier::AtRisk => 2,
            Tier::ModerateChronic => 3,
            Tier::SevereChronic => 4,
        }]
    }

    /// The heatmap shade of a day absence 0..=1.
    pub fn heat(&self, absence: f64) -> RGBColor {
        let t = absence.clamp(0.0, 1.0);
        let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        let (lo, hi) = (self.heat_lo, self.heat_hi);
        RGBColor(mix(lo.0, hi.0), mix(lo.1, hi.1), mix(lo.2, hi.2))
    }
}

/// A text style in the bundled family.
pub(crate) fn font(size: f64, color: RGBColor) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&color)
}

pub(crate) type Area<'b> = DrawingArea<SVGBackend<'b>, Shift>;

/// Turns a plotters error into a message (plotters errors are generic over the backend).
pub(crate) trait Drawn<T> {
    fn drawn(self) -> Result<T, String>;
}

impl<T, E: std::fmt::Display> Drawn<T> for Result<T, E> {
    fn drawn(self) -> Result<T, String> {
        self.map_err(|e| e.to_string())
    }
}

/// Draws a chart of `size` pixels on the theme background and returns the finished [`Chart`].
pub(crate) fn render(
    name: &'static str,
    size: (u32, u32),
    bg: RGBColor,
    title: &str,
    alt: String,
    draw: impl for<'b> FnOnce(&Area<'b>) -> Result<(), String>,
) -> Result<super::Chart, ReportError> {
    register_font();
    let mut svg = String::with_capacity(16 * 1024);
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let (w, h) = (size.0 as i32, size.1 as i32);
        // The background is a polygon, not a rect, so that in the heatmap every <rect> is a day.
        let result = root
            .draw(&Polygon::new(
                vec![(0, 0), (w, 0), (w, h), (0, h)],
                bg.filled(),
            ))
            .drawn()
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().drawn());
        result.map_err(|message| ReportError::Chart {
            chart: name,
            message,
        })?;
    }
    Ok(super::Chart {
        svg: accessible(&svg, title, &alt),
        alt,
        title: title.to_string(),
    })
}

/// Registers the bundled font with plotters once, under the family the charts use.
fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Cannot fail for the bundled font (a test renders text); if it did, drawing text
        // would report a font error for the chart instead of panicking here.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Adds `role="img"`, `<title>` and `<desc>` to the root element.
fn accessible(svg: &str, title: &str, alt: &str) -> String {
    let Some(end) = svg.find('>') else {
        return svg.to_string();
    };
    let (head, rest) = svg.split_at(end);
    format!(
        "{head} role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n<desc>{}</desc>{}",
        xml_escape(title),
        xml_escape(title),
        xml_escape(alt),
        &rest[1..]
    )
}

pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Draws the chart title at the top and returns the area below it.
pub(crate) fn titled<'b>(root: &Area<'b>, title: &str, fg: RGBColor) -> Result<Area<'b>, String> {
    root.titled(title, font(TITLE_SIZE, fg)).drawn()
}

/// A label on an opaque backdrop of `bg`, so grid and reference lines never cross its text.
/// `at` is in pixels of `root`, anchored by `h`/`v`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn boxed_text(
    root: &Area<'_>,
    text: &str,
    (x, y): (i32, i32),
    (h, v): (HPos, VPos),
    size: f64,
    fg: RGBColor,
    bg: RGBColor,
) -> Result<(), String> {
    let style = font(size, fg).pos(Pos::new(h, v));
    let (w, th) = root.estimate_text_size(text, &style).drawn()?;
    let (w, th) = (w as i32, th as i32);
    let x0 = match h {
        HPos::Left => x,
        HPos::Center => x - w / 2,
        HPos::Right => x - w,
    };
    let y0 = match v {
        VPos::Top => y,
        VPos::Center => y - th / 2,
        VPos::Bottom => y - th,
    };
    let (l, t, r, b) = (x0 - 3, y0 - 2, x0 + w + 3, y0 + th + 2);
    root.draw(&Polygon::new(
        vec![(l, t), (r, t), (r, b), (l, b)],
        bg.filled(),
    ))
    .drawn()?;
    root.draw_text(text, &style, (x, y)).drawn()
}

/// Names a horizontal line (the 90 % goal) in the right margin, just after its right end `end`
/// (in pixels of `root`), clear of the data.
pub(crate) fn margin_label(
    root: &Area<'_>,
    label: &str,
    (x, y): (i32, i32),
    pal: &Palette,
) -> Result<(), String> {
    let right = (HPos::Left, VPos::Center);
    boxed_text(root, label, (x + 6, y), right, SMALL_SIZE, pal.fg, pal.bg)
}

/// A centred message where a chart has nothing to show.
pub(crate) fn no_data(area: &Area<'_>, message: &str, muted: RGBColor) -> Result<(), String> {
    let (w, h) = area.dim_in_pixel();
    let style = font(LABEL_SIZE, muted).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(message, &style, (w as i32 / 2, h as i32 / 2))
        .drawn()
}

/// At most `max` characters, with an ellipsis when cut.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The theme on a chart's mesh: axes and labels in the foreground colour (tick labels at
/// `label_size`, axis names at [`LABEL_SIZE`]), grid lines at the bold ticks only.
pub(crate) fn themed<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
    pal: &Palette,
    label_size: f64,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.axis_style(pal.fg)
        .label_style(font(label_size, pal.fg))
        .axis_desc_style(font(LABEL_SIZE, pal.fg))
        .bold_line_style(pal.grid)
        .light_line_style(TRANSPARENT)
}

/// The coordinates of the horizontal bar charts: a percentage across, one row per item.
pub(crate) type BarRows = Cartesian2d<
    plotters::coord::types::RangedCoordf64,
    plotters::coord::ranged1d::SegmentedCoord<plotters::coord::types::RangedCoordu32>,
>;

/// The bar of row `row` (counted from the bottom) in a horizontal bar chart, from 0 to `rate`
/// (0..=1) across, `margin` pixels clear of the rows above and below.
pub(crate) fn horizontal_bar(
    row: u32,
    rate: f64,
    style: ShapeStyle,
    margin: u32,
) -> Rectangle<(f64, SegmentValue<u32>)> {
    let corners = [
        (0.0, SegmentValue::Exact(row)),
        (rate * 100.0, SegmentValue::Exact(row + 1)),
    ];
    let mut bar = Rectangle::new(corners, style);
    bar.set_margin(margin, margin, 0, 0);
    bar
}

/// A dashed vertical reference line at `x` % across a horizontal bar chart (the 90 % goal, the
/// 10 % chronic-absence line), labelled just above the plot.
pub(crate) fn reference_line(
    root: &Area<'_>,
    chart: &mut ChartContext<'_, SVGBackend<'_>, BarRows>,
    x: f64,
    label: &str,
    pal: &Palette,
) -> Result<(), String> {
    let line = [(x, SegmentValue::Exact(0)), (x, SegmentValue::Last)];
    chart
        .draw_series(DashedLineSeries::new(line, 8, 5, pal.fg.stroke_width(2)))
        .drawn()?;
    let (lx, ly) = chart.backend_coord(&(x, SegmentValue::Last));
    let above = (HPos::Center, VPos::Bottom);
    boxed_text(root, label, (lx, ly - 2), above, SMALL_SIZE, pal.fg, pal.bg)
}
