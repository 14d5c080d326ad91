use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::{self, save_api_settings, BlockReason};
use rollbook_core::{Error, Id, Result};
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::state::AppState;

/// The connection settings as the settings screen shows them. Never the token.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub api_url: String,
    pub school_id: Option<Id>,
    pub signed_in: bool,
    /// The server refused to record attendance with this token (403): marks stay here.
    pub read_only: bool,
    pub demo: bool,
    /// Minutes between refreshes of the server's records, at least.
    pub refresh_minutes: u64,
}

/// The settings as they are now, for every command of this screen to answer with.
async fn current(state: &AppState) -> Result<Settings> {
    let config = state.api_config()?;
    let signed_in = state.tokens_for_api(&config).get().await?.is_some();
    let read_only = state
        .sync_status()?
        .blocked
        .is_some_and(|b| b.reason == BlockReason::Permission);
    Ok(Settings {
        api_url: config.base_url.as_str().to_string(),
        school_id: config.school_id,
        signed_in,
        read_only,
        demo: state.is_demo(),
        refresh_minutes: state
            .with_store(|store| sync::refresh_every(store))?
            .as_secs()
            / 60,
    })
}

/// API URL, school id, whether a token is stored and whether it may record. Never the token.
#[tauri::command(async)]
pub async fn settings(state: State<'_, AppState>) -> Result<Settings> {
    current(&state).await
}
/// Saves how often (minutes, 1 to 240; "" or null: every 10 minutes) the server's records of
/// the offerings this device works with are refreshed, then restarts sync with it.
#[tauri::command(async)]
pub async fn save_refresh_minutes<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    minutes: Option<String>,
) -> Result<Settings> {
    let minutes = sync::parse_refresh_minutes(minutes.as_deref().unwrap_or(""))?;
    state.with_store(|store| sync::set_refresh_minutes(store, minutes))?;
    state.restart_engine(&app).await?;
    current(&state).await
}

/// Checks and saves the API URL and school id, then restarts sync with them.
#[tauri::command(async)]
pub async fn save_settings<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    api_url: String,
    school_id: Option<String>,
) -> Result<Settings> {
    if state.is_demo() {
        return Err(Error::Conflict(
            "demo mode uses its own sample server: leave demo mode to connect to your school"
                .into(),
        ));
    }
    state.with_store(|store| save_api_settings(store, &api_url, school_id.as_deref()))?;
    state.restart_engine(&app).await?;
    current(&state).await
}

/// Stores the token in the keyring (it comes in once and never goes back out), forgets
/// anything that was about the old one, and restarts sync with it.
#[tauri::command(async)]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    token: String,
) -> Result<Settings> {
    let token = Secret::new(token).ok_or_else(|| Error::Invalid("the token is empty".into()))?;
    let config = state.api_config()?;
    // On a connection of its own: the shared one is never held across an `.await`.
    let mut store = Store::open_data_dir(state.data_dir())?;
    sync::sign_in(&mut store, &state.tokens_for_sign_in(&config), token).await?;
    state.restart_engine(&app).await?;
    current(&state).await
}

/// Deletes the token from the keyring; marks keep being saved here.
#[tauri::command(async)]
pub async fn sign_out(state: State<'_, AppState>) -> Result<Settings> {
    let config = state.api_config()?;
    sync::sign_out(&state.tokens_for_sign_in(&config)).await?;
    state.sync.run_now();
    current(&state).await
}
