//! The sync engine as the app runs it: one engine on a second connection to the same database,
//! started at launch on Tauri's async runtime and rebuilt when the API settings or the token
//! change ([`crate::state::AppState::restart_engine`], which sends its status to the window as
//! events, [`crate::events`]).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rollbook_core::clock::Clock;
use rollbook_core::store::Store;
use rollbook_core::sync::{
    self, ApiClient, Engine, EngineConfig, SyncHandle, SyncStatus, TokenSource,
};
use rollbook_core::{Id, Result};
use tokio::sync::watch;

/// How long requests in flight may take when the app exits; one cut then leaves its item
/// `unknown`, and the next launch looks for it on the server.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// What a job of the app needs to reach the school's API: a connection of its own to the
/// database, the client, where the token is read, and the clock. The engine, the school pull
/// and a counselor view's pull each get their own ([`crate::state::AppState::api_parts`]).
pub struct ApiParts {
    pub store: Store,
    pub api: ApiClient,
    pub tokens: TokenSource,
    pub clock: Arc<dyn Clock>,
}

/// The running engine, if any, and what stops concurrent rebuilds from racing.
#[derive(Default)]
pub struct RunningEngine {
    handle: Mutex<Option<SyncHandle>>,
    /// Held (across `.await`: a tokio mutex) while an engine is stopped and another started, so
    /// two rebuilds never run two engines (the second would find the database's sync lock taken).
    rebuild: tokio::sync::Mutex<()>,
}

impl RunningEngine {
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

    /// Stops the engine before the app exits: requests in flight get [`EXIT_GRACE`], then what
    /// is left is written down (the outer timeout only guards against a stuck database).
    pub async fn stop_for_exit(&self) {
        let _ = tokio::time::timeout(EXIT_GRACE * 2, self.stop(EXIT_GRACE)).await;
    }

    /// Stops the engine (if any) and starts one on what `parts` gives, asked once the old one
    /// stopped (so it reads the current settings and token); the offerings it names are listed
    /// from the server once at start. Returns the new engine's status.
    pub async fn restart(
        &self,
        parts: impl FnOnce() -> Result<(ApiParts, Vec<Id>)>,
    ) -> Result<watch::Receiver<SyncStatus>> {
        let _one_at_a_time = self.rebuild.lock().await;
        // Requests in flight (with the old settings) end on their own.
        self.stop(Duration::MAX).await;
        let (parts, list_first) = parts()?;
        let config = engine_config(&parts.store)?;
        let engine = Engine::new(parts.store, parts.api, parts.tokens, parts.clock, config)?;
        let handle = SyncHandle::start(engine);
        if !list_first.is_empty() {
            handle.refresh_offerings(list_first);
        }
        let status = handle.subscribe();
        *self.slot() = Some(handle);
        Ok(status)
    }
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
