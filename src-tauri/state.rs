//! What the commands share: the data directory and the store.
//!
//! The store is opened on first use, so an unreadable or too-new database is reported to the
//! window as a `{code, message}` error instead of a crash at launch, and is retried on the next
//! call. The lock is a std Mutex held only inside `with_store`, never across an `.await`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rollbook_core::store::Store;
use rollbook_core::Result;

pub struct AppState {
    data_dir: PathBuf,
    store: Mutex<Option<Store>>,
}

impl AppState {
    pub fn new(data_dir: PathBuf) -> AppState {
        AppState {
            data_dir,
            store: Mutex::new(None),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Runs `f` with the store, opening (and migrating) it first if needed.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        // A panic in another command cannot leave SQLite half-written (transactions roll
        // back), so a poisoned lock is safe to reuse.
        let mut slot = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        let store = match &mut *slot {
            Some(store) => store,
            empty => empty.insert(Store::open_data_dir(&self.data_dir)?),
        };
        f(store)
    }
}
