//! The teacher's roll-call screens as queries: the offerings of a day with how far their roll
//! got ([`today`]), the past days whose roll is still to take ([`missing_rolls`]), one row of a roll after a change ([`roll_row`]), and where unsent marks are
//! ([`unsent_by_day`], so the desktop shell can tell an open grid that its delivery column
//! changed).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::calendar::Calendar;
use crate::error::{Error, Result};
use crate::ids::{Day, Id};
use crate::roster::{self, RosterRow};
use crate::store::Store;
use crate::sync::effective;

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
    let conn = store.conn();
    // Unsettled items are few: served by outbox_by_state (state first).
    let mut unsent: HashMap<Id, u32> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT offering_id, COUNT(DISTINCT student_id) FROM outbox
         WHERE state IN ('pending', 'sending', 'unknown', 'rejected') AND date = ?1
         GROUP BY offering_id",
    )?;
    for row in stmt.query_map([date], |r| Ok((r.get::<_, Id>(0)?, r.get::<_, u32>(1)?)))? {
        let (offering, n) = row?;
        unsent.insert(offering, n);
    }
    let mut active = conn.prepare_cached(
        "SELECT student_id FROM enrollment WHERE offering_id = ?1 AND active = 1",
    )?;
    let mut list = Vec::new();
    for o in roster::offerings(store)? {
        let marks = effective::for_offering_date(store, &o.id, date)?;
        let mut marked = 0;
        for student in active.query_map([&o.id], |r| r.get::<_, Id>(0))? {
            if marks.contains_key(&student?) {
                marked += 1;
            }
        }
        list.push(OfferingDay {
            state: RollState::of(marked, o.active_students),
            unsent: unsent.get(&o.id).copied().unwrap_or(0),
            marked,
            active_students: o.active_students,
            teacher_assignment_id: o.teacher_assignment_id,
            name: o.name,
            id: o.id,
        });
    }
    Ok(list)
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
    let mut list = Vec::new();
    for back in 1..=days {
        let date = today.days_before(back);
        for offering in self::today(store, date)? {
            let due = offering.active_students > 0 && calendar.meets(&offering.id, date);
            if due && offering.state != RollState::Taken {
                list.push(MissingRoll { date, offering });
            }
        }
    }
    Ok(list)
}

/// The roll's row of one student (as [`roster::roster`] shows it), e.g. right after a mark.
/// `NotFound` when the student is not actively enrolled in the offering.
pub fn roll_row(store: &Store, offering: &Id, student: &Id, date: Day) -> Result<RosterRow> {
    roster::roster(store, offering, date)?
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
            r.get::<_, String>(2)?,
            r.get::<_, u32>(3)?,
        ))
    })?;
    for row in rows {
        let (offering, date, state, n) = row?;
        let day = out.entry((offering, date)).or_default();
        match state.as_str() {
            "pending" => day.pending = n,
            "sending" => day.sending = n,
            "unknown" => day.unknown = n,
            _ => day.rejected = n,
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
