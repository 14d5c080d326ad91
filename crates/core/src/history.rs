//! A mark's history as the history dialog and `rollbook-cli history` show it: this device's
//! changes next to the school's other writers' records (a check-in kiosk, a co-teacher, the
//! teacher's other device), oldest to newest; and whether the teacher has looked at a record
//! that changed their mark elsewhere ("changed by another teacher or system at 08:12").
//!
//! Seen is kept per mark in `mark_seen`: the newest server record's `recorded_at_us` the
//! teacher saw, by opening the history or by marking the row. A row is *changed elsewhere*
//! when its effective mark is another writer's record newer than what was seen AND this device
//! has its own mark for it: a kiosk's mark on a row this device never marked is only "marked by
//! another teacher or system", not a conflict.

use rusqlite::Connection;
use serde::Serialize;

use crate::error::Result;
use crate::ids::{Day, Id, Status};
use crate::marks::{self, Change};
use crate::store::{Store, Writes};

/// Who made a row's effective mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkedBy {
    /// This device (its own mark, delivered or not).
    ThisDevice,
    /// A server record posted under the offering's own teacher assignment from elsewhere: the
    /// teacher on another device.
    SameTeacher,
    /// A server record posted under another teacher assignment: a check-in kiosk, a co-teacher,
    /// a substitute.
    Other,
}

impl MarkedBy {
    /// Who posted a server record: the offering's own teacher assignment (the teacher on another
    /// device) or another one (a kiosk, a co-teacher, a substitute).
    pub fn of_record(record_teacher: &Id, offering_teacher: &Id) -> MarkedBy {
        if record_teacher == offering_teacher {
            MarkedBy::SameTeacher
        } else {
            MarkedBy::Other
        }
    }
}

/// One line of a mark's history.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryEntry {
    /// A change made on this device (the server record it became, if any, is on it).
    Local(Change),
    /// A record on the server that no outbox item of this device created.
    Server(ServerEntry),
}

/// A server record of another writer, as cached by the last pull.
#[derive(Debug, Clone, Serialize)]
pub struct ServerEntry {
    pub record_id: String,
    pub status: Status,
    /// As the server wrote it (RFC 3339).
    pub recorded_at: String,
    /// `same_teacher` (the offering's teacher assignment: you on another device) or `other`.
    pub marked_by: MarkedBy,
}

impl HistoryEntry {
    /// Local changes as they were made; server records as the server dated them.
    fn at_us(&self) -> i64 {
        match self {
            HistoryEntry::Local(c) => instant_us(&c.changed_at),
            HistoryEntry::Server(s) => instant_us(&s.recorded_at),
        }
    }
}

fn instant_us(s: &str) -> i64 {
    crate::clock::parse_rfc3339(s).map_or(i64::MIN, crate::clock::unix_micros)
}

