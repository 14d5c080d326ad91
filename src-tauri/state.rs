//! What the commands share: the data directory and the store, where the token lives, the sync
//! engine ([`RunningEngine`]), the school pull ([`RunningSchoolPull`]) and, in demo mode, the
//! sample school's server. The pieces know nothing of `AppState`: it hands each what it needs
//! (an [`ApiParts`] for a job that reaches the API, the store for the demo's set-up).
//!
//! The store is opened on first use, so an unreadable or too-new database is reported to the
//! window as a `{code, message}` error instead of a crash at launch, and is retried on the next
//! call. The lock is a std Mutex held only inside `with_store`, never across an `.await`.
//! A command that only reads runs on a read-only connection of its own (`with_reader`), so a
//! long read (the rolls still to take, a counselor's view) never holds the store's lock that
//! the next command, a mark being saved among them, waits on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::{
    load_status, ApiClient, ApiConfig, MemoryTokens, SyncStatus, TokenSource, TokenStore,
};
use rollbook_core::{roll, roster, Day, Id, Result};
use tauri::{AppHandle, Manager, Runtime};

use crate::demo::{Demo, DEMO_TOKEN};
use crate::engine::{ApiParts, RunningEngine};
use crate::events;
use crate::school_pull::RunningSchoolPull;

/// Where the API token is kept.
enum TokenHome {
    /// The OS keyring, one entry per API base URL; `ROLLBOOK_TOKEN` overrides it when reading.
    Keyring,
    /// A given store (demo mode and tests: memory only, never the user's keyring).
    Given(Arc<dyn TokenStore>),
}

pub struct AppState {
    data_dir: PathBuf,
    store: Mutex<Option<Store>>,
    /// Read-only connections not in use, for `with_reader`.
    readers: Mutex<Vec<Store>>,
    clock: Arc<dyn Clock>,
    actor: String,
    tokens: TokenHome,
    demo: Option<Demo>,
    export_dir: Option<PathBuf>,
    pub(crate) sync: RunningEngine,
    pub(crate) school_pull: RunningSchoolPull,
    /// Whether the window has painted its first screen (`window_shown`): the start-up's
    /// background work waits for it.
    shown: tokio::sync::watch::Sender<bool>,
}

impl AppState {
    /// The user's own data: token in the OS keyring, settings from the database (or
    /// `ROLLBOOK_API_URL` / `ROLLBOOK_SCHOOL_ID`).
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            store: Mutex::new(None),
            readers: Mutex::new(Vec::new()),
            clock: Arc::new(SystemClock),
            actor: actor(),
            tokens: TokenHome::Keyring,
            demo: None,
            export_dir: None,
            sync: RunningEngine::default(),
            school_pull: RunningSchoolPull::default(),
            shown: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Demo mode in `data_dir`: the sample school's server is started at setup, the token is
    /// the demo token held in memory, and the environment's API settings are ignored.
    pub fn demo(data_dir: PathBuf) -> AppState {
        let token = Secret::new(DEMO_TOKEN);
        AppState {
            tokens: TokenHome::Given(Arc::new(MemoryTokens::new(token))),
            demo: Some(Demo::default()),
            ..AppState::new(data_dir)
        }
    }

    /// Keeps the token in `store` instead of the OS keyring (tests).
    pub fn with_token_store(mut self, store: Arc<dyn TokenStore>) -> AppState {
        self.tokens = TokenHome::Given(store);
        self
    }

    /// Writes exports to `dir` instead of the user's downloads folder (tests).
    pub fn with_export_dir(mut self, dir: PathBuf) -> AppState {
        self.export_dir = Some(dir);
        self
    }

