//! The teacher's roll-call screens as queries: a roll, every active student of an offering with
//! their mark on a date, who made it and where it is on its way to the server ([`rows`]), one
//! row of it after a change ([`roll_row`]), the offerings of a day with how far their roll got
//! ([`today`]), the past days whose roll is still to take ([`missing_rolls`]), and where unsent marks are
//! ([`unsent_by_day`], so the desktop shell can tell an open grid that its delivery column
//! changed).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::calendar::Calendar;
use crate::error::{Error, Result};
use crate::history::MarkedBy;
use crate::ids::{Day, Id, Status};
use crate::outbox::ItemState;
use crate::roster;
use crate::store::Store;
use crate::sync::effective;

/// Where a student's current mark is on its way to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Saved on this device, waiting to be sent.
    SavedHere,
    /// A send is under way.
    Sending,
    /// The server has it.
    OnServer,
    /// The outcome of a send is unknown, or the server refused it.
    NeedsAttention,
}

impl Delivery {
    /// From an outbox state; `None` for `cancelled` (nothing to deliver).
    pub fn from_outbox_state(state: ItemState) -> Option<Delivery> {
        match state {
            ItemState::Pending => Some(Delivery::SavedHere),
            ItemState::Sending => Some(Delivery::Sending),
            ItemState::Synced => Some(Delivery::OnServer),
            ItemState::Unknown | ItemState::Rejected => Some(Delivery::NeedsAttention),
            ItemState::Cancelled => None,
        }
    }
}

/// One active student of an offering with their mark on a date.
#[derive(Debug, Clone, Serialize)]
pub struct RosterRow {
    pub student_id: Id,
    pub student_name: String,
    pub course_enrollment_id: Id,
    pub status: Option<Status>,
    pub changed_at: Option<String>,
    pub delivery: Option<Delivery>,
    /// The status shown comes from a server record (another device, or a pull) rather than
    /// this device's mark: see [`crate::sync::effective`].
    pub from_server: bool,
    /// Who made the mark shown; `None` for a student with no mark.
    pub marked_by: Option<MarkedBy>,
    /// When the mark shown was recorded: the server's `recorded_at` for a server record, the
    /// time of this device's change otherwise (RFC 3339, UTC).
    pub recorded_at: Option<String>,
    /// Another writer's record newer than what the teacher last saw replaced a mark of this
    /// device: "changed by another teacher or system at 08:12" until the teacher opens the
    /// row's history or marks it (see [`crate::history`]). A record on a row this device never
    /// marked is not a conflict.
    pub changed_elsewhere: bool,
}

