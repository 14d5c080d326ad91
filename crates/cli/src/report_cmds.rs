//! `report` and `class-report`: a student's attendance measures (issue 5), an offering's
//! overview, their charts and exports.
//!
//! Both fetch the server's records first when they can (a token and a reachable API); when
//! they cannot, a one-line note goes to stderr and the report is computed from the records
//! this device holds: the network never fails a report. The measures, charts and exports are
//! rollbook-report's; the records come from its `gather` module (cached server records + local
//! marks not yet confirmed, one per offering, student and date).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use rollbook_core::calendar::Calendar;
use rollbook_core::clock::SystemClock;
use rollbook_core::lookup;
use rollbook_core::store::Store;
use rollbook_core::sync::{self, ApiClient, ApiConfig, ListFilter, PullReport, TokenSource};
use rollbook_core::{Day, Error, Id, Result};
use rollbook_report::files::{self, ChartFormat};
use rollbook_report::gather::{self, ClassView, StudentView};
use rollbook_report::{records_csv, student_report_html, Chart, ReportError, SessionRecord};
use rollbook_report::{ClassOverview, Lang, StudentReport, Theme};
use serde::Serialize;

use crate::output::{self, outln};
use crate::report_text;
use crate::{args, Ctx};

/// A pull that takes longer than this is abandoned and the report uses the cache.
const PULL_TIMEOUT: Duration = Duration::from_secs(30);

const STUDENT_HELP: &str = "\
Chart files: --svg DIR and --png DIR create DIR if needed and write one file per chart:
  breakdown, monthly, heatmap, by_course, last_days (.svg / .png), all or none.
--csv - and --html - write that file to standard output instead of the summary.
Without --from/--to the report covers the 12 months up to today (--from alone: up to today;
--to alone: the 12 months up to that date).
The server's records are fetched first (skip with --no-pull); offline, the report uses the
records on this device and says so on stderr.";

const CLASS_HELP: &str = "\
Chart files: --svg DIR and --png DIR create DIR if needed and write daily and at_risk
(.svg / .png), all or none. --csv - writes the records to standard output instead of the
summary. Without --from/--to the overview covers the 12 months up to today (--from
alone: up to today; --to alone: the 12 months up to that date).
The server's records are fetched first (skip with --no-pull).";

#[derive(Debug, Args)]
#[command(after_help = STUDENT_HELP)]
pub struct ReportArgs {
    /// The student
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub student: Id,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Print the measures as JSON (student_id, sessions, attendance_rate, days_observed,
    /// days_absent, …, by_course, by_month; rates are fractions 0..1)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub files: ExportArgs,
    /// Write the printable one-page report (HTML, charts inlined) to FILE (`-`: standard
    /// output)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub look: LookArgs,
}

#[derive(Debug, Args)]
#[command(
    after_help = CLASS_HELP,
    mut_arg("lang", |a| a.help("Language of chart labels")),
    mut_arg("theme", |a| a.help("Chart colours")),
)]
pub struct ClassReportArgs {
    /// The course offering
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Id,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Print the overview as JSON (daily rates, students by absence rate)
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub files: ExportArgs,
    #[command(flatten)]
    pub look: LookArgs,
}

/// The files both reports can write: charts as SVG or PNG, effective records as CSV.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write each chart as an SVG file into DIR
    #[arg(long, value_name = "DIR")]
    pub svg: Option<PathBuf>,
    /// Write each chart as a PNG file into DIR
    #[arg(long, value_name = "DIR")]
    pub png: Option<PathBuf>,
    /// Write the effective records as CSV to FILE (`-`: standard output)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
}

/// `-` as a file name: standard output.
fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Where "Wrote …" notes go, and whether the text summary is printed: standard output carries
/// one thing, the summary, `--json`, or a file given as `-` (refused when two ask for it).
pub(crate) fn stdout_for(json: bool, files: &ExportArgs, html: Option<&Path>) -> Result<Says> {
    for (flag, dir) in [("--svg", &files.svg), ("--png", &files.png)] {
        if dir.as_deref().is_some_and(is_stdout) {
            return Err(Error::Invalid(format!(
                "{flag} -: charts are files written into a directory; give a directory"
            )));
        }
    }
    let mut users: Vec<&str> = Vec::new();
    if json {
        users.push("--json");
    }
    if files.csv.as_deref().is_some_and(is_stdout) {
        users.push("--csv -");
    }
    if html.is_some_and(is_stdout) {
        users.push("--html -");
    }
    if users.len() > 1 {
        return Err(Error::Invalid(format!(
            "{} all write to standard output; choose one (give the others a file name)",
            users.join(" and ")
        )));
    }
    let file_on_stdout = !users.is_empty() && !json;
    Ok(Says {
        to_stderr: !users.is_empty(),
        summary: !file_on_stdout,
    })
}

