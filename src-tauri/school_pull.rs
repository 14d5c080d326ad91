//! "Refresh all classes": the school pull (`sync::pull_all`) in the background, on its own
//! `Store` connection (as `engine::pull_first` does) and its own thread, one at a time. While it runs it emits
//! `school-pull` events `{kind: "progress", done, total, records, failed}`, and at the end
//! `{kind: "done", ...SchoolPullReport}` or `{kind: "failed", code, message}`; the window stays
//! usable meanwhile. Cancel asks the pull's [`StopSignal`]: no new listing starts, those in
//! flight are dropped, what finished is kept.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rollbook_core::clock::Clock;
use rollbook_core::store::Store;
use rollbook_core::sync::stop::Stop;
use rollbook_core::sync::{self, ApiClient, PullAllOptions, PullProgress, SchoolPullReport};
use rollbook_core::{Error, Result};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};

use crate::state::AppState;

pub const SCHOOL_PULL: &str = "school-pull";

/// What a `school-pull` event carries.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchoolPullEvent {
    Progress(PullProgress),
    Done(SchoolPullReport),
    Failed { code: String, message: String },
}

/// The school pull running now, if one is: its stop signal.
#[derive(Debug, Default)]
pub struct SchoolPullLink {
    running: Mutex<Option<sync::StopSignal>>,
}

impl SchoolPullLink {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<sync::StopSignal>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a school pull runs now.
    pub fn is_running(&self) -> bool {
        self.slot().is_some()
    }

    /// Asks the running pull to stop at once. Returns whether one was running.
    pub fn cancel(&self) -> bool {
        match &*self.slot() {
            Some(stop) => {
                stop.stop_within(Duration::ZERO);
                true
            }
            None => false,
        }
    }
}

/// Starts the school pull in the background; refused while one runs.
pub fn start<R: Runtime>(app: &AppHandle<R>) -> Result<()> {
    let state = app.state::<AppState>();
    let config = state.api_config()?;
    let tokens = state.token_source(&config);
    let api = ApiClient::new(config)?;
    let store = Store::open_data_dir(state.data_dir())?;
    let stop = Stop::new().signal();
    {
        let mut slot = state.school_pull.slot();
        if slot.is_some() {
            return Err(Error::Conflict(
                "all classes are being refreshed already: wait for it to finish, or cancel it"
                    .into(),
            ));
        }
        *slot = Some(stop.clone());
    }
    let app = app.clone();
    let clock = state.clock();
    // On a thread of its own with a runtime of its own: the listings' parsing and the writes of
    // a school's records (blocking SQLite calls, about 100 ms a listing in a first pull) never
    // take the app's async workers, which the window's commands (a mark being saved) run on.
    let spawned = std::thread::Builder::new()
        .name("school-pull".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(run(app, store, api, tokens, clock, stop)),
                Err(e) => {
                    let e = Error::io("the school pull could not start its runtime", e);
                    finish(&app, Err(e));
                }
            }
        });
    if let Err(e) = spawned {
        *state.school_pull.slot() = None;
        return Err(Error::io("the school pull could not start its thread", e));
    }
    Ok(())
}

/// The school pull itself, then its end said to the window.
async fn run<R: Runtime>(
    app: AppHandle<R>,
    mut store: Store,
    api: ApiClient,
    tokens: sync::TokenSource,
    clock: Arc<dyn Clock>,
    stop: sync::StopSignal,
) {
    let emitter = app.clone();
    let mut progress = move |p: &PullProgress| {
        let _ = emitter.emit(SCHOOL_PULL, SchoolPullEvent::Progress(*p));
    };
    let pulled = sync::pull_all(
        &mut store,
        &api,
        &tokens,
        &*clock,
        PullAllOptions::default(),
        &stop,
        &mut progress,
    )
    .await;
    finish(&app, pulled);
}

/// The pull is over: the slot is free again and the window is told how it ended.
fn finish<R: Runtime>(app: &AppHandle<R>, pulled: Result<SchoolPullReport>) {
    *app.state::<AppState>().school_pull.slot() = None;
    let event = match pulled {
        Ok(report) => SchoolPullEvent::Done(report),
        Err(e) => SchoolPullEvent::Failed {
            code: e.code().to_string(),
            message: e.to_string(),
        },
    };
    let _ = app.emit(SCHOOL_PULL, event);
}