/// The mark's history, oldest to newest: this device's changes merged with the cached server
/// records its outbox did not create. Opening it is looking at the mark: a record that changed
/// it elsewhere is acknowledged (see [`crate::roll::RosterRow::changed_elsewhere`]).
pub fn open(
    store: &mut Store,
    offering: &Id,
    student: &Id,
    date: Day,
) -> Result<Vec<HistoryEntry>> {
    let mut entries: Vec<HistoryEntry> = marks::history(store, offering, student, date)?
        .into_iter()
        .map(HistoryEntry::Local)
        .collect();
    let conn = store.conn();
    let teacher: Id = conn
        .prepare_cached("SELECT teacher_assignment_id FROM offering WHERE id = ?1")?
        .query_row([offering], |r| r.get(0))?;
    // Served by server_record_by_student_day (student, date, offering first).
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.status, r.recorded_at, r.teacher_assignment_id FROM server_record r
         WHERE r.offering_id = ?1 AND r.student_id = ?2 AND r.date = ?3
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.server_id = r.id)
         ORDER BY r.recorded_at_us, r.id",
    )?;
    let records = stmt
        .query_map((offering, student, date), |r| {
            let by: Id = r.get(3)?;
            Ok(HistoryEntry::Server(ServerEntry {
                record_id: r.get(0)?,
                status: r.get(1)?,
                recorded_at: r.get(2)?,
                marked_by: MarkedBy::of_record(&by, &teacher),
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    drop(stmt);
    entries.extend(records);
    // Stable: local changes keep their order among themselves.
    entries.sort_by_key(HistoryEntry::at_us);
    let tx = store.transaction(Writes::Local)?;
    acknowledge(&tx, offering, student, date)?;
    tx.commit()?;
    Ok(entries)
}

/// Records that the teacher has seen the mark's newest server record (inside the caller's
/// transaction): opening its history, or marking the row ([`crate::mark_change`]).
pub(crate) fn acknowledge(conn: &Connection, offering: &Id, student: &Id, date: Day) -> Result<()> {
    // The newest record (server_record_by_student_day, covering); nothing to acknowledge without
    // one.
    conn.prepare_cached(
        "INSERT INTO mark_seen (offering_id, date, student_id, seen_recorded_at_us)
         SELECT ?1, ?3, ?2, MAX(recorded_at_us) FROM server_record
          WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3
         HAVING COUNT(*) > 0
         ON CONFLICT (offering_id, date, student_id)
         DO UPDATE SET seen_recorded_at_us = MAX(seen_recorded_at_us, excluded.seen_recorded_at_us)",
    )?
    .execute((offering, student, date))?;
    Ok(())
}

/// The students of an offering on a date whose effective mark is another writer's record the
/// teacher has not seen yet, over a mark of this device: read by the roll.
pub(crate) fn unseen_over_own_mark(conn: &Connection, offering: &Id, date: Day) -> Result<Vec<Id>> {
    // Per enrolled student: the newest record (one seek in server_record_by_student_day; by
    // offering and date alone it would read every day of the offering), this device's mark
    // (mark's primary key) and what was seen (mark_seen's primary key, offering and date first).
    let mut stmt = conn.prepare_cached(
        "SELECT r.student_id FROM server_record r
         WHERE r.offering_id = ?1 AND r.date = ?2
           AND r.student_id IN (SELECT student_id FROM enrollment WHERE offering_id = ?1)
           AND EXISTS (SELECT 1 FROM mark m WHERE m.offering_id = r.offering_id
                         AND m.student_id = r.student_id AND m.date = r.date)
         GROUP BY r.student_id
         HAVING MAX(r.recorded_at_us) > COALESCE(
             (SELECT s.seen_recorded_at_us FROM mark_seen s
               WHERE s.offering_id = ?1 AND s.date = ?2 AND s.student_id = r.student_id), -1)",
    )?;
    let rows = stmt
        .query_map((offering, date), |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::instant_us;

    #[test]
    fn entries_are_ordered_by_their_instant_in_microseconds() {
        for (at, us) in [
            ("2024-03-15T08:30:00Z", 1_710_491_400_000_000),
            ("2024-03-15T08:30:00.123456789Z", 1_710_491_400_123_456),
            ("2024-03-15T10:30:00.000001+02:00", 1_710_491_400_000_001),
            ("2024-03-15 08:30:00z", 1_710_491_400_000_000),
            ("1969-12-31T23:59:59.9999995Z", 0),
            ("1969-12-31T23:59:59.5Z", -500_000),
            ("2016-12-31T23:59:60Z", 1_483_228_799_999_999),
        ] {
            assert_eq!(instant_us(at), us, "{at}");
        }
        // What cannot be read sorts first, before any real change.
        for at in ["", "yesterday", "2024-03-15T08:30Z", "2024-03-15T08:30:60Z"] {
            assert_eq!(instant_us(at), i64::MIN, "{at:?}");
        }
    }
}
