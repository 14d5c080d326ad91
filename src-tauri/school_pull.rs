//! "Refresh all classes": the school pull (`sync::pull_all`) in the background, on its own
//! `Store` connection ([`ApiParts`]) and its own thread, one at a time. While it runs it emits
//! `school-pull` events `{kind: "progress", done, total, records, failed}`, and at the end
//! `{kind: "done", ...SchoolPullReport}` or `{kind: "failed", code, message}`; the window stays
//! usable meanwhile. Cancel asks the pull's [`StopSignal`]: no new listing starts, those in
//! flight are dropped, what finished is kept.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rollbook_core::sync::stop::Stop;
use rollbook_core::sync::{self, PullAllOptions, PullProgress, SchoolPullReport};
use rollbook_core::{Error, Result};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Runtime};

use crate::engine::ApiParts;

pub const SCHOOL_PULL: &str = "school-pull";

/// What a `school-pull` event carries.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SchoolPullEvent {
    Progress(PullProgress),
    Done(SchoolPullReport),
    Failed { code: String, message: String },
}

/// The school pull running now, if one is: its stop signal (shared with the pull's thread,
/// which empties it when the pull ends).
#[derive(Debug, Default, Clone)]
pub struct RunningSchoolPull {
    running: Arc<Mutex<Option<sync::StopSignal>>>,
}

impl RunningSchoolPull {
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

    /// Starts the school pull on `parts` in the background; refused while one runs.
    pub fn start<R: Runtime>(&self, app: &AppHandle<R>, parts: ApiParts) -> Result<()> {
        let stop = Stop::new().signal();
        {
            let mut slot = self.slot();
            if slot.is_some() {
                return Err(Error::Conflict(
                    "all classes are being refreshed already: wait for it to finish, or cancel it"
                        .into(),
                ));
            }
            *slot = Some(stop.clone());
        }
        let (app, running) = (app.clone(), self.clone());
        // On a thread of its own with a runtime of its own: the listings' parsing and the
        // writes of a school's records (blocking SQLite calls, about 100 ms a listing in a first
        // pull) never take the app's async workers, which the window's commands (a mark being
        // saved) run on.
        let spawned = std::thread::Builder::new()
            .name("school-pull".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(run(&app, parts, &stop, &running)),
                    Err(e) => {
                        let e = Error::io("the school pull could not start its runtime", e);
                        running.finish(&app, Err(e));
                    }
                }
            });
        if let Err(e) = spawned {
            *self.slot() = None;
            return Err(Error::io("the school pull could not start its thread", e));
        }
        Ok(())
    }

    /// The pull is over: the slot is free again and the window is told how it ended.
    fn finish<R: Runtime>(&self, app: &AppHandle<R>, pulled: Result<SchoolPullReport>) {
        *self.slot() = None;
        let event = match pulled {
            Ok(report) => SchoolPullEvent::Done(report),
            Err(e) => SchoolPullEvent::Failed {
                code: e.code().to_string(),
                message: e.to_string(),
            },
        };
        let _ = app.emit(SCHOOL_PULL, event);
    }
}

/// The school pull itself, then its end said to the window.
async fn run<R: Runtime>(
    app: &AppHandle<R>,
    mut parts: ApiParts,
    stop: &sync::StopSignal,
    running: &RunningSchoolPull,
) {
    let emitter = app.clone();
    let mut progress = move |p: &PullProgress| {
        let _ = emitter.emit(SCHOOL_PULL, SchoolPullEvent::Progress(*p));
    };
    let pulled = sync::pull_all(
        &mut parts.store,
        &parts.api,
        &parts.tokens,
        &*parts.clock,
        PullAllOptions::default(),
        stop,
        &mut progress,
    )
    .await;
    running.finish(app, pulled);
}
