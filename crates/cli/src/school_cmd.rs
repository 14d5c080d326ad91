//! `school-report`: every student with records in the range, ranked by absence rate (the
//! school view of rollbook-report), from the records this device holds.

use std::path::PathBuf;

use clap::Args;
use rollbook_core::sync::DEFAULT_PULL_CONCURRENCY;
use rollbook_core::{Id, Result};
use rollbook_report::{school_csv, school_html, school_view, SchoolQuery, SchoolRow, Tier};
use serde::Serialize;

use crate::output::{self, outln};
use crate::report_cmds::{core_error, shown, stdout_for, write_output, ExportArgs, RangeArgs};
use crate::{args, Ctx};

const HELP: &str = "\
Reads the records this device holds (pull every class first to see the whole school).
Without --from/--to the list covers the 12 months up to today, as the other reports.
--csv writes the call list of the students shown (after the filters); --csv - and --html -
write to standard output instead of the table.";

#[derive(Debug, Args)]
#[command(after_help = HELP)]
pub struct SchoolReportArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Only students in this tier (insufficient-data, satisfactory, at-risk, moderate-chronic,
    /// severe-chronic); may be given several times
    #[arg(long, value_name = "TIER", value_parser = tier)]
    pub tier: Vec<Tier>,
    /// Only students with records in this course offering
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Option<Id>,
    /// Only students whose name has every word of TEXT (case and accents ignored), or whose
    /// id starts with it
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Print {"from", "to", "as_of", "students": [...]}, each student with the measures of
    /// `report --json`, offerings, absence_rate_change_30d and last_present
    #[arg(long)]
    pub json: bool,
    /// Write the call list (CSV) to FILE (`-`: standard output)
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Write the printable call list (HTML) to FILE (`-`: standard output)
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Pull every class of the roster from the server first (as `pull --all`); classes that
    /// fail keep their cached records and are named on stderr
    #[arg(long)]
    pub pull: bool,
}

fn tier(s: &str) -> std::result::Result<Tier, String> {
    Tier::parse(s).map_err(|e| e.to_string())
}

#[derive(Serialize)]
struct SchoolJson<'a> {
    from: rollbook_core::Day,
    to: rollbook_core::Day,
    as_of: Option<&'a str>,
    students: &'a [SchoolRow],
}

pub fn run(ctx: &Ctx, a: SchoolReportArgs) -> Result<()> {
    let (from, to) = a.range.resolve_days()?;
    let files = ExportArgs {
        svg: None,
        png: None,
        csv: a.csv.clone(),
    };
    let says = stdout_for(a.json, &files, a.html.as_deref())?;
    let mut store = ctx.open()?;
    if a.pull {
        let report = crate::pull_cmds::pull_school(&mut store, DEFAULT_PULL_CONCURRENCY)?;
        if let Err(e) = crate::pull_cmds::school_pull_outcome(&report) {
            if report.error.is_some() {
                return Err(e);
            }
            eprintln!("rollbook-cli: note: {e}; the report uses the records on this device");
        }
    }
    let query = SchoolQuery {
        from,
        to,
        tiers: a.tier,
        offering: a.offering,
        search: a.search,
    };
    let view = school_view(&store, &query).map_err(core_error)?;
    if a.json {
        output::json(&SchoolJson {
            from: view.from,
            to: view.to,
            as_of: view.as_of.as_deref(),
            students: &view.students,
        })?;
    } else if says.summary {
        table(&view);
    }
    let n = output::count(view.students.len() as u64, "student", "students");
    if let Some(file) = &a.csv {
        write_output(file, school_csv(&view).map_err(core_error)?.as_bytes())?;
        says.wrote(&format!("the call list ({n}) to {}", shown(file)));
    }
    if let Some(file) = &a.html {
        write_output(
            file,
            school_html(&view, rollbook_report::Lang::En, args::today()).as_bytes(),
        )?;
        says.wrote(&format!("the printable call list ({n}) to {}", shown(file)));
    }
    Ok(())
}

fn table(view: &rollbook_report::SchoolView) {
    let as_of = view.as_of.as_deref().map_or_else(
        || "records held on this device".to_string(),
        |at| format!("records as of {at}"),
    );
    outln!(
        "School, {} to {} ({as_of}): {} of {} with records",
        view.from,
        view.to,
        view.students.len(),
        output::count(view.total as u64, "student", "students")
    );
    if view.students.is_empty() {
        return;
    }
    let num = |x: f64| {
        let s = format!("{x:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let rows: Vec<Vec<String>> = view
        .students
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let r = &row.report;
            vec![
                (i + 1).to_string(),
                row.full_name
                    .clone()
                    .unwrap_or_else(|| r.student_id.to_string()),
                r.tier.as_str().to_string(),
                r.absence_rate
                    .map_or_else(|| "-".into(), |x| format!("{}%", num(x * 100.0))),
                format!(
                    "{} ({} / {})",
                    num(r.days_absent),
                    num(r.excused_days_absent),
                    num(r.unexcused_days_absent)
                ),
                r.days_observed.to_string(),
                if r.crdc_15_days { "yes" } else { "" }.to_string(),
                r.current_absence_streak.to_string(),
                row.absence_rate_change_30d
                    .map_or_else(|| "-".into(), |x| format!("{x:+.1}")),
                row.last_present
                    .map_or_else(|| "-".into(), |d| d.to_string()),
            ]
        })
        .collect();
    output::table(
        &[
            "#",
            "student",
            "tier",
            "absence",
            "days absent (exc / unexc)",
            "observed",
            "crdc 15",
            "streak",
            "30d pts",
            "last present",
        ],
        &rows,
    );
}
