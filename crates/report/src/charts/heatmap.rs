//! Day-level charts of one student: the term calendar and the strip of the last observed days.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rollbook_core::calendar::{Calendar, SCHOOL_WEEK};
use rollbook_core::{Day, Id, Status};

use super::draw::{font, render, shorten, titled, Area, Drawn, LABEL_SIZE, SMALL_SIZE};
use super::{Chart, Lang, Style, STATUS_ORDER};
use crate::measures::DayTally;
use crate::records::SessionRecord;
use crate::ReportError;

const CELL: i32 = 16;
const STEP: i32 = CELL + 3;
const LEFT: i32 = 52;
const TOP: i32 = 72;
/// The calendar shows at most this many days (a school year); a longer range keeps its end.
const MAX_SPAN_DAYS: i64 = 366;

/// The term as a calendar: one column per week, one row per weekday (Monday–Friday), one
/// `<rect>` per weekday in the range and nothing else drawn as a rect. Observed days are filled
/// by day absence (with / for a partly absent day and × for a day fully absent); school days
/// without records are hollow outlines; weekdays without class (a non-school day, or a day
/// none of the student's courses meets, from [`Calendar`]) are filled grey. The range is the
/// report's, or the observed days'.
pub(crate) fn heatmap(
    days: &[DayTally],
    records: &[&SessionRecord],
    calendar: &Calendar,
    from: Option<Day>,
    to: Option<Day>,
    st: &Style,
) -> Result<Chart, ReportError> {
    let (w, pal) = (st.w, &st.pal);
    let title = w.heatmap;
    let first = from.or(days.first().map(|d| d.date));
    let last = to.or(days.last().map(|d| d.date));
    let range = match (first, last) {
        (Some(a), Some(b)) if a <= b => Some((a.date(), b.date())),
        (Some(_), Some(_)) | (None, None) => None,
        (Some(a), None) | (None, Some(a)) => Some((a.date(), a.date())),
    };
    let clipped = range.is_some_and(|(a, b)| (b - a).num_days() >= MAX_SPAN_DAYS);
    let range = range.map(|(a, b)| {
        (
            if clipped {
                b - TimeDelta::days(MAX_SPAN_DAYS - 1)
            } else {
                a
            },
            b,
        )
    });

    let offerings: BTreeSet<&Id> = records.iter().map(|r| &r.offering_id).collect();
    // A student with no records is taken to have class every school day of the week.
    let has_class = |day: Day| {
        if offerings.is_empty() {
            calendar.is_school_day(day) && SCHOOL_WEEK.contains(&day.weekday())
        } else {
            offerings.iter().any(|o| calendar.meets(o, day))
        }
    };
    let mut cells: Vec<Cell<'_>> = Vec::new();
    if let Some((start, end)) = range {
        let monday = start - TimeDelta::days(i64::from(start.weekday().num_days_from_monday()));
        let mut d = start;
        while d <= end {
            let row = d.weekday().num_days_from_monday() as i32;
            if row < 5 {
                let col = ((d - monday).num_days() / 7) as i32;
                let day = Day::from_date(d);
                let tally = days
                    .binary_search_by_key(&day, |t| t.date)
                    .ok()
                    .map(|i| &days[i]);
                let class = tally.is_some() || has_class(day);
                cells.push(Cell {
                    col,
                    row,
                    day,
                    tally,
                    class,
                });
            }
            let Some(next) = d.succ_opt() else { break };
            d = next;
        }
    }
    let weeks = cells.last().map_or(0, |c| c.col + 1);
    let observed = cells.iter().filter(|c| c.tally.is_some()).count();
    let full = cells
        .iter()
        .filter(|c| c.tally.is_some_and(DayTally::fully_absent))
        .count();
    let partly = cells
        .iter()
        .filter(|c| {
            c.tally
                .is_some_and(|t| !t.fully_absent() && t.absence() > 0.0)
        })
        .count();
    let no_class = cells.iter().filter(|c| !c.class).count();
    let weekend = range.map_or(0, |(a, b)| {
        days.iter()
            .filter(|t| t.date.date() >= a && t.date.date() <= b)
            .filter(|t| matches!(t.date.date().weekday(), Weekday::Sat | Weekday::Sun))
            .count()
    });
    let alt = heatmap_alt(
        st,
        range,
        Counts {
            weekdays: cells.len(),
            observed,
            full,
            partly,
            no_class,
            weekend,
        },
        clipped,
    );

    let width = (LEFT + weeks * STEP + 24).max(640) as u32;
    let height = (TOP + 5 * STEP + 52) as u32;
    render("heatmap", (width, height), pal.bg, title, alt, |root| {
        let area = titled(root, title, pal.fg)?;
        if cells.is_empty() {
            return super::draw::no_data(&area, w.no_records, pal.muted);
        }
        let label = font(SMALL_SIZE, pal.fg).pos(Pos::new(HPos::Right, VPos::Center));
        for (row, name) in w.weekdays.iter().enumerate() {
            let y = TOP + row as i32 * STEP + CELL / 2;
            root.draw_text(name, &label, (LEFT - 6, y)).drawn()?;
        }
        let mut last_label: Option<(i32, u8)> = None;
        for Cell { col, day, .. } in &cells {
            let month = day.date().month() as u8;
            let due = match last_label {
                None => true,
                Some((c, m)) => m != month && col - c >= 3,
            };
            if due {
                let mut text = w.months[usize::from(month) - 1].to_string();
                if last_label.is_none() || month == 1 {
                    text = format!("{text} {}", day.date().year());
                }
                let style = font(SMALL_SIZE, pal.fg).pos(Pos::new(HPos::Left, VPos::Bottom));
                root.draw_text(&text, &style, (LEFT + col * STEP, TOP - 6))
                    .drawn()?;
                last_label = Some((*col, month));
            }
        }
        for c in &cells {
            let (x, y) = (LEFT + c.col * STEP, TOP + c.row * STEP);
            match c.tally {
                Some(t) => day_cell(root, (x, y), t.absence(), st)?,
                None if !c.class => {
                    let rect = Rectangle::new([(x, y), (x + CELL, y + CELL)], pal.grid.filled());
                    root.draw(&rect).drawn()?;
                }
                None => {
                    let rect =
                        Rectangle::new([(x, y), (x + CELL, y + CELL)], pal.muted.stroke_width(1));
                    root.draw(&rect).drawn()?;
                }
            }
        }
        legend(root, TOP + 5 * STEP + 22, no_class > 0, st)
    })
}

