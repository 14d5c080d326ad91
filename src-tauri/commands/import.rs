use rollbook_core::roster::{self, RosterChanges};
use rollbook_core::Result;
use tauri::State;

use crate::state::AppState;

/// What importing this roster file would change, or every bad row (`bad_file`); writes nothing.
#[tauri::command(async)]
pub fn roster_preview(
    state: State<'_, AppState>,
    csv: String,
    file_name: String,
) -> Result<RosterChanges> {
    state.with_store(|store| roster::preview_roster_csv(store, csv.as_bytes(), &file_name))
}

/// Imports a roster file in one transaction, or rejects it whole (`bad_file`).
#[tauri::command(async)]
pub fn roster_import(
    state: State<'_, AppState>,
    csv: String,
    file_name: String,
) -> Result<RosterChanges> {
    let changes =
        state.with_store(|store| roster::import_roster_csv(store, csv.as_bytes(), &file_name))?;
    state.sync.nudge();
    Ok(changes)
}
