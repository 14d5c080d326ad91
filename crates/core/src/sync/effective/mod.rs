//! The effective mark of (offering, student, date): what Rollbook shows as "the" mark when this
//! device and the server (other devices) may disagree.
//!
//! - The local mark wins while its newest outbox item is not confirmed (pending, sending,
//!   unknown or rejected): the teacher's latest word is not on the server yet.
//! - Otherwise the server record with the newest `recorded_at`, if the cache has one (it may be
//!   a later mark made on another device).
//! - Otherwise the local mark.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params;
use serde::Serialize;

use crate::error::Result;
use crate::ids::{Day, Id, Status};
use crate::outbox::ItemState;
use crate::store::Store;

mod range;
pub use range::{for_range, StudentMark};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// This device's mark.
    Local,
    /// A server record that no outbox item of this device created: a mark made on another
    /// device (this device's own delivered records count as `Local`).
    Server,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveMark {
    pub status: Status,
    pub source: Source,
    /// When that status was set: the server's `recorded_at`, or the local change time.
    pub recorded_at: String,
    /// The teacher assignment the server record was posted under (a kiosk's, a co-teacher's,
    /// or the offering's own); `None` for a mark of this device not yet confirmed.
    pub teacher_assignment_id: Option<Id>,
}

/// One effective mark over a date range (counselor view, reports).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EffectiveRecord {
    pub offering_id: Id,
    pub student_id: Id,
    pub date: Day,
    pub status: Status,
    pub source: Source,
    pub recorded_at: String,
}

type Key = (Id, Id, Day);

struct Local {
    status: Status,
    changed_at: String,
    /// State of the mark's newest outbox item that is not cancelled.
    newest_state: Option<ItemState>,
}

struct Remote {
    status: Status,
    recorded_at: String,
    teacher_assignment_id: Id,
    /// The record is one this device's outbox created.
    own: bool,
}

/// Which mark counts: the rule of the module docs, for any form of server record.
enum Winner<S> {
    Local(Local),
    Server(S),
}

fn winner<S>(local: Option<Local>, server: Option<S>) -> Option<Winner<S>> {
    let unconfirmed = |l: &Local| l.newest_state.is_some_and(ItemState::is_unconfirmed);
    match (local, server) {
        (Some(l), _) if unconfirmed(&l) => Some(Winner::Local(l)),
        (_, Some(s)) => Some(Winner::Server(s)),
        (Some(l), None) => Some(Winner::Local(l)),
        (None, None) => None,
    }
}

fn merge(local: Option<Local>, server: Option<Remote>) -> Option<EffectiveMark> {
    winner(local, server).map(|w| match w {
        Winner::Local(l) => local_mark(l),
        Winner::Server(s) => EffectiveMark {
            status: s.status,
            source: if s.own { Source::Local } else { Source::Server },
            recorded_at: s.recorded_at,
            teacher_assignment_id: Some(s.teacher_assignment_id),
        },
    })
}

fn local_mark(l: Local) -> EffectiveMark {
    EffectiveMark {
        status: l.status,
        source: Source::Local,
        recorded_at: l.changed_at,
        teacher_assignment_id: None,
    }
}

const LOCAL_SQL: &str = "SELECT m.offering_id, m.student_id, m.date, m.status, m.changed_at,
        (SELECT o.state FROM outbox o
          WHERE o.offering_id = m.offering_id AND o.student_id = m.student_id
            AND o.date = m.date AND o.state <> 'cancelled'
          ORDER BY o.id DESC LIMIT 1)
     FROM mark m";

// SQLite returns the other columns of the row holding MAX(recorded_at_us) in an aggregate.
const SERVER_SQL: &str =
    "SELECT offering_id, student_id, date, status, recorded_at, MAX(recorded_at_us),
        EXISTS (SELECT 1 FROM outbox o WHERE o.server_id = server_record.id),
        teacher_assignment_id
     FROM server_record";

fn local_sql(filter: &str) -> String {
    format!("{LOCAL_SQL} WHERE {filter}")
}

fn server_sql(filter: &str) -> String {
    format!("{SERVER_SQL} WHERE {filter} GROUP BY offering_id, student_id, date")
}

