//! The sync engine: owns a [`Store`] (its own connection to the database file), the shared API
//! client and the token source; each pass reads a snapshot of the outbox, makes a [`plan`] and
//! carries it out ([`super::deliver`]). Time and randomness are injected.
//!
//! The store is used only between `.await`s, never across one; every state change is its own
//! short transaction, so the UI's connection can write marks at any time (WAL + busy timeout).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::clock::{rfc3339, Clock};
use crate::error::Result;
use crate::ids::Id;
use crate::secret::Secret;
use crate::store::Store;
use crate::sync::adaptive::Adaptive;
use crate::sync::api::ApiClient;
use crate::sync::lock::EngineLock;
use crate::sync::plan::{self, backoff, Gate, Plan};
use crate::sync::queue;
use crate::sync::status::{load_status, BlockReason, Blocked, PassReport, QueueState, SyncStatus};
use crate::sync::stop::{Stop, StopReason, StopSignal};
use crate::sync::tokens::TokenSource;

/// The ceiling of the delivery's concurrency unless the user sets one.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// Knobs of the engine. Tests shrink the durations to milliseconds.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The most POSTs (and GETs) in flight at once, across marks: the ceiling of the adaptive
    /// concurrency ([`super::adaptive`]), which finds what the server sustains below it.
    pub concurrency: usize,
    /// `false`: exactly `concurrency` in flight whatever the server does (the benchmarks'
    /// comparison with a fixed setting).
    pub adaptive: bool,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// How long a nudge (a mark was just made) waits for more marks before a pass.
    pub debounce: Duration,
    /// How long after its POST an unknown item is first looked for on the server.
    pub reconcile_after: Duration,
    /// A pass at least this often while anything is outstanding, whatever else happens.
    pub idle_poll: Duration,
    /// How often status is published during a long pass.
    pub publish_every: Duration,
    /// Seed of the backoff jitter (`None`: from the OS).
    pub seed: Option<u64>,
    /// The background refresh of the offerings this device works with, at least this often
    /// (see [`super::refresh::RefreshSchedule`]).
    pub refresh_every: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            concurrency: DEFAULT_CONCURRENCY,
            adaptive: true,
            backoff_base: Duration::from_secs(2),
            backoff_cap: Duration::from_secs(600),
            debounce: Duration::from_millis(1500),
            reconcile_after: Duration::from_secs(10),
            idle_poll: Duration::from_secs(60),
            refresh_every: super::refresh::REFRESH_EVERY,
            publish_every: Duration::from_millis(200),
            seed: None,
        }
    }
}

