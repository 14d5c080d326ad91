use rollbook_core::outbox::{self, Problem};
use rollbook_core::sync::SyncStatus;
use rollbook_core::Result;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::state::AppState;

/// The engine's status (also pushed as the `sync-status` event on every change).
#[tauri::command(async)]
pub fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus> {
    state.sync_status()
}

/// A pass now (starting the engine if it is not running).
#[tauri::command(async)]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> Result<()> {
    if !state.sync.run_now() {
        state.restart_engine(&app).await?;
    }
    Ok(())
}

/// Items whose outcome is unknown or that the server refused, with its reason.
#[tauri::command(async)]
pub fn sync_problems(state: State<'_, AppState>) -> Result<Vec<Problem>> {
    state.with_reader(outbox::problems)
}

#[derive(Debug, Serialize)]
pub struct Resent {
    pub resent: u64,
}

/// Sends every unknown item again, accepting that the server may then hold it twice.
#[tauri::command(async)]
pub fn resend_unknown(state: State<'_, AppState>) -> Result<Resent> {
    let now = state.clock().now();
    let resent = state.with_store(|store| outbox::resend_unknown(store, now))?;
    state.sync.run_now();
    Ok(Resent { resent })
}

/// Gives up on an unknown or refused item (kept in history, never sent).
#[tauri::command(async)]
pub fn discard(state: State<'_, AppState>, id: i64) -> Result<()> {
    let now = state.clock().now();
    state.with_store(|store| outbox::discard(store, id, now))?;
    state.sync.run_now();
    Ok(())
}

/// Sends a refused item again (the newest change of its mark only).
#[tauri::command(async)]
pub fn retry(state: State<'_, AppState>, id: i64) -> Result<()> {
    let now = state.clock().now();
    state.with_store(|store| outbox::retry(store, id, now))?;
    state.sync.run_now();
    Ok(())
}
