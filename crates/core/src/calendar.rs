//! The school calendar: which weekdays each offering meets (Monday to Friday unless the user
//! chose others) and the days the school does not meet (imported from a CSV file with a `date`
//! column). It says only when a roll was due ([`crate::roll::missing_rolls`]); it never invents
//! an absence.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::csv_file::{self, Problems};
use crate::error::{Error, Result};
use crate::ids::{Day, Id};
use crate::lookup::require_offering;
use crate::store::{Store, Writes};

/// ISO weekdays (1 = Monday) an offering meets when the user chose none: Monday to Friday.
pub const SCHOOL_WEEK: [u8; 5] = [1, 2, 3, 4, 5];

/// The column a non-school-days file must have.
pub const CALENDAR_COLUMNS: &[&str] = &["date"];

/// The weekdays `offering` meets (ISO numbers, ascending).
pub fn meeting_days(store: &Store, offering: &Id) -> Result<Vec<u8>> {
    require_offering(store.conn(), offering)?;
    let days: Vec<u8> = store
        .conn()
        .prepare_cached("SELECT weekday FROM meeting_day WHERE offering_id = ?1 ORDER BY weekday")?
        .query_map([offering], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(if days.is_empty() {
        SCHOOL_WEEK.to_vec()
    } else {
        days
    })
}

/// Sets the weekdays `offering` meets (ISO numbers 1..=7); an empty list goes back to Monday to
/// Friday. One transaction.
pub fn set_meeting_days(store: &mut Store, offering: &Id, days: &[u8]) -> Result<Vec<u8>> {
    if let Some(bad) = days.iter().find(|d| !(1..=7).contains(*d)) {
        return Err(Error::Invalid(format!(
            "{bad} is not a weekday: expected 1 (Monday) to 7 (Sunday)"
        )));
    }
    let tx = store.transaction(Writes::Local)?;
    require_offering(&tx, offering)?;
    tx.execute("DELETE FROM meeting_day WHERE offering_id = ?1", [offering])?;
    let chosen: BTreeSet<u8> = days.iter().copied().collect();
    for day in &chosen {
        tx.execute(
            "INSERT INTO meeting_day (offering_id, weekday) VALUES (?1, ?2)",
            (offering, day),
        )?;
    }
    tx.commit()?;
    meeting_days(store, offering)
}

/// Every non-school day, ascending.
pub fn non_school_days(store: &Store) -> Result<Vec<Day>> {
    Ok(store
        .conn()
        .prepare_cached("SELECT date FROM non_school_day ORDER BY date")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// An offering and the weekdays it meets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfferingDays {
    pub offering_id: Id,
    pub name: String,
    /// ISO weekdays, 1 = Monday (Monday to Friday when the user chose none).
    pub meeting_days: Vec<u8>,
}

/// The whole calendar as the user sees it: the non-school days and each offering's weekdays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CalendarView {
    pub non_school_days: Vec<Day>,
    pub offerings: Vec<OfferingDays>,
}

/// The non-school days (ascending) and every offering's meeting days (by offering name).
pub fn view(store: &Store) -> Result<CalendarView> {
    let mut offerings = Vec::new();
    for o in crate::roster::offerings(store)? {
        let meeting_days = meeting_days(store, &o.id)?;
        offerings.push(OfferingDays {
            offering_id: o.id,
            name: o.name,
            meeting_days,
        });
    }
    Ok(CalendarView {
        non_school_days: non_school_days(store)?,
        offerings,
    })
}

/// What importing a non-school-days file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CalendarImport {
    /// Data rows read (blank rows are not counted).
    pub rows: u32,
    /// Distinct days now listed as non-school days.
    pub days: u32,
}

/// Replaces the list of non-school days with the dates of a CSV file (a `date` column,
/// `YYYY-MM-DD`; other columns such as a holiday's name are ignored): the file is the school's
/// calendar, so a corrected file replaces the old one. All or nothing, every bad row listed.
pub fn import_non_school_days_csv(
    store: &mut Store,
    bytes: &[u8],
    file_name: &str,
) -> Result<CalendarImport> {
    let mut problems = Problems::default();
    let rows = csv_file::read(bytes, CALENDAR_COLUMNS, &mut problems);
    let days: BTreeSet<Day> = rows
        .iter()
        .filter_map(|r| r.day(0, &mut problems))
        .collect();
    problems.finish(file_name)?;
    let tx = store.transaction(Writes::Local)?;
    tx.execute("DELETE FROM non_school_day", [])?;
    for day in &days {
        tx.execute("INSERT INTO non_school_day (date) VALUES (?1)", [day])?;
    }
    tx.commit()?;
    Ok(CalendarImport {
        rows: rows.len() as u32,
        days: days.len() as u32,
    })
}

/// The calendar read once, to ask about many (offering, day) pairs.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    meets: HashMap<Id, BTreeSet<u8>>,
    closed: BTreeSet<Day>,
}

impl Calendar {
    pub fn load(store: &Store) -> Result<Calendar> {
        let mut meets: HashMap<Id, BTreeSet<u8>> = HashMap::new();
        let mut stmt = store
            .conn()
            .prepare_cached("SELECT offering_id, weekday FROM meeting_day")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, Id>(0)?, r.get::<_, u8>(1)?)))? {
            let (offering, day) = row?;
            meets.entry(offering).or_default().insert(day);
        }
        let closed = non_school_days(store)?.into_iter().collect();
        Ok(Calendar { meets, closed })
    }

    /// `day` is not on the list of non-school days.
    pub fn is_school_day(&self, day: Day) -> bool {
        !self.closed.contains(&day)
    }

    /// The offering meets on `day`: one of its weekdays, and not a non-school day.
    pub fn meets(&self, offering: &Id, day: Day) -> bool {
        if !self.is_school_day(day) {
            return false;
        }
        match self.meets.get(offering) {
            Some(days) => days.contains(&day.weekday()),
            None => SCHOOL_WEEK.contains(&day.weekday()),
        }
    }
}
