//! Pulling server records into the local cache: one offering's or one student's records (upsert
//! by server id; records older than what this computer keeps are left out; an offering's
//! listing replaces that offering's cached records, [`save_listing`]), and the names of
//! students this device does not know, via `/students/{id}` when the token may read them (a 403
//! there is not an error: names are a nicety). The school pull ([`pull_all`]) lists every
//! offering of the roster through the same [`fetch_listing`] and [`save_listing`].

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::retention;
use crate::secret::Secret;
use crate::store::{Store, Writes};
use crate::sync::api::{ApiClient, ListFilter};
use crate::sync::classify::{classify_read, ReadOutcome};
use crate::sync::engine::scrub;
use crate::sync::queue;
use crate::sync::record::{excerpt, parse_listing, Listing, ServerRecord};
use crate::sync::status::{Blocked, QueueState};
use crate::sync::tokens::TokenSource;

mod checkpoints;
mod school;

pub use school::{
    last_school_pull, pull_all, FailedOffering, PullAllOptions, PullProgress, SchoolPullReport,
    DEFAULT_PULL_CONCURRENCY, MAX_PULL_CONCURRENCY,
};

/// Name look-ups in flight at once.
const NAME_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    /// Records the server listed.
    pub records: u64,
    /// Of those, records the cache did not have.
    pub new_records: u64,
    /// Records the cache did not hold exactly as listed (new or changed on the server), saved.
    pub changed: u64,
    /// Cached records of the offering the listing no longer has, removed (see
    /// [`save_listing`]).
    pub removed: u64,
    /// Listed elements that were not valid records (ignored; when no element is valid, the pull
    /// fails instead).
    pub skipped: u64,
    /// Listed records dated before what this computer keeps (not cached: see
    /// [`crate::retention::pull_cutoff`]).
    pub too_old: u64,
    /// Student names filled in.
    pub names_resolved: u64,
    /// Why names were not looked up, if they were not.
    pub names_note: Option<String>,
}

#[derive(Deserialize)]
struct StudentWire {
    id: Id,
    full_name: String,
}

/// Pulls one offering's records.
pub async fn pull_offering(
    store: &mut Store,
    api: &ApiClient,
    tokens: &TokenSource,
    clock: &dyn Clock,
    offering: &Id,
) -> Result<PullReport> {
    pull(
        store,
        api,
        tokens,
        clock,
        ListFilter::Offering(offering.clone()),
    )
    .await
}

/// Pulls one student's records (every offering).
pub async fn pull_student(
    store: &mut Store,
    api: &ApiClient,
    tokens: &TokenSource,
    clock: &dyn Clock,
    student: &Id,
) -> Result<PullReport> {
    pull(
        store,
        api,
        tokens,
        clock,
        ListFilter::Student(student.clone()),
    )
    .await
}

/// The pull before a report or a counselor view: the records `filter` names, given up after
/// `within` with "no answer within N s" (the caller then computes the view from what this
/// device holds: a slow server never holds a report up).
pub async fn pull_within(
    store: &mut Store,
    api: &ApiClient,
    tokens: &TokenSource,
    clock: &dyn Clock,
    filter: ListFilter,
    within: Duration,
) -> Result<PullReport> {
    match tokio::time::timeout(within, pull(store, api, tokens, clock, filter)).await {
        Ok(result) => result,
        Err(_) => Err(Error::Remote(format!(
            "no answer within {} s",
            within.as_secs()
        ))),
    }
}

