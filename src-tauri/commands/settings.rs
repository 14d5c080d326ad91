use rollbook_core::secret::Secret;
use rollbook_core::sync::status::QueueState;
use rollbook_core::sync::{self, save_api_settings};
use rollbook_core::{Error, Result};
use tauri::{AppHandle, Runtime, State};

use crate::engine::{self, Settings};
use crate::state::AppState;

/// API URL, school id, whether a token is stored and whether it may record. Never the token.
#[tauri::command(async)]
pub async fn settings(state: State<'_, AppState>) -> Result<Settings> {
    engine::settings(&state).await
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
    engine::restart(&app).await?;
    engine::settings(&state).await
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
    engine::restart(&app).await?;
    engine::settings(&state).await
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
    state.token_store_source(&config).set(token).await?;
    state.with_store(|store| QueueState::clear_for_new_token(store))?;
    engine::restart(&app).await?;
    engine::settings(&state).await
}

/// Deletes the token from the keyring; marks keep being saved here.
#[tauri::command(async)]
pub async fn sign_out(state: State<'_, AppState>) -> Result<Settings> {
    let config = state.api_config()?;
    state.token_store_source(&config).delete().await?;
    state.sync.run_now();
    engine::settings(&state).await
}
