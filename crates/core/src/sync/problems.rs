//! What needs the user's attention in the outbox: items whose outcome is unknown and items the
//! server refused, with names and the reason, and "try again" for a refused item the user fixed
//! (or wants sent once more). Discarding and "send again" for unknown items are in [`super::queue`].

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use time::OffsetDateTime;

use crate::clock::rfc3339;
use crate::error::{Error, Result};
use crate::ids::{Day, Id, Status};

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
    pub state: String,
    /// The server's reason for a refusal, or why the outcome is unknown.
    pub reason: Option<String>,
}

/// Every unknown or rejected item, oldest first.
pub fn problems(conn: &Connection) -> Result<Vec<Problem>> {
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
pub fn retry(conn: &Connection, id: i64, now: OffsetDateTime) -> Result<()> {
    let item: Option<(String, Id, Id, Day)> = conn
        .query_row(
            "SELECT state, offering_id, student_id, date FROM outbox WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((state, offering, student, date)) = item else {
        return Err(Error::NotFound(format!("no outbox item {id}")));
    };
    if state != "rejected" {
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
    crate::sync::queue::updated_one(n, id)
}