fn load(
    store: &Store,
    local_where: &str,
    server_where: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<BTreeMap<Key, EffectiveMark>> {
    let conn = store.conn();
    let mut locals: HashMap<Key, Local> = HashMap::new();
    let mut stmt = conn.prepare_cached(&local_sql(local_where))?;
    let rows = stmt.query_map(args, |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            Local {
                status: r.get(3)?,
                changed_at: r.get(4)?,
                newest_state: r.get(5)?,
            },
        ))
    })?;
    for row in rows {
        let (key, l) = row?;
        locals.insert(key, l);
    }
    let mut servers: HashMap<Key, Remote> = HashMap::new();
    let mut stmt = conn.prepare_cached(&server_sql(server_where))?;
    let rows = stmt.query_map(args, |r| {
        Ok((
            (r.get(0)?, r.get(1)?, r.get(2)?),
            Remote {
                status: r.get(3)?,
                recorded_at: r.get(4)?,
                teacher_assignment_id: r.get(7)?,
                own: r.get(6)?,
            },
        ))
    })?;
    for row in rows {
        let (key, s) = row?;
        servers.insert(key, s);
    }
    let mut keys: Vec<Key> = locals.keys().chain(servers.keys()).cloned().collect();
    keys.sort();
    keys.dedup();
    let mut out = BTreeMap::new();
    for key in keys {
        let l = locals.remove(&key);
        let s = servers.remove(&key);
        if let Some(m) = merge(l, s) {
            out.insert(key, m);
        }
    }
    Ok(out)
}

/// The effective mark of each student enrolled in an offering (active or not) with one, on a
/// date: what the roll and Today show.
pub fn for_offering_date(
    store: &Store,
    offering: &Id,
    date: Day,
) -> Result<HashMap<Id, EffectiveMark>> {
    let marks = load(
        store,
        OFFERING_DATE_LOCAL_WHERE,
        OFFERING_DATE_SERVER_WHERE,
        params![offering, date],
    )?;
    Ok(marks
        .into_iter()
        .map(|((_, student, _), m)| (student, m))
        .collect())
}

// An offering's marks on a date: one seek per enrolled student in the primary key (mark) and in
// server_record_by_student_day (student_id, date, offering_id, ...). Filtered by offering and
// date alone, the marks would be read from the offering's first key to its last: every day of
// the year, for one day's roll (tests/core/start_up.rs).
const OFFERING_DATE_LOCAL_WHERE: &str = "m.offering_id = ?1 AND m.date = ?2
     AND m.student_id IN (SELECT student_id FROM enrollment WHERE offering_id = ?1)";
const OFFERING_DATE_SERVER_WHERE: &str = "offering_id = ?1 AND date = ?2
     AND student_id IN (SELECT student_id FROM enrollment WHERE offering_id = ?1)";
// A student's marks: every mark references an offering (foreign key), so looking up each
// offering's (offering_id, student_id, date) range in the primary key reads only this student's
// marks instead of scanning the table (`mark` has no index by student).
const STUDENT_LOCAL_WHERE: &str =
    "m.offering_id IN (SELECT id FROM offering) AND m.student_id = ?1 AND m.date BETWEEN ?2 AND ?3";
// Served by server_record_by_student_day (student_id, date, …), migration 0004.
const STUDENT_SERVER_WHERE: &str = "student_id = ?1 AND date BETWEEN ?2 AND ?3";
// Served by mark_by_offering_date and by server_record_by_offering_id (the offering's range).
const OFFERING_LOCAL_WHERE: &str = "m.offering_id = ?1 AND m.date BETWEEN ?2 AND ?3";
const OFFERING_SERVER_WHERE: &str = "offering_id = ?1 AND date BETWEEN ?2 AND ?3";

/// A student's effective marks from `from` to `to` (inclusive), across offerings, by date then
/// offering.
pub fn for_student(
    store: &Store,
    student: &Id,
    from: Day,
    to: Day,
) -> Result<Vec<EffectiveRecord>> {
    let marks = load(
        store,
        STUDENT_LOCAL_WHERE,
        STUDENT_SERVER_WHERE,
        params![student, from, to],
    )?;
    Ok(records(marks))
}

/// An offering's effective marks from `from` to `to` (inclusive), every student, by date then
/// student.
pub fn for_offering(
    store: &Store,
    offering: &Id,
    from: Day,
    to: Day,
) -> Result<Vec<EffectiveRecord>> {
    let marks = load(
        store,
        OFFERING_LOCAL_WHERE,
        OFFERING_SERVER_WHERE,
        params![offering, from, to],
    )?;
    Ok(records(marks))
}

fn records(marks: BTreeMap<Key, EffectiveMark>) -> Vec<EffectiveRecord> {
    let mut list: Vec<EffectiveRecord> = marks
        .into_iter()
        .map(|((offering_id, student_id, date), m)| EffectiveRecord {
            offering_id,
            student_id,
            date,
            status: m.status,
            source: m.source,
            recorded_at: m.recorded_at,
        })
        .collect();
    list.sort_by(|a, b| {
        (a.date, &a.offering_id, &a.student_id).cmp(&(b.date, &b.offering_id, &b.student_id))
    });
    list
}

#[cfg(test)]
mod tests;
