//! What needs the user's attention in the outbox, and what the user can do about it, in one
//! place for the CLI and the window: the items whose outcome is unknown and the items the server
//! refused, with names and the reason; "try again" for a refused item the user fixed (or wants
//! sent once more), "send again" for every unknown item, and discarding either. The engine's
//! own moves of an item are in [`crate::sync::queue`].

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::clock::rfc3339;
use crate::error::{Error, Result};
use crate::ids::{Day, Id, Status};
use crate::outbox::ItemState;
use crate::store::Store;

/// An unknown or rejected item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The outbox item.
    pub id: i64,
    pub offering_id: Id,
    pub offering_name: Option<String>,
    pub student_id: Id,
    pub student_name: Option<String>,
    pub date: Day,
    pub status: Status,
    /// `unknown` or `rejected`.
    pub state: ItemState,
    /// The server's reason for a refusal, or why the outcome is unknown.
    pub reason: Option<String>,
}

/// Every unknown or rejected item, oldest first.
pub fn problems(store: &Store) -> Result<Vec<Problem>> {
    let conn = store.conn();
    // Few rows: served by outbox_by_state.
    let mut stmt = conn.prepare_cached(
        "SELECT o.id, o.offering_id, f.name, o.student_id, s.full_name, o.date, o.status,
                o.state, o.last_error
         FROM outbox o
         LEFT JOIN offering f ON f.id = o.offering_id
         LEFT JOIN student s ON s.id = o.student_id
         WHERE o.state IN ('unknown', 'rejected') ORDER BY o.id",
    )?;
    let items = stmt
        .query_map([], |r| {
            let text = |i: usize| -> rusqlite::Result<Option<String>> {
                Ok(r.get::<_, Option<String>>(i)?
                    .filter(|s| !s.trim().is_empty()))
            };
            Ok(Problem {
                id: r.get(0)?,
                offering_id: r.get(1)?,
                offering_name: text(2)?,
                student_id: r.get(3)?,
                student_name: text(4)?,
                date: r.get(5)?,
                status: r.get(6)?,
                state: r.get(7)?,
                reason: text(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

/// Sends a refused item again: it becomes pending (due now). Only the newest item of its mark
/// can be retried: an older one was superseded by a later change, which carries the mark.
pub fn retry(store: &Store, id: i64, now: DateTime<Utc>) -> Result<()> {
    let conn = store.conn();
    let item: Option<(ItemState, Id, Id, Day)> = conn
        .query_row(
            "SELECT state, offering_id, student_id, date FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((state, offering, student, date)) = item else {
        return Err(Error::NotFound(format!("no outbox item {id}")));
    };
    if state != ItemState::Rejected {
        return Err(Error::Conflict(format!(
            "outbox item {id} is {state}: only a refused item can be tried again"
        )));
    }
    let newest: i64 = conn.query_row(
        "SELECT MAX(id) FROM outbox WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3
           AND state <> 'cancelled'",
        params![offering, student, date],
        |r| r.get(0),
    )?;
    if newest != id {
        return Err(Error::Conflict(format!(
            "outbox item {id} was replaced by a later change of the same mark; discard it instead"
        )));
    }
    let n = conn.execute(
        "UPDATE outbox SET state = 'pending', next_attempt_at = NULL, updated_at = ?2,
             last_error = NULL
         WHERE id = ?1 AND state = 'rejected'",
        params![id, rfc3339(now)],
    )?;
    updated_one(n, id)
}

/// "Send again": every unknown item becomes pending, flagged as an explicit user request (the
/// user accepts that a record may end up twice on the server). Returns how many.
pub fn resend_unknown(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let n = store.conn().execute(
        "UPDATE outbox SET state = 'pending', resend_requested = 1, next_attempt_at = NULL,
             updated_at = ?1, last_error = 'sent again at the user''s request'
         WHERE state = 'unknown'",
        [rfc3339(now)],
    )?;
    Ok(n as u64)
}

/// Gives up on a rejected or unknown item: it becomes cancelled (kept in history).
pub fn discard(store: &Store, id: i64, now: DateTime<Utc>) -> Result<()> {
    let conn = store.conn();
    let state: Option<ItemState> = conn
        .query_row("SELECT state FROM outbox WHERE id = ?1", [id], |r| r.get(0))
        .optional()?;
    match state {
        None => Err(Error::NotFound(format!("no outbox item {id}"))),
        Some(ItemState::Rejected | ItemState::Unknown) => {
            let n = conn.execute(
                "UPDATE outbox SET state = 'cancelled', updated_at = ?2, next_attempt_at = NULL
                 WHERE id = ?1 AND state IN ('rejected', 'unknown')",
                params![id, rfc3339(now)],
            )?;
            updated_one(n, id)
        }
        Some(other) => Err(Error::Conflict(format!(
            "outbox item {id} is {other}: only rejected or unknown items can be discarded"
        ))),
    }
}

/// `Ok` when a guarded update of outbox item `id` changed its one row; otherwise another
/// writer got there first and the user is asked to try again.
fn updated_one(n: usize, id: i64) -> Result<()> {
    if n == 1 {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "outbox item {id} changed meanwhile; try again"
        )))
    }
}

/// A rejected item with the server's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedItem {
    pub id: i64,
    pub offering_id: Id,
    pub student_id: Id,
    pub student_name: Option<String>,
    pub date: Day,
    pub status: Status,
    pub reason: String,
    pub rejected_at: String,
}

/// Every refused item, oldest first.
pub fn rejected_items(store: &Store) -> Result<Vec<RejectedItem>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT o.id, o.offering_id, o.student_id, s.full_name, o.date, o.status,
                COALESCE(o.last_error, ''), o.updated_at
         FROM outbox o LEFT JOIN student s ON s.id = o.student_id
         WHERE o.state = 'rejected' ORDER BY o.id",
    )?;
    let items = stmt
        .query_map([], |r| {
            Ok(RejectedItem {
                id: r.get(0)?,
                offering_id: r.get(1)?,
                student_id: r.get(2)?,
                student_name: r.get::<_, Option<String>>(3)?.filter(|n| !n.is_empty()),
                date: r.get(4)?,
                status: r.get(5)?,
                reason: r.get(6)?,
                rejected_at: r.get(7)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}
