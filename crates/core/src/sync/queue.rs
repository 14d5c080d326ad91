//! The engine's reads and writes of the outbox and the server-record cache. Each function is
//! one short statement or transaction; every state change names the state it expects, so a
//! concurrent change (a mark rewritten while pending, an item discarded) is never overwritten.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use crate::clock::{parse_rfc3339, rfc3339, unix_micros};
use crate::error::Result;
use crate::ids::{Day, Id};
use crate::mark_change::recheck_pending;
use crate::outbox::ItemState;
use crate::store::{self, Writes};
use crate::sync::api::ListFilter;
use crate::sync::record::{Attendance, ServerRecord};

/// One outbox item as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueItem {
    pub id: i64,
    pub state: ItemState,
    pub body: Attendance,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
}

const ITEM_COLUMNS: &str = "id, state, offering_id, teacher_assignment_id, enrollment_id,
    student_id, date, status, attempts, next_attempt_at, sent_at";

fn item_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<QueueItem> {
    let time = |i: usize| -> rusqlite::Result<Option<DateTime<Utc>>> {
        Ok(r.get::<_, Option<String>>(i)?
            .as_deref()
            .and_then(parse_rfc3339))
    };
    Ok(QueueItem {
        id: r.get(0)?,
        state: r.get(1)?,
        body: attendance_at(r, 2)?,
        attempts: r.get::<_, i64>(8)?.clamp(0, u32::MAX as i64) as u32,
        next_attempt_at: time(9)?,
        sent_at: time(10)?,
    })
}

/// An open unit of writes: a transaction holding the write locks of the files it writes
/// ([`Writes`]), or a savepoint when one is open already (the engine batches the writes of
/// several answers in one commit, and each answer's writes are atomic inside it).
/// [`Atomic::end`] commits it, or rolls it back on an error.
pub(crate) struct Atomic {
    commit: &'static str,
    rollback: &'static str,
}

impl Atomic {
    pub(crate) fn begin(conn: &Connection, writes: Writes) -> Result<Atomic> {
        if conn.is_autocommit() {
            store::begin(conn, writes)?;
            return Ok(Atomic {
                commit: "COMMIT",
                rollback: "ROLLBACK",
            });
        }
        conn.execute_batch("SAVEPOINT rollbook_sync")?;
        Ok(Atomic {
            commit: "RELEASE rollbook_sync",
            rollback: "ROLLBACK TO rollbook_sync; RELEASE rollbook_sync",
        })
    }

    /// Commits when `result` is `Ok`, otherwise rolls back and gives the error back.
    pub(crate) fn end<T>(self, conn: &Connection, result: Result<T>) -> Result<T> {
        let result = result.and_then(|v| {
            conn.execute_batch(self.commit)?;
            Ok(v)
        });
        if result.is_err() {
            let _ = conn.execute_batch(self.rollback);
        }
        result
    }
}

/// Runs `f` atomically ([`Atomic`]), writing the files `writes` names.
pub(crate) fn atomically<T>(
    conn: &Connection,
    writes: Writes,
    f: impl FnOnce(&Connection) -> Result<T>,
) -> Result<T> {
    let atomic = Atomic::begin(conn, writes)?;
    atomic.end(conn, f(conn))
}

