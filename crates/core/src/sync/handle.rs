//! The engine as a background tokio task, for the desktop app: a pass at start, then a pass
//! when asked (`run_now`), shortly after marks (`nudge`, debounced), when a retry comes due, and
//! at least every `idle_poll` while anything is outstanding. The records of the offerings this
//! device works with are refreshed as [`RefreshSchedule`] says (at start, back online, after a
//! pass that sent something, at least every `refresh_every`), and an opened roll's offering
//! right away (`refresh_roll`). Status goes out on a `watch` channel; nothing polls it.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::ids::Id;
use crate::sync::engine::{duration_until, Engine};
use crate::sync::refresh::{RefreshSchedule, RefreshTrigger};
use crate::sync::status::SyncStatus;
use crate::sync::stop::{Stop, StopSignal};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    RunNow,
    Nudge,
    Refresh(Vec<Id>),
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

    /// A roll of `offering` was opened: list its records from the server now, in the
    /// background (the grid already shows the local data; rows that change update in place).
    pub fn refresh_roll(&self, offering: Id) {
        self.refresh_offerings(vec![offering]);
    }

    /// Lists these offerings' records from the server now, in the background, in this order.
    pub fn refresh_offerings(&self, offerings: Vec<Id>) {
        let _ = self.commands.send(Command::Refresh(offerings));
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
    let mut schedule = RefreshSchedule::new(engine.config.refresh_every);
    let _ = engine.pass().await;
    refresh(&mut engine, &mut schedule, RefreshTrigger::Start).await;
    let mut was_online = engine.online;
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
        let until_refresh = schedule.wait(std::time::Instant::now());
        let sleep = sleep.map_or(until_refresh, |s| s.min(until_refresh));
        let mut asked_now = false;
        let mut rolls_opened: Vec<Id> = Vec::new();
        tokio::select! {
            () = stop.stopping() => break,
            cmd = rx.recv() => match cmd {
                None => break,
                Some(Command::RunNow) => asked_now = true,
                Some(Command::Refresh(offerings)) => {
                    if let Err(e) = engine.refresh_these(&offerings).await {
                        tracing::warn!(error = %e, "cannot refresh the open roll");
                    }
                    continue;
                }
                Some(Command::Nudge) => {
                    // The new mark shows as waiting at once, not only when the pass starts.
                    engine.publish(true);
                    let window = engine.config.debounce;
                    match debounce(&mut rx, &stop, window, &mut rolls_opened).await {
                        None => break,
                        Some(run_now) => asked_now = run_now,
                    }
                }
            },
            () = tokio::time::sleep(sleep.max(Duration::from_millis(1))) => {}
        }
        if stop.is_stopping() {
            break;
        }
        if asked_now {
            if let Err(e) = engine.retry_now() {
                tracing::warn!(error = %e, "cannot make the waiting items due");
            }
        }
        let sent = matches!(engine.pass().await, Ok(report) if report.sent > 0);
        let trigger = if sent {
            RefreshTrigger::Sent
        } else if engine.online && !was_online {
            RefreshTrigger::BackOnline
        } else {
            RefreshTrigger::Timer
        };
        was_online = engine.online;
        if !rolls_opened.is_empty() {
            if let Err(e) = engine.refresh_these(&rolls_opened).await {
                tracing::warn!(error = %e, "cannot refresh the open roll");
            }
        }
        refresh(&mut engine, &mut schedule, trigger).await;
    }
    engine
}

/// Refreshes when the schedule says so (a failed listing waits for the next time).
async fn refresh(engine: &mut Engine, schedule: &mut RefreshSchedule, trigger: RefreshTrigger) {
    let now = std::time::Instant::now();
    if !schedule.due(trigger, now) || engine.stop.is_stopping() {
        return;
    }
    schedule.last = Some(now);
    match engine.refresh(None).await {
        Ok(report) => {
            if let Some(problem) = report.problem {
                tracing::info!(%problem, left = report.not_refreshed, "refresh stopped early");
            }
        }
        Err(e) => tracing::warn!(error = %e, "refresh failed"),
    }
}

/// Waits `window` after the first nudge (more nudges do not extend it, so steady marking still
/// syncs); a `run_now` cuts it short (`Some(true)`). `None` when the engine must stop.
async fn debounce(
    rx: &mut mpsc::UnboundedReceiver<Command>,
    stop: &Stop,
    window: Duration,
    rolls_opened: &mut Vec<Id>,
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
                Some(Command::Refresh(offerings)) => rolls_opened.extend(offerings),
            },
        }
    }
}