async fn pull(
    store: &mut Store,
    api: &ApiClient,
    tokens: &TokenSource,
    clock: &dyn Clock,
    filter: ListFilter,
) -> Result<PullReport> {
    let token = signed_in(tokens).await?;
    let listing = match fetch_listing(api, &token, &filter, clock.now()).await {
        Ok(listing) => listing,
        Err(failure) => return Err(failure.record(store, &token, &filter, clock.now())?),
    };
    let saved = save_listing(store, &filter, listing, clock.now())?;
    let mut report = saved.report;
    let students = saved.students;
    let unnamed = unnamed_students(store, students)?;
    let token = Arc::new(token);
    let mut todo = unnamed.into_iter();
    let mut inflight: JoinSet<(Id, crate::sync::api::Exchange)> = JoinSet::new();
    let mut stop = false;
    loop {
        while !stop && inflight.len() < NAME_CONCURRENCY {
            let Some(id) = todo.next() else { break };
            let api = api.clone();
            let token = token.clone();
            inflight.spawn(async move {
                let ex = api.student(&token, &id).await;
                (id, ex)
            });
        }
        let Some(joined) = inflight.join_next().await else {
            break;
        };
        let Ok((id, ex)) = joined else { continue };
        let school_id_set = api.config().school_id.is_some();
        let parsed = classify_read(&ex, clock.now(), school_id_set, |b| {
            serde_json::from_slice::<StudentWire>(b).map_err(|e| e.to_string())
        });
        match parsed {
            ReadOutcome::Ok(s)
                if s.id == id
                    && !s.full_name.trim().is_empty()
                    && set_name(store, &id, s.full_name.trim())? =>
            {
                report.names_resolved += 1;
            }
            ReadOutcome::Forbidden(_) | ReadOutcome::Blocked(_) => {
                report.names_note = Some("the token may not read student names".into());
                stop = true;
            }
            ReadOutcome::Throttled { .. } => {
                report.names_note =
                    Some("the server asked to wait: some names not looked up".into());
                stop = true;
            }
            _ => {}
        }
    }
    Ok(report)
}

/// The stored token, or the error every pull gives without one.
async fn signed_in(tokens: &TokenSource) -> Result<Secret> {
    tokens
        .get()
        .await?
        .ok_or_else(|| Error::Auth("not signed in: no API token is stored".into()))
}

/// Why a listing gave no records to save. Nothing is written until [`ListFailure::record`].
#[derive(Debug, Clone)]
pub(crate) enum ListFailure {
    /// 401, or a school id the account needs: sign in again / set the school.
    Blocked(Blocked),
    /// 403: the token may not read attendance.
    Forbidden(String),
    /// 429 / 503: the server asks to wait (`wait`: its Retry-After, if readable).
    Throttled {
        wait: Option<Duration>,
        message: String,
    },
    /// The network or the server failed (5xx, timeout, a body cut off): a GET may be repeated.
    Transient(String),
    /// Refused for good (another 4xx).
    Refused(String),
    /// A 2xx that is not this listing: not a list, no valid record, or another question's
    /// records.
    Garbled(String),
}

impl ListFailure {
    /// The reason in words, the token scrubbed out.
    fn reason(&self, token: &Secret, filter: &ListFilter) -> String {
        match self {
            ListFailure::Blocked(blocked) => scrub(&blocked.message, token),
            ListFailure::Forbidden(msg) => {
                format!("the token may not read attendance ({})", scrub(msg, token))
            }
            ListFailure::Throttled { wait, message } => {
                let when = wait
                    .map(|w| format!(" for {} s", w.as_secs()))
                    .unwrap_or_default();
                format!("the server asked to wait{when}: {}", scrub(message, token))
            }
            ListFailure::Transient(msg) | ListFailure::Refused(msg) => format!(
                "could not list the records (GET {}): {}",
                filter.path(),
                scrub(msg, token)
            ),
            ListFailure::Garbled(why) => format!(
                "could not list the records (GET {}): {}; nothing was saved",
                filter.path(),
                scrub(why, token)
            ),
        }
    }

    /// Whether it stops every pull with this token (sign in again, or a token that may not
    /// read attendance).
    fn stops_everything(&self) -> bool {
        matches!(self, ListFailure::Blocked(_) | ListFailure::Forbidden(_))
    }

