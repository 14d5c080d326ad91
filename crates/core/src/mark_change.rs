//! The one place a mark changes: the current mark, its history row and its outbox item are
//! written together, inside the caller's transaction. Every way of changing a mark (a click,
//! "mark the rest present", a check-in import, undo) goes through [`ChangeWriter::set`], so the
//! outbox rules hold for all of them:
//!
//! - the newest item for the mark is still `pending` → it is rewritten in place (one POST, not
//!   two), or `cancelled` when the new status is what the server already holds;
//! - otherwise a new `pending` item is queued (a correction if one was sent before), unless the
//!   server already holds the new status and nothing is in flight;
//! - removing a mark (undo back to "no mark") cancels a pending item, and is refused once
//!   anything of that mark has left the device: the API has no delete.
//!
//! When the mark's effective record is another writer's (a kiosk's, a co-teacher's, newer than
//! what this device delivered: see [`crate::sync::effective`]), that record is what the server
//! holds: choosing its status sends nothing, and choosing any other status, even the one this
//! device holds locally, is sent so it becomes the newest record.
//!
//! While an earlier item of the mark is in flight or unknown, what the server holds is not
//! known, so a change is queued. Once that item has its outcome, [`recheck_pending`] applies the
//! same rules to the pending change against what the server now holds.

use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::clock::{rfc3339, Clock};
use crate::error::{Error, Result};
use crate::ids::{Day, Id, Status};
use crate::lookup::require_offering;
use crate::outbox::ItemState;

/// One mark, (offering, student, date): what a change is about, and what the sync plan keeps
/// to one item in flight at a time. Ordered by offering, student, date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct MarkKey<'a> {
    pub offering: &'a Id,
    pub student: &'a Id,
    pub date: Day,
}

/// What an outbox item needs besides the mark: from the enrollment and its offering.
#[derive(Debug, Clone)]
pub(crate) struct Enrolled {
    pub enrollment: Id,
    pub teacher: Id,
}

/// A change that was written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Applied {
    /// The outbox item that will carry this change to the server; `None` when there is
    /// nothing to send (the server already holds it, or the mark was removed before sending).
    pub carrier: Option<i64>,
}

/// Writes the changes of one user action (one action number) inside one transaction.
pub(crate) struct ChangeWriter<'c> {
    conn: &'c Connection,
    now: String,
    actor: &'c str,
    origin: Origin,
    action: i64,
}

/// The next action number: the id the next history row will get. Ids only grow, so action
/// numbers do too, and reading the largest rowid is O(1) where `MAX(action)` would scan.
pub fn next_action(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM mark_change",
        [],
        |r| r.get(0),
    )?)
}

/// The enrollment of a student in an offering, with the offering's teacher assignment.
/// With `active_only`, an enrollment the last roster import left out is refused.
pub(crate) fn enrolled(
    conn: &Connection,
    offering: &Id,
    student: &Id,
    active_only: bool,
) -> Result<Enrolled> {
    let found: Option<(Id, bool, Id)> = conn
        .prepare_cached(
            "SELECT e.id, e.active, o.teacher_assignment_id
             FROM enrollment e JOIN offering o ON o.id = e.offering_id
             WHERE e.offering_id = ?1 AND e.student_id = ?2",
        )?
        .query_row((offering, student), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    match found {
        Some((enrollment, active, teacher)) if active || !active_only => Ok(Enrolled {
            enrollment,
            teacher,
        }),
        Some(_) => Err(Error::Conflict(format!(
            "{} is no longer enrolled in {} (the last roster import left them out)",
            describe_student(student),
            describe_offering(conn, offering)?
        ))),
        None => {
            require_offering(conn, offering)?;
            Err(Error::Conflict(format!(
                "{} is not enrolled in {}",
                describe_student(student),
                describe_offering(conn, offering)?
            )))
        }
    }
}

/// "student <id>". Errors name students by id, never by name: a message can end up in a log, a
/// script's output or a bug report, and must not say who a mark is about.
pub(crate) fn describe_student(id: &Id) -> String {
    format!("student {id}")
}

pub(crate) fn describe_offering(conn: &Connection, id: &Id) -> Result<String> {
    let name: Option<String> = conn
        .query_row("SELECT name FROM offering WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .optional()?;
    Ok(match name {
        Some(n) => format!("offering {n} ({id})"),
        None => format!("offering {id}"),
    })
}

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A click in the roll grid.
    Grid,
    /// "Mark the rest present".
    Bulk,
    /// A check-in file.
    Import,
    /// The command line.
    Cli,
    /// Undo of an earlier action.
    Undo,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Grid => "grid",
            Origin::Bulk => "bulk",
            Origin::Import => "import",
            Origin::Cli => "cli",
            Origin::Undo => "undo",
        }
    }
}