/// How a `--wait` run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainEnd {
    /// Nothing pending, sending or unknown is left.
    Done,
    /// The timeout came first.
    TimedOut,
    /// It was asked to stop ([`Engine::stop_signal`]: Ctrl-C, the app closing).
    Stopped,
    /// The queue is blocked (sign in again / another token).
    Blocked(Blocked),
    /// Unknown items wait for the user's "send again" (the token cannot read).
    NeedsResend(u64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drained {
    pub report: PassReport,
    pub end: DrainEnd,
}

pub struct Engine {
    pub(crate) store: Store,
    pub(crate) api: ApiClient,
    pub(crate) tokens: TokenSource,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: StdRng,
    pub(crate) config: EngineConfig,
    pub(crate) offline_streak: u32,
    pub(crate) offline_until: Option<DateTime<Utc>>,
    pub(crate) throttle_streak: u32,
    /// How many POSTs may be in flight and how fast they may leave, learnt across passes.
    pub(crate) adaptive: Adaptive,
    /// Failed listings in a row, by offering (the backoff of its unknown items).
    pub(crate) reconcile_failures: HashMap<Id, u32>,
    last_success: Option<DateTime<Utc>>,
    pub(crate) online: bool,
    /// Why there is no usable token (none stored, or the keyring failed), when so.
    token_problem: Option<String>,
    wake_at: Option<DateTime<Utc>>,
    waiting_for_user: u64,
    running: bool,
    status_tx: watch::Sender<SyncStatus>,
    last_publish: Option<std::time::Instant>,
    /// When to stop: asked ([`Engine::stop_signal`]) or a deadline ([`Engine::drain`]).
    pub(crate) stop: Stop,
    /// When this engine last refreshed, and the new records it brought.
    pub(crate) last_refresh: Option<(DateTime<Utc>, u64)>,
    /// When a refresh last changed the cached server records.
    pub(crate) records_changed_at: Option<DateTime<Utc>>,
    _lock: Option<EngineLock>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.store)
            .field("api", &self.api.base_url())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Takes the database's sync lock (file databases), turns items a crash left `sending` into
    /// `unknown`, and publishes the first status.
    pub fn new(
        store: Store,
        api: ApiClient,
        tokens: TokenSource,
        clock: Arc<dyn Clock>,
        config: EngineConfig,
    ) -> Result<Engine> {
        let lock = match store.path() {
            Some(path) => Some(EngineLock::acquire(path)?),
            None => None,
        };
        let recovered = queue::recover_interrupted(store.conn(), clock.now())?;
        if recovered > 0 {
            tracing::info!(recovered, "items left sending by a stop are now unknown");
        }
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        let (status_tx, _) = watch::channel(SyncStatus::default());
        let now = std::time::Instant::now();
        let adaptive = if config.adaptive {
            Adaptive::new(config.concurrency, now)
        } else {
            Adaptive::fixed(config.concurrency, now)
        };
        let mut engine = Engine {
            adaptive,
            store,
            api,
            tokens,
            clock,
            rng,
            config,
            offline_streak: 0,
            offline_until: None,
            throttle_streak: 0,
            reconcile_failures: HashMap::new(),
            last_success: None,
            online: false,
            token_problem: None,
            wake_at: None,
            waiting_for_user: 0,
            running: false,
            status_tx,
            last_publish: None,
            stop: Stop::new(),
            last_refresh: None,
            records_changed_at: None,
            _lock: lock,
        };
        engine.publish(true);
        Ok(engine)
    }

    /// Status updates, as they happen.
    pub fn subscribe(&self) -> watch::Receiver<SyncStatus> {
        self.status_tx.subscribe()
    }

    pub fn status(&self) -> SyncStatus {
        self.status_tx.borrow().clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What stops this engine: no new request starts once asked, and requests in flight are
    /// cut after the grace given (see [`super::stop`]).
    pub fn stop_signal(&self) -> StopSignal {
        self.stop.signal()
    }

    /// When the engine would next act on its own (`None`: only when asked).
    pub fn wake_at(&self) -> Option<DateTime<Utc>> {
        self.wake_at
    }

    /// One pass over what is due now: reconcile unknown items, then send pending ones (each
    /// mark's items in order, `concurrency` at a time), until done or held back.
    pub async fn pass(&mut self) -> Result<PassReport> {
        self.running = true;
        self.publish(true);
        let mut result = self.pass_inner().await;
        if let Err(e) = self.flush_success() {
            result = result.and(Err(e));
        }
        self.running = false;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "sync pass failed");
        }
        self.publish(true);
        result
    }

    async fn pass_inner(&mut self) -> Result<PassReport> {
        let mut report = PassReport::default();
        if queue::outstanding(self.store.conn())? == 0 {
            self.wake_at = None;
            self.waiting_for_user = 0;
            return Ok(report);
        }
        // A keyring that does not answer must not hold a stopping run past its deadline.
        let read = tokio::select! {
            read = self.tokens.get() => Some(read),
            () = self.stop.stopping() => None,
        };
        let Some(read) = read else {
            report.left = queue::outstanding(self.store.conn())?;
            return Ok(report);
        };
        let token = match read {
            Ok(Some(token)) => token,
            Ok(None) => {
                self.token_problem = Some("not signed in: no API token is stored".into());
                self.wake_at = None;
                report.left = queue::outstanding(self.store.conn())?;
                return Ok(report);
            }
            Err(e) => {
                self.token_problem = Some(e.to_string());
                self.wake_at = None;
                return Err(e);
            }
        };
        self.token_problem = None;
        let mut state = QueueState::load(&self.store)?;
        let adopted_token = state.adopt_token(&token);
        if state.adopt_school_id(self.school_id_set()) || adopted_token {
            state.save(&self.store)?;
        }
        let mut reconciled: HashSet<Id> = HashSet::new();
        for _round in 0..3 {
            if self.cancelled() {
                break;
            }
            let plan = self.replan()?;
            let offerings: Vec<Id> = plan
                .reconciles()
                .into_iter()
                .filter(|o| reconciled.insert(o.clone()))
                .collect();
            if !offerings.is_empty() {
                self.reconcile(offerings, &token, &mut report).await?;
                continue;
            }
            let chains = plan.sends();
            if chains.is_empty() {
                break;
            }
            self.send_chains(chains, &token, &mut report).await?;
            break;
        }
        // Stopping: what is left is the next run's to plan (a whole queue's plan takes time).
        if !self.cancelled() {
            self.replan()?;
        }
        report.left = queue::outstanding(self.store.conn())?;
        Ok(report)
    }

    /// Plans from the current outbox and remembers when to wake up.
    fn replan(&mut self) -> Result<Plan> {
        let state = QueueState::load(&self.store)?;
        let now = self.clock.now();
        let gate = Gate {
            now,
            blocked: state.blocked.is_some(),
            paused_until: state.paused_until,
            offline_until: self.offline_until,
            read_denied: state.read_denied.is_some(),
            reconcile_after: self.config.reconcile_after,
        };
        let items = queue::active_items(self.store.conn())?;
        let plan = plan::plan(&items, &gate);
        self.wake_at = if plan.has_work_now() {
            Some(now)
        } else {
            plan.wake_at()
        };
        self.waiting_for_user = plan.waiting_for_user;
        Ok(plan)
    }

    /// Passes until nothing is outstanding, sleeping (real time) until the next retry between
    /// them, for at most `timeout` in all: at the deadline no new request starts and requests
    /// in flight are cut (their items left `unknown`, as after a crash). Asked to stop
    /// ([`Engine::stop_signal`]), it ends the same way with [`DrainEnd::Stopped`].
    pub async fn drain(&mut self, timeout: Duration) -> Result<Drained> {
        let unbounded = self.stop.clone();
        if let Some(deadline) = Instant::now().checked_add(timeout) {
            self.stop = unbounded.until(deadline);
        }
        let drained = self.drain_until_stopped().await;
        self.stop = unbounded;
        drained
    }

    async fn drain_until_stopped(&mut self) -> Result<Drained> {
        let mut total = PassReport::default();
        loop {
            total.absorb(self.pass().await?);
            let status = self.status();
            let end = if let Some(b) = status.blocked {
                DrainEnd::Blocked(b)
            } else if total.left == 0 {
                DrainEnd::Done
            } else if let Some(end) = self.stopped_end() {
                end
            } else if let Some(wake) = self.wake_at {
                let wait = duration_until(self.clock.now(), wake).max(Duration::from_millis(5));
                tokio::select! {
                    () = tokio::time::sleep(wait) => continue,
                    () = self.stop.stopping() => self.stopped_end().unwrap_or(DrainEnd::TimedOut),
                }
            } else {
                DrainEnd::NeedsResend(self.waiting_for_user.max(total.left))
            };
            return Ok(Drained { report: total, end });
        }
    }

    fn stopped_end(&self) -> Option<DrainEnd> {
        self.stop.reason().map(|reason| match reason {
            StopReason::Deadline => DrainEnd::TimedOut,
            StopReason::Asked => DrainEnd::Stopped,
        })
    }

    /// The user asked for a pass now ("Sync now"): stop backing off from an unreachable server
    /// and make every waiting item due, however many times it failed to connect. A pause the
    /// server asked for (`Retry-After`) still holds, and so does an unknown item's wait.
    pub fn retry_now(&mut self) -> Result<()> {
        self.offline_until = None;
        queue::make_due(self.store.conn(), self.clock.now())?;
        Ok(())
    }

    /// Whether requests carry `X-School-Id`.
    pub(crate) fn school_id_set(&self) -> bool {
        self.api.config().school_id.is_some()
    }

    /// Whether the engine is stopping (asked, or past its deadline): no new request starts.
    pub(crate) fn cancelled(&self) -> bool {
        self.stop.is_stopping()
    }

    /// A full-jitter backoff for the n-th attempt.
    pub(crate) fn backoff(&mut self, attempt: u32) -> Duration {
        backoff(
            attempt.max(1),
            self.config.backoff_base,
            self.config.backoff_cap,
            &mut self.rng,
        )
    }

    /// The whole queue stops until the user acts; remembered across restarts, for this token.
    pub(crate) fn block(&mut self, blocked: Blocked, token: &Secret) -> Result<()> {
        tracing::warn!(reason = ?blocked.reason, message = %blocked.message, "sync blocked");
        let mut state = QueueState::load(&self.store)?;
        state.blocked = Some((blocked, token.tag()));
        state.save(&self.store)
    }

    /// The server asked the whole queue to wait.
    pub(crate) fn pause(
        &mut self,
        wait: Option<Duration>,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>> {
        let wait = match wait {
            Some(w) => w,
            None => {
                self.throttle_streak += 1;
                let n = self.throttle_streak;
                self.backoff(n)
            }
        };
        let until = now + wait;
        tracing::info!(until = %rfc3339(until), "the server asked to slow down: queue paused");
        let mut state = QueueState::load(&self.store)?;
        state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
        state.save(&self.store)?;
        Ok(until)
    }

    /// Could not reach the server: hold the queue back for a growing, jittered while.
    pub(crate) fn went_offline(&mut self, now: DateTime<Utc>) {
        self.offline_streak += 1;
        let n = self.offline_streak;
        let wait = self.backoff(n);
        self.offline_until = Some(now + wait);
        self.online = false;
    }

    /// A request got an answer from the server.
    pub(crate) fn reached_server(&mut self) {
        self.online = true;
        self.offline_streak = 0;
        self.offline_until = None;
    }

    /// A request succeeded: remembered now, written at the end of the pass (one commit, not
    /// one per record).
    pub(crate) fn succeeded(&mut self, now: DateTime<Utc>) -> Result<()> {
        self.throttle_streak = 0;
        self.last_success = Some(self.last_success.map_or(now, |t| t.max(now)));
        Ok(())
    }

    fn flush_success(&mut self) -> Result<()> {
        let Some(at) = self.last_success.take() else {
            return Ok(());
        };
        let mut state = QueueState::load(&self.store)?;
        if state.last_success_at.is_none_or(|t| t < at) {
            state.last_success_at = Some(at);
            if state.paused_until.is_some_and(|p| p <= at) {
                state.paused_until = None;
            }
            state.save(&self.store)?;
        }
        Ok(())
    }

    /// Publishes the status (at most every `publish_every` unless `force`).
    pub(crate) fn publish(&mut self, force: bool) {
        let now_instant = std::time::Instant::now();
        if !force
            && self
                .last_publish
                .is_some_and(|t| now_instant.duration_since(t) < self.config.publish_every)
        {
            return;
        }
        self.last_publish = Some(now_instant);
        let now = self.clock.now();
        let mut status = match load_status(&self.store, now) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the sync status");
                return;
            }
        };
        if let (Some(problem), None) = (&self.token_problem, &status.blocked) {
            status.blocked = Some(Blocked {
                reason: BlockReason::Auth,
                message: problem.clone(),
            });
        }
        if let Some(at) = self.last_success {
            status.last_success_at = Some(rfc3339(at));
        }
        if let Some((at, new_records)) = self.last_refresh {
            status.last_refresh_at = Some(rfc3339(at));
            status.last_refresh_new_records = new_records;
        }
        status.records_changed_at = self.records_changed_at.map(rfc3339);
        status.online = self.online;
        status.running = self.running;
        if !self.running && status.blocked.is_none() && status.outstanding() > 0 {
            status.next_attempt_at = self.wake_at.map(rfc3339).or(status.next_attempt_at);
        }
        self.status_tx.send_replace(status);
    }
}

/// Real time from `now` until `at` (zero if past).
pub(crate) fn duration_until(now: DateTime<Utc>, at: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

/// The token must never reach a message that is stored or logged, even if a server echoes it.
pub(crate) fn scrub(message: &str, token: &Secret) -> String {
    let t = token.expose();
    if !t.is_empty() && message.contains(t) {
        message.replace(t, "<redacted>")
    } else {
        message.to_string()
    }
}
