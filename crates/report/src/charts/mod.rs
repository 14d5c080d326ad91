//! Charts as SVG (plotters), readable on light and dark backgrounds, labelled in English or
//! Spanish, each with a text alternative. Colour is never the only signal: every colour comes
//! with a label, a letter or a glyph (× for a day fully absent, / for a partly absent day).
//!
//! Every SVG carries `role="img"`, a `<title>` and a `<desc>` (the [`Chart::alt`] text), so it
//! is accessible when inlined in HTML.

mod class;
mod draw;
mod heatmap;
mod student;
mod words;

use chrono::Datelike;
use rollbook_core::calendar::Calendar;
use rollbook_core::{Day, Status};
use serde::{Deserialize, Serialize};

use crate::class::ClassOverview;
use crate::measures::{student_days, StudentReport, Tier};
use crate::records::SessionRecord;
use crate::ReportError;

pub(crate) use draw::{xml_escape as escape, FONT};

/// The tier in words, e.g. "Moderate chronic absence" / "Ausentismo crónico moderado".
pub fn tier_name(tier: Tier, lang: Lang) -> &'static str {
    words::Words::of(lang).tier(tier)
}

/// The background the chart is shown on (`"light"` / `"dark"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    Light,
    Dark,
}

/// The language of titles, labels and text alternatives (`"en"` / `"es"` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Es,
}

/// One chart: the SVG document, its title and a text alternative that states its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Chart {
    pub svg: String,
    pub alt: String,
    pub title: String,
}

/// The charts of one student's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentCharts {
    /// Sessions by status (bars, each labelled with its count).
    pub breakdown: Chart,
    /// Attendance rate per month with the 90 % line.
    pub monthly: Chart,
    /// The term as a calendar, Monday–Friday rows, one column per week, shaded by day absence.
    pub heatmap: Chart,
    /// Attendance rate per course offering.
    pub by_course: Chart,
    /// The last five observed days, session by session (status letters and colours).
    pub last_days: Chart,
}

/// The charts of a class overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassCharts {
    /// Daily attendance rate over the term, with the 90 % line.
    pub daily: Chart,
    /// Students by absence rate, highest first (the top `top_n`).
    pub at_risk: Chart,
}

/// All charts of a student's report. `records` are the effective records the report was
/// computed from; only the report's student and date range are drawn. `calendar` tells the
/// days without class apart from school days without a record.
pub fn student_charts(
    report: &StudentReport,
    records: &[SessionRecord],
    calendar: &Calendar,
    theme: Theme,
    lang: Lang,
) -> Result<StudentCharts, ReportError> {
    let days = student_days(&report.student_id, records, report.from, report.to);
    let mine: Vec<&SessionRecord> = records
        .iter()
        .filter(|r| r.student_id == report.student_id)
        .filter(|r| {
            report.from.is_none_or(|f| r.date >= f) && report.to.is_none_or(|t| r.date <= t)
        })
        .collect();
    let style = Style::new(theme, lang);
    Ok(StudentCharts {
        breakdown: student::breakdown(report, &style)?,
        monthly: student::monthly(report, &style)?,
        heatmap: heatmap::heatmap(&days, &mine, calendar, report.from, report.to, &style)?,
        by_course: student::by_course(report, &style)?,
        last_days: heatmap::last_days(&days, &mine, &style)?,
    })
}

/// The charts of a class overview; `top_n` bounds the students-at-risk chart.
pub fn class_charts(
    overview: &ClassOverview,
    theme: Theme,
    lang: Lang,
    top_n: usize,
) -> Result<ClassCharts, ReportError> {
    let style = Style::new(theme, lang);
    Ok(ClassCharts {
        daily: class::daily(overview, &style)?,
        at_risk: class::at_risk(overview, top_n, &style)?,
    })
}

/// Theme colours and language, passed to every chart.
pub(crate) struct Style {
    pub pal: draw::Palette,
    pub lang: Lang,
    pub w: &'static words::Words,
}

impl Style {
    fn new(theme: Theme, lang: Lang) -> Style {
        Style {
            pal: draw::Palette::of(theme),
            lang,
            w: words::Words::of(lang),
        }
    }

    pub fn status_name(&self, s: Status) -> &'static str {
        self.w.status[status_index(s)]
    }

    pub fn status_letter(&self, s: Status) -> &'static str {
        self.w.letter[status_index(s)]
    }

    /// "1 day" / "3 days" (or "1 día" / "3 días"): a count with its noun in the singular or
    /// the plural; `en` and `es` are (singular, plural).
    pub fn count(&self, n: usize, en: (&str, &str), es: (&str, &str)) -> String {
        let (one, many) = match self.lang {
            Lang::En => en,
            Lang::Es => es,
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// A rate 0..1 as a percentage, `92.5%` / `92,5 %`.
    pub fn pct(&self, rate: f64) -> String {
        let p = (rate * 1000.0).round() / 10.0;
        let num = if p.fract() == 0.0 {
            format!("{p:.0}")
        } else {
            format!("{p:.1}")
        };
        match self.lang {
            Lang::En => format!("{num}%"),
            Lang::Es => format!("{} %", num.replace('.', ",")),
        }
    }

    /// `Sep 2024` / `sep 2024` from `YYYY-MM`.
    pub fn month_label(&self, month: &str) -> String {
        let m: usize = month.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0);
        match self.w.months.get(m.wrapping_sub(1)) {
            Some(name) => format!("{name} {}", month.get(..4).unwrap_or("")),
            None => month.to_string(),
        }
    }

    /// `Sep 2` / `2 sep`.
    pub fn short_day(&self, day: Day) -> String {
        let d = day.date();
        let month = self.w.months[usize::from(d.month() as u8) - 1];
        match self.lang {
            Lang::En => format!("{month} {}", d.day()),
            Lang::Es => format!("{} {month}", d.day()),
        }
    }
}

pub(crate) fn status_index(s: Status) -> usize {
    match s {
        Status::Present => 0,
        Status::Late => 1,
        Status::Absent => 2,
        Status::Excused => 3,
    }
}

/// The statuses in the order charts show them.
pub(crate) const STATUS_ORDER: [Status; 4] = [
    Status::Present,
    Status::Late,
    Status::Absent,
    Status::Excused,
];
