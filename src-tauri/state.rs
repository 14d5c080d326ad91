//! What the commands share: the data directory and the store, where the token lives, the sync
//! engine ([`SyncLink`]) and, in demo mode, the sample school's server.
//!
//! The store is opened on first use, so an unreadable or too-new database is reported to the
//! window as a `{code, message}` error instead of a crash at launch, and is retried on the next
//! call. The lock is a std Mutex held only inside `with_store`, never across an `.await`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::{ApiConfig, MemoryTokens, TokenSource, TokenStore};
use rollbook_core::{Day, Result};

use crate::demo::{Demo, DEMO_TOKEN};
use crate::engine::SyncLink;
use crate::school_pull::SchoolPullLink;

/// Where the API token is kept.
enum Tokens {
    /// The OS keyring, one entry per API base URL; `ROLLBOOK_TOKEN` overrides it when reading.
    Keyring,
    /// A given store (demo mode and tests: memory only, never the user's keyring).
    Given(Arc<dyn TokenStore>),
}

pub struct AppState {
    data_dir: PathBuf,
    store: Mutex<Option<Store>>,
    clock: Arc<dyn Clock>,
    /// The user's time zone offset, read when the state is made (see [`AppState::today`]).
    local_offset: time::UtcOffset,
    actor: String,
    tokens: Tokens,
    demo: Option<Demo>,
    export_dir: Option<PathBuf>,
    pub(crate) sync: SyncLink,
    pub(crate) school_pull: SchoolPullLink,
}

impl AppState {
    /// The user's own data: token in the OS keyring, settings from the database (or
    /// `ROLLBOOK_API_URL` / `ROLLBOOK_SCHOOL_ID`).
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            store: Mutex::new(None),
            clock: Arc::new(SystemClock),
            // `run()` makes the state before any thread starts: the time crate refuses to read
            // the zone once there are threads (then UTC is used).
            local_offset: time::UtcOffset::current_local_offset().unwrap_or(time::UtcOffset::UTC),
            actor: actor(),
            tokens: Tokens::Keyring,
            demo: None,
            export_dir: None,
            sync: SyncLink::default(),
            school_pull: SchoolPullLink::default(),
        }
    }

    /// Demo mode in `data_dir`: the sample school's server is started at setup, the token is
    /// the demo token held in memory, and the environment's API settings are ignored.
    pub fn demo(data_dir: PathBuf) -> AppState {
        let token = Secret::new(DEMO_TOKEN);
        AppState {
            tokens: Tokens::Given(Arc::new(MemoryTokens::new(token))),
            demo: Some(Demo::default()),
            ..AppState::new(data_dir)
        }
    }

    /// Keeps the token in `store` instead of the OS keyring (tests).
    pub fn with_token_store(mut self, store: Arc<dyn TokenStore>) -> AppState {
        self.tokens = Tokens::Given(store);
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

    pub(crate) fn demo_state(&self) -> Option<&Demo> {
        self.demo.as_ref()
    }

    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// Today's date in the user's time zone (as the window's own date picker has it), the day
    /// the retention of old records counts from.
    pub fn today(&self) -> Day {
        Day::from_date(self.clock.now().to_offset(self.local_offset).date())
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

    /// Where the engine reads the token for `config`'s API (with `ROLLBOOK_TOKEN` first when
    /// the keyring is used).
    pub fn token_source(&self, config: &ApiConfig) -> TokenSource {
        match &self.tokens {
            Tokens::Keyring => TokenSource::for_api(config),
            Tokens::Given(store) => TokenSource::new(store.clone()),
        }
    }

    /// Where signing in stores the token and signing out deletes it (never the environment).
    pub fn token_store_source(&self, config: &ApiConfig) -> TokenSource {
        match &self.tokens {
            Tokens::Keyring => TokenSource::keyring_of(config),
            Tokens::Given(store) => TokenSource::new(store.clone()),
        }
    }
}

/// `app:<user>` (or `app`), like the CLI's `cli:<user>`.
fn actor() -> String {
    match std::env::var("USER").ok().filter(|u| !u.trim().is_empty()) {
        Some(user) => format!("app:{user}"),
        None => "app".to_string(),
    }
}