/// One weekday of the calendar.
struct Cell<'a> {
    col: i32,
    row: i32,
    day: Day,
    tally: Option<&'a DayTally>,
    /// The student had class that day (or has a record of it).
    class: bool,
}

/// What the calendar shows, counted for its text alternative.
struct Counts {
    weekdays: usize,
    observed: usize,
    full: usize,
    partly: usize,
    no_class: usize,
    /// Saturdays and Sundays with records (not drawn).
    weekend: usize,
}

/// A filled cell for an observed day, with its glyph.
fn day_cell(root: &Area<'_>, (x, y): (i32, i32), absence: f64, st: &Style) -> Result<(), String> {
    let fill = st.pal.heat(absence);
    root.draw(&Rectangle::new(
        [(x, y), (x + CELL, y + CELL)],
        fill.filled(),
    ))
    .drawn()?;
    glyph(root, (x, y), absence, fill)
}

/// `/` for a partly absent day, `×` for a day fully absent, in a colour that contrasts.
fn glyph(root: &Area<'_>, (x, y): (i32, i32), absence: f64, fill: RGBColor) -> Result<(), String> {
    let luminance =
        0.2126 * f64::from(fill.0) + 0.7152 * f64::from(fill.1) + 0.0722 * f64::from(fill.2);
    let ink = if luminance < 128.0 { WHITE } else { BLACK };
    let (a, b) = (3, CELL - 3);
    if absence >= 1.0 {
        root.draw(&PathElement::new(
            vec![(x + a, y + a), (x + b, y + b)],
            ink.stroke_width(2),
        ))
        .drawn()?;
        root.draw(&PathElement::new(
            vec![(x + b, y + a), (x + a, y + b)],
            ink.stroke_width(2),
        ))
        .drawn()?;
    } else if absence > 0.0 {
        root.draw(&PathElement::new(
            vec![(x + a, y + b), (x + b, y + a)],
            ink.stroke_width(2),
        ))
        .drawn()?;
    }
    Ok(())
}