/// Writes an export to `path`, or to standard output for `-`.
pub(crate) fn write_output(path: &Path, bytes: &[u8]) -> Result<()> {
    if is_stdout(path) {
        output::bytes(bytes);
        return Ok(());
    }
    files::write_file(path, bytes).map_err(core_error)
}

/// How a "Wrote … to X" note names X.
pub(crate) fn shown(path: &Path) -> String {
    if is_stdout(path) {
        "standard output".to_string()
    } else {
        path.display().to_string()
    }
}

impl ExportArgs {
    /// Writes the charts and the records asked for; `names` is only read when a CSV is asked.
    fn write(
        &self,
        says: &Says,
        charts: &[(&str, &Chart)],
        records: &[SessionRecord],
        names: impl FnOnce() -> Result<HashMap<Id, String>>,
    ) -> Result<()> {
        for (dir, format) in [(&self.svg, ChartFormat::Svg), (&self.png, ChartFormat::Png)] {
            if let Some(dir) = dir {
                files::write_charts(dir, charts, format).map_err(core_error)?;
                let kind = format.extension().to_uppercase();
                says.wrote(&format!(
                    "{} {kind} charts in {}",
                    charts.len(),
                    dir.display()
                ));
            }
        }
        if let Some(file) = &self.csv {
            let csv = records_csv(records, &names()?).map_err(core_error)?;
            write_output(file, csv.as_bytes())?;
            let n = output::count(records.len() as u64, "record", "records");
            says.wrote(&format!("{n} to {}", shown(file)));
        }
        Ok(())
    }
}

#[derive(Debug, Args)]
pub struct RangeArgs {
    /// First date included (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub from: Option<Day>,
    /// Last date included (YYYY-MM-DD)
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub to: Option<Day>,
}

impl RangeArgs {
    /// The range the report covers: as given, the rest from the default (the 12 months up to
    /// today, see [`gather::report_range`]).
    fn resolve(&self) -> Result<(Option<Day>, Option<Day>)> {
        let (from, to) = self.resolve_days()?;
        Ok((Some(from), Some(to)))
    }

    /// [`RangeArgs::resolve`], both ends given.
    pub(crate) fn resolve_days(&self) -> Result<(Day, Day)> {
        let today = args::today();
        match (self.from, self.to) {
            (Some(from), Some(to)) if from > to => {
                Err(Error::Invalid(format!("--from {from} is after --to {to}")))
            }
            (Some(from), None) if from > today => Err(Error::Invalid(format!(
                "--from {from} is after today ({today}); give --to as well"
            ))),
            (from, to) => gather::report_range(from, to, today).map_err(core_error),
        }
    }
}

/// How charts and the HTML report look, and whether to fetch first.
#[derive(Debug, Args)]
pub struct LookArgs {
    /// Do not fetch the server's records first: use what this device holds
    #[arg(long)]
    pub no_pull: bool,
    /// Language of chart labels and the HTML report
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    pub lang: LangArg,
    /// Chart colours (the HTML report is always printed light)
    #[arg(long, value_enum, default_value_t = ThemeArg::Light)]
    pub theme: ThemeArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    En,
    Es,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ThemeArg {
    Light,
    Dark,
}

impl LookArgs {
    fn lang(&self) -> Lang {
        match self.lang {
            LangArg::En => Lang::En,
            LangArg::Es => Lang::Es,
        }
    }

    fn theme(&self) -> Theme {
        match self.theme {
            ThemeArg::Light => Theme::Light,
            ThemeArg::Dark => Theme::Dark,
        }
    }
}

/// A rendering failure is not the user's to fix (exit 1); a store error keeps its own code.
pub(crate) fn core_error(e: ReportError) -> Error {
    match e {
        ReportError::Store(e) => e,
        other => Error::io("cannot produce the report", std::io::Error::other(other)),
    }
}

/// `report --json`: the keys (the report's own) plus the student's name.
#[derive(Serialize)]
struct StudentJson<'a> {
    #[serde(flatten)]
    report: &'a StudentReport,
    student_name: Option<&'a str>,
}

/// `class-report --json`: the overview plus the range asked for.
#[derive(Serialize)]
struct ClassJson<'a> {
    #[serde(flatten)]
    overview: &'a ClassOverview,
    from: Option<Day>,
    to: Option<Day>,
}

