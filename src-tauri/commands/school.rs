//! "Refresh all classes" (the school pull, [`crate::school_pull`]) and when it last ran.

use rollbook_core::{sync, Result};
use tauri::{AppHandle, Runtime, State};

use crate::state::AppState;

/// Starts pulling every class of the roster in the background; `school-pull` events report it.
/// Refused (`conflict`) while one runs.
#[tauri::command(async)]
pub fn pull_all_classes<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<()> {
    state.start_school_pull(&app)
}

/// Cancels the running school pull (what finished is kept). Returns whether one was running.
#[tauri::command(async)]
pub fn cancel_pull_all_classes(state: State<'_, AppState>) -> bool {
    state.school_pull.cancel()
}

/// When the school's records were last pulled (RFC 3339; null: never), and whether a pull runs.
#[tauri::command(async)]
pub fn school_pull_state(state: State<'_, AppState>) -> Result<SchoolPullState> {
    let as_of = state.with_reader(sync::last_school_pull)?;
    Ok(SchoolPullState {
        as_of,
        running: state.school_pull.is_running(),
    })
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct SchoolPullState {
    pub as_of: Option<String>,
    pub running: bool,
}
