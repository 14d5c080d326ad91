//! Taking the roll: recording a mark, "mark the rest present", undo, and the queries over marks
//! (a mark's history, counts by status). Every write is one transaction that changes the
//! current mark, its history and the outbox together (see [`crate::mark_change`]).
//!
//! A new mark's date must lie in a [`DateWindow`] (today and the 400 days before), unless the
//! user allowed a date outside it explicitly: the API has no delete, so a typo like 2062 would
//! be sent for ever and distort every report.

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::ids::{Day, Id, Status};
use crate::lookup::require_offering;
use crate::mark_change::{enrolled, ChangeWriter, Enrolled, MarkKey};
use crate::store::{Store, Writes};

pub use crate::mark_change::{next_action, Origin};

/// The dates a new mark may have: from [`DateWindow::DAYS_BACK`] days before today to today
/// (the user's local date), unless the user said explicitly that a date outside is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateWindow {
    today: Day,
    allow_outside: bool,
}

impl DateWindow {
    /// How far back a mark may be dated without being allowed explicitly.
    pub const DAYS_BACK: u32 = 400;

    /// The window ending on `today` (the user's local date), enforced.
    pub fn new(today: Day) -> DateWindow {
        DateWindow {
            today,
            allow_outside: false,
        }
    }

    /// The same window, with dates outside it accepted when `allow` (the user said so).
    pub fn allow_outside(self, allow: bool) -> DateWindow {
        DateWindow {
            allow_outside: allow,
            ..self
        }
    }

    /// The first date inside the window.
    pub fn first(&self) -> Day {
        self.today.days_before(Self::DAYS_BACK)
    }

    /// The last date inside the window: today.
    pub fn last(&self) -> Day {
        self.today
    }

    /// True when `date` lies in the window (whether or not outside dates are allowed).
    pub fn contains(&self, date: Day) -> bool {
        self.first() <= date && date <= self.last()
    }

