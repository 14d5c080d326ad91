//! A student's bar and line charts: status breakdown, monthly trend, per-course comparison.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::draw::{
    boxed_text, font, horizontal_bar, margin_label, reference_line, render, shorten, themed,
    titled, Drawn, LABEL_SIZE, SMALL_SIZE,
};
use super::{Chart, Lang, Style, STATUS_ORDER};
use crate::measures::StudentReport;
use crate::ReportError;

const SESSIONS: (&str, &str) = ("session", "sessions");
const SESIONES: (&str, &str) = ("sesión", "sesiones");

/// Sessions by status: four bars, each labelled with its count and named on the axis.
pub(crate) fn breakdown(report: &StudentReport, st: &Style) -> Result<Chart, ReportError> {
    let (w, pal, s) = (st.w, &st.pal, report.sessions);
    let title = w.breakdown;
    let parts: Vec<String> = STATUS_ORDER
        .iter()
        .map(|x| format!("{} {}", st.status_name(*x), s.get(*x)))
        .collect();
    let rate = report
        .attendance_rate
        .map(|r| st.pct(r))
        .unwrap_or_else(|| "—".into());
    let alt = match st.lang {
        _ if s.total == 0 => format!("{title}: {}.", w.no_records),
        Lang::En => format!(
            "{title}: {}; {} in total. Attendance rate {rate}.",
            parts.join(", "),
            st.count(s.total as usize, SESSIONS, SESIONES)
        ),
        Lang::Es => format!(
            "{title}: {}; {} en total. Tasa de asistencia {rate}.",
            parts.join(", "),
            st.count(s.total as usize, SESSIONS, SESIONES)
        ),
    };
    render("breakdown", (640, 360), pal.bg, title, alt, |root| {
        let area = titled(root, title, pal.fg)?;
        if s.total == 0 {
            return super::draw::no_data(&area, w.no_records, pal.muted);
        }
        let max = STATUS_ORDER.iter().map(|x| s.get(*x)).max().unwrap_or(0);
        let y_max = (f64::from(max) * 1.15).ceil() as u32 + 1;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((0u32..3).into_segmented(), 0u32..y_max)
            .drawn()?;
        let name = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => STATUS_ORDER
                .get(*i as usize)
                .map(|x| st.status_name(*x).to_string())
                .unwrap_or_default(),
            _ => String::new(),
        };
        themed(&mut chart.configure_mesh(), pal, LABEL_SIZE)
            .disable_x_mesh()
            .x_labels(4)
            .x_label_formatter(&name)
            .y_desc(w.sessions)
            .x_desc(w.status_axis)
            .draw()
            .drawn()?;
        chart
            .draw_series(STATUS_ORDER.iter().zip(0u32..).map(|(x, i)| {
                let corners = [
                    (SegmentValue::Exact(i), 0),
                    (SegmentValue::Exact(i + 1), s.get(*x)),
                ];
                let mut bar = Rectangle::new(corners, pal.status(*x).filled());
                bar.set_margin(0, 0, 20, 20);
                bar
            }))
            .drawn()?;
        let above = font(LABEL_SIZE, pal.fg).pos(Pos::new(HPos::Center, VPos::Bottom));
        chart
            .draw_series(STATUS_ORDER.iter().zip(0u32..).map(|(x, i)| {
                EmptyElement::at((SegmentValue::CenterOf(i), s.get(*x)))
                    + Text::new(s.get(*x).to_string(), (0, -4), above.clone())
            }))
            .drawn()?;
        Ok(())
    })
}

/// Attendance rate per month as a line with labelled points, and the 90 % goal as a dashed line.
pub(crate) fn monthly(report: &StudentReport, st: &Style) -> Result<Chart, ReportError> {
    let (w, pal) = (st.w, &st.pal);
    let title = w.monthly;
    let months: Vec<(String, f64)> = report
        .by_month
        .iter()
        .filter_map(|m| Some((st.month_label(&m.month), m.attendance_rate?)))
        .collect();
    let listed: Vec<String> = months
        .iter()
        .map(|(m, r)| format!("{m} {}", st.pct(*r)))
        .collect();
    let below: Vec<&str> = months
        .iter()
        .filter(|(_, r)| *r < 0.9)
        .map(|(m, _)| m.as_str())
        .collect();
    let alt = match (st.lang, months.is_empty()) {
        (_, true) => format!("{title}: {}.", w.no_records),
        (Lang::En, false) => format!(
            "{title}: {}. {} of {} months below the 90% goal{}.",
            listed.join(", "),
            below.len(),
            months.len(),
            parenthesized(&below)
        ),
        (Lang::Es, false) => format!(
            "{title}: {}. {} de {} meses por debajo de la meta del 90 %{}.",
            listed.join(", "),
            below.len(),
            months.len(),
            parenthesized(&below)
        ),
    };
    render("monthly", (640, 360), pal.bg, title, alt, |root| {
        let area = titled(root, title, pal.fg)?;
        if months.is_empty() {
            return super::draw::no_data(&area, w.no_records, pal.muted);
        }
        // Segments 0..=last: one per month (plotters' integer ranges include their end).
        let last = months.len() as u32 - 1;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_top(24)
            .margin_right(64)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d((0..last).into_segmented(), 0f64..100.0)
            .drawn()?;
        let month = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(i) => months
                .get(*i as usize)
                .map(|m| m.0.clone())
                .unwrap_or_default(),
            _ => String::new(),
        };
        let percent = |v: &f64| percent_tick(*v, st.lang);
        themed(&mut chart.configure_mesh(), pal, SMALL_SIZE)
            .disable_x_mesh()
            .x_labels(months.len())
            .y_labels(6)
            .x_label_formatter(&month)
            .y_label_formatter(&percent)
            .y_desc(w.attendance_rate)
            .x_desc(w.month)
            .draw()
            .drawn()?;
        let goal = [(SegmentValue::Exact(0), 90.0), (SegmentValue::Last, 90.0)];
        chart
            .draw_series(DashedLineSeries::new(goal, 8, 5, pal.fg.stroke_width(2)))
            .drawn()?;
        let points: Vec<_> = months
            .iter()
            .zip(0u32..)
            .map(|((_, r), i)| (SegmentValue::CenterOf(i), r * 100.0))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), pal.line.stroke_width(3)))
            .drawn()?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|p| Circle::new(p.clone(), 5, pal.line.filled())),
            )
            .drawn()?;
        // The goal is named in the right margin, clear of the data.
        let end = chart.backend_coord(&(SegmentValue::Last, 90.0));
        margin_label(root, w.goal_90, end, pal)?;
        // Each rate above its point, or below where the neighbours are higher (a dip).
        let value = |i: usize| months.get(i).map(|m| m.1);
        for (i, (p, (_, r))) in points.iter().zip(&months).enumerate() {
            let (x, y) = chart.backend_coord(p);
            let around: Vec<f64> = [i.checked_sub(1).and_then(value), value(i + 1)]
                .into_iter()
                .flatten()
                .collect();
            let dip = !around.is_empty() && *r < around.iter().sum::<f64>() / around.len() as f64;
            let (at, anchor) = if dip {
                ((x, y + 9), (HPos::Center, VPos::Top))
            } else {
                ((x, y - 9), (HPos::Center, VPos::Bottom))
            };
            boxed_text(root, &st.pct(*r), at, anchor, SMALL_SIZE, pal.fg, pal.bg)?;
        }
        Ok(())
    })
}

