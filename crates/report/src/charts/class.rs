//! A class overview's charts: the daily attendance rate and the students most absent.

use chrono::TimeDelta;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};
use rollbook_core::Day;

use super::draw::{
    boxed_text, horizontal_bar, margin_label, no_data, reference_line, render, shorten, themed,
    titled, Drawn, SMALL_SIZE,
};
use super::student::percent_tick;
use super::{Chart, Lang, Style};
use crate::class::ClassOverview;
use crate::ReportError;

const DAYS: (&str, &str) = ("day", "days");
const DIAS: (&str, &str) = ("día", "días");
const STUDENTS: (&str, &str) = ("student", "students");
const ESTUDIANTES: (&str, &str) = ("estudiante", "estudiantes");

/// Daily attendance rate over the term as a line with the dashed 90 % goal.
pub(crate) fn daily(overview: &ClassOverview, st: &Style) -> Result<Chart, ReportError> {
    let (w, pal) = (st.w, &st.pal);
    let title = match &overview.offering_name {
        Some(name) => format!("{} — {name}", w.class_daily),
        None => w.class_daily.to_string(),
    };
    let points: Vec<(Day, f64)> = overview
        .daily
        .iter()
        .filter_map(|d| Some((d.date, d.attendance_rate?)))
        .collect();
    let alt = daily_alt(&title, &points, st);
    let Some(((first, _), (last, _))) = points.first().zip(points.last()) else {
        return render("daily", (720, 360), pal.bg, &title, alt, |root| {
            let area = titled(root, &title, pal.fg)?;
            no_data(&area, w.no_records, pal.muted)
        });
    };
    let (first, last) = (*first, *last);
    let offset = |d: Day| (d.date() - first.date()).num_days();
    let span = offset(last).max(1);
    render("daily", (720, 360), pal.bg, &title, alt.clone(), |root| {
        let area = titled(root, &title, pal.fg)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .margin_right(64)
            .x_label_area_size(48)
            .y_label_area_size(64)
            .build_cartesian_2d(0i64..span, 0f64..100.0)
            .drawn()?;
        let date = |v: &i64| st.short_day(Day::from_date(first.date() + TimeDelta::days(*v)));
        let percent = |v: &f64| percent_tick(*v, st.lang);
        themed(&mut chart.configure_mesh(), pal, SMALL_SIZE)
            .x_labels(8)
            .y_labels(6)
            .x_label_formatter(&date)
            .y_label_formatter(&percent)
            .x_desc(w.date)
            .y_desc(w.attendance_rate)
            .draw()
            .drawn()?;
        let goal = [(0, 90.0), (span, 90.0)];
        chart
            .draw_series(DashedLineSeries::new(goal, 8, 5, pal.fg.stroke_width(2)))
            .drawn()?;
        let line = points.iter().map(|(d, r)| (offset(*d), r * 100.0));
        chart
            .draw_series(LineSeries::new(line, pal.line.stroke_width(2)))
            .drawn()?;
        // Markers only while they stay apart; a whole year is a line.
        if points.len() <= 60 {
            let marks = points
                .iter()
                .map(|(d, r)| Circle::new((offset(*d), r * 100.0), 3, pal.line.filled()));
            chart.draw_series(marks).drawn()?;
        }
        // The goal is named in the right margin, clear of the data.
        let end = chart.backend_coord(&(span, 90.0));
        margin_label(root, w.goal_90, end, pal)?;
        Ok(())
    })
}

fn daily_alt(title: &str, points: &[(Day, f64)], st: &Style) -> String {
    let (Some(lowest), Some((first, _)), Some((last, _))) = (
        points.iter().min_by(|a, b| a.1.total_cmp(&b.1)),
        points.first(),
        points.last(),
    ) else {
        return format!("{title}: {}.", st.w.no_records);
    };
    let highest = points
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or(lowest);
    let mean = points.iter().map(|p| p.1).sum::<f64>() / points.len() as f64;
    let below = points.iter().filter(|p| p.1 < 0.9).count();
    let n = st.count(points.len(), DAYS, DIAS);
    let below = st.count(below, DAYS, DIAS);
    match st.lang {
        Lang::En => format!(
            "{title}, {first} to {last}, {n}: mean {}, lowest {} on {}, highest {} on {}; \
             {below} below the 90% goal.",
            st.pct(mean),
            st.pct(lowest.1),
            lowest.0,
            st.pct(highest.1),
            highest.0
        ),
        Lang::Es => format!(
            "{title}, del {first} al {last}, {n}: media {}, mínima {} el {}, máxima {} el \
             {}; {below} por debajo de la meta del 90 %.",
            st.pct(mean),
            st.pct(lowest.1),
            lowest.0,
            st.pct(highest.1),
            highest.0
        ),
    }
}

