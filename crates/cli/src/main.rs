//! `rollbook-cli`: the headless command line over rollbook-core, for check-in systems and
//! scripts. It shares the desktop app's data directory.
//!
//! Exit codes: 0 success; 2 invalid input (usage, a bad id/date/status, a rejected file, a
//! student not enrolled…), with the problem on stderr; 3 `sync --wait` timed out; 130 `sync`
//! stopped by Ctrl-C; 1 any other failure (including a token the server refuses).
//!
//! Each area has its own module with its argument types and a `run`; `Command` below lists
//! them and [`run`] dispatches. A new area adds a module, a variant and a match arm.

mod args;
mod calendar_cmds;
mod marks_cmds;
mod output;
mod pull_cmds;
mod report_cmds;
mod report_text;
mod retention_cmds;
mod roster_cmds;
mod school_cmd;
mod status_cmd;
mod sync_cmds;
mod wipe_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rollbook_core::store::Store;
use rollbook_core::{paths, Error, Result};

#[derive(Debug, Parser)]
#[command(
    name = "rollbook-cli",
    version,
    about = "Rollbook from the command line"
)]
struct Cli {
    /// Data directory (shared with the desktop app)
    #[arg(long, global = true, env = "ROLLBOOK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Who is making changes, as recorded in each mark's history [default: cli:$USER]
    #[arg(long, global = true, env = "ROLLBOOK_ACTOR", value_name = "NAME")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Import a roster file, or show the roll of an offering
    #[command(subcommand)]
    Roster(roster_cmds::RosterCommand),
    /// List the offerings with their number of active students
    Offerings(roster_cmds::OfferingsArgs),
    /// Record one mark
    Mark(marks_cmds::MarkArgs),
    /// Mark present every active student who has no mark yet (never overwrites)
    MarkRestPresent(marks_cmds::RestPresentArgs),
    /// Revert the latest change for an offering and date
    Undo(marks_cmds::OfferingDayArgs),
    /// Import marks from a check-in system's file
    #[command(subcommand)]
    Marks(marks_cmds::MarksCommand),
    /// Every change of one mark, and how far it got to the server
    History(marks_cmds::HistoryArgs),
    /// Marks of an offering on a date, by status
    Counts(marks_cmds::OfferingDayArgs),
    /// Rolls still to take: past school days whose roll is not taken or only partly taken
    Missing(calendar_cmds::MissingArgs),
    /// The school calendar: non-school days (import a CSV), offerings' meeting days
    #[command(subcommand)]
    Calendar(calendar_cmds::CalendarCommand),
    /// The outbox: how many changes are waiting, sent, refused
    Status(status_cmd::StatusArgs),
    /// Save the API token (read from standard input) in the system keyring
    Login(sync_cmds::LoginArgs),
    /// Delete the saved API token
    Logout,
    /// Send waiting changes to the school's Athena server (exit 3: --wait timed out; 130: Ctrl-C)
    Sync(sync_cmds::SyncArgs),
    /// Fetch the server's records of an offering, a student or every offering (--all) into this device
    Pull(pull_cmds::PullArgs),
    /// Changes the server refused, with its reasons
    Rejected(sync_cmds::RejectedArgs),
    /// Stop trying to send a refused (or unknown) change; its history is kept
    Discard(sync_cmds::DiscardArgs),
    /// A student's attendance measures and charts; exports (fetches the server's records first)
    Report(report_cmds::ReportArgs),
    /// An offering's daily attendance and its students by absence rate; exports
    ClassReport(report_cmds::ClassReportArgs),
    /// Every student with records in the range, ranked by absence rate (the cached records)
    SchoolReport(school_cmd::SchoolReportArgs),
    /// How long records are kept on this computer (show, `set --keep-days N`, `off`)
    Retention(retention_cmds::RetentionArgs),
    /// Remove records older than the days kept, except marks the server has not confirmed
    Purge(retention_cmds::PurgeArgs),
    /// Delete this device's data (database, unsent changes) and the saved token
    Wipe(wipe_cmd::WipeArgs),
}

/// What every command gets: where the data is and who is acting.
#[derive(Debug)]
pub struct Ctx {
    pub data_dir: PathBuf,
    pub actor: String,
}

impl Ctx {
    pub fn open(&self) -> Result<Store> {
        Store::open_data_dir(&self.data_dir)
    }
}

fn run(cli: Cli) -> Result<()> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => paths::default_data_dir()?,
    };
    let actor = cli
        .actor
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(default_actor);
    let ctx = Ctx { data_dir, actor };
    match cli.command {
        Command::Roster(cmd) => roster_cmds::run_roster(&ctx, cmd),
        Command::Offerings(args) => roster_cmds::run_offerings(&ctx, args),
        Command::Mark(args) => marks_cmds::run_mark(&ctx, args),
        Command::MarkRestPresent(args) => marks_cmds::run_rest_present(&ctx, args),
        Command::Undo(args) => marks_cmds::run_undo(&ctx, args),
        Command::Marks(cmd) => marks_cmds::run_marks(&ctx, cmd),
        Command::History(args) => marks_cmds::run_history(&ctx, args),
        Command::Counts(args) => marks_cmds::run_counts(&ctx, args),
        Command::Missing(args) => calendar_cmds::run_missing(&ctx, args),
        Command::Calendar(cmd) => calendar_cmds::run_calendar(&ctx, cmd),
        Command::Status(args) => status_cmd::run(&ctx, args),
        Command::Login(args) => sync_cmds::run_login(&ctx, args),
        Command::Logout => sync_cmds::run_logout(&ctx),
        Command::Sync(args) => sync_cmds::run_sync(&ctx, args),
        Command::Pull(args) => pull_cmds::run_pull(&ctx, args),
        Command::Rejected(args) => sync_cmds::run_rejected(&ctx, args),
        Command::Discard(args) => sync_cmds::run_discard(&ctx, args),
        Command::Report(args) => report_cmds::run_report(&ctx, args),
        Command::ClassReport(args) => report_cmds::run_class_report(&ctx, args),
        Command::SchoolReport(args) => school_cmd::run(&ctx, args),
        Command::Retention(args) => retention_cmds::run_retention(&ctx, args),
        Command::Purge(args) => retention_cmds::run_purge(&ctx, args),
        Command::Wipe(args) => wipe_cmd::run(&ctx, args),
    }
}

fn default_actor() -> String {
    match std::env::var("USER").ok().filter(|u| !u.is_empty()) {
        Some(user) => format!("cli:{user}"),
        None => "cli".to_string(),
    }
}

/// 2 for input the user can fix, 1 for anything else.
fn exit_code(e: &Error) -> u8 {
    if e.is_user_input() {
        2
    } else {
        1
    }
}

fn main() -> ExitCode {
    // Usage errors exit 2 (and --help/--version 0) inside clap.
    let cli = Cli::parse();
    match run(cli).and_then(|()| output::finish()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rollbook-cli: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
