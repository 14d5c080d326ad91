//! The school pull: every offering of the imported roster listed concurrently through the one
//! pull path ([`super::fetch_listing`], [`super::save_listing`]), for the counselor's view of the
//! whole school.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::task::JoinSet;

use super::checkpoints::PullWrites;
use super::{fetch_listing, pause_until, save_listing, signed_in, ListFailure};
use crate::clock::{rfc3339, Clock};
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::store::Store;
use crate::sync::adaptive::{Adaptive, Answer};
use crate::sync::api::{ApiClient, ListFilter};
use crate::sync::engine::scrub;
use crate::sync::record::Listing;
use crate::sync::status::QueueState;
use crate::sync::stop::StopSignal;
use crate::sync::tokens::TokenSource;

/// Listings in flight at once in a school pull, by default.
pub const DEFAULT_PULL_CONCURRENCY: usize = 8;
/// The most listings in flight a school pull may be asked for.
pub const MAX_PULL_CONCURRENCY: usize = 64;
/// Attempts of one offering's listing that fails transiently (network, 5xx, timeout).
const PULL_ATTEMPTS: u32 = 3;
/// The wait before the second attempt; doubled before each later one, up to [`RETRY_CAP`].
const RETRY_BASE: Duration = Duration::from_secs(1);
const RETRY_CAP: Duration = Duration::from_secs(4);
/// How often one offering may be answered "wait" before it counts as failed.
const MAX_THROTTLES: u32 = 10;
/// The wait after a 429/503 without a readable Retry-After.
const THROTTLE_DEFAULT: Duration = Duration::from_secs(2);
/// The setting: when the last school pull finished (RFC 3339).
const SETTING_SCHOOL_PULL_AT: &str = "pull.school_at";

/// How a school pull runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PullAllOptions {
    /// The most listings in flight at once (1 to [`MAX_PULL_CONCURRENCY`]): the ceiling of the
    /// adaptive concurrency ([`crate::sync::adaptive`]), as for the delivery.
    pub concurrency: usize,
}

impl Default for PullAllOptions {
    fn default() -> Self {
        PullAllOptions {
            concurrency: DEFAULT_PULL_CONCURRENCY,
        }
    }
}

/// How far a school pull got: offerings finished (pulled or failed) of all, records received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PullProgress {
    pub done: u32,
    pub total: u32,
    pub records: u64,
    pub failed: u32,
}

/// An offering whose listing could not be pulled; its cache was left as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedOffering {
    pub offering_id: Id,
    pub name: Option<String>,
    pub reason: String,
}

/// What a school pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SchoolPullReport {
    /// Offerings of the roster.
    pub offerings: u32,
    /// Of those, offerings whose listing replaced their cached records.
    pub pulled: u32,
    /// Offerings that failed, with why (each left as it was).
    pub failed: Vec<FailedOffering>,
    /// Records the server listed for the pulled offerings.
    pub records: u64,
    /// Of those, records the cache did not have.
    pub new_records: u64,
    /// Stopped on request before every offering was listed.
    pub cancelled: bool,
    /// Why the whole pull stopped early (the token refused: sign in again), if it did.
    pub error: Option<String>,
    /// When the school's records were last pulled ([`last_school_pull`]).
    pub as_of: Option<String>,
}

/// When the last school pull finished, even partly (RFC 3339), if one ever did: "records as
/// of" in the views.
pub fn last_school_pull(store: &Store) -> Result<Option<String>> {
    store.setting(SETTING_SCHOOL_PULL_AT)
}

