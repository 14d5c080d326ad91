//! `roster import`, `roster show`, `offerings`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rollbook_core::history::MarkedBy;
use rollbook_core::roll;
use rollbook_core::roster::{self, RosterChanges};
use rollbook_core::{Day, Id, Result};
use serde::Serialize;

use crate::output::outln;
use crate::{args, output, Ctx};

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Import a roster CSV from the school's SIS (all-or-nothing)
    Import(ImportArgs),
    /// The active students of an offering with their marks on a date
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// CSV with course_offering_id, course_name, teacher_assignment_id, course_enrollment_id,
    /// student_id, student_name (any order; comma or semicolon separated)
    pub file: PathBuf,
    /// Check the file and show what would change, without writing
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Id,
    /// YYYY-MM-DD [default: today]
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub date: Option<Day>,
    /// Print a JSON array, one object per active student
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OfferingsArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ImportReport<'a> {
    file: String,
    dry_run: bool,
    #[serde(flatten)]
    changes: &'a RosterChanges,
}

pub fn run_roster(ctx: &Ctx, cmd: RosterCommand) -> Result<()> {
    match cmd {
        RosterCommand::Import(a) => import(ctx, a),
        RosterCommand::Show(a) => show(ctx, a),
    }
}

fn import(ctx: &Ctx, a: ImportArgs) -> Result<()> {
    let bytes = args::read_file(&a.file)?;
    let name = a.file.display().to_string();
    let mut store = ctx.open()?;
    let changes = if a.dry_run {
        roster::preview_roster_csv(&store, &bytes, &name)
    } else {
        roster::import_roster_csv(&mut store, &bytes, &name)
    };
    let changes = output::refusal_as_json(a.json, changes)?;
    if a.json {
        return output::json(&ImportReport {
            file: name,
            dry_run: a.dry_run,
            changes: &changes,
        });
    }
    let c = &changes;
    let said = output::counted(&[
        (c.offerings_added, "offering", "offerings", "added"),
        (c.offerings_renamed, "offering", "offerings", "renamed"),
        (
            c.teachers_changed,
            "offering",
            "offerings",
            "with a new teacher assignment",
        ),
        (c.students_added, "student", "students", "added"),
        (c.students_renamed, "student", "students", "renamed"),
        (c.enrollments_added, "enrollment", "enrollments", "added"),
        (
            c.enrollments_reactivated,
            "enrollment",
            "enrollments",
            "reactivated",
        ),
        (
            c.enrollments_deactivated,
            "enrollment",
            "enrollments",
            "made inactive",
        ),
        (
            c.enrollments_reenrolled,
            "enrollment",
            "enrollments",
            "re-enrolled with a new id",
        ),
    ]);
    let rows = output::count(c.rows, "row", "rows");
    // A file covers the offerings it names; the others are not "no changes" without a word.
    let untouched = match c.offerings_not_in_file {
        0 => String::new(),
        1 => " 1 offering not in this file, left as it is.".to_string(),
        n => format!(" {n} offerings not in this file, left as they are."),
    };
    if a.dry_run {
        outln!("{name} is valid ({rows}). Importing it would give: {said}.{untouched}");
        outln!("Nothing was written (--dry-run).");
    } else {
        outln!("Imported {name} ({rows}): {said}.{untouched}");
    }
    Ok(())
}

fn show(ctx: &Ctx, a: ShowArgs) -> Result<()> {
    let store = ctx.open()?;
    let date = a.date.unwrap_or_else(args::today);
    let rows = roll::rows(&store, &a.offering, date)?;
    if a.json {
        return output::json(&rows);
    }
    let offering = roster::offerings(&store)?
        .into_iter()
        .find(|o| o.id == a.offering);
    let name = offering.map(|o| o.name).unwrap_or_default();
    outln!(
        "{name} ({}) on {date}: {}",
        a.offering,
        output::count(rows.len() as u64, "active student", "active students")
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.student_name.clone(),
                output::status(r.status).to_string(),
                delivery(r),
                r.student_id.to_string(),
                r.course_enrollment_id.to_string(),
            ]
        })
        .collect();
    output::table(
        &["NAME", "STATUS", "DELIVERY", "STUDENT", "ENROLLMENT"],
        &table,
    );
    Ok(())
}

/// Where a row's mark is; for another writer's record, who made it and when, and whether it
/// changed this device's mark unseen.
fn delivery(r: &roll::RosterRow) -> String {
    if !r.from_server {
        return output::delivery(r.delivery).to_string();
    }
    let who = match r.marked_by {
        Some(MarkedBy::SameTeacher) => "you on another device",
        _ => "another teacher or system",
    };
    let at = r.recorded_at.as_deref().unwrap_or("?");
    if r.changed_elsewhere {
        format!("changed by {who} at {at}")
    } else {
        format!("by {who} at {at}")
    }
}

pub fn run_offerings(ctx: &Ctx, a: OfferingsArgs) -> Result<()> {
    let store = ctx.open()?;
    let list = roster::offerings(&store)?;
    if a.json {
        return output::json(&list);
    }
    if list.is_empty() {
        outln!("No offerings yet: import a roster with `rollbook-cli roster import FILE`.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|o| {
            vec![
                o.name.clone(),
                o.active_students.to_string(),
                o.id.to_string(),
                o.teacher_assignment_id.to_string(),
            ]
        })
        .collect();
    output::table(
        &["NAME", "STUDENTS", "OFFERING", "TEACHER ASSIGNMENT"],
        &rows,
    );
    Ok(())
}
