use rollbook_core::roll::{self, OfferingDay};
use rollbook_core::roster::{self, Offering};
use rollbook_core::{Day, Result};
use tauri::State;

use crate::state::AppState;

/// Every offering with the state of its roll on `date`.
#[tauri::command(async)]
pub fn today(state: State<'_, AppState>, date: String) -> Result<Vec<OfferingDay>> {
    let date = Day::parse(&date)?;
    state.with_reader(|store| roll::today(store, date))
}

/// Every offering with its number of active students.
#[tauri::command(async)]
pub fn offerings(state: State<'_, AppState>) -> Result<Vec<Offering>> {
    state.with_reader(roster::offerings)
}