    /// Writes down what the failure says about the whole API (a 401 blocks deliveries too; a
    /// Retry-After pauses them) and turns it into the pull's error.
    fn record(
        &self,
        store: &Store,
        token: &Secret,
        filter: &ListFilter,
        now: DateTime<Utc>,
    ) -> Result<Error> {
        match self {
            ListFailure::Blocked(blocked) => {
                let mut state = QueueState::load(store)?;
                state.blocked = Some((blocked.clone(), token.tag()));
                state.save(store)?;
            }
            // A Retry-After is the server's word for the whole API: deliveries and refreshes
            // wait it out, as after a throttled POST.
            ListFailure::Throttled { wait: Some(w), .. } => pause_until(store, now + *w)?,
            _ => {}
        }
        let reason = self.reason(token, filter);
        Ok(if self.stops_everything() {
            Error::Auth(reason)
        } else {
            Error::Remote(reason)
        })
    }
}

/// Sets (or extends) the pause every sync and pull respects.
fn pause_until(store: &Store, until: DateTime<Utc>) -> Result<()> {
    let mut state = QueueState::load(store)?;
    state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
    state.save(store)
}

/// One listing, read and checked, with nothing written: the records it lists must all answer
/// `filter`, and a 2xx with elements but no valid record is not a listing.
pub(crate) async fn fetch_listing(
    api: &ApiClient,
    token: &Secret,
    filter: &ListFilter,
    now: DateTime<Utc>,
) -> std::result::Result<Listing, ListFailure> {
    let ex = api.list(token, filter).await;
    let school_id_set = api.config().school_id.is_some();
    // The body is parsed in place and dropped with the exchange: only the records stay.
    let parsed = classify_read(&ex, now, school_id_set, |body| Ok(parse_listing(body)));
    drop(ex);
    let listing = match parsed {
        ReadOutcome::Ok(Ok(listing)) => listing,
        ReadOutcome::Ok(Err(why)) => return Err(ListFailure::Garbled(why)),
        ReadOutcome::Blocked(blocked) => return Err(ListFailure::Blocked(blocked)),
        ReadOutcome::Forbidden(msg) => return Err(ListFailure::Forbidden(msg)),
        ReadOutcome::Throttled { wait, message } => {
            return Err(ListFailure::Throttled { wait, message })
        }
        ReadOutcome::Unavailable(msg) => return Err(ListFailure::Transient(msg)),
        ReadOutcome::Failed(msg) | ReadOutcome::NotFound(msg) => {
            return Err(ListFailure::Refused(msg))
        }
    };
    let others = listing
        .records
        .iter()
        .filter(|r| !filter.matches(&r.fields))
        .count();
    if others > 0 {
        return Err(ListFailure::Garbled(format!(
            "the server's answer lists {} of another offering or student: it answers another \
             question",
            crate::error::count(others as u64, "record", "records")
        )));
    }
    if listing.records.is_empty() && !listing.unreadable.is_empty() {
        let first = serde_json::to_vec(&listing.unreadable[0]).unwrap_or_default();
        return Err(ListFailure::Garbled(format!(
            "the server's answer is not a list of records: none of its {} is a valid record (the \
             first starts {})",
            crate::error::count(listing.unreadable.len() as u64, "element", "elements"),
            excerpt(&first)
        )));
    }
    Ok(listing)
}

/// What saving a listing did, and the students it named.
pub(crate) struct Saved {
    pub(crate) report: PullReport,
    pub(crate) students: BTreeSet<Id>,
}