/// The `top_n` students with the highest absence rate as horizontal bars, highest at the
/// top, each labelled with its rate and tier (the bar colour repeats the tier), with the
/// chronic-absence line at 10 % (Attendance Works).
pub(crate) fn at_risk(
    overview: &ClassOverview,
    top_n: usize,
    st: &Style,
) -> Result<Chart, ReportError> {
    let (w, pal) = (st.w, &st.pal);
    let title = w.at_risk;
    let rows: Vec<(String, f64, crate::Tier)> = overview
        .students
        .iter()
        .filter_map(|s| {
            let name = s
                .name
                .clone()
                .unwrap_or_else(|| w.unnamed_student.to_string());
            Some((name, s.absence_rate?, s.tier))
        })
        .take(top_n)
        .collect();
    let listed: Vec<String> = rows
        .iter()
        .map(|(name, r, t)| format!("{name} {} ({})", st.pct(*r), w.tier(*t)))
        .collect();
    let chronic = overview
        .students
        .iter()
        .filter(|s| {
            matches!(
                s.tier,
                crate::Tier::ModerateChronic | crate::Tier::SevereChronic
            )
        })
        .count();
    let alt = match (st.lang, rows.is_empty()) {
        (_, true) => format!("{title}: {}.", w.no_records),
        (Lang::En, false) => format!(
            "{title}, top {} of {}: {}. {chronic} chronically absent (10% of days or more).",
            rows.len(),
            st.count(overview.students.len(), STUDENTS, ESTUDIANTES),
            listed.join(", ")
        ),
        (Lang::Es, false) => format!(
            "{title}, {} de {}: {}. {chronic} con ausentismo crónico (10 % de los días o más).",
            match rows.len() {
                1 => "el primero".to_string(),
                n => format!("los {n} primeros"),
            },
            st.count(overview.students.len(), STUDENTS, ESTUDIANTES),
            listed.join(", ")
        ),
    };
    let n = rows.len() as u32;
    let height = (110 + 34 * n).max(220);
    // The axis reaches at least 25 % so the 10 % line has room; the labels after the bars need
    // about as much room again.
    let max = rows.first().map_or(0.25, |r| r.1).max(0.25) * 100.0;
    let x_max = max * 1.9;
    render("at_risk", (720, height), pal.bg, title, alt, |root| {
        let area = titled(root, title, pal.fg)?;
        if rows.is_empty() {
            return no_data(&area, w.no_records, pal.muted);
        }
        let mut chart = ChartBuilder::on(&area)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(170)
            .build_cartesian_2d(0f64..x_max, (0..n - 1).into_segmented())
            .drawn()?;
        let row = |i: u32| n - 1 - i;
        let name = |v: &SegmentValue<u32>| match v {
            SegmentValue::CenterOf(j) if *j < n => rows
                .get(row(*j) as usize)
                .map(|r| shorten(&r.0, 22))
                .unwrap_or_default(),
            _ => String::new(),
        };
        let percent = |v: &f64| {
            if *v > max {
                String::new()
            } else {
                percent_tick(*v, st.lang)
            }
        };
        themed(&mut chart.configure_mesh(), pal, SMALL_SIZE)
            .disable_y_mesh()
            .x_labels(8)
            .y_labels(rows.len())
            .x_label_formatter(&percent)
            .y_label_formatter(&name)
            .x_desc(w.absence_rate)
            .y_desc(w.student)
            .draw()
            .drawn()?;
        chart
            .draw_series(
                rows.iter()
                    .zip(0u32..)
                    .map(|((_, r, t), i)| horizontal_bar(row(i), *r, pal.tier(*t).filled(), 6)),
            )
            .drawn()?;
        reference_line(root, &mut chart, 10.0, w.chronic_10, pal)?;
        for ((_, r, t), i) in rows.iter().zip(0u32..) {
            let (x, y) = chart.backend_coord(&(r * 100.0, SegmentValue::CenterOf(row(i))));
            let text = format!("{} · {}", st.pct(*r), w.tier(*t));
            let after = (HPos::Left, VPos::Center);
            boxed_text(root, &text, (x + 6, y), after, SMALL_SIZE, pal.fg, pal.bg)?;
        }
        Ok(())
    })
}
