//! How long records are kept on this computer: the setting, a preview of a purge, a purge now,
//! and the purge at start-up ([`purge_at_start`]). Days arrive as text ("" or null: keep
//! everything) so a bad number is an `invalid` error the settings screen can show.

use rollbook_core::retention::{self, PurgeReport, Retention};
use rollbook_core::store::Store;
use rollbook_core::{Error, Result};
use tauri::State;

use crate::state::AppState;

/// The days kept (null: everything) and the latest purge.
#[tauri::command(async)]
pub fn retention(state: State<'_, AppState>) -> Result<Retention> {
    state.with_store(|store| retention::retention(store))
}

/// Saves the days to keep ("" or null: keep everything). Nothing is removed until "Purge now"
/// or the next start of the app.
#[tauri::command(async)]
pub fn save_retention(state: State<'_, AppState>, keep_days: Option<String>) -> Result<Retention> {
    let days = retention::parse_keep_days(keep_days.as_deref().unwrap_or(""))?;
    state.with_store(|store| {
        retention::set_keep_days(store, days)?;
        retention::retention(store)
    })
}

/// What a purge would remove today, keeping `keep_days` (or, without it, the saved setting).
/// Changes nothing.
#[tauri::command(async)]
pub fn preview_purge(state: State<'_, AppState>, keep_days: Option<String>) -> Result<PurgeReport> {
    let today = state.today();
    state.with_store(|store| {
        let days = days_to_keep(store, keep_days.as_deref())?;
        retention::preview(store, days, today)
    })
}

/// Purges now, keeping `keep_days` (or, without it, the saved setting); answers the setting and
/// this purge as the latest.
#[tauri::command(async)]
pub fn purge_now(state: State<'_, AppState>, keep_days: Option<String>) -> Result<Retention> {
    let (today, now) = (state.today(), state.clock().now());
    state.with_store(|store| {
        let days = days_to_keep(store, keep_days.as_deref())?;
        retention::purge(store, days, today, now)?;
        retention::retention(store)
    })
}

/// The days typed, else the saved setting.
fn days_to_keep(store: &Store, raw: Option<&str>) -> Result<u32> {
    match retention::parse_keep_days(raw.unwrap_or(""))? {
        Some(days) => Ok(days),
        None => retention::keep_days(store)?.ok_or_else(|| {
            Error::Invalid("no number of days to keep is set: everything is kept".into())
        }),
    }
}

/// At start-up, with a retention set, removes what is older (a failure is reported and the app
/// goes on). Returns what was removed, `None` when everything is kept.
pub fn purge_at_start(state: &AppState) -> Option<PurgeReport> {
    let (today, now) = (state.today(), state.clock().now());
    // On a connection of its own: the window's commands read meanwhile (WAL), instead of
    // waiting for the app's connection until a year's purge is done.
    let purged = Store::open_data_dir(state.data_dir())
        .and_then(|mut store| retention::purge_with_setting(&mut store, today, now));
    match purged {
        Ok(report) => report,
        Err(error) => {
            eprintln!("rollbook: old records were not purged: {error}");
            None
        }
    }
}