impl rusqlite::ToSql for Origin {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
    }
}

impl rusqlite::types::FromSql for Origin {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        [
            Origin::Grid,
            Origin::Bulk,
            Origin::Import,
            Origin::Cli,
            Origin::Undo,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
        .ok_or_else(|| rusqlite::types::FromSqlError::Other(format!("origin {s:?}").into()))
    }
}

/// An outbox item as the rules need it.
#[derive(Clone, Copy)]
struct Item {
    id: i64,
    state: ItemState,
    status: Status,
}

/// The outbox items of one mark, newest first: a mark has a handful at most, read in one
/// statement (through `outbox_by_key`) and asked in memory.
struct Items(Vec<Item>);

impl Items {
    fn of(conn: &Connection, key: MarkKey<'_>) -> Result<Items> {
        let items = conn
            .prepare_cached(
                "SELECT id, state, status FROM outbox
                 WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3
                 ORDER BY id DESC",
            )?
            .query_map((key.offering, key.student, key.date), |r| {
                Ok(Item {
                    id: r.get(0)?,
                    state: r.get(1)?,
                    status: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Items(items))
    }

    fn newest(&self) -> Option<Item> {
        self.0.first().copied()
    }

    fn newest_where(&self, keep: impl Fn(&Item) -> bool) -> Option<Item> {
        self.0.iter().copied().find(keep)
    }

    /// What the server holds for this mark, when it is known: the newest item that reached,
    /// may have reached or is still going to reach the server (ignoring `except`, the pending
    /// item about to be rewritten), if that one is confirmed `synced`. Any other item after it
    /// (in flight, unknown, or an older pending one still to be sent) means the server's final
    /// status is not known yet.
    fn held_by_server(&self, except: Option<i64>) -> Option<Item> {
        self.newest_where(|i| {
            Some(i.id) != except
                && matches!(
                    i.state,
                    ItemState::Synced
                        | ItemState::Sending
                        | ItemState::Unknown
                        | ItemState::Pending
                )
        })
        .filter(|i| i.state == ItemState::Synced)
    }
}

impl<'c> ChangeWriter<'c> {
    pub fn begin(
        conn: &'c Connection,
        clock: &dyn Clock,
        actor: &'c str,
        origin: Origin,
    ) -> Result<Self> {
        let action = next_action(conn)?;
        Ok(ChangeWriter {
            conn,
            now: rfc3339(clock.now()),
            actor,
            origin,
            action,
        })
    }

    /// Sets the mark to `new` (`None` removes it). Returns `None`, writing nothing, when the
    /// mark already is `new`.
    pub fn set(
        &self,
        key: MarkKey<'_>,
        enrolled: &Enrolled,
        new: Option<Status>,
    ) -> Result<Option<Applied>> {
        // Marking a row is looking at it: a record that changed it elsewhere is acknowledged.
        crate::history::acknowledge(self.conn, key.offering, key.student, key.date)?;
        let old: Option<Status> = self
            .conn
            .prepare_cached(
                "SELECT status FROM mark WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3",
            )?
            .query_row((key.offering, key.student, key.date), |r| r.get(0))
            .optional()?;
        let elsewhere = held_elsewhere(self.conn, key)?;
        // Unchanged locally is not unchanged when another writer's record is what shows.
        if old == new && elsewhere.is_none_or(|s| Some(s) == new) {
            return Ok(None);
        }
        let (link, carrier) = match new {
            Some(status) => self.route(key, enrolled, status, elsewhere)?,
            None => self.withdraw(key)?,
        };
        match new {
            Some(status) => self
                .conn
                .prepare_cached(
                    "INSERT INTO mark (offering_id, student_id, date, status, changed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (offering_id, student_id, date)
                 DO UPDATE SET status = excluded.status, changed_at = excluded.changed_at",
                )?
                .execute((key.offering, key.student, key.date, status, &self.now))?,
            None => self
                .conn
                .prepare_cached(
                    "DELETE FROM mark WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3",
                )?
                .execute((key.offering, key.student, key.date))?,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO mark_change (offering_id, student_id, date, old_status, new_status,
                                          actor, origin, changed_at, action, outbox_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(rusqlite::params![
                key.offering,
                key.student,
                key.date,
                old,
                new,
                self.actor,
                self.origin,
                &self.now,
                self.action,
                link
            ])?;
        Ok(Some(Applied { carrier }))
    }

    /// Outbox effect of setting a status. Returns (item the history row links to, item that
    /// will carry the change).
    fn route(
        &self,
        key: MarkKey<'_>,
        enrolled: &Enrolled,
        status: Status,
        elsewhere: Option<Status>,
    ) -> Result<(Option<i64>, Option<i64>)> {
        let items = Items::of(self.conn, key)?;
        let newest = items.newest();
        let held = match newest {
            Some(item) if item.state == ItemState::Pending => items.held_by_server(Some(item.id)),
            _ => items.held_by_server(None),
        };
        let (server_has_it, held_id) = match elsewhere {
            // Another writer's record is the newest: no item of this device holds it.
            Some(theirs) => (theirs == status, None),
            None => (
                held.as_ref().is_some_and(|h| h.status == status),
                held.map(|h| h.id),
            ),
        };
        match newest {
            Some(item) if item.state == ItemState::Pending => {
                if server_has_it {
                    set_state(self.conn, item.id, ItemState::Cancelled, None, &self.now)?;
                    Ok((held_id, None))
                } else {
                    self.conn
                        .prepare_cached(
                            "UPDATE outbox SET status = ?2, updated_at = ?3, next_attempt_at = NULL,
                                    teacher_assignment_id = ?4, enrollment_id = ?5
                             WHERE id = ?1",
                        )?
                        .execute((
                            item.id,
                            status,
                            &self.now,
                            &enrolled.teacher,
                            &enrolled.enrollment,
                        ))?;
                    Ok((Some(item.id), Some(item.id)))
                }
            }
            _ if server_has_it => Ok((held_id, None)),
            _ => {
                self.conn
                    .prepare_cached(
                        "INSERT INTO outbox (offering_id, student_id, date, teacher_assignment_id,
                                             enrollment_id, status, state, created_at, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7, ?7)",
                    )?
                    .execute((
                        key.offering,
                        key.student,
                        key.date,
                        &enrolled.teacher,
                        &enrolled.enrollment,
                        status,
                        &self.now,
                    ))?;
                let id = self.conn.last_insert_rowid();
                Ok((Some(id), Some(id)))
            }
        }
    }

    /// Outbox effect of removing a mark: only possible while nothing of it left the device.
    fn withdraw(&self, key: MarkKey<'_>) -> Result<(Option<i64>, Option<i64>)> {
        let sent: bool = self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM outbox
                  WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3
                    AND state IN ('sending', 'synced', 'unknown', 'rejected'))",
            )?
            .query_row((key.offering, key.student, key.date), |r| r.get(0))?;
        if sent {
            return Err(Error::Conflict(format!(
                "cannot go back to no mark for {} in {} on {}: the server cannot delete a record \
                 and this mark was already sent to the server; choose a status instead",
                describe_student(key.student),
                describe_offering(self.conn, key.offering)?,
                key.date
            )));
        }
        let items = Items::of(self.conn, key)?;
        match items.newest_where(|i| i.state == ItemState::Pending) {
            Some(item) => {
                set_state(self.conn, item.id, ItemState::Cancelled, None, &self.now)?;
                Ok((Some(item.id), None))
            }
            None => Ok((None, None)),
        }
    }
}

/// The status of another writer's record when it is the mark's effective one: the newest cached
/// record of the mark is not one this device's outbox created, and nothing of this device is on
/// its way or unsettled (then this device's mark shows, as in [`crate::sync::effective`]).
fn held_elsewhere(conn: &Connection, key: MarkKey<'_>) -> Result<Option<Status>> {
    // The newest record: one seek in server_record_by_student_day (student, date, offering).
    let newest: Option<(Status, bool)> = conn
        .prepare_cached(
            "SELECT r.status, EXISTS (SELECT 1 FROM outbox o WHERE o.server_id = r.id)
             FROM server_record r
             WHERE r.offering_id = ?1 AND r.student_id = ?2 AND r.date = ?3
             ORDER BY r.recorded_at_us DESC LIMIT 1",
        )?
        .query_row((key.offering, key.student, key.date), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((status, false)) = newest else {
        return Ok(None);
    };
    let item = Items::of(conn, key)?.newest_where(|i| i.state != ItemState::Cancelled);
    let unsettled = item.is_some_and(|i| i.state.is_unconfirmed());
    Ok((!unsettled).then_some(status))
}

/// Sets an outbox item's state (and, when given, its note).
fn set_state(
    conn: &Connection,
    id: i64,
    state: ItemState,
    note: Option<&str>,
    now: &str,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET state = ?2, updated_at = ?3, next_attempt_at = NULL,
             last_error = COALESCE(?4, last_error)
         WHERE id = ?1",
    )?
    .execute(rusqlite::params![id, state, now, note])?;
    Ok(())
}

/// Applies the outbox rules to a mark's pending change once an earlier item of the mark
/// (`settled`) has its outcome: its POST confirmed, its record found by reconciliation, refused,
/// or back to `pending` because it never reached the server. The one rule, whichever way the
/// server's status became known:
///
/// - an older pending item that never reached the server gives way to the newest one, which
///   carries the mark (one POST for the mark, not two). Items the user asked to send again are
///   kept: they may be on the server already, so they are part of what it holds;
/// - the newest pending change is compared with what the server now holds, exactly as a new
///   change is: when it is that status it is cancelled (nothing is sent), and the history row
///   that set it names the record that holds it, as [`ChangeWriter::set`] does.
///
/// Runs inside the caller's transaction (the engine's commit of the outcome).
pub(crate) fn recheck_pending(conn: &Connection, settled: i64, now: &str) -> Result<()> {
    let key: Option<(Id, Id, Day)> = conn
        .prepare_cached("SELECT offering_id, student_id, date FROM outbox WHERE id = ?1")?
        .query_row([settled], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((offering, student, date)) = key else {
        return Ok(());
    };
    let key = MarkKey {
        offering: &offering,
        student: &student,
        date,
    };
    let pending: Vec<(i64, bool)> = conn
        .prepare_cached(
            "SELECT id, resend_requested FROM outbox
             WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3 AND state = 'pending'
             ORDER BY id",
        )?
        .query_map((key.offering, key.student, key.date), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let Some(&(newest, _)) = pending.last() else {
        return Ok(());
    };
    for &(id, resend) in &pending[..pending.len() - 1] {
        if !resend {
            let note = format!("not sent: a later change of this mark (item {newest}) replaces it");
            set_state(conn, id, ItemState::Cancelled, Some(&note), now)?;
        }
    }
    let items = Items::of(conn, key)?;
    let Some(item) = items.newest_where(|i| i.id == newest) else {
        return Ok(());
    };
    let Some(held) = items.held_by_server(Some(newest)) else {
        return Ok(());
    };
    if held.status != item.status {
        return Ok(());
    }
    set_state(
        conn,
        newest,
        ItemState::Cancelled,
        Some("not sent: the server already holds this status"),
        now,
    )?;
    conn.prepare_cached(
        "UPDATE mark_change SET outbox_id = ?5
         WHERE id = (SELECT MAX(id) FROM mark_change
                     WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3 AND outbox_id = ?4)",
    )?
    .execute(rusqlite::params![
        key.offering,
        key.student,
        key.date,
        newest,
        held.id
    ])?;
    Ok(())
}
