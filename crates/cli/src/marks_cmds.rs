//! `mark`, `mark-rest-present`, `undo`, `marks import`, `history`, `counts`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rollbook_core::checkin::import_marks_csv;
use rollbook_core::clock::SystemClock;
use rollbook_core::history::MarkedBy;
use rollbook_core::history::{self, HistoryEntry};
use rollbook_core::marks::{self, DateWindow, Origin};
use rollbook_core::{Day, Id, Result, Status};

use crate::output::outln;
use crate::{args, output, Ctx};

#[derive(Debug, Args)]
pub struct MarkArgs {
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Id,
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub student: Id,
    /// YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub date: Day,
    /// present, absent, late or excused
    #[arg(long, value_name = "STATUS", value_parser = args::status)]
    pub status: Status,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long)]
    pub json: bool,
}

/// Which dates a new mark may have.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// Accept a date after today or more than 400 days before it (refused otherwise: a mark
    /// cannot be deleted once sent)
    #[arg(long)]
    pub allow_date_outside_window: bool,
}

impl WindowArgs {
    /// The window ending today (the user's local date), allowing outside dates if asked.
    fn window(&self) -> DateWindow {
        DateWindow::new(args::today()).allow_outside(self.allow_date_outside_window)
    }
}

#[derive(Debug, Args)]
pub struct RestPresentArgs {
    #[command(flatten)]
    pub day: OfferingDayArgs,
    #[command(flatten)]
    pub window: WindowArgs,
}

#[derive(Debug, Args)]
pub struct OfferingDayArgs {
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Id,
    /// YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub date: Day,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Id,
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub student: Id,
    /// YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub date: Day,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum MarksCommand {
    /// Import a check-in CSV (course_offering_id, student_id, attendance_date, status);
    /// all-or-nothing
    Import(MarksImportArgs),
}

#[derive(Debug, Args)]
pub struct MarksImportArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub window: WindowArgs,
    #[arg(long)]
    pub json: bool,
}

pub fn run_mark(ctx: &Ctx, a: MarkArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let outcome = marks::record_mark(
        &mut store,
        &SystemClock,
        a.window.window(),
        &ctx.actor,
        Origin::Cli,
        &a.offering,
        &a.student,
        a.date,
        a.status,
    )?;
    if a.json {
        return output::json(&outcome);
    }
    if outcome.changed {
        let note = if outcome.outbox_id.is_some() {
            "saved here, waiting to be sent"
        } else {
            "the server already has this status"
        };
        outln!(
            "Marked student {} {} on {} ({note}).",
            a.student,
            a.status,
            a.date
        );
    } else {
        outln!(
            "Student {} is already {} on {}: nothing changed.",
            a.student,
            a.status,
            a.date
        );
    }
    Ok(())
}

pub fn run_rest_present(ctx: &Ctx, args: RestPresentArgs) -> Result<()> {
    let (a, window) = (args.day, args.window.window());
    let mut store = ctx.open()?;
    let done = marks::mark_rest_present(
        &mut store,
        &SystemClock,
        window,
        &ctx.actor,
        &a.offering,
        a.date,
    )?;
    if a.json {
        return output::json(&done);
    }
    outln!(
        "Marked {} present on {}; kept {} already marked (here, or on the server by a kiosk, \
         another teacher or device).",
        output::count(done.marked, "student", "students"),
        a.date,
        done.kept,
    );
    Ok(())
}

pub fn run_undo(ctx: &Ctx, a: OfferingDayArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let outcome = marks::undo(&mut store, &SystemClock, &ctx.actor, &a.offering, a.date)?;
    if a.json {
        return output::json(&outcome);
    }
    outln!(
        "Undid the last change on {}: {} changed back.",
        a.date,
        output::count(outcome.reverted, "mark", "marks")
    );
    Ok(())
}

pub fn run_marks(ctx: &Ctx, cmd: MarksCommand) -> Result<()> {
    match cmd {
        MarksCommand::Import(a) => {
            let bytes = args::read_file(&a.file)?;
            let name = a.file.display().to_string();
            let mut store = ctx.open()?;
            let window = a.window.window();
            let result =
                import_marks_csv(&mut store, &SystemClock, window, &ctx.actor, &bytes, &name);
            let result = output::refusal_as_json(a.json, result)?;
            if a.json {
                return output::json(&result);
            }
            outln!(
                "Imported {name}: {}, {} changed, {} already as in the file.",
                output::count(result.rows, "row", "rows"),
                output::count(result.changed, "mark", "marks"),
                result.unchanged
            );
            Ok(())
        }
    }
}

pub fn run_history(ctx: &Ctx, a: HistoryArgs) -> Result<()> {
    let mut store = ctx.open()?;
    let entries = history::open(&mut store, &a.offering, &a.student, a.date)?;
    if a.json {
        return output::json(&entries);
    }
    if entries.is_empty() {
        outln!(
            "No changes recorded for student {} on {}.",
            a.student,
            a.date
        );
        return Ok(());
    }
    for e in &entries {
        let c = match e {
            HistoryEntry::Local(c) => c,
            HistoryEntry::Server(s) => {
                let who = match s.marked_by {
                    MarkedBy::SameTeacher => "you on another device",
                    _ => "another teacher or system",
                };
                outln!(
                    "{}  {}  by {who}  (server record {})",
                    s.recorded_at,
                    s.status.as_str(),
                    s.record_id
                );
                continue;
            }
        };
        let mut line = format!(
            "{}  {} -> {}  by {} ({})",
            c.changed_at,
            output::status(c.old_status),
            output::status(c.new_status),
            c.actor,
            c.origin.as_str()
        );
        if c.undone {
            line.push_str("  [undone]");
        }
        if let Some(state) = &c.outbox_state {
            line.push_str(&format!("  outbox: {state}"));
        }
        if let Some(sent) = &c.sent_at {
            line.push_str(&format!(", sent {sent}"));
        }
        if let Some(server) = &c.server_id {
            line.push_str(&format!(", server record {server}"));
        }
        outln!("{line}");
    }
    Ok(())
}

pub fn run_counts(ctx: &Ctx, a: OfferingDayArgs) -> Result<()> {
    let store = ctx.open()?;
    let c = marks::counts(&store, &a.offering, a.date)?;
    if a.json {
        return output::json(&c);
    }
    outln!(
        "{}: present {}, absent {}, late {}, excused {}, unmarked {}",
        a.date,
        c.present,
        c.absent,
        c.late,
        c.excused,
        c.unmarked
    );
    Ok(())
}