pub fn run_report(ctx: &Ctx, a: ReportArgs) -> Result<()> {
    let (from, to) = a.range.resolve()?;
    let says = stdout_for(a.json, &a.files, a.html.as_deref())?;
    let mut store = ctx.open()?;
    if !a.look.no_pull {
        pull_first(&mut store, ListFilter::Student(a.student.clone()));
    }
    let records = gather::student_records(&store, &a.student, from, to).map_err(core_error)?;
    let name = lookup::student_name(&store, &a.student)?;
    if name.is_none() && records.is_empty() {
        eprintln!(
            "rollbook-cli: note: student {} is not known on this device and has no records",
            a.student
        );
    }
    let (theme, lang) = (a.look.theme(), a.look.lang());
    let calendar = Calendar::load(&store)?;
    let view =
        StudentView::of_records(&a.student, name, &records, &calendar, from, to, theme, lang)
            .map_err(core_error)?;
    if a.json {
        crate::output::json(&StudentJson {
            report: &view.report,
            student_name: view.name.as_deref(),
        })?;
    } else if says.summary {
        report_text::student(&view, &records);
    }
    a.files
        .write(&says, &student_chart_files(&view), &records, || {
            gather::student_names(&store, &records).map_err(core_error)
        })?;
    if let Some(file) = &a.html {
        let light;
        let charts = if theme == Theme::Light {
            &view.charts
        } else {
            light = StudentView::of_records(
                &a.student,
                None,
                &records,
                &calendar,
                from,
                to,
                Theme::Light,
                lang,
            )
            .map_err(core_error)?;
            &light.charts
        };
        let who = view.name.clone().unwrap_or_else(|| a.student.to_string());
        let html = student_report_html(&view.report, charts, &who, lang, args::today());
        write_output(file, html.as_bytes())?;
        says.wrote(&format!("the printable report to {}", shown(file)));
    }
    Ok(())
}

pub fn run_class_report(ctx: &Ctx, a: ClassReportArgs) -> Result<()> {
    let (from, to) = a.range.resolve()?;
    let says = stdout_for(a.json, &a.files, None)?;
    let mut store = ctx.open()?;
    if !a.look.no_pull {
        pull_first(&mut store, ListFilter::Offering(a.offering.clone()));
    }
    let records = gather::offering_records(&store, &a.offering, from, to).map_err(core_error)?;
    let names = gather::student_names(&store, &records).map_err(core_error)?;
    let (theme, lang) = (a.look.theme(), a.look.lang());
    let mut view = ClassView::of_records(&a.offering, &records, &names, from, to, theme, lang)
        .map_err(core_error)?;
    if view.name.is_none() {
        view.name = lookup::offering_name(&store, &a.offering)?;
        view.overview.offering_name.clone_from(&view.name);
    }
    if view.name.is_none() && records.is_empty() {
        eprintln!(
            "rollbook-cli: note: offering {} is not known on this device and has no records",
            a.offering
        );
    }
    if a.json {
        crate::output::json(&ClassJson {
            overview: &view.overview,
            from,
            to,
        })?;
    } else if says.summary {
        report_text::class(&view);
    }
    let charts = [
        ("daily", &view.charts.daily),
        ("at_risk", &view.charts.at_risk),
    ];
    a.files.write(&says, &charts, &records, || Ok(names))
}

/// Where "wrote …" lines go: stdout, or stderr when stdout carries JSON or a file; and whether
/// the text summary is printed.
pub(crate) struct Says {
    to_stderr: bool,
    pub(crate) summary: bool,
}

impl Says {
    pub(crate) fn wrote(&self, what: &str) {
        if self.to_stderr {
            eprintln!("Wrote {what}.");
        } else {
            outln!("Wrote {what}.");
        }
    }
}

fn student_chart_files(view: &StudentView) -> [(&'static str, &Chart); 5] {
    let c = &view.charts;
    [
        ("breakdown", &c.breakdown),
        ("monthly", &c.monthly),
        ("heatmap", &c.heatmap),
        ("by_course", &c.by_course),
        ("last_days", &c.last_days),
    ]
}

/// Fetches the server's records (`filter`: a student's or an offering's) into the cache when
/// possible; otherwise one note on stderr.
fn pull_first(store: &mut Store, filter: ListFilter) {
    if let Err(e) = try_pull(store, filter) {
        let why = e.to_string();
        let why = why.trim_end_matches('.');
        eprintln!(
            "rollbook-cli: note: could not fetch the server's records ({why}); \
             the report uses the records on this device"
        );
    }
}

fn try_pull(store: &mut Store, filter: ListFilter) -> Result<PullReport> {
    let config = ApiConfig::resolve(store)?;
    let tokens = TokenSource::for_api(&config);
    let api = ApiClient::new(config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::io("cannot start the async runtime", e))?;
    let result = rt.block_on(sync::pull_within(
        store,
        &api,
        &tokens,
        &SystemClock,
        filter,
        PULL_TIMEOUT,
    ));
    // A keyring call stuck on the blocking pool must not hold the report up.
    rt.shutdown_background();
    result
}
