//! Pulling server records into the local cache: one offering's or one student's records (upsert
//! by server id; records older than what this computer keeps are left out), and the names of
//! students this device does not know, via `/students/{id}` when the token may read them (a 403
//! there is not an error: names are a nicety).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::Id;
use crate::retention;
use crate::store::Store;
use crate::sync::api::{ApiClient, ListFilter};
use crate::sync::classify::{classify_read, ReadOutcome};
use crate::sync::engine::scrub;
use crate::sync::queue;
use crate::sync::record::{excerpt, parse_listing};
use crate::sync::status::QueueState;
use crate::sync::tokens::TokenSource;

/// Name look-ups in flight at once.
const NAME_CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    /// Records the server listed.
    pub records: u64,
    /// Of those, records the cache did not have.
    pub new_records: u64,
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
    let token = tokens
        .get()
        .await?
        .ok_or_else(|| Error::Auth("not signed in: no API token is stored".into()))?;
    let ex = api.list(&token, &filter).await;
    let now = clock.now();
    let school_id_set = api.config().school_id.is_some();
    let listing = match classify_read(&ex, now, school_id_set, parse_listing) {
        ReadOutcome::Ok(v) => v,
        ReadOutcome::Blocked(blocked) => {
            let message = scrub(&blocked.message, &token);
            let mut state = QueueState::load(store)?;
            state.blocked = Some((blocked, token.tag()));
            state.save(store)?;
            return Err(Error::Auth(message));
        }
        ReadOutcome::Forbidden(msg) => {
            return Err(Error::Auth(format!(
                "the token may not read attendance ({})",
                scrub(&msg, &token)
            )))
        }
        ReadOutcome::Throttled { wait, message } => {
            // A Retry-After is the server's word for the whole API: deliveries and refreshes
            // wait it out, as after a throttled POST.
            if let Some(w) = wait {
                let until = now + w;
                let mut state = QueueState::load(store)?;
                state.paused_until = Some(state.paused_until.map_or(until, |p| p.max(until)));
                state.save(store)?;
            }
            let when = wait
                .map(|w| format!(" for {} s", w.as_secs()))
                .unwrap_or_default();
            return Err(Error::Remote(format!(
                "the server asked to wait{when}: {}",
                scrub(&message, &token)
            )));
        }
        ReadOutcome::Unavailable(msg) | ReadOutcome::Failed(msg) | ReadOutcome::NotFound(msg) => {
            return Err(Error::Remote(format!(
                "could not list the records (GET {}): {}",
                filter.path(),
                scrub(&msg, &token)
            )))
        }
    };
    let not_the_answer = |why: String| {
        Error::Remote(format!(
            "could not list the records (GET {}): {why}; nothing was saved",
            filter.path()
        ))
    };
    let (records, unreadable) = (listing.records, listing.unreadable);
    let others = records
        .iter()
        .filter(|r| !filter.matches(&r.fields))
        .count();
    if others > 0 {
        return Err(not_the_answer(format!(
            "the server's answer lists {} of another offering or student: it answers another \
             question",
            crate::error::count(others as u64, "record", "records")
        )));
    }
    if records.is_empty() && !unreadable.is_empty() {
        let first = serde_json::to_vec(&unreadable[0]).unwrap_or_default();
        return Err(not_the_answer(format!(
            "the server's answer is not a list of records: none of its {} is a valid record (the \
             first starts {})",
            crate::error::count(unreadable.len() as u64, "element", "elements"),
            excerpt(&first)
        )));
    }
    let skipped = unreadable.len();
    let listed = records.len() as u64;
    let records = match retention::pull_cutoff(store)? {
        Some(cutoff) => records
            .into_iter()
            .filter(|r| r.fields.date >= cutoff)
            .collect(),
        None => records,
    };
    let new_records = queue::upsert_records(store.conn(), &records, now)?;
    let mut report = PullReport {
        records: listed,
        new_records,
        skipped: skipped as u64,
        too_old: listed - records.len() as u64,
        ..PullReport::default()
    };

    let students: BTreeSet<Id> = records
        .iter()
        .map(|r| r.fields.student_id.clone())
        .collect();
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