/// The offerings of the roster, by name.
fn roster_offerings(store: &Store) -> Result<Vec<(Id, Option<String>)>> {
    let mut stmt = store
        .conn()
        .prepare_cached("SELECT id, name FROM offering ORDER BY name, id")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, Id>(0)?,
                r.get::<_, Option<String>>(1)?
                    .filter(|n| !n.trim().is_empty()),
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// One offering waiting for its (next) listing.
struct Due {
    index: usize,
    attempts: u32,
    throttles: u32,
    not_before: tokio::time::Instant,
}

/// Pulls every offering of the imported roster: at most `opts.concurrency` listings in flight,
/// one per offering, each saved as it arrives ([`save_listing`]: it replaces that offering's
/// cached records) and then dropped, so the school is never held in memory. A 429/503 pauses
/// the whole pull for its Retry-After (and every sync, as [`pull_offering`] does); a 401/403
/// stops it (`error`, the sign-in message); network failures and 5xx are tried
/// [`PULL_ATTEMPTS`] times with backoff, then the offering is failed with the reason, as is a
/// listing that does not parse (its cache is left as it was). `stop` cancels: no new listing
/// starts, those in flight are dropped at its cut, what finished is kept. `progress` is called
/// at the start and after each offering. While it runs, `store`'s connection commits without a
/// flush and the log is checkpointed beside it (`checkpoints.rs`); both are put back at the end.
pub async fn pull_all(
    store: &mut Store,
    api: &ApiClient,
    tokens: &TokenSource,
    clock: &dyn Clock,
    opts: PullAllOptions,
    stop: &StopSignal,
    progress: &mut (dyn FnMut(&PullProgress) + Send),
) -> Result<SchoolPullReport> {
    if !(1..=MAX_PULL_CONCURRENCY).contains(&opts.concurrency) {
        return Err(Error::Invalid(format!(
            "{} listings at once is not a concurrency: expected 1 to {MAX_PULL_CONCURRENCY}",
            opts.concurrency
        )));
    }
    let store: &Store = store;
    let offerings = roster_offerings(store)?;
    let token = Arc::new(signed_in(tokens).await?);
    // Until the pull ends: its commits unflushed, its checkpoints beside it (`checkpoints`).
    let writes = PullWrites::start(store)?;
    let stop = stop.stop();
    let mut report = SchoolPullReport {
        offerings: offerings.len() as u32,
        ..SchoolPullReport::default()
    };
    let mut seen = PullProgress {
        total: report.offerings,
        ..PullProgress::default()
    };
    progress(&seen);

    let start = tokio::time::Instant::now();
    // A pause the server asked for earlier (a sync's, another pull's) holds here too.
    let mut paused_until = QueueState::load(store)?
        .paused_until
        .and_then(|until| (until - clock.now()).to_std().ok())
        .map(|left: Duration| start + left);
    let mut queue: std::collections::VecDeque<Due> = (0..offerings.len())
        .map(|index| Due {
            index,
            attempts: 0,
            throttles: 0,
            not_before: start,
        })
        .collect();
    // The listing, and when it left and came back.
    type Answer = (
        Due,
        std::result::Result<Listing, ListFailure>,
        Instant,
        Instant,
    );
    let mut inflight: JoinSet<Answer> = JoinSet::new();
    let mut adaptive = Adaptive::new(opts.concurrency, Instant::now());
    loop {
        if stop.is_stopping() {
            report.cancelled = !queue.is_empty() || !inflight.is_empty();
            break;
        }
        let now = tokio::time::Instant::now();
        let pause_over = paused_until.is_none_or(|until| until <= now);
        while pause_over && adaptive.may_start(now.into_std()) {
            let Some(at) = queue.iter().position(|d| d.not_before <= now) else {
                break;
            };
            let Some(mut due) = queue.remove(at) else {
                break;
            };
            due.attempts += 1;
            let (api, token) = (api.clone(), token.clone());
            let filter = ListFilter::Offering(offerings[due.index].0.clone());
            let asked_at = clock.now();
            let left = Instant::now();
            adaptive.started(left);
            inflight.spawn(async move {
                let listed = fetch_listing(&api, &token, &filter, asked_at).await;
                (due, listed, left, Instant::now())
            });
        }
        if inflight.is_empty() && queue.is_empty() {
            break;
        }
        // Room for more: wait for the pause to end, the next retry to be due or the pace.
        let paced = adaptive.next_start().map(tokio::time::Instant::from_std);
        let wake = queue
            .iter()
            .map(|d| d.not_before)
            .min()
            .map(|t| paused_until.map_or(t, |p| p.max(t)))
            .map(|t| paced.map_or(t, |p| p.max(t)));
        let joined = tokio::select! {
            joined = stop.join_next(&mut inflight), if !inflight.is_empty() => joined,
            () = sleep_until(wake), if inflight.len() < adaptive.limit() || inflight.is_empty() => {
                continue
            }
            () = stop.stopping() => continue,
        };
        let Some(joined) = joined else { continue };
        // A listing cut at the stop is dropped (aborted): nothing of it was written.
        let Ok((mut due, listed, left, back)) = joined else {
            adaptive.abandoned();
            continue;
        };
        adaptive.finished(left, back, load_signal(&listed));
        let (offering_id, name) = &offerings[due.index];
        let filter = ListFilter::Offering(offering_id.clone());
        let now = clock.now();
        let failure = match listed {
            Ok(listing) => {
                writes.before_write();
                let saved = save_listing(store, &filter, listing, now)?;
                writes.after_commit();
                report.pulled += 1;
                report.records += saved.report.records;
                report.new_records += saved.report.new_records;
                seen.records += saved.report.records;
                None
            }
            Err(ListFailure::Throttled { wait, message }) if due.throttles + 1 < MAX_THROTTLES => {
                let w = wait.unwrap_or(THROTTLE_DEFAULT);
                if wait.is_some() {
                    pause_until(store, now + w)?;
                }
                let until = tokio::time::Instant::now() + w;
                paused_until = Some(paused_until.map_or(until, |p| p.max(until)));
                tracing::info!(offering = %offering_id, wait_s = w.as_secs(), %message,
                    "the server asked the school pull to wait");
                due.throttles += 1;
                due.attempts -= 1;
                queue.push_back(due);
                continue;
            }
            Err(ListFailure::Transient(msg)) if due.attempts < PULL_ATTEMPTS => {
                let wait = RETRY_BASE
                    .saturating_mul(1 << (due.attempts - 1).min(8))
                    .min(RETRY_CAP);
                tracing::info!(offering = %offering_id, attempt = due.attempts,
                    error = %scrub(&msg, &token), "listing failed; trying again");
                due.not_before = tokio::time::Instant::now() + wait;
                queue.push_back(due);
                continue;
            }
            Err(failure) => {
                let error = failure.record(store, &token, &filter, now)?;
                if failure.stops_everything() {
                    report.error = Some(error.to_string());
                    inflight.abort_all();
                    while inflight.join_next().await.is_some() {}
                    break;
                }
                Some(error.to_string())
            }
        };
        if let Some(reason) = failure {
            report.failed.push(FailedOffering {
                offering_id: offering_id.clone(),
                name: name.clone(),
                reason,
            });
            seen.failed += 1;
        }
        seen.done += 1;
        progress(&seen);
    }
    inflight.abort_all();
    while inflight.join_next().await.is_some() {}
    // The last checkpoint, and the connection's own settings back (a flushed commit below).
    drop(writes);
    if report.pulled > 0 {
        store.set_setting(SETTING_SCHOOL_PULL_AT, Some(&rfc3339(clock.now())))?;
    }
    report.as_of = last_school_pull(store)?;
    Ok(report)
}

/// What a listing's answer says about the server's load, for the adaptive concurrency.
fn load_signal(listed: &std::result::Result<Listing, ListFailure>) -> Answer {
    match listed {
        Err(ListFailure::Throttled { .. }) => Answer::Refused,
        Err(ListFailure::Transient(_)) => Answer::Failed,
        Ok(_) | Err(_) => Answer::Fine,
    }
}

/// Sleeps until `at` (`None`: forever).
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}
