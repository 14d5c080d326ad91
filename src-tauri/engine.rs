//! The sync engine as the app runs it: one engine on a second connection to the same database,
//! started at launch on Tauri's async runtime and rebuilt when the API settings or the token
//! change. Its status goes to the window as events ([`crate::events`]).

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rollbook_core::store::Store;
use rollbook_core::sync::{
    self, load_status, ApiClient, BlockReason, Engine, EngineConfig, ListFilter, SyncHandle,
    SyncStatus,
};
use rollbook_core::{Id, Result};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// How long a counselor view waits for the server's records before it shows the cache.
const PULL_TIMEOUT: Duration = Duration::from_secs(5);

/// How long requests in flight may take when the app exits; one cut then leaves its item
/// `unknown`, and the next launch looks for it on the server.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The running engine, if any, and what stops concurrent rebuilds from racing.
#[derive(Default)]
pub struct SyncLink {
    handle: Mutex<Option<SyncHandle>>,
    /// Held (across `.await`: a tokio mutex) while an engine is stopped and another started, so
    /// two rebuilds never run two engines (the second would find the database's sync lock taken).
    rebuild: tokio::sync::Mutex<()>,
}

impl SyncLink {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<SyncHandle>> {
        self.handle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A mark was saved: a pass soon (debounced by the engine).
    pub fn nudge(&self) {
        if let Some(handle) = &*self.slot() {
            handle.nudge();
        }
    }

    /// A roll was opened: its offering's records are listed from the server in the background.
    pub fn refresh_roll(&self, offering: Id) {
        if let Some(handle) = &*self.slot() {
            handle.refresh_roll(offering);
        }
    }

    /// A pass now; false when no engine runs.
    pub fn run_now(&self) -> bool {
        match &*self.slot() {
            Some(handle) => {
                handle.run_now();
                true
            }
            None => false,
        }
    }

    /// The engine's latest status, if one runs.
    pub fn status(&self) -> Option<SyncStatus> {
        self.slot().as_ref().map(SyncHandle::status)
    }

    /// Stops the engine, giving requests in flight `within` to end.
    async fn stop(&self, within: Duration) {
        let old = self.slot().take();
        if let Some(old) = old {
            // Dropping the returned engine releases the database's sync lock and closes its
            // status channel (ending its event forwarder).
            drop(old.shutdown(within).await);
        }
    }
}

/// Stops the engine (if any) and starts one with the current settings and token.
pub async fn restart<R: Runtime>(app: &AppHandle<R>) -> Result<()> {
    let state = app.state::<AppState>();
    let _one_at_a_time = state.sync.rebuild.lock().await;
    // Requests in flight (with the old settings) end on their own.
    state.sync.stop(Duration::MAX).await;
    let config = state.api_config()?;
    let tokens = state.token_source(&config);
    let api = ApiClient::new(config)?;
    let store = Store::open_data_dir(state.data_dir())?;
    // The demo lists every sample offering once at start: its Today then shows the sample
    // school's past rolls as the server holds them (a few left untaken) and the kiosk's marks.
    let demo_offerings: Vec<Id> = if state.is_demo() {
        rollbook_core::roster::offerings(&store)?
            .into_iter()
            .map(|o| o.id)
            .collect()
    } else {
        Vec::new()
    };
    let config = engine_config(&store)?;
    let engine = Engine::new(store, api, tokens, state.clock(), config)?;
    let handle = SyncHandle::start(engine);
    if !demo_offerings.is_empty() {
        handle.refresh_offerings(demo_offerings);
    }
    let status = handle.subscribe();
    *state.sync.slot() = Some(handle);
    tauri::async_runtime::spawn(crate::events::forward(app.clone(), status));
    Ok(())
}

/// The engine's settings: the defaults, refreshing the records of the offerings this device
/// works with as often as the user chose (Settings; 10 minutes by default), or every
/// `ROLLBOOK_REFRESH_SECONDS` (a whole number of seconds, at least 1) when that is set.
fn engine_config(store: &Store) -> Result<EngineConfig> {
    let from_env = std::env::var("ROLLBOOK_REFRESH_SECONDS")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|s| *s >= 1)
        .map(std::time::Duration::from_secs);
    let refresh_every = match from_env {
        Some(every) => every,
        None => sync::refresh_every(store)?,
    };
    Ok(EngineConfig {
        refresh_every,
        ..EngineConfig::default()
    })
}

/// Stops the engine before the app exits: requests in flight get [`EXIT_GRACE`], then what is
/// left is written down (the outer timeout only guards against a stuck database).
pub async fn stop(state: &AppState) {
    let _ = tokio::time::timeout(EXIT_GRACE * 2, state.sync.stop(EXIT_GRACE)).await;
}

/// The status: the engine's, or the database's when no engine runs (e.g. `rollbook-cli sync`
/// holds the sync lock).
pub fn status(state: &AppState) -> Result<SyncStatus> {
    match state.sync.status() {
        Some(status) => Ok(status),
        None => state.with_store(|store| load_status(store, state.clock().now())),
    }
}

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

pub async fn settings(state: &AppState) -> Result<Settings> {
    let config = state.api_config()?;
    let signed_in = state.token_source(&config).get().await?.is_some();
    let read_only = status(state)?
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

/// Fetches the server's records (`filter`: a student's or an offering's) into the cache when
/// it can (a token, a reachable server, within [`PULL_TIMEOUT`]); otherwise the view is
/// computed from what this device holds, without an error: the network never fails a report.
pub async fn pull_first(state: &AppState, filter: ListFilter) {
    let Ok(config) = state.api_config() else {
        return;
    };
    let tokens = state.token_source(&config);
    let (Ok(api), Ok(mut store)) = (
        ApiClient::new(config),
        Store::open_data_dir(state.data_dir()),
    ) else {
        return;
    };
    let clock = state.clock();
    let _ = sync::pull_within(&mut store, &api, &tokens, &*clock, filter, PULL_TIMEOUT).await;
}
