//! The engine as a background tokio task, for the desktop app: a pass at start, then a pass
//! when asked (`run_now`), shortly after marks (`nudge`, debounced), when a retry comes due, and
//! at least every `idle_poll` while anything is outstanding. Status goes out on a `watch`
//! channel; nothing polls it.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::sync::engine::{duration_until, Engine};
use crate::sync::status::SyncStatus;
use crate::sync::stop::{Stop, StopSignal};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    RunNow,
    Nudge,
}

/// Controls a running engine. Dropping it stops the engine: no new request starts, and those in
/// flight end on their own.
#[derive(Debug)]
pub struct SyncHandle {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<SyncStatus>,
    stop: StopSignal,
    task: Option<JoinHandle<Engine>>,
}

impl SyncHandle {
    /// Starts `engine` on the current tokio runtime.
    pub fn start(engine: Engine) -> SyncHandle {
        Self::start_on(engine, &tokio::runtime::Handle::current())
    }

    /// Starts `engine` on `rt` (callable outside the runtime, e.g. from the app's setup).
    pub fn start_on(engine: Engine, rt: &tokio::runtime::Handle) -> SyncHandle {
        let (commands, rx) = mpsc::unbounded_channel();
        let stop = engine.stop_signal();
        let status = engine.subscribe();
        let task = rt.spawn(run(engine, rx));
        SyncHandle {
            commands,
            status,
            stop,
            task: Some(task),
        }
    }

    /// A pass now (the user pressed "sync", or a token was just set), without waiting out the
    /// backoff of earlier failures to reach the server (see [`Engine::retry_now`]).
    pub fn run_now(&self) {
        let _ = self.commands.send(Command::RunNow);
    }

    /// A mark was made: a pass soon, once marks stop coming for a moment.
    pub fn nudge(&self) {
        let _ = self.commands.send(Command::Nudge);
    }

    /// Status updates; `changed().await` on the receiver wakes on each.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status.clone()
    }

    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }

    /// Stops launching requests, gives those in flight `within` to end (one cut there leaves
    /// its item `unknown`, looked for on the server by the next engine), writes everything down
    /// and returns the engine.
    pub async fn shutdown(mut self, within: Duration) -> Option<Engine> {
        self.stop.stop_within(within);
        let task = self.task.take()?;
        task.await.ok()
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        self.stop.stop_within(Duration::MAX);
    }
}

async fn run(mut engine: Engine, mut rx: mpsc::UnboundedReceiver<Command>) -> Engine {
    let stop = engine.stop.clone();
    let _ = engine.pass().await;
    loop {
        if stop.is_stopping() {
            break;
        }
        let outstanding = engine.status().outstanding() > 0;
        let mut sleep = engine
            .wake_at()
            .map(|t| duration_until(engine.clock.now(), t));
        if outstanding {
            let poll = engine.config.idle_poll;
            sleep = Some(sleep.map_or(poll, |s| s.min(poll)));
        }
        let mut asked_now = false;
        let timer = async {
            match sleep {
                Some(d) => tokio::time::sleep(d.max(Duration::from_millis(1))).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = stop.stopping() => break,
            cmd = rx.recv() => match cmd {
                None => break,
                Some(Command::RunNow) => asked_now = true,
                Some(Command::Nudge) => {
                    // The new mark shows as waiting at once, not only when the pass starts.
                    engine.publish(true);
                    match debounce(&mut rx, &stop, engine.config.debounce).await {
                        None => break,
                        Some(run_now) => asked_now = run_now,
                    }
                }
            },
            _ = timer => {}
        }
        if stop.is_stopping() {
            break;
        }
        if asked_now {
            if let Err(e) = engine.retry_now() {
                tracing::warn!(error = %e, "cannot make the waiting items due");
            }
        }
        let _ = engine.pass().await;
    }
    engine
}

/// Waits `window` after the first nudge (more nudges do not extend it, so steady marking still
/// syncs); a `run_now` cuts it short (`Some(true)`). `None` when the engine must stop.
async fn debounce(
    rx: &mut mpsc::UnboundedReceiver<Command>,
    stop: &Stop,
    window: Duration,
) -> Option<bool> {
    let deadline = Instant::now() + window;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return Some(false),
            () = stop.stopping() => return None,
            cmd = rx.recv() => match cmd {
                None => return None,
                Some(Command::RunNow) => return Some(true),
                Some(Command::Nudge) => {}
            },
        }
    }
}
