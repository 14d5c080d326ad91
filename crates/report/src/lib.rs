//! Rollbook's counselor reports: attendance measures, charts and exports, as pure functions over
//! effective attendance records, plus [`gather`], which reads them from the local store.
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
//! - [`files`]: writing an export to disk, and a chart set all or none (CLI and desktop).
//! - [`gather`]: the one place that reads the local store (through rollbook-core's queries, no
//!   SQL here): effective records of a student or an offering, student search, and the whole
//!   counselor screen ([`student_view`], [`class_view`]) in one call.
//! - [`school`]: the school view ([`school_view`]): every student of a date range ranked by
//!   absence rate, with filters, and its call list (CSV) and printable page.

pub mod charts;
pub mod class;
pub mod export;
pub mod files;
mod frac;
pub mod gather;
pub mod measures;
pub mod png;
pub mod records;
pub mod school;

pub use charts::{class_charts, student_charts, Chart, ClassCharts, Lang, StudentCharts, Theme};
pub use class::{class_overview, ClassOverview, DailyRate, StudentSummary};
pub use export::{records_csv, student_report_html};
pub use gather::{
    class_view, offering_records, search_students, student_records, student_view, ClassView,
    StudentView,
};
pub use measures::{
    student_report, CourseBreakdown, MonthBreakdown, SessionCounts, StudentReport, Tier,
};
pub use png::svg_to_png;
pub use records::{effective, RawRecord, SessionRecord};
pub use school::{school_csv, school_html, school_view, SchoolQuery, SchoolRow, SchoolView};

/// What can go wrong while gathering, rendering or exporting. Measures themselves cannot fail.
/// Serialized as `{code, message}` like rollbook-core's error (see [`ReportError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Reading the local store failed, or the request was invalid (a range that ends before
    /// it starts): rollbook-core's error, with its code.
    #[error(transparent)]
    Store(#[from] rollbook_core::Error),
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

impl ReportError {
    /// rollbook-core's code for [`ReportError::Store`] (`invalid`, `database`, …); `report`
    /// for a chart, PNG or CSV that could not be produced.
    pub fn code(&self) -> &'static str {
        match self {
            ReportError::Store(e) => e.code(),
            ReportError::Chart { .. } | ReportError::Png(_) | ReportError::Csv(_) => "report",
        }
    }

    /// True when the caller gave bad input (a command line exits 2 for these).
    pub fn is_user_input(&self) -> bool {
        matches!(self, ReportError::Store(e) if e.is_user_input())
    }
}

impl serde::Serialize for ReportError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("ReportError", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}