/// Every item not yet settled (pending, sending, unknown), oldest first.
pub fn active_items(conn: &Connection) -> Result<Vec<QueueItem>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM outbox WHERE state IN ('pending', 'sending', 'unknown')
         ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let items = stmt
        .query_map([], item_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

/// The unknown items of one offering, oldest first.
pub(crate) fn unknown_items_of(conn: &Connection, offering: &Id) -> Result<Vec<QueueItem>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM outbox WHERE offering_id = ?1 AND state = 'unknown' ORDER BY id"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let items = stmt
        .query_map([offering], item_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

/// Server ids already owned by an outbox item of this offering.
pub(crate) fn owned_server_ids(conn: &Connection, offering: &Id) -> Result<HashSet<Id>> {
    let mut stmt = conn.prepare_cached(
        "SELECT server_id FROM outbox WHERE offering_id = ?1 AND server_id IS NOT NULL",
    )?;
    let ids = stmt
        .query_map([offering], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The newest `recorded_at` (µs) of synced items of the same mark older than `item`: a record
/// linked to `item` must be newer, or the server's effective mark would be the older one.
pub(crate) fn floor_us(conn: &Connection, item: &QueueItem) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT server_recorded_at FROM outbox
         WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3 AND id < ?4
           AND state = 'synced' AND server_recorded_at IS NOT NULL",
    )?;
    let b = &item.body;
    let floor = stmt
        .query_map(params![b.offering_id, b.student_id, b.date, item.id], |r| {
            r.get::<_, String>(0)
        })?
        .filter_map(|r| r.ok().and_then(|s| parse_rfc3339(&s)))
        .map(unix_micros)
        .max();
    Ok(floor)
}

/// Items that a crash (or a kill) left `sending`: their POST may have been stored. They become
/// unknown, never pending, so they are reconciled before any re-send.
pub(crate) fn recover_interrupted(conn: &Connection, now: DateTime<Utc>) -> Result<u64> {
    let n = conn.execute(
        "UPDATE outbox SET state = 'unknown', updated_at = ?1, next_attempt_at = NULL,
             last_error = 'interrupted while sending: checking the server before sending again'
         WHERE state = 'sending'",
        [rfc3339(now)],
    )?;
    Ok(n as u64)
}

/// Commits that a POST of this item is about to leave. Returns the body to send and the
/// attempt number, read in the same statement (a pending item may have been rewritten since the
/// plan), or `None` when the item is no longer pending.
pub(crate) fn mark_sending(
    conn: &Connection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<Option<(Attendance, u32)>> {
    let now = rfc3339(now);
    let mut stmt = conn.prepare_cached(
        "UPDATE outbox SET state = 'sending', sent_at = ?2, updated_at = ?2,
             attempts = attempts + 1, next_attempt_at = NULL
         WHERE id = ?1 AND state = 'pending'
         RETURNING offering_id, teacher_assignment_id, enrollment_id, student_id, date, status,
                   attempts",
    )?;
    let row = stmt
        .query_row(params![id, now], |r| {
            Ok((
                Attendance {
                    offering_id: r.get(0)?,
                    teacher_assignment_id: r.get(1)?,
                    enrollment_id: r.get(2)?,
                    student_id: r.get(3)?,
                    date: r.get(4)?,
                    status: r.get(5)?,
                },
                r.get::<_, i64>(6)?.clamp(0, u32::MAX as i64) as u32,
            ))
        })
        .optional()?;
    Ok(row)
}

/// An armed item whose POST never left goes back to `pending`, its attempt not counted (and
/// gives way to a later change of its mark: [`recheck_pending`]).
pub(crate) fn unarm(conn: &Connection, id: i64, now: DateTime<Utc>) -> Result<()> {
    atomically(conn, Writes::Local, |tx| {
        let n = tx
            .prepare_cached(
                "UPDATE outbox SET state = 'pending', attempts = MAX(attempts - 1, 0),
                     updated_at = ?2
                 WHERE id = ?1 AND state = 'sending'",
            )?
            .execute(params![id, rfc3339(now)])?;
        if n == 1 {
            recheck_pending(tx, id, &rfc3339(now))?;
        }
        Ok(())
    })
}

/// The item became `record` on the server (from `from` state); the record joins the cache, and
/// a later pending change of the mark is compared with it ([`recheck_pending`]).
/// Returns false when the item was not in state `from` any more (the record is cached anyway).
pub(crate) fn mark_synced(
    conn: &Connection,
    id: i64,
    from: ItemState,
    record: &ServerRecord,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool> {
    atomically(conn, Writes::Both, |tx| {
        upsert_record(tx, record, now)?;
        let n = tx.execute(
            "UPDATE outbox SET state = 'synced', server_id = ?3, server_recorded_at = ?4,
             updated_at = ?5, next_attempt_at = NULL, last_error = ?6
         WHERE id = ?1 AND state = ?2",
            params![
                id,
                from,
                record.id,
                record.recorded_at_raw,
                rfc3339(now),
                note
            ],
        )?;
        if n == 1 {
            recheck_pending(tx, id, &rfc3339(now))?;
        }
        Ok(n == 1)
    })
}

/// Moves an item from `from` to `to` with a message and a retry time. An item refused, or
/// back to `pending` (it did not reach the server), has its outcome: a later pending change of
/// its mark is then checked again ([`recheck_pending`]).
pub(crate) fn transition(
    conn: &Connection,
    id: i64,
    from: ItemState,
    to: ItemState,
    message: Option<&str>,
    next_attempt_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let update = |conn: &Connection| -> Result<bool> {
        let mut stmt = conn.prepare_cached(
            "UPDATE outbox SET state = ?3, last_error = ?4, next_attempt_at = ?5, updated_at = ?6
             WHERE id = ?1 AND state = ?2",
        )?;
        let n = stmt.execute(params![
            id,
            from,
            to,
            message,
            next_attempt_at.map(rfc3339),
            rfc3339(now)
        ])?;
        Ok(n == 1)
    };
    if from == to || !matches!(to, ItemState::Pending | ItemState::Rejected) {
        return update(conn);
    }
    atomically(conn, Writes::Local, |tx| {
        let moved = update(tx)?;
        if moved {
            recheck_pending(tx, id, &rfc3339(now))?;
        }
        Ok(moved)
    })
}

/// Inserts or refreshes cached server records (by server id), except those dated before what
/// this computer keeps ([`crate::retention::pull_cutoff`]: a purge removed them). Returns how
/// many were new.
pub fn upsert_records<'a>(
    conn: &Connection,
    records: impl IntoIterator<Item = &'a ServerRecord>,
    now: DateTime<Utc>,
) -> Result<u64> {
    atomically(conn, Writes::Records, |tx| {
        let cutoff = crate::retention::cache_cutoff(tx)?;
        // One statement and one `fetched_at` for the whole batch, not a cache look-up and a
        // formatted time per record.
        let mut writer = RecordWriter::new(tx, now)?;
        let mut new = 0;
        for r in records
            .into_iter()
            .filter(|r| cutoff.is_none_or(|day| r.fields.date >= day))
        {
            if writer.upsert(r)? {
                new += 1;
            }
        }
        Ok(new)
    })
}

/// The six attendance fields, read from `first` on in the order offering, teacher assignment,
/// enrollment, student, date, status (the column order of `outbox` and `server_record`).
fn attendance_at(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Attendance> {
    Ok(Attendance {
        offering_id: r.get(first)?,
        teacher_assignment_id: r.get(first + 1)?,
        enrollment_id: r.get(first + 2)?,
        student_id: r.get(first + 3)?,
        date: r.get(first + 4)?,
        status: r.get(first + 5)?,
    })
}

/// A cached server record as it was saved, to compare with a listing's.
pub(crate) struct CachedRecord {
    school_id: Option<Id>,
    fields: Attendance,
    recorded_at_raw: String,
}

impl CachedRecord {
    /// The record is cached exactly as `listed`.
    pub(crate) fn is(&self, listed: &ServerRecord) -> bool {
        self.school_id.as_ref() == Some(&listed.school_id)
            && self.fields == listed.fields
            && self.recorded_at_raw == listed.recorded_at_raw
    }

    pub(crate) fn date(&self) -> Day {
        self.fields.date
    }
}

/// Every cached record a listing answers for (an offering's, through
/// `server_record_by_offering_id`, or a student's, through `server_record_by_student_day`), by
/// server id: one range read instead of a look-up per listed record.
pub(crate) fn cached_records(
    conn: &Connection,
    filter: &ListFilter,
) -> Result<HashMap<Id, CachedRecord>> {
    let (column, id) = match filter {
        ListFilter::Offering(id) => ("offering_id", id),
        ListFilter::Student(id) => ("student_id", id),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, school_id, offering_id, teacher_assignment_id, enrollment_id, student_id,
                date, status, recorded_at
         FROM server_record WHERE {column} = ?1"
    ))?;
    let rows = stmt.query_map([id], |row| {
        Ok((
            row.get::<_, Id>(0)?,
            CachedRecord {
                school_id: row.get(1)?,
                fields: attendance_at(row, 2)?,
                recorded_at_raw: row.get(8)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The server records that outbox items of `offering` created (this device's own POSTs).
pub(crate) fn outbox_records_of(conn: &Connection, offering: &Id) -> Result<HashSet<Id>> {
    let mut stmt = conn.prepare_cached(
        "SELECT server_id FROM outbox WHERE offering_id = ?1 AND server_id IS NOT NULL",
    )?;
    let ids = stmt.query_map([offering], |r| r.get(0))?;
    Ok(ids.collect::<rusqlite::Result<_>>()?)
}

/// Inserts the record, or refreshes the cached one of that offering and id ([`RecordWriter`]).
/// Returns whether it was new.
fn upsert_record(conn: &Connection, r: &ServerRecord, now: DateTime<Utc>) -> Result<bool> {
    RecordWriter::new(conn, now)?.upsert(r)
}

/// Writes cached server records fetched at one time, on the caller's transaction, with the
/// insert statement prepared once (the update only when a record was cached already).
struct RecordWriter<'c> {
    conn: &'c Connection,
    insert: rusqlite::CachedStatement<'c>,
    update: Option<rusqlite::CachedStatement<'c>>,
    fetched_at: String,
}

impl<'c> RecordWriter<'c> {
    fn new(conn: &'c Connection, now: DateTime<Utc>) -> Result<RecordWriter<'c>> {
        let insert = conn.prepare_cached(
            "INSERT OR IGNORE INTO server_record (id, school_id, offering_id,
                 teacher_assignment_id, enrollment_id, student_id, date, status, recorded_at,
                 recorded_at_us, fetched_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        Ok(RecordWriter {
            conn,
            insert,
            update: None,
            fetched_at: rfc3339(now),
        })
    }

    /// Inserts the record, or refreshes the cached one of that offering and id. Returns whether
    /// it was new. The insert itself finds an existing one (the unique
    /// `server_record_by_offering_id`, no look-up before it): a pull into an empty cache runs
    /// one statement per record.
    fn upsert(&mut self, r: &ServerRecord) -> Result<bool> {
        let f = &r.fields;
        let values = params![
            r.id,
            r.school_id,
            f.offering_id,
            f.teacher_assignment_id,
            f.enrollment_id,
            f.student_id,
            f.date,
            f.status,
            r.recorded_at_raw,
            r.recorded_at_us(),
            self.fetched_at
        ];
        if self.insert.execute(values)? == 1 {
            return Ok(true);
        }
        let update = match &mut self.update {
            Some(update) => update,
            None => self.update.insert(self.conn.prepare_cached(
                "UPDATE server_record SET school_id = ?2, teacher_assignment_id = ?4,
                     enrollment_id = ?5, student_id = ?6, date = ?7, status = ?8,
                     recorded_at = ?9, recorded_at_us = ?10, fetched_at = ?11
                 WHERE offering_id = ?3 AND id = ?1",
            )?),
        };
        update.execute(values)?;
        Ok(false)
    }
}

/// Every pending item waiting out a backoff becomes due now (the user asked to sync now).
/// Returns how many.
pub(crate) fn make_due(conn: &Connection, now: DateTime<Utc>) -> Result<u64> {
    let n = conn.execute(
        "UPDATE outbox SET next_attempt_at = NULL, updated_at = ?1
         WHERE state = 'pending' AND next_attempt_at IS NOT NULL",
        [rfc3339(now)],
    )?;
    Ok(n as u64)
}

/// Active items left (pending, sending, unknown).
pub(crate) fn outstanding(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM outbox WHERE state IN ('pending', 'sending', 'unknown')",
        [],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}
