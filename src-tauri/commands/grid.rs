use rollbook_core::history::{self, HistoryEntry};
use rollbook_core::marks::{self, Counts, DateWindow, Origin};
use rollbook_core::roll::{self, RosterRow};
use rollbook_core::{Day, Id, Result, Status};
use tauri::State;

use crate::state::AppState;

/// The roll of an offering on a date: active students by name with their current mark.
#[tauri::command(async)]
pub fn roster(
    state: State<'_, AppState>,
    offering: String,
    date: String,
) -> Result<Vec<RosterRow>> {
    let (offering, date) = (Id::parse(&offering)?, Day::parse(&date)?);
    state.with_reader(|store| roll::rows(store, &offering, date))
}

/// The roll of `offering` is on screen: its records are listed from the server in the background
/// (the grid shows the local data at once and reloads when the sync status says a refresh ran).
#[tauri::command(async)]
pub fn refresh_roll(state: State<'_, AppState>, offering: String) -> Result<()> {
    state.sync.refresh_roll(Id::parse(&offering)?);
    Ok(())
}

#[tauri::command(async)]
pub fn counts(state: State<'_, AppState>, offering: String, date: String) -> Result<Counts> {
    let (offering, date) = (Id::parse(&offering)?, Day::parse(&date)?);
    state.with_reader(|store| marks::counts(store, &offering, date))
}

/// The dates a mark may have today; outside them only when the user confirmed the date.
fn window(state: &AppState, allow_date_outside_window: Option<bool>) -> DateWindow {
    DateWindow::new(state.today()).allow_outside(allow_date_outside_window == Some(true))
}

/// Records a mark (durable when this returns) and answers the student's updated row. A date
/// after today or more than 400 days before it is refused (`date_outside_window`) unless
/// `allow_date_outside_window` says the user confirmed it.
#[tauri::command(async)]
pub fn set_mark(
    state: State<'_, AppState>,
    offering: String,
    student: String,
    date: String,
    status: String,
    allow_date_outside_window: Option<bool>,
) -> Result<RosterRow> {
    let (offering, student) = (Id::parse(&offering)?, Id::parse(&student)?);
    let (date, status) = (Day::parse(&date)?, Status::parse(&status)?);
    let (clock, actor) = (state.clock(), state.actor());
    let window = window(&state, allow_date_outside_window);
    let row = state.with_store(|store| {
        marks::record_mark(
            store,
            &*clock,
            window,
            actor,
            Origin::Grid,
            &offering,
            &student,
            date,
            status,
        )?;
        roll::roll_row(store, &offering, &student, date)
    })?;
    state.sync.nudge();
    Ok(row)
}

/// Marks present every active student with no mark here and no record on the server (never
/// overwrites either); says how many it marked and how many it kept; the date is
/// checked as in [`set_mark`].
#[tauri::command(async)]
pub fn mark_rest_present(
    state: State<'_, AppState>,
    offering: String,
    date: String,
    allow_date_outside_window: Option<bool>,
) -> Result<marks::RestPresent> {
    let (offering, date) = (Id::parse(&offering)?, Day::parse(&date)?);
    let (clock, actor) = (state.clock(), state.actor());
    let window = window(&state, allow_date_outside_window);
    let done = state.with_store(|store| {
        marks::mark_rest_present(store, &*clock, window, actor, &offering, date)
    })?;
    state.sync.nudge();
    Ok(done)
}

/// Reverts the latest action on this roll (`conflict` when there is nothing to undo).
#[tauri::command(async)]
pub fn undo(
    state: State<'_, AppState>,
    offering: String,
    date: String,
) -> Result<marks::UndoOutcome> {
    let (offering, date) = (Id::parse(&offering)?, Day::parse(&date)?);
    let (clock, actor) = (state.clock(), state.actor());
    let outcome = state.with_store(|store| marks::undo(store, &*clock, actor, &offering, date))?;
    state.sync.nudge();
    Ok(outcome)
}

/// Every change of one mark and the other writers' server records, oldest first, with how far
/// each change's delivery got. Opening it acknowledges a record that changed the mark elsewhere.
#[tauri::command(async)]
pub fn history(
    state: State<'_, AppState>,
    offering: String,
    student: String,
    date: String,
) -> Result<Vec<HistoryEntry>> {
    let (offering, student, date) = (
        Id::parse(&offering)?,
        Id::parse(&student)?,
        Day::parse(&date)?,
    );
    state.with_store(|store| history::open(store, &offering, &student, date))
}
