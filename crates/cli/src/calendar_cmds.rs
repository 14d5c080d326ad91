//! `missing` (rolls still to take) and `calendar` (non-school days, offerings' meeting days).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use rollbook_core::calendar;
use rollbook_core::roll::{self, MISSING_ROLL_DAYS};
use rollbook_core::{Day, Id, Result};

use crate::output::outln;
use crate::{args, output, Ctx};

#[derive(Debug, Args)]
pub struct MissingArgs {
    /// How many days back to look (1 to 400)
    #[arg(long, default_value_t = MISSING_ROLL_DAYS, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
    /// Look at the days before this one, YYYY-MM-DD [default: today]
    #[arg(long, value_name = "DATE", value_parser = args::day)]
    pub date: Option<Day>,
    /// Print a JSON array, newest day first
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CalendarCommand {
    /// Replace the school's non-school days with the dates of a CSV file (a `date` column)
    Import(CalendarImportArgs),
    /// The non-school days and each offering's meeting days
    Show(CalendarShowArgs),
    /// Set the weekdays an offering meets (e.g. mon,wed,fri; `weekdays` for Monday to Friday)
    MeetingDays(MeetingDaysArgs),
}

#[derive(Debug, Args)]
pub struct CalendarImportArgs {
    /// CSV with a `date` column (YYYY-MM-DD); other columns, such as a name, are ignored
    pub file: PathBuf,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct CalendarShowArgs {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MeetingDaysArgs {
    #[arg(long, value_name = "ID", value_parser = args::id)]
    pub offering: Id,
    /// Comma-separated weekdays: mon,tue,wed,thu,fri,sat,sun, or `weekdays`
    #[arg(long, value_name = "DAYS", value_parser = weekdays)]
    pub days: Weekdays,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// ISO weekday numbers (1 = Monday); empty for "weekdays" (Monday to Friday, the default).
#[derive(Debug, Clone)]
pub struct Weekdays(Vec<u8>);

/// "mon,wed,fri" (or full names, any case) as ISO weekday numbers; "weekdays" is Monday to
/// Friday.
fn weekdays(s: &str) -> std::result::Result<Weekdays, String> {
    if s.trim().eq_ignore_ascii_case("weekdays") {
        return Ok(Weekdays(Vec::new()));
    }
    s.split(',')
        .map(|part| {
            let part = part.trim().to_ascii_lowercase();
            WEEKDAY_NAMES
                .iter()
                .position(|name| part.len() >= 3 && name.starts_with(&part))
                .map(|i| i as u8 + 1)
                .ok_or_else(|| {
                    format!(
                        "{part:?} is not a weekday: expected mon, tue, wed, thu, fri, sat or sun"
                    )
                })
        })
        .collect::<std::result::Result<_, _>>()
        .map(Weekdays)
}

fn weekday_names(days: &[u8]) -> String {
    days.iter()
        .filter_map(|d| WEEKDAYS.get(usize::from(*d).wrapping_sub(1)))
        .copied()
        .collect::<Vec<_>>()
        .join(",")
}

pub fn run_missing(ctx: &Ctx, a: MissingArgs) -> Result<()> {
    let store = ctx.open()?;
    let before = a.date.unwrap_or_else(args::today);
    let list = roll::missing_rolls(&store, before, a.days)?;
    if a.json {
        return output::json(&list);
    }
    if list.is_empty() {
        outln!(
            "Every roll of the {} days before {before} is taken.",
            a.days
        );
        return Ok(());
    }
    for m in &list {
        let o = &m.offering;
        let how = if o.marked == 0 {
            "not taken".to_string()
        } else {
            format!("partly taken: {} of {} marked", o.marked, o.active_students)
        };
        outln!("{}  {}  {}  ({how})", m.date, o.id, o.name);
    }
    Ok(())
}

pub fn run_calendar(ctx: &Ctx, cmd: CalendarCommand) -> Result<()> {
    match cmd {
        CalendarCommand::Import(a) => {
            let bytes = args::read_file(&a.file)?;
            let mut store = ctx.open()?;
            let name = a.file.display().to_string();
            let done = calendar::import_non_school_days_csv(&mut store, &bytes, &name)?;
            if a.json {
                return output::json(&done);
            }
            let days = if done.days == 1 { "day" } else { "days" };
            outln!(
                "{} non-school {days} from {name} (the earlier list is replaced).",
                done.days
            );
            Ok(())
        }
        CalendarCommand::Show(a) => {
            let view = calendar::view(&ctx.open()?)?;
            if a.json {
                return output::json(&view);
            }
            let days: Vec<String> = view.non_school_days.iter().map(Day::to_string).collect();
            outln!(
                "Non-school days: {}",
                if days.is_empty() {
                    "none".to_string()
                } else {
                    days.join(", ")
                }
            );
            for o in &view.offerings {
                outln!(
                    "{}  {}  meets {}",
                    o.offering_id,
                    o.name,
                    weekday_names(&o.meeting_days)
                );
            }
            Ok(())
        }
        CalendarCommand::MeetingDays(a) => {
            let mut store = ctx.open()?;
            let set = calendar::set_meeting_days(&mut store, &a.offering, &a.days.0)?;
            outln!("{} meets {}.", a.offering, weekday_names(&set));
            Ok(())
        }
    }
}