    /// `DateOutsideWindow` unless `date` is in the window or outside dates are allowed.
    pub fn check(&self, date: Day) -> Result<()> {
        if self.allow_outside || self.contains(date) {
            Ok(())
        } else {
            Err(Error::DateOutsideWindow {
                date,
                first: self.first(),
                last: self.last(),
            })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MarkOutcome {
    /// False when the mark already had this status: nothing was written.
    pub changed: bool,
    /// The outbox item that will carry the change to the server; `None` when nothing needs
    /// sending (no change, or the server already holds this status).
    pub outbox_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UndoOutcome {
    /// Marks changed back.
    pub reverted: u32,
}

/// One row of a mark's history, with how far its outbox item got.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub id: i64,
    pub old_status: Option<Status>,
    pub new_status: Option<Status>,
    pub actor: String,
    pub origin: Origin,
    pub changed_at: String,
    pub action: i64,
    pub undone: bool,
    pub outbox_state: Option<String>,
    pub sent_at: Option<String>,
    pub server_id: Option<String>,
    pub server_recorded_at: Option<String>,
}

/// Marks of the active students of an offering on a date, by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub present: u32,
    pub absent: u32,
    pub late: u32,
    pub excused: u32,
    pub unmarked: u32,
}

/// Records one mark for an actively enrolled student, in one transaction; a date outside
/// `window` is refused (`date_outside_window`) unless the window allows it.
#[allow(clippy::too_many_arguments)]
pub fn record_mark(
    store: &mut Store,
    clock: &dyn Clock,
    window: DateWindow,
    actor: &str,
    origin: Origin,
    offering: &Id,
    student: &Id,
    date: Day,
    status: Status,
) -> Result<MarkOutcome> {
    window.check(date)?;
    let tx = store.transaction(Writes::Local)?;
    let target = enrolled(&tx, offering, student, true)?;
    let applied = {
        let writer = ChangeWriter::begin(&tx, clock, actor, origin)?;
        writer.set(
            MarkKey {
                offering,
                student,
                date,
            },
            &target,
            Some(status),
        )?
    };
    tx.commit()?;
    Ok(MarkOutcome {
        changed: applied.is_some(),
        outbox_id: applied.and_then(|a| a.carrier),
    })
}

/// What "mark the rest present" did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RestPresent {
    /// Students marked present.
    pub marked: u32,
    /// Active students left as they were: they had a mark of this device or a record on the
    /// server (a check-in kiosk, a co-teacher, another device), whatever its status.
    pub kept: u32,
}

/// Marks present every active student with no effective mark at all for that offering and date
/// (no mark of this device, no server record in the cache), as one action in one transaction.
/// It never replaces a mark: a fill-the-gaps action must not overwrite what the front desk or
/// another teacher recorded. A date outside `window` is refused unless the window allows it.
pub fn mark_rest_present(
    store: &mut Store,
    clock: &dyn Clock,
    window: DateWindow,
    actor: &str,
    offering: &Id,
    date: Day,
) -> Result<RestPresent> {
    window.check(date)?;
    let tx = store.transaction(Writes::Local)?;
    require_offering(&tx, offering)?;
    let unmarked: Vec<(Id, Enrolled)> = tx
        .prepare_cached(
            "SELECT e.student_id, e.id, o.teacher_assignment_id
             FROM enrollment e JOIN offering o ON o.id = e.offering_id
             WHERE e.offering_id = ?1 AND e.active = 1
               AND NOT EXISTS (SELECT 1 FROM mark m WHERE m.offering_id = e.offering_id
                                 AND m.student_id = e.student_id AND m.date = ?2)
               AND NOT EXISTS (SELECT 1 FROM server_record r WHERE r.offering_id = e.offering_id
                                 AND r.student_id = e.student_id AND r.date = ?2)",
        )?
        .query_map((offering, date), |r| {
            Ok((
                r.get(0)?,
                Enrolled {
                    enrollment: r.get(1)?,
                    teacher: r.get(2)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let active: u32 = tx.query_row(
        "SELECT COUNT(*) FROM enrollment WHERE offering_id = ?1 AND active = 1",
        [offering],
        |r| r.get(0),
    )?;
    let mut marked = 0;
    {
        let writer = ChangeWriter::begin(&tx, clock, actor, Origin::Bulk)?;
        for (student, target) in &unmarked {
            let key = MarkKey {
                offering,
                student,
                date,
            };
            if writer.set(key, target, Some(Status::Present))?.is_some() {
                marked += 1;
            }
        }
    }
    tx.commit()?;
    Ok(RestPresent {
        marked,
        kept: active.saturating_sub(marked),
    })
}

/// Reverts the latest action on this offering and date that is not undone yet (undos
/// themselves are not undone: repeated undo walks further back). The revert is recorded in
/// history with origin `undo`; nothing changes if any part of it is refused.
pub fn undo(
    store: &mut Store,
    clock: &dyn Clock,
    actor: &str,
    offering: &Id,
    date: Day,
) -> Result<UndoOutcome> {
    let tx = store.transaction(Writes::Local)?;
    require_offering(&tx, offering)?;
    let action: Option<i64> = tx
        .prepare_cached(
            "SELECT MAX(action) FROM mark_change
             WHERE offering_id = ?1 AND date = ?2 AND undone = 0 AND origin <> 'undo'",
        )?
        .query_row((offering, date), |r| r.get(0))?;
    let Some(action) = action else {
        return Err(Error::Conflict(format!(
            "nothing to undo for {} on {date}",
            crate::mark_change::describe_offering(&tx, offering)?
        )));
    };
    let changes: Vec<(Id, Option<Status>)> = tx
        .prepare_cached(
            "SELECT student_id, old_status FROM mark_change
             WHERE offering_id = ?1 AND date = ?2 AND action = ?3 ORDER BY id DESC",
        )?
        .query_map((offering, date, action), |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut reverted = 0;
    {
        let writer = ChangeWriter::begin(&tx, clock, actor, Origin::Undo)?;
        for (student, old) in &changes {
            // Undo restores what was there even if the student has since left the roster.
            let target = enrolled(&tx, offering, student, false)?;
            if writer
                .set(
                    MarkKey {
                        offering,
                        student,
                        date,
                    },
                    &target,
                    *old,
                )?
                .is_some()
            {
                reverted += 1;
            }
        }
    }
    tx.execute(
        "UPDATE mark_change SET undone = 1 WHERE offering_id = ?1 AND date = ?2 AND action = ?3",
        (offering, date, action),
    )?;
    tx.commit()?;
    Ok(UndoOutcome { reverted })
}

/// Every change of one mark, oldest first, with how far its outbox item got.
pub fn history(store: &Store, offering: &Id, student: &Id, date: Day) -> Result<Vec<Change>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT c.id, c.old_status, c.new_status, c.actor, c.origin, c.changed_at, c.action,
                c.undone, o.state, o.sent_at, o.server_id, o.server_recorded_at
         FROM mark_change c LEFT JOIN outbox o ON o.id = c.outbox_id
         WHERE c.offering_id = ?1 AND c.student_id = ?2 AND c.date = ?3
         ORDER BY c.id",
    )?;
    let rows = stmt
        .query_map((offering, student, date), |r| {
            Ok(Change {
                id: r.get(0)?,
                old_status: r.get(1)?,
                new_status: r.get(2)?,
                actor: r.get(3)?,
                origin: r.get(4)?,
                changed_at: r.get(5)?,
                action: r.get(6)?,
                undone: r.get(7)?,
                outbox_state: r.get(8)?,
                sent_at: r.get(9)?,
                server_id: r.get(10)?,
                server_recorded_at: r.get(11)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Counts by status of the active students' marks on a date; `unmarked` is the rest.
pub fn counts(store: &Store, offering: &Id, date: Day) -> Result<Counts> {
    let conn = store.conn();
    require_offering(conn, offering)?;
    let active: u32 = conn
        .prepare_cached("SELECT COUNT(*) FROM enrollment WHERE offering_id = ?1 AND active = 1")?
        .query_row([offering], |r| r.get(0))?;
    let mut stmt = conn.prepare_cached(
        "SELECT m.status, COUNT(*) FROM mark m
         JOIN enrollment e ON e.offering_id = m.offering_id AND e.student_id = m.student_id
         WHERE m.offering_id = ?1 AND m.date = ?2 AND e.active = 1
         GROUP BY m.status",
    )?;
    let mut counts = Counts::default();
    for row in stmt.query_map((offering, date), |r| {
        Ok((r.get::<_, Status>(0)?, r.get(1)?))
    })? {
        let (status, n): (Status, u32) = row?;
        match status {
            Status::Present => counts.present = n,
            Status::Absent => counts.absent = n,
            Status::Late => counts.late = n,
            Status::Excused => counts.excused = n,
        }
    }
    let marked = counts.present + counts.absent + counts.late + counts.excused;
    counts.unmarked = active.saturating_sub(marked);
    Ok(counts)
}

/// The current mark, if any.
pub fn current_mark(
    store: &Store,
    offering: &Id,
    student: &Id,
    date: Day,
) -> Result<Option<Status>> {
    Ok(store
        .conn()
        .prepare_cached(
            "SELECT status FROM mark WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3",
        )?
        .query_row((offering, student, date), |r| r.get(0))
        .optional()?)
}