    pub(crate) fn export_dir(&self) -> Option<&Path> {
        self.export_dir.as_deref()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn is_demo(&self) -> bool {
        self.demo.is_some()
    }

    /// In demo mode, starts the sample school's server and points the demo data at it.
    pub fn start_demo(&self, rt: &tokio::runtime::Handle) -> Result<()> {
        match &self.demo {
            Some(demo) => self.with_store(|store| demo.start(store, rt)),
            None => Ok(()),
        }
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Today's date in the user's time zone (as the window's own date picker has it), the day
    /// the retention of old records counts from. The zone is asked for at each call (`TZ`, else
    /// the system's; UTC when neither can be read): a daylight-saving change while the app runs
    /// moves it too.
    pub fn today(&self) -> Day {
        rollbook_core::clock::local_today(self.clock.now())
    }

    /// The window painted its first screen.
    pub fn window_shown(&self) {
        self.shown.send_replace(true);
    }

    /// Waits until the window has painted its first screen, or `at_most` (a window that never
    /// says so, e.g. one whose page failed to load, must not keep sync from starting).
    pub async fn until_shown(&self, at_most: std::time::Duration) {
        let mut shown = self.shown.subscribe();
        let _ = tokio::time::timeout(at_most, shown.wait_for(|shown| *shown)).await;
    }

    /// Who history rows name as the author of a change.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Runs `f` with the store, opening (and migrating) it first if needed.
    pub fn with_store<T, E: From<rollbook_core::Error>>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        // A panic in another command cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to reuse.
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let store = match &mut *slot {
            Some(store) => store,
            empty => empty.insert(Store::open_data_dir(&self.data_dir)?),
        };
        f(store)
    }

    /// Runs `f`, which only reads, on a read-only connection of its own (WAL: it sees every
    /// committed change, whatever the store is writing meanwhile), so it neither waits for the
    /// store's lock nor holds it. A connection is taken from those not in use, or opened beside
    /// the store (opening it first if needed); it goes back when `f` returns. An in-memory store
    /// (tests) has no second connection: `f` then runs on the store itself.
    pub fn with_reader<T, E: From<rollbook_core::Error>>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, E>,
    ) -> Result<T, E> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let reader = match idle {
            Some(reader) => reader,
            None => match self.with_store(|store| store.reader())? {
                Some(reader) => reader,
                None => return self.with_store(|store| f(store)),
            },
        };
        let result = f(&reader);
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(reader);
        result
    }

    /// Where the API is: the stored settings, overridden by the environment except in demo
    /// mode (the demo always talks to its own server).
    pub fn api_config(&self) -> Result<ApiConfig> {
        self.with_store(|store| {
            if self.is_demo() {
                ApiConfig::resolve_with_env(store, &HashMap::new())
            } else {
                ApiConfig::resolve(store)
            }
        })
    }

    /// Where sync and pulls read the token for `config`'s API (core's
    /// [`TokenSource::for_api`]: `ROLLBOOK_TOKEN` first, else the keyring).
    pub fn tokens_for_api(&self, config: &ApiConfig) -> TokenSource {
        match &self.tokens {
            TokenHome::Keyring => TokenSource::for_api(config),
            TokenHome::Given(store) => TokenSource::new(store.clone()),
        }
    }

    /// Where signing in stores the token and signing out deletes it (core's
    /// [`TokenSource::keyring_of`]: never the environment).
    pub fn tokens_for_sign_in(&self, config: &ApiConfig) -> TokenSource {
        match &self.tokens {
            TokenHome::Keyring => TokenSource::keyring_of(config),
            TokenHome::Given(store) => TokenSource::new(store.clone()),
        }
    }

    /// What a job needs to reach the configured API, with a database connection of its own.
    pub(crate) fn api_parts(&self) -> Result<ApiParts> {
        let config = self.api_config()?;
        let tokens = self.tokens_for_api(&config);
        Ok(ApiParts {
            api: ApiClient::new(config)?,
            store: Store::open_data_dir(&self.data_dir)?,
            tokens,
            clock: self.clock(),
        })
    }

    /// Stops the sync engine (if any) and starts one with the current settings and token; its
    /// status goes to the window as events.
    pub async fn restart_engine<R: Runtime>(&self, app: &AppHandle<R>) -> Result<()> {
        let status = self
            .sync
            .restart(|| {
                let parts = self.api_parts()?;
                // The demo lists every sample offering once at start: its Today then shows the
                // sample school's past rolls as the server holds them (a few left untaken) and
                // the kiosk's marks.
                let list_first: Vec<Id> = if self.is_demo() {
                    roster::offerings(&parts.store)?
                        .into_iter()
                        .map(|o| o.id)
                        .collect()
                } else {
                    Vec::new()
                };
                Ok((parts, list_first))
            })
            .await?;
        let reader = app.clone();
        let unsent = move || {
            reader
                .state::<AppState>()
                .with_reader(roll::unsent_by_day)
                .unwrap_or_default()
        };
        tauri::async_runtime::spawn(events::forward(app.clone(), status, unsent));
        Ok(())
    }

    /// The sync status: the engine's, or the database's when no engine runs (e.g.
    /// `rollbook-cli sync` holds the sync lock).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        match self.sync.status() {
            Some(status) => Ok(status),
            None => self.with_reader(|store| load_status(store, self.clock.now())),
        }
    }

    /// Starts "Refresh all classes" in the background; refused while one runs.
    pub fn start_school_pull<R: Runtime>(&self, app: &AppHandle<R>) -> Result<()> {
        self.school_pull.start(app, self.api_parts()?)
    }
}

/// `app:<user>` (or `app`), like the CLI's `cli:<user>`.
fn actor() -> String {
    match std::env::var("USER").ok().filter(|u| !u.trim().is_empty()) {
        Some(user) => format!("app:{user}"),
        None => "app".to_string(),
    }
}