/// The active students of an offering, by name, with their current mark on `date`.
pub fn rows(store: &Store, offering: &Id, date: Day) -> Result<Vec<RosterRow>> {
    let conn = store.conn();
    crate::lookup::require_offering(conn, offering)?;
    let mut stmt = conn.prepare(
        "SELECT s.id, s.full_name, e.id, m.status, m.changed_at,
                (SELECT o.state FROM outbox o
                  WHERE o.offering_id = e.offering_id AND o.student_id = e.student_id
                    AND o.date = ?2 AND o.state <> 'cancelled'
                  ORDER BY o.id DESC LIMIT 1)
         FROM enrollment e
         JOIN student s ON s.id = e.student_id
         LEFT JOIN mark m
           ON m.offering_id = e.offering_id AND m.student_id = e.student_id AND m.date = ?2
         WHERE e.offering_id = ?1 AND e.active = 1",
    )?;
    let mut rows = stmt
        .query_map((offering, date), |r| {
            let state: Option<ItemState> = r.get(5)?;
            Ok(RosterRow {
                student_id: r.get(0)?,
                student_name: r.get(1)?,
                course_enrollment_id: r.get(2)?,
                status: r.get(3)?,
                changed_at: r.get(4)?,
                delivery: state.and_then(Delivery::from_outbox_state),
                from_server: false,
                marked_by: None,
                recorded_at: None,
                changed_elsewhere: false,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // Marks made on other devices (pulled into the cache) show where they are the effective mark.
    let teacher: Id = conn.query_row(
        "SELECT teacher_assignment_id FROM offering WHERE id = ?1",
        [offering],
        |r| r.get(0),
    )?;
    let effective = crate::sync::effective::for_offering_date(store, offering, date)?;
    let unseen: std::collections::HashSet<Id> =
        crate::history::unseen_over_own_mark(conn, offering, date)?
            .into_iter()
            .collect();
    for row in &mut rows {
        let Some(mark) = effective.get(&row.student_id) else {
            continue;
        };
        row.recorded_at = Some(mark.recorded_at.clone());
        if mark.source == crate::sync::effective::Source::Server {
            row.status = Some(mark.status);
            row.changed_at = Some(mark.recorded_at.clone());
            row.from_server = true;
            row.changed_elsewhere = unseen.contains(&row.student_id);
            row.marked_by = Some(match &mark.teacher_assignment_id {
                Some(t) => MarkedBy::of_record(t, &teacher),
                None => MarkedBy::Other,
            });
        } else {
            row.marked_by = Some(MarkedBy::ThisDevice);
        }
    }
    rows.sort_by(|a, b| {
        roster::sort_key(&a.student_name)
            .cmp(&roster::sort_key(&b.student_name))
            .then_with(|| a.student_name.cmp(&b.student_name))
            .then_with(|| a.student_id.cmp(&b.student_id))
    });
    Ok(rows)
}

/// How far the roll of an offering got on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RollState {
    /// No active student has a mark.
    NotTaken,
    /// Some active students have a mark, not all.
    Partly,
    /// Every active student has a mark (an offering with no active student counts as taken).
    Taken,
}

/// One offering on the Today screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferingDay {
    pub id: Id,
    pub name: String,
    pub teacher_assignment_id: Id,
    pub active_students: u32,
    /// Active students with a mark that day: this device's, or one made on another device
    /// (pulled), whichever is the effective mark the grid shows.
    pub marked: u32,
    /// Marks of that day not yet confirmed by the server: their newest outbox item is pending,
    /// sending, unknown or rejected (one per student, however many items carried it).
    pub unsent: u32,
    pub state: RollState,
}

impl RollState {
    fn of(marked: u32, active: u32) -> RollState {
        match marked {
            0 if active > 0 => RollState::NotTaken,
            m if m >= active => RollState::Taken,
            _ => RollState::Partly,
        }
    }
}

/// Every offering (by name, as [`roster::offerings`]) with the state of its roll on `date`.
pub fn today(store: &Store, date: Day) -> Result<Vec<OfferingDay>> {
    let unsent = unsent_students(store, date)?;
    roster::offerings(store)?
        .into_iter()
        .map(|o| offering_day(store, o, date, &unsent))
        .collect()
}

/// Students with a change not yet confirmed by the server on `date`, by offering.
fn unsent_students(store: &Store, date: Day) -> Result<HashMap<Id, u32>> {
    // Unsettled items are few: served by outbox_by_state (state first).
    let mut stmt = store.conn().prepare_cached(
        "SELECT offering_id, COUNT(DISTINCT student_id) FROM outbox
         WHERE state IN ('pending', 'sending', 'unknown', 'rejected') AND date = ?1
         GROUP BY offering_id",
    )?;
    let rows = stmt.query_map([date], |r| Ok((r.get::<_, Id>(0)?, r.get::<_, u32>(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How far the roll of `o` on `date` got: its active students with an effective mark.
fn offering_day(
    store: &Store,
    o: roster::Offering,
    date: Day,
    unsent: &HashMap<Id, u32>,
) -> Result<OfferingDay> {
    let mut active = store.conn().prepare_cached(
        "SELECT student_id FROM enrollment WHERE offering_id = ?1 AND active = 1",
    )?;
    let marks = effective::for_offering_date(store, &o.id, date)?;
    let mut marked = 0;
    for student in active.query_map([&o.id], |r| r.get::<_, Id>(0))? {
        if marks.contains_key(&student?) {
            marked += 1;
        }
    }
    Ok(OfferingDay {
        state: RollState::of(marked, o.active_students),
        unsent: unsent.get(&o.id).copied().unwrap_or(0),
        marked,
        active_students: o.active_students,
        teacher_assignment_id: o.teacher_assignment_id,
        name: o.name,
        id: o.id,
    })
}

/// A past day's roll of an offering that is not taken or only partly taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingRoll {
    pub date: Day,
    #[serde(flatten)]
    pub offering: OfferingDay,
}

/// How many days back [`missing_rolls`] looks by default: two weeks.
pub const MISSING_ROLL_DAYS: u32 = 14;

/// The rolls still to take: for each of the `days` days before `today` (not today itself, which
/// the Today screen shows), every offering with active students that met that day (its meeting
/// days, not a non-school day: [`crate::calendar`]) and whose roll is not taken or only partly
/// taken, counting marks of this device and server records alike. Newest day first, then by
/// offering name.
pub fn missing_rolls(store: &Store, today: Day, days: u32) -> Result<Vec<MissingRoll>> {
    let calendar = Calendar::load(store)?;
    // Read once; only the rolls that were due are worked out (no weekend, no non-school day).
    let offerings = roster::offerings(store)?;
    let mut list = Vec::new();
    for back in 1..=days {
        let date = today.days_before(back);
        let mut due = offerings
            .iter()
            .filter(|o| o.active_students > 0 && calendar.meets(&o.id, date))
            .peekable();
        if due.peek().is_none() {
            continue;
        }
        let unsent = unsent_students(store, date)?;
        for o in due {
            let offering = offering_day(store, o.clone(), date, &unsent)?;
            if offering.state != RollState::Taken {
                list.push(MissingRoll { date, offering });
            }
        }
    }
    Ok(list)
}

/// The roll's row of one student (as [`roster::roster`] shows it), e.g. right after a mark.
/// `NotFound` when the student is not actively enrolled in the offering.
pub fn roll_row(store: &Store, offering: &Id, student: &Id, date: Day) -> Result<RosterRow> {
    rows(store, offering, date)?
        .into_iter()
        .find(|row| row.student_id == *student)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "student {student} is not on the roll of offering {offering}"
            ))
        })
}

/// Unsettled outbox items of one offering on one date, by state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnsentDay {
    pub pending: u32,
    pub sending: u32,
    pub unknown: u32,
    pub rejected: u32,
}

/// Every (offering, date) with items not yet confirmed by the server. Two snapshots that differ
/// for a key mean the delivery column of that roll changed (an item that became synced leaves
/// its key, or lowers a count).
pub fn unsent_by_day(store: &Store) -> Result<BTreeMap<(Id, Day), UnsentDay>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT offering_id, date, state, COUNT(*) FROM outbox
         WHERE state IN ('pending', 'sending', 'unknown', 'rejected')
         GROUP BY offering_id, date, state",
    )?;
    let mut out: BTreeMap<(Id, Day), UnsentDay> = BTreeMap::new();
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, Id>(0)?,
            r.get::<_, Day>(1)?,
            r.get::<_, ItemState>(2)?,
            r.get::<_, u32>(3)?,
        ))
    })?;
    for row in rows {
        let (offering, date, state, n) = row?;
        let day = out.entry((offering, date)).or_default();
        match state {
            ItemState::Pending => day.pending = n,
            ItemState::Sending => day.sending = n,
            ItemState::Unknown => day.unknown = n,
            ItemState::Rejected => day.rejected = n,
            ItemState::Synced | ItemState::Cancelled => {} // not asked for
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roll_state_from_counts() {
        assert_eq!(RollState::of(0, 3), RollState::NotTaken);
        assert_eq!(RollState::of(1, 3), RollState::Partly);
        assert_eq!(RollState::of(3, 3), RollState::Taken);
        assert_eq!(
            RollState::of(0, 0),
            RollState::Taken,
            "nothing to take: not shown as a roll to do"
        );
        assert_eq!(
            serde_json::to_value(RollState::NotTaken).unwrap(),
            "not_taken"
        );
    }
}