/// Attendance rate per course offering as horizontal bars, each labelled with its rate.
pub(crate) fn by_course(report: &StudentReport, st: &Style) -> Result<Chart, ReportError> {
    let (w, pal) = (st.w, &st.pal);
    let title = w.by_course;
    let courses: Vec<(String, f64, u32)> = report
        .by_course
        .iter()
        .filter_map(|c| {
            let name = c
                .course_name
                .clone()
                .unwrap_or_else(|| w.unnamed_course.to_string());
            Some((name, c.attendance_rate?, c.sessions.total))
        })
        .collect();
    let listed: Vec<String> = courses
        .iter()
        .map(|(name, r, n)| {
            let n = st.count(*n as usize, SESSIONS, SESIONES);
            format!("{name} {} ({n})", st.pct(*r))
        })
        .collect();
    let alt = if courses.is_empty() {
        format!("{title}: {}.", w.no_records)
    } else {
        format!("{title}: {}.", listed.join(", "))
    };
    let n = courses.len() as u32;
    let height = (110 + 40 * n).max(220);
    render("by_course", (640, height), pal.bg, title, alt, |root| {
        let area = titled(root, title, pal.fg)?;
        if courses.is_empty() {
            return super::draw::no_data(&area, w.no_records, pal.muted);
        }
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(24)
            .x_label_area_size(48)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..100.0, (0..n - 1).into_segmented())
            .drawn()?;
        // The first course at the top: row j from the bottom holds course n - 1 - j.
        let row = |i: u32| n - 1 - i;
        let name = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(j) if *j < n => courses
                .get(row(*j) as usize)
                .map(|c| shorten(&c.0, 22))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let percent = |v: &f64| percent_tick(*v, st.lang);
        themed(&mut chart.configure_mesh(), pal, SMALL_SIZE)
            .disable_y_mesh()
            .x_labels(6)
            .y_labels(courses.len())
            .x_label_formatter(&percent)
            .y_label_formatter(&name)
            .x_desc(w.attendance_rate)
            .y_desc(w.course)
            .draw()
            .drawn()?;
        chart
            .draw_series(
                courses
                    .iter()
                    .zip(0u32..)
                    .map(|((_, r, _), i)| horizontal_bar(row(i), *r, pal.line.filled(), 7)),
            )
            .drawn()?;
        reference_line(root, &mut chart, 90.0, w.goal_90, pal)?;
        // The rate inside the bar's end, or after a bar too short to hold it.
        for ((_, r, _), i) in courses.iter().zip(0u32..) {
            let (x, y) = chart.backend_coord(&(r * 100.0, SegmentValue::CenterOf(row(i))));
            let (x0, _) = chart.backend_coord(&(0.0, SegmentValue::CenterOf(row(i))));
            let text = st.pct(*r);
            if x - x0 > 70 {
                let inside = (HPos::Right, VPos::Center);
                boxed_text(
                    root,
                    &text,
                    (x - 6, y),
                    inside,
                    SMALL_SIZE,
                    pal.on_line,
                    pal.line,
                )?;
            } else {
                let after = (HPos::Left, VPos::Center);
                boxed_text(root, &text, (x + 6, y), after, SMALL_SIZE, pal.fg, pal.bg)?;
            }
        }
        Ok(())
    })
}

/// An axis tick `80%` / `80 %`.
pub(crate) fn percent_tick(v: f64, lang: Lang) -> String {
    match lang {
        Lang::En => format!("{v:.0}%"),
        Lang::Es => format!("{v:.0} %"),
    }
}

fn parenthesized(items: &[&str]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(" ({})", items.join(", "))
    }
}
