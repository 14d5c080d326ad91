//! The counselor screen's exports, written where the user finds downloads: the platform's
//! download folder (Tauri's `download_dir`: the XDG download directory on Linux, the Downloads
//! known folder on Windows, `~/Downloads` on macOS), else `~/Downloads`, else
//! `<data dir>/exports`. The content comes from rollbook-report (records CSV, printable HTML,
//! chart SVG/PNG, the school's call list); this module only names and writes files.

use std::path::{Path, PathBuf};

use rollbook_core::calendar::Calendar;
use rollbook_core::store::Store;
use rollbook_core::{lookup, Day, Error, Id};
use rollbook_report::files::{self, ChartFormat};
use rollbook_report::gather::{self, ClassView, StudentView};
use rollbook_report::Theme;
use rollbook_report::{records_csv, student_report_html, Chart, Lang, ReportError};
use rollbook_report::{school_csv, school_html, school_view, SchoolQuery};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Svg,
    Png,
    Html,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind, Error> {
        match s {
            "csv" => Ok(Kind::Csv),
            "svg" => Ok(Kind::Svg),
            "png" => Ok(Kind::Png),
            "html" => Ok(Kind::Html),
            other => Err(Error::Invalid(format!(
                "{} is not an export kind: expected csv, svg, png or html",
                rollbook_core::error::quoted(other)
            ))),
        }
    }
}

/// Where an export went: a file, or a folder with one file per chart.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub path: PathBuf,
}

/// The user's download directory (see the module docs), unless the state names another.
pub fn export_dir<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> PathBuf {
    if let Some(dir) = state.export_dir() {
        return dir.to_path_buf();
    }
    let data_dir = state.data_dir();
    let paths = app.path();
    paths
        .download_dir()
        .or_else(|_| paths.home_dir().map(|home| home.join("Downloads")))
        .unwrap_or_else(|_| data_dir.join("exports"))
}

/// A student's records (csv), printable report (html) or charts (svg/png, a folder).
#[allow(clippy::too_many_arguments)]
pub fn student(
    store: &Store,
    dir: &Path,
    student: &Id,
    from: Option<Day>,
    to: Option<Day>,
    kind: Kind,
    lang: Lang,
    today: Day,
) -> Result<Exported, ReportError> {
    let records = gather::student_records(store, student, from, to)?;
    let name = lookup::student_name(store, student)?;
    let who = name.clone().unwrap_or_else(|| student.to_string());
    let base = dir.join(file_stem(&who, from, to));
    let path = match kind {
        Kind::Csv => {
            let names = gather::student_names(store, &records)?;
            write(&base.with_extension("csv"), records_csv(&records, &names)?)?
        }
        Kind::Html | Kind::Svg | Kind::Png => {
            // Printed and saved charts are drawn for a white page.
            let calendar = Calendar::load(store)?;
            let view = StudentView::of_records(
                student,
                name,
                &records,
                &calendar,
                from,
                to,
                Theme::Light,
                lang,
            )?;
            let c = &view.charts;
            let charts = [
                ("breakdown", &c.breakdown),
                ("monthly", &c.monthly),
                ("heatmap", &c.heatmap),
                ("by_course", &c.by_course),
                ("last_days", &c.last_days),
            ];
            match kind {
                Kind::Html => write(
                    &base.with_extension("html"),
                    student_report_html(&view.report, c, &who, lang, today),
                )?,
                _ => write_charts(&base, &charts, kind)?,
            }
        }
    };
    Ok(Exported { path })
}

/// An offering's records (csv) or charts (svg/png, a folder).
pub fn class(
    store: &Store,
    dir: &Path,
    offering: &Id,
    from: Option<Day>,
    to: Option<Day>,
    kind: Kind,
    lang: Lang,
) -> Result<Exported, ReportError> {
    let records = gather::offering_records(store, offering, from, to)?;
    let names = gather::student_names(store, &records)?;
    let title = lookup::offering_name(store, offering)?.unwrap_or_else(|| offering.to_string());
    let base = dir.join(file_stem(&title, from, to));
    let path = match kind {
        Kind::Csv => write(&base.with_extension("csv"), records_csv(&records, &names)?)?,
        Kind::Svg | Kind::Png => {
            let view =
                ClassView::of_records(offering, &records, &names, from, to, Theme::Light, lang)?;
            let charts = [
                ("daily", &view.charts.daily),
                ("at_risk", &view.charts.at_risk),
            ];
            write_charts(&base, &charts, kind)?
        }
        Kind::Html => {
            return Err(Error::Invalid(
                "a class exports as csv, svg or png (the printable report is a student's)".into(),
            )
            .into())
        }
    };
    Ok(Exported { path })
}

/// The school view's call list (csv) or its printable page (html): the rows the filters show.
pub fn school(
    store: &Store,
    dir: &Path,
    query: &SchoolQuery,
    kind: Kind,
    lang: Lang,
    today: Day,
) -> Result<Exported, ReportError> {
    let view = school_view(store, query)?;
    let base = dir.join(file_stem("school", Some(query.from), Some(query.to)));
    let path = match kind {
        Kind::Csv => write(&base.with_extension("csv"), school_csv(&view)?)?,
        Kind::Html => write(
            &base.with_extension("html"),
            school_html(&view, lang, today),
        )?,
        Kind::Svg | Kind::Png => {
            return Err(Error::Invalid(
                "the school view exports as csv (the call list) or html (a printable page)".into(),
            )
            .into())
        }
    };
    Ok(Exported { path })
}

/// `rollbook-<name>-<from>_<to>` (or `-all`), with only letters, digits and dashes in the name.
fn file_stem(name: &str, from: Option<Day>, to: Option<Day>) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_matches('-');
    let range = match (from, to) {
        (None, None) => "all".to_string(),
        (f, t) => format!(
            "{}_{}",
            f.map_or_else(|| "start".into(), |d| d.to_string()),
            t.map_or_else(|| "end".into(), |d| d.to_string())
        ),
    };
    format!("rollbook-{slug}-{range}")
}

/// A folder of charts beside the other exports, written all or none.
fn write_charts(
    base: &Path,
    charts: &[(&str, &Chart)],
    kind: Kind,
) -> Result<PathBuf, ReportError> {
    let format = if kind == Kind::Png {
        ChartFormat::Png
    } else {
        ChartFormat::Svg
    };
    let dir = base.with_extension(format.extension());
    files::write_charts(&dir, charts, format)?;
    Ok(dir)
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<PathBuf, ReportError> {
    files::write_file(path, bytes.as_ref())?;
    Ok(path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_say_the_range() {
        let d = |s| Day::parse(s).ok();
        assert_eq!(
            file_stem("Muñoz, José / 7A", None, None),
            "rollbook-muñoz-josé-7a-all"
        );
        assert_eq!(
            file_stem("../etc", d("2024-03-01"), None),
            "rollbook-etc-2024-03-01_end"
        );
        assert_eq!(Kind::parse("pdf").unwrap_err().code(), "invalid");
    }
}
