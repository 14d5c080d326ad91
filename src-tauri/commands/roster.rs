use rollbook_core::roster::{self, Offering};
use rollbook_core::Result;
use tauri::State;

use crate::state::AppState;

/// Every offering with its number of active students.
#[tauri::command(async)]
pub fn offerings(state: State<'_, AppState>) -> Result<Vec<Offering>> {
    state.with_store(|store| roster::offerings(store))
}
