//! `pull`: the server's records of one offering, one student, or every offering of the roster
//! (`--all`: the school pull, also run by `school-report --pull`).

use std::io::IsTerminal;

use clap::Args;
use rollbook_core::clock::SystemClock;
use rollbook_core::store::Store;
use rollbook_core::sync::api::{ApiClient, ApiConfig};
use rollbook_core::sync::stop::Stop;
use rollbook_core::sync::{
    self, PullAllOptions, PullProgress, SchoolPullReport, TokenSource, MAX_PULL_CONCURRENCY,
};
use rollbook_core::{Error, Id, Result};

use crate::output::outln;
use crate::sync_cmds::{runtime, stop_on_ctrl_c, EXIT_INTERRUPTED};
use crate::{args, output, Ctx};

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    pub what: PullTarget,
    /// The most listings in flight at once with --all (1 to 64; default 8); below it the pull
    /// finds what the server sustains, as sync does
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=MAX_PULL_CONCURRENCY as i64))]
    pub concurrency: Option<u16>,
    #[arg(long)]
    pub json: bool,
}

/// Exactly one of --offering, --student and --all.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct PullTarget {
    /// Fetch the server's records of this offering
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Option<Id>,
    /// Fetch the server's records of this student
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub student: Option<Id>,
    /// Fetch the records of every offering of the roster (the whole school for a counselor;
    /// exit 1 naming the offerings that failed, 130 on Ctrl-C, what was pulled kept)
    #[arg(long)]
    pub all: bool,
}

pub fn run_pull(ctx: &Ctx, a: PullArgs) -> Result<()> {
    if a.what.all {
        return run_pull_all(ctx, a);
    }
    if a.concurrency.is_some() {
        return Err(Error::Invalid(
            "--concurrency goes with --all (a single offering or student is one listing)".into(),
        ));
    }
    let mut store = ctx.open()?;
    let config = ApiConfig::resolve(&store)?;
    let tokens = TokenSource::for_api(&config);
    let api = ApiClient::new(config)?;
    let report = runtime()?.block_on(async {
        match (&a.what.offering, &a.what.student) {
            (Some(o), _) => sync::pull_offering(&mut store, &api, &tokens, &SystemClock, o).await,
            (None, Some(s)) => sync::pull_student(&mut store, &api, &tokens, &SystemClock, s).await,
            (None, None) => Err(Error::Invalid(
                "pass --offering ID, --student ID or --all".into(),
            )),
        }
    })?;
    if a.json {
        return output::json(&report);
    }
    outln!(
        "{} on the server, {} new here; {} filled in.",
        output::count(report.records, "record", "records"),
        report.new_records,
        output::count(report.names_resolved, "student name", "student names"),
    );
    if report.skipped > 0 {
        let (n, was) = match report.skipped {
            1 => ("1 listed record".to_string(), "was"),
            n => (format!("{n} listed records"), "were"),
        };
        outln!("{n} {was} not valid and ignored.");
    }
    if report.too_old > 0 {
        let (n, was) = match report.too_old {
            1 => ("1 record".to_string(), "was"),
            n => (format!("{n} records"), "were"),
        };
        outln!("{n} older than this computer keeps {was} not stored (`rollbook-cli retention`).");
    }
    if let Some(note) = &report.names_note {
        outln!("Names: {note}.");
    }
    Ok(())
}

/// `pull --all`: the school pull, with a progress line on a terminal's stderr and a summary.
fn run_pull_all(ctx: &Ctx, a: PullArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let concurrency = a
        .concurrency
        .map_or(sync::DEFAULT_PULL_CONCURRENCY, usize::from);
    let report = pull_school(&mut store, concurrency)?;
    if a.json {
        output::json(&report)?;
    } else {
        print_school_pull(&report);
    }
    school_pull_outcome(&report)
}

/// The school pull (`pull --all`, `school-report --pull`): every class of the roster, a
/// progress line on stderr when it is a terminal, Ctrl-C cancelling (what finished is kept).
pub fn pull_school(store: &mut Store, concurrency: usize) -> Result<SchoolPullReport> {
    let config = ApiConfig::resolve(store)?;
    let tokens = TokenSource::for_api(&config);
    let api = ApiClient::new(config)?;
    let opts = PullAllOptions { concurrency };
    let on_terminal = std::io::stderr().is_terminal();
    let mut shown = false;
    let mut progress = |p: &PullProgress| {
        if on_terminal {
            shown = true;
            eprint!(
                "\r\x1b[2KPulled {} of {} classes, {}",
                p.done,
                p.total,
                output::count_grouped(p.records, "record", "records")
            );
        }
    };
    let stop = Stop::new().signal();
    let rt = runtime()?;
    let ran = rt.block_on(async {
        let work = sync::pull_all(
            store,
            &api,
            &tokens,
            &SystemClock,
            opts,
            &stop,
            &mut progress,
        );
        tokio::select! {
            biased;
            never = stop_on_ctrl_c(stop.clone()) => match never {},
            done = work => done,
        }
    });
    rt.shutdown_background();
    if shown {
        eprintln!();
    }
    ran
}

/// What a school pull's report means for the command: the sign-in error, exit 130 when
/// cancelled, or an error naming the classes that failed.
pub fn school_pull_outcome(report: &SchoolPullReport) -> Result<()> {
    if let Some(error) = &report.error {
        return Err(Error::Auth(error.clone()));
    }
    if report.cancelled {
        eprintln!(
            "rollbook-cli: stopped: {} of {} classes pulled, kept",
            report.pulled, report.offerings
        );
        output::finish()?;
        std::process::exit(EXIT_INTERRUPTED.into());
    }
    if !report.failed.is_empty() {
        let named: Vec<String> = report
            .failed
            .iter()
            .map(|f| match &f.name {
                Some(name) => format!("{name} ({}): {}", f.offering_id, f.reason),
                None => format!("{}: {}", f.offering_id, f.reason),
            })
            .collect();
        return Err(Error::Remote(format!(
            "{} of {} could not be pulled (the others were kept):\n  {}",
            report.failed.len(),
            output::count(report.offerings, "class", "classes"),
            named.join("\n  ")
        )));
    }
    Ok(())
}

fn print_school_pull(r: &SchoolPullReport) {
    outln!(
        "Pulled {} of {}: {} on the server, {} new here.",
        r.pulled,
        output::count(r.offerings, "class", "classes"),
        output::count_grouped(r.records, "record", "records"),
        output::grouped(r.new_records),
    );
    if !r.failed.is_empty() {
        outln!(
            "{} failed (left as they were).",
            output::count(r.failed.len() as u64, "class", "classes")
        );
    }
    if let Some(at) = &r.as_of {
        outln!("Records as of {at}.");
    }
}
