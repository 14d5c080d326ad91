//! Rollbook's counselor reports: attendance measures, charts and exports, as pure functions over
//! effective attendance records. Nothing here touches SQLite: the caller gathers the records.
//!
//! - [`records`]: the input ([`SessionRecord`]) and [`effective`], the rule that keeps one
//!   record per (offering, student, date) so a correction counts once.
//! - [`measures`]: a student's measures ([`student_report`]): sessions, days absent, absence
//!   rate, chronic-absence tier (Attendance Works), the CRDC 15-day flag, streaks, breakdowns.
//! - [`class`]: a course offering at a glance ([`class_overview`]).
//! - [`charts`]: plotters SVG charts for light and dark themes, in English or Spanish, each with
//!   a text alternative.
//! - [`png`]: SVG → PNG with resvg and a bundled font, so a PNG looks the same everywhere.
//! - [`export`]: CSV of effective records and a printable one-page HTML student report.

pub mod charts;
pub mod class;
pub mod export;
mod frac;
pub mod measures;
pub mod png;
pub mod records;

pub use charts::{class_charts, student_charts, Chart, ClassCharts, Lang, StudentCharts, Theme};
pub use class::{class_overview, ClassOverview, DailyRate, StudentSummary};
pub use export::{records_csv, student_report_html};
pub use measures::{
    student_report, CourseBreakdown, MonthBreakdown, SessionCounts, StudentReport, Tier,
};
pub use png::svg_to_png;
pub use records::{effective, RawRecord, SessionRecord};

/// What can go wrong while rendering or exporting. Measures themselves cannot fail.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// plotters could not draw a chart (in practice: a font could not be measured).
    #[error("could not draw the {chart} chart: {message}")]
    Chart {
        chart: &'static str,
        message: String,
    },
    /// The SVG could not be parsed or rasterized.
    #[error("could not render the SVG as PNG: {0}")]
    Png(String),
    /// The CSV writer failed.
    #[error("could not write the CSV: {0}")]
    Csv(String),
}