/// The legend: swatches are polygons and paths so that only day cells are `<rect>`s. "No
/// class" is listed only when the calendar shows such a day.
fn legend(root: &Area<'_>, y: i32, no_class: bool, st: &Style) -> Result<(), String> {
    /// A legend swatch: a hollow outline, no class, or a day of this absence.
    enum Swatch {
        NoRecord,
        NoClass,
        Day(f64),
    }
    let (w, pal) = (st.w, &st.pal);
    let text = font(SMALL_SIZE, pal.fg).pos(Pos::new(HPos::Left, VPos::Center));
    let mut x = LEFT;
    let mut entries = vec![
        (w.no_record, Swatch::NoRecord),
        (w.attended, Swatch::Day(0.0)),
        (w.partly_absent, Swatch::Day(0.5)),
        (w.absent_all_day, Swatch::Day(1.0)),
    ];
    if no_class {
        entries.insert(1, (w.no_class, Swatch::NoClass));
    }
    for (label, swatch) in entries {
        let square = vec![(x, y), (x + CELL, y), (x + CELL, y + CELL), (x, y + CELL)];
        match swatch {
            Swatch::NoClass => {
                root.draw(&Polygon::new(square, pal.grid.filled()))
                    .drawn()?;
            }
            Swatch::NoRecord => {
                let mut outline = square.clone();
                outline.push((x, y));
                root.draw(&PathElement::new(outline, pal.muted.stroke_width(1)))
                    .drawn()?;
            }
            Swatch::Day(a) => {
                let fill = pal.heat(a);
                root.draw(&Polygon::new(square, fill.filled())).drawn()?;
                glyph(root, (x, y), a, fill)?;
            }
        }
        root.draw_text(label, &text, (x + CELL + 6, y + CELL / 2))
            .drawn()?;
        let (tw, _) = root.estimate_text_size(label, &text).drawn()?;
        x += CELL + 6 + tw as i32 + 22;
    }
    Ok(())
}

fn heatmap_alt(
    st: &Style,
    range: Option<(NaiveDate, NaiveDate)>,
    counts: Counts,
    clipped: bool,
) -> String {
    let title = st.w.heatmap;
    let Some((a, b)) = range else {
        return format!("{title}: {}.", st.w.no_records);
    };
    let Counts {
        weekdays,
        observed,
        full,
        partly,
        no_class,
        weekend,
    } = counts;
    let (a, b) = (Day::from_date(a), Day::from_date(b));
    let attended = observed - full - partly;
    let unobserved = weekdays - observed - no_class;
    let mut alt = match st.lang {
        Lang::En => format!(
            "{title}, {a} to {b} ({weekdays} weekdays): {observed} days observed; {full} absent \
             all day, {partly} partly absent, {attended} attended; {unobserved} weekdays without \
             records."
        ),
        Lang::Es => format!(
            "{title}, del {a} al {b} ({weekdays} días entre semana): {observed} días observados; \
             {full} ausente todo el día, {partly} con ausencia parcial, {attended} con asistencia; \
             {unobserved} días entre semana sin registros."
        ),
    };
    if no_class > 0 {
        alt.push_str(&match st.lang {
            Lang::En => format!(" {no_class} weekdays without class."),
            Lang::Es => format!(" {no_class} días entre semana sin clase."),
        });
    }
    if clipped {
        alt.push_str(match st.lang {
            Lang::En => " Only the last 366 days of the range are shown.",
            Lang::Es => " Solo se muestran los últimos 366 días del periodo.",
        });
    }
    if weekend > 0 {
        alt.push_str(&match st.lang {
            Lang::En => format!(" {weekend} weekend days with records are not shown."),
            Lang::Es => format!(" No se muestran {weekend} días de fin de semana con registros."),
        });
    }
    alt
}