/// Saves a listing in one transaction. An offering's listing replaces that offering's cached
/// records: a cached record it no longer lists is removed, except records dated before what
/// this computer keeps (the listing's are not cached either), records an outbox item of this
/// device created (its own POSTs, which history and reconciliation refer to; a listing that
/// lags behind a POST must not lose it), and when some listed elements were unreadable (one
/// of them may be the record: the listing proves no absence). A student's listing adds and
/// refreshes only (it is not the whole of any offering).
pub(crate) fn save_listing(
    store: &Store,
    filter: &ListFilter,
    listing: Listing,
    now: DateTime<Utc>,
) -> Result<Saved> {
    let skipped = listing.unreadable.len() as u64;
    let listed = listing.records.len() as u64;
    let cutoff = retention::pull_cutoff(store)?;
    let records: Vec<ServerRecord> = listing
        .records
        .into_iter()
        .filter(|r| cutoff.is_none_or(|day| r.fields.date >= day))
        .collect();
    let replaced = match filter {
        ListFilter::Offering(offering) if skipped == 0 => Some(offering),
        _ => None,
    };
    // What the listing changes is found with reads only (one range read of the cached records it
    // answers for); a listing that changes nothing (a refresh of records already held) writes
    // nothing, so it never holds the write lock that a mark being saved would wait on.
    let cached = queue::cached_records(store.conn(), filter)?;
    let mut changed: Vec<&ServerRecord> = records
        .iter()
        .filter(|r| cached.get(&r.id).is_none_or(|c| !c.is(r)))
        .collect();
    // In the order of the indexes by student, date and time: each student's records go in
    // one after the other instead of scattered (a server lists the newest first).
    changed.sort_by(|a, b| {
        (&a.fields.student_id, a.fields.date, a.recorded_at_us()).cmp(&(
            &b.fields.student_id,
            b.fields.date,
            b.recorded_at_us(),
        ))
    });
    let unlisted = match replaced {
        Some(offering) => {
            let listed: HashSet<&Id> = records.iter().map(|r| &r.id).collect();
            let own = queue::outbox_records_of(store.conn(), offering)?;
            unlisted(&cached, cutoff, &listed, &own)
        }
        None => Vec::new(),
    };
    let (new_records, removed) = if changed.is_empty() && unlisted.is_empty() {
        (0, 0)
    } else {
        let began = std::time::Instant::now();
        let written = queue::atomically(store.conn(), Writes::Records, |tx| {
            let new_records = queue::upsert_records(tx, changed.iter().copied(), now)?;
            let removed = match replaced {
                Some(offering) => remove(tx, offering, &unlisted)?,
                None => 0,
            };
            Ok((new_records, removed))
        })?;
        // The write transaction's time, its commit included (a mark being saved waits for it):
        // the school pull's bench reads it.
        tracing::debug!(
            changed = changed.len(),
            removed = written.1,
            write_us = began.elapsed().as_micros() as u64,
            "listing saved"
        );
        written
    };
    let students = records
        .iter()
        .map(|r| r.fields.student_id.clone())
        .collect();
    Ok(Saved {
        report: PullReport {
            records: listed,
            new_records,
            changed: changed.len() as u64,
            removed,
            skipped,
            too_old: listed - records.len() as u64,
            ..PullReport::default()
        },
        students,
    })
}

/// The cached records of an offering that its listing no longer has, except those dated before
/// `cutoff` and those an outbox item of this device created (`own`).
fn unlisted(
    cached: &HashMap<Id, queue::CachedRecord>,
    cutoff: Option<crate::ids::Day>,
    listed: &HashSet<&Id>,
    own: &HashSet<Id>,
) -> Vec<Id> {
    cached
        .iter()
        .filter(|(id, c)| {
            cutoff.is_none_or(|day| c.date() >= day) && !listed.contains(id) && !own.contains(*id)
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// Removes these cached records, in the caller's transaction; one an outbox item has come to
/// refer to since [`unlisted`] read them stays.
fn remove(conn: &rusqlite::Connection, offering: &Id, ids: &[Id]) -> Result<u64> {
    let mut delete = conn.prepare_cached(
        "DELETE FROM server_record WHERE offering_id = ?1 AND id = ?2
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.server_id = server_record.id)",
    )?;
    let mut removed = 0;
    for id in ids {
        removed += delete.execute([offering, id])? as u64;
    }
    Ok(removed)
}

/// Students with no row or an empty name locally (a roster's names are never overwritten).
fn unnamed_students(store: &Store, students: BTreeSet<Id>) -> Result<Vec<Id>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM student WHERE id = ?1 AND trim(full_name) <> '')",
    )?;
    let mut out = Vec::new();
    for id in students {
        let named: bool = stmt.query_row([&id], |r| r.get(0))?;
        if !named {
            out.push(id);
        }
    }
    Ok(out)
}

fn set_name(store: &Store, id: &Id, name: &str) -> Result<bool> {
    let n = store.conn().execute(
        "INSERT INTO student (id, full_name) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name
         WHERE trim(student.full_name) = ''",
        (id, name),
    )?;
    Ok(n > 0)
}
