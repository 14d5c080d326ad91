//! Rolls still to take and the school calendar they follow: each offering's meeting days and
//! the imported non-school days.

use rollbook_core::calendar::{self, CalendarImport, CalendarView};
use rollbook_core::roll::{self, MissingRoll, MISSING_ROLL_DAYS};
use rollbook_core::{Error, Id, Result};
use tauri::State;

use crate::state::AppState;

/// The past school days of the last two weeks (before the user's today) whose roll is not
/// taken or only partly taken, newest first.
#[tauri::command(async)]
pub fn missing_rolls(state: State<'_, AppState>) -> Result<Vec<MissingRoll>> {
    let today = state.today();
    state.with_reader(|store| roll::missing_rolls(store, today, MISSING_ROLL_DAYS))
}

/// The non-school days and each offering's meeting days.
#[tauri::command(async)]
pub fn calendar(state: State<'_, AppState>) -> Result<CalendarView> {
    state.with_reader(calendar::view)
}

/// Sets the weekdays an offering meets (ISO numbers, 1 = Monday; none: Monday to Friday) and
/// answers the calendar as it now is.
#[tauri::command(async)]
pub fn save_meeting_days(
    state: State<'_, AppState>,
    offering: String,
    days: Vec<i64>,
) -> Result<CalendarView> {
    let offering = Id::parse(&offering)?;
    // Any number is accepted here so that a bad one is an `invalid` error naming it (the core
    // checks 1..=7), not a deserialization failure.
    let days = days
        .into_iter()
        .map(|d| {
            u8::try_from(d).map_err(|_| {
                Error::Invalid(format!(
                    "{d} is not a weekday: expected 1 (Monday) to 7 (Sunday)"
                ))
            })
        })
        .collect::<Result<Vec<u8>>>()?;
    state.with_store(|store| {
        calendar::set_meeting_days(store, &offering, &days)?;
        calendar::view(store)
    })
}

/// Replaces the non-school days with the dates of a CSV file (a `date` column), or refuses the
/// file whole (`bad_file`, with its rows).
#[tauri::command(async)]
pub fn import_non_school_days(
    state: State<'_, AppState>,
    csv: String,
    file_name: String,
) -> Result<CalendarImport> {
    state
        .with_store(|store| calendar::import_non_school_days_csv(store, csv.as_bytes(), &file_name))
}