/// The last five observed days as a grid: one column per day, one row per course, each
/// session a status letter on its status colour; a course without a session that day is a dash.
pub(crate) fn last_days(
    days: &[DayTally],
    records: &[&SessionRecord],
    st: &Style,
) -> Result<Chart, ReportError> {
    let (w, pal) = (st.w, &st.pal);
    let title = w.last_days;
    let dates: Vec<Day> = days.iter().rev().take(5).rev().map(|d| d.date).collect();
    let mut grid: BTreeMap<&Id, (Option<&str>, BTreeMap<Day, Status>)> = BTreeMap::new();
    for r in records.iter().filter(|r| dates.contains(&r.date)) {
        let row = grid.entry(&r.offering_id).or_default();
        row.0 = row.0.or(r.offering_name.as_deref());
        row.1.insert(r.date, r.status);
    }
    let mut rows: Vec<(String, BTreeMap<Day, Status>)> = grid
        .into_values()
        .map(|(name, cells)| (name.unwrap_or(w.unnamed_course).to_string(), cells))
        .collect();
    rows.sort_by_key(|r| r.0.to_lowercase());

    let described: Vec<String> = dates
        .iter()
        .map(|d| {
            let sessions: Vec<String> = rows
                .iter()
                .filter_map(|(name, cells)| {
                    Some(format!(
                        "{name} {}",
                        st.status_name(*cells.get(d)?).to_lowercase()
                    ))
                })
                .collect();
            format!("{d}: {}", sessions.join(", "))
        })
        .collect();
    let alt = if dates.is_empty() {
        format!("{title}: {}.", w.no_records)
    } else {
        format!("{title}: {}.", described.join("; "))
    };

    const ROW: i32 = 32;
    const COL: i32 = 84;
    const GRID_LEFT: i32 = 210;
    const GRID_TOP: i32 = 96;
    let height = (GRID_TOP + ROW * rows.len().max(1) as i32 + 64) as u32;
    render("last_days", (640, height), pal.bg, title, alt, |root| {
        let area = titled(root, title, pal.fg)?;
        if dates.is_empty() {
            return super::draw::no_data(&area, w.no_records, pal.muted);
        }
        let center = font(SMALL_SIZE, pal.fg).pos(Pos::new(HPos::Center, VPos::Center));
        for (i, d) in dates.iter().enumerate() {
            let x = GRID_LEFT + i as i32 * COL + COL / 2;
            let weekday = w
                .weekdays
                .get(d.date().weekday().num_days_from_monday() as usize);
            root.draw_text(weekday.copied().unwrap_or(""), &center, (x, GRID_TOP - 36))
                .drawn()?;
            root.draw_text(&st.short_day(*d), &center, (x, GRID_TOP - 18))
                .drawn()?;
        }
        let left = font(SMALL_SIZE, pal.fg).pos(Pos::new(HPos::Right, VPos::Center));
        let letter = font(LABEL_SIZE, pal.on_fill).pos(Pos::new(HPos::Center, VPos::Center));
        let dash = font(LABEL_SIZE, pal.muted).pos(Pos::new(HPos::Center, VPos::Center));
        for (r, (name, cells)) in rows.iter().enumerate() {
            let y = GRID_TOP + r as i32 * ROW;
            root.draw_text(&shorten(name, 24), &left, (GRID_LEFT - 10, y + ROW / 2 - 2))
                .drawn()?;
            for (i, d) in dates.iter().enumerate() {
                let x = GRID_LEFT + i as i32 * COL;
                let corners = [(x + 8, y), (x + COL - 8, y + ROW - 4)];
                let mid = (x + COL / 2, y + ROW / 2 - 2);
                match cells.get(d) {
                    Some(s) => {
                        root.draw(&Rectangle::new(corners, pal.status(*s).filled()))
                            .drawn()?;
                        root.draw_text(st.status_letter(*s), &letter, mid).drawn()?;
                    }
                    None => {
                        root.draw(&Rectangle::new(corners, pal.grid.stroke_width(1)))
                            .drawn()?;
                        root.draw_text("–", &dash, mid).drawn()?;
                    }
                }
            }
        }
        let y = GRID_TOP + ROW * rows.len() as i32 + 18;
        let text = font(SMALL_SIZE, pal.fg).pos(Pos::new(HPos::Left, VPos::Center));
        let mut x = GRID_LEFT - 150;
        for s in STATUS_ORDER {
            let key = format!("{} = {}", st.status_letter(s), st.status_name(s));
            let square = vec![(x, y - 7), (x + 14, y - 7), (x + 14, y + 7), (x, y + 7)];
            root.draw(&Polygon::new(square, pal.status(s).filled()))
                .drawn()?;
            root.draw_text(&key, &text, (x + 20, y)).drawn()?;
            let (tw, _) = root.estimate_text_size(&key, &text).drawn()?;
            x += 20 + tw as i32 + 24;
        }
        Ok(())
    })
}
