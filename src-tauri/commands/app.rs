use std::path::PathBuf;

use rollbook_core::{paths, Error, Result};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::state::AppState;

/// Where the data lives and which versions are running.
#[derive(Debug, Serialize)]
pub struct AppInfo {
    pub data_dir: PathBuf,
    pub db_path: PathBuf,
    pub schema_version: i64,
    pub version: &'static str,
    pub demo: bool,
}

/// Opens the store if needed and tells where it is and its schema version.
#[tauri::command(async)]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo> {
    let schema_version = state.with_reader(|store| store.schema_version())?;
    let data_dir = state.data_dir().to_path_buf();
    let db_path = data_dir.join(paths::DB_FILE);
    Ok(AppInfo {
        data_dir,
        db_path,
        schema_version,
        version: env!("CARGO_PKG_VERSION"),
        demo: state.is_demo(),
    })
}

/// The window has painted its first screen: the start-up's background work (the demo's school
/// pull, the purge, the sync engine and its first refresh) begins now, not while the page
/// starts.
#[tauri::command]
pub fn window_shown(state: State<'_, AppState>) {
    state.window_shown();
}

/// Starts Rollbook on the user's own data and closes this demo window.
#[tauri::command(async)]
pub fn leave_demo<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<()> {
    if !state.is_demo() {
        return Err(Error::Conflict("this window is not in demo mode".into()));
    }
    crate::demo::relaunch_without_demo()?;
    app.exit(0);
    Ok(())
}
