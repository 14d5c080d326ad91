//! `retention` (how long records are kept on this computer) and `purge` (remove older ones).
//!
//! `purge` uses the saved setting, or `--keep-days N` for this purge only; with neither it exits
//! 2 saying how to set one. `--dry-run` counts what would go and changes nothing.

use clap::{Args, Subcommand};
use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::retention::{self, PurgeReport, Retention};
use rollbook_core::{Error, Result};
use serde::Serialize;

use crate::output::outln;
use crate::{args, output, Ctx};

#[derive(Debug, Args)]
pub struct RetentionArgs {
    #[command(subcommand)]
    pub action: Option<RetentionAction>,
    /// Print {"keep_days", "last_purge"} (keep_days null: everything is kept)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RetentionAction {
    /// Keep records on this computer for N days; older ones are removed by `purge` and when
    /// the desktop app starts (marks the server has not confirmed are always kept)
    Set(SetArgs),
    /// Keep everything (the default)
    Off,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// Days to keep, 1 to 36500
    #[arg(long, value_name = "N", value_parser = args::keep_days)]
    pub keep_days: u32,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// Count what would be removed; change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Days to keep for this purge only [default: the saved setting]
    #[arg(long, value_name = "N", value_parser = args::keep_days)]
    pub keep_days: Option<u32>,
    /// Print {"dry_run", "keep_days", "cutoff", "marks", "changes", "outbox_items",
    /// "server_records", "kept_unconfirmed"}
    #[arg(long)]
    pub json: bool,
}

pub fn run_retention(ctx: &Ctx, a: RetentionArgs) -> Result<()> {
    let store = ctx.open()?;
    match a.action {
        Some(RetentionAction::Set(set)) => {
            retention::set_keep_days(&store, Some(set.keep_days))?;
            outln!(
                "Records are kept on this computer for {}: older ones are removed by \
                 `rollbook-cli purge` and when the app starts. Nothing was removed yet \
                 (`rollbook-cli purge --dry-run` shows what would go).",
                days(u64::from(set.keep_days))
            );
            Ok(())
        }
        Some(RetentionAction::Off) => {
            retention::set_keep_days(&store, None)?;
            outln!("Everything is kept on this computer.");
            Ok(())
        }
        None => {
            let shown = retention::retention(&store)?;
            if a.json {
                output::json(&shown)
            } else {
                print_retention(&shown);
                Ok(())
            }
        }
    }
}

fn print_retention(r: &Retention) {
    match r.keep_days {
        Some(n) => outln!(
            "Records kept on this computer: {} (older ones are removed by `rollbook-cli purge` \
             and when the app starts).",
            days(u64::from(n))
        ),
        None => outln!(
            "Records kept on this computer: everything (`rollbook-cli retention set --keep-days \
             N` sets a limit)."
        ),
    }
    match &r.last_purge {
        Some(p) => {
            outln!(
                "Last purge: {}, keeping {}: {}.",
                p.ran_at,
                days(u64::from(p.report.keep_days)),
                removed("removed", &p.report)
            );
            if let Some(note) = kept_note(&p.report) {
                outln!("{note}");
            }
        }
        None => outln!("Last purge: never."),
    }
}

/// The purge as JSON: the report and whether it was a dry run.
#[derive(Serialize)]
struct PurgeJson<'a> {
    dry_run: bool,
    #[serde(flatten)]
    report: &'a PurgeReport,
}

pub fn run_purge(ctx: &Ctx, a: PurgeArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let keep_days = match a.keep_days {
        Some(n) => n,
        None => retention::keep_days(&store)?.ok_or_else(|| {
            Error::Invalid(
                "no retention is set, so nothing is too old: run `rollbook-cli retention set \
                 --keep-days N` first, or pass --keep-days N for this purge only"
                    .into(),
            )
        })?,
    };
    let today = args::today();
    let report = if a.dry_run {
        retention::preview(&store, keep_days, today)?
    } else {
        retention::purge(&mut store, keep_days, today, SystemClock.now())?
    };
    if a.json {
        return output::json(&PurgeJson {
            dry_run: a.dry_run,
            report: &report,
        });
    }
    if a.dry_run {
        outln!(
            "Dry run, keeping {}: {}. Nothing was changed.",
            days(u64::from(keep_days)),
            removed("would be removed", &report)
        );
    } else {
        outln!(
            "Kept {}: {}.",
            days(u64::from(keep_days)),
            removed("removed", &report)
        );
    }
    if let Some(note) = kept_note(&report) {
        outln!("{note}");
    }
    Ok(())
}

/// "records dated before 2024-02-14 {verb}: 3 marks, 5 history entries, …".
fn removed(verb: &str, r: &PurgeReport) -> String {
    let parts = [
        counted(r.marks, "mark", "marks"),
        counted(r.changes, "history entry", "history entries"),
        counted(r.outbox_items, "outbox item", "outbox items"),
        counted(r.server_records, "server record", "server records"),
    ];
    format!(
        "records dated before {} {verb}: {}",
        r.cutoff,
        parts.join(", ")
    )
}

fn kept_note(r: &PurgeReport) -> Option<String> {
    (r.kept_unconfirmed > 0).then(|| {
        format!(
            "{} older than that not yet confirmed by the server kept (see `rollbook-cli status`).",
            counted(r.kept_unconfirmed, "mark", "marks")
        )
    })
}

fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn days(n: u64) -> String {
    counted(n, "day", "days")
}
