//! Every student's effective marks over a date range, one student at a time: the school view.
//!
//! The same rule as the rest of this module ([`winner`]), read as a stream so a school's year
//! (a million cached records) is never held in memory. The server records come straight from
//! the index `server_record_by_student_day` (student, date, offering, `recorded_at_us`,
//! status), one student at a time: the next student is one seek in the index and their marks of
//! the range one more, so a short range reads only its own part of the index. The newest record
//! of each (offering, student, date) is kept, and this device's marks of the range (a teacher's
//! few thousand, loaded once and sorted the same way) are merged in as the stream passes them.
//!
//! A span of students ([`for_range`]'s `students`) lets the school be read in parts, each on its
//! own connection ([`crate::store::Store::reader`]).

use std::collections::HashMap;
use std::ops::{Bound, RangeBounds};
use std::rc::Rc;

use rusqlite::params;

use super::{winner, Local, Source, Winner, LOCAL_SQL};
use crate::error::Result;
use crate::ids::{Day, Id, Status};
use crate::store::Store;

/// One effective mark of the student a [`for_range`] visit is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudentMark {
    /// Shared by every mark of the offering in the read: the same offering is the same `Rc`.
    pub offering_id: Rc<Id>,
    pub date: Day,
    pub status: Status,
    pub source: Source,
}

/// (student, date, offering): the order the stream is read in.
type Key = (Id, Day, Id);

// The first student of the cache at or after ?1, and the one after ?1: one seek each in
// server_record_by_student_day.
pub(super) const FIRST_STUDENT_SQL: &str =
    "SELECT student_id FROM server_record WHERE student_id >= ?1 ORDER BY student_id LIMIT 1";
pub(super) const NEXT_STUDENT_SQL: &str =
    "SELECT student_id FROM server_record WHERE student_id > ?1 ORDER BY student_id LIMIT 1";

// One student's records of the range, served by server_record_by_student_day alone (a covering
// index, in this order).
pub(super) const STUDENT_RANGE_SQL: &str = "SELECT date, offering_id, status, recorded_at_us
     FROM server_record WHERE student_id = ?1 AND date BETWEEN ?2 AND ?3
     ORDER BY date, offering_id, recorded_at_us";

// This device's own delivered records of the range: the outbox items that became one. The
// outbox first (CROSS JOIN keeps that order), each record found by server_record_by_offering_id:
// left to itself SQLite may scan the school's million records instead.
pub(super) const OWN_SQL: &str = "SELECT r.student_id, r.date, r.offering_id, r.recorded_at_us
     FROM outbox o CROSS JOIN server_record r
       ON r.offering_id = o.offering_id AND r.id = o.server_id
     WHERE o.date BETWEEN ?1 AND ?2";

/// The newest server record of a key so far.
struct Newest {
    status: Status,
    recorded_at_us: i64,
}

/// Calls `visit` once per student of `students` with an effective mark from `from` to `to`
/// (inclusive), in order of student id, with that student's marks by date then offering (the
/// marks [`super::for_student`] gives, by the same rule). An error from `visit` stops the read.
pub fn for_range(
    store: &Store,
    from: Day,
    to: Day,
    students: impl RangeBounds<Id>,
    mut visit: impl FnMut(&Id, &[StudentMark]) -> Result<()>,
) -> Result<()> {
    let mut out = Batch {
        own: keep(own_records(store, from, to)?, &students),
        locals: keep(local_marks(store, from, to)?, &students),
        mine: Mine::default(),
        marks: Vec::new(),
    };
    let conn = store.conn();
    let mut first = conn.prepare_cached(FIRST_STUDENT_SQL)?;
    let mut after = conn.prepare_cached(NEXT_STUDENT_SQL)?;
    let mut range = conn.prepare_cached(STUDENT_RANGE_SQL)?;
    // The offerings met so far, by their text; a student's few are looked for first.
    let mut offerings: HashMap<Vec<u8>, Rc<Id>> = HashMap::new();
    let mut recent: Vec<Rc<Id>> = Vec::new();
    let mut next: Option<Id> = match students.start_bound() {
        Bound::Included(s) => first.query_row(params![s], |r| r.get(0)),
        Bound::Excluded(s) => after.query_row(params![s], |r| r.get(0)),
        Bound::Unbounded => first.query_row(params![""], |r| r.get(0)),
    }
    .map(Some)
    .or_else(none_if_no_rows)?;
    while let Some(student) = next.take().filter(|s| students.contains(s)) {
        out.locals_before(&student, &mut visit)?;
        out.take_mine(&student, &mut offerings);
        recent.clear();
        let mut rows = range.query(params![student, from, to])?;
        let mut current: Option<(Day, Rc<Id>, Newest)> = None;
        while let Some(r) = rows.next()? {
            let date: Day = r.get(0)?;
            let offering = text(r, 1)?;
            let newest = Newest {
                status: r.get(2)?,
                recorded_at_us: r.get(3)?,
            };
            if let Some((d, o, n)) = current.as_mut() {
                if *d == date && o.as_bytes() == offering {
                    // Ordered by recorded_at_us: a later row of the same key is newer.
                    *n = newest;
                    continue;
                }
            }
            if let Some((d, o, n)) = current.take() {
                out.server(d, o, n);
            }
            let offering = match recent.iter().find(|o| o.as_bytes() == offering) {
                Some(id) => id.clone(),
                None => {
                    let id = match offerings.get(offering) {
                        Some(id) => id.clone(),
                        None => {
                            let id = Rc::new(r.get::<_, Id>(1)?);
                            offerings.insert(offering.to_vec(), id.clone());
                            id
                        }
                    };
                    recent.push(id.clone());
                    id
                }
            };
            current = Some((date, offering, newest));
        }
        if let Some((d, o, n)) = current {
            out.server(d, o, n);
        }
        out.rest_of_mine();
        out.flush(&student, &mut visit)?;
        next = after
            .query_row(params![student], |r| r.get(0))
            .map(Some)
            .or_else(none_if_no_rows)?;
    }
    // Students after the last with server records who have marks of this device only.
    out.locals_before_end(&mut visit)
}

fn none_if_no_rows<T>(e: rusqlite::Error) -> rusqlite::Result<Option<T>> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        e => Err(e),
    }
}

/// The entries of `list` whose student is in `students`, sorted in stream order.
fn keep<T>(mut list: Vec<(Key, T)>, students: &impl RangeBounds<Id>) -> Peek<T> {
    list.retain(|(k, _)| students.contains(&k.0));
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list.into_iter().peekable()
}

/// A text column's bytes borrowed from the row: no allocation (nor UTF-8 check) for each of a
/// school's records.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r [u8]> {
    r.get_ref(i)?.as_bytes().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// This device's own delivered records of the range (key, `recorded_at_us`).
fn own_records(store: &Store, from: Day, to: Day) -> Result<Vec<(Key, i64)>> {
    let mut stmt = store.conn().prepare_cached(OWN_SQL)?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, i64>(3)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// This device's marks of the range.
fn local_marks(store: &Store, from: Day, to: Day) -> Result<Vec<(Key, Local)>> {
    let sql = format!("{LOCAL_SQL} WHERE m.date BETWEEN ?1 AND ?2");
    let mut stmt = store.conn().prepare_cached(&sql)?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok((
            (r.get(1)?, r.get(2)?, r.get(0)?),
            Local {
                status: r.get(3)?,
                changed_at: r.get(4)?,
                newest_state: r.get(5)?,
            },
        ))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

type Peek<T> = std::iter::Peekable<std::vec::IntoIter<(Key, T)>>;
/// One student's entries by (date, offering).
type MinePeek<T> = std::iter::Peekable<std::vec::IntoIter<((Day, Rc<Id>), T)>>;

/// The read's state: this device's marks and records still to merge, and one student's marks
/// gathered.
struct Batch {
    own: Peek<i64>,
    locals: Peek<Local>,
    /// This device's marks and records of the student being read, taken out of the above.
    mine: Mine,
    marks: Vec<StudentMark>,
}

#[derive(Default)]
struct Mine {
    own: Option<MinePeek<i64>>,
    locals: Option<MinePeek<Local>>,
}

/// The entries of `student` at the head of `list`, keyed by (date, offering), the offering
/// shared with the stream's.
fn take_student<T>(
    list: &mut Peek<T>,
    student: &Id,
    offerings: &mut HashMap<Vec<u8>, Rc<Id>>,
) -> MinePeek<T> {
    let mut mine = Vec::new();
    while let Some(((_, date, offering), t)) = list.next_if(|(k, _)| &k.0 == student) {
        let offering = offerings
            .entry(offering.as_bytes().to_vec())
            .or_insert_with(|| Rc::new(offering))
            .clone();
        mine.push(((date, offering), t));
    }
    mine.into_iter().peekable()
}

impl Batch {
    /// The students before `student` who have marks of this device only, each visited.
    fn locals_before(
        &mut self,
        student: &Id,
        visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>,
    ) -> Result<()> {
        while let Some(other) = self
            .locals
            .peek()
            .map(|(k, _)| k.0.clone())
            .filter(|s| s < student)
        {
            self.local_only(&other, visit)?;
        }
        Ok(())
    }

    fn locals_before_end(
        &mut self,
        visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>,
    ) -> Result<()> {
        while let Some(other) = self.locals.peek().map(|(k, _)| k.0.clone()) {
            self.local_only(&other, visit)?;
        }
        Ok(())
    }

    /// A student with marks of this device only.
    fn local_only(
        &mut self,
        student: &Id,
        visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>,
    ) -> Result<()> {
        self.take_mine(student, &mut HashMap::new());
        self.rest_of_mine();
        self.flush(student, visit)
    }

    /// Takes `student`'s marks and records of this device out of the whole read's (they are at
    /// the head: the stream reached this student).
    fn take_mine(&mut self, student: &Id, offerings: &mut HashMap<Vec<u8>, Rc<Id>>) {
        let own = take_student(&mut self.own, student, offerings);
        let locals = take_student(&mut self.locals, student, offerings);
        self.mine = Mine {
            own: (own.len() > 0).then_some(own),
            locals: (locals.len() > 0).then_some(locals),
        };
    }

    /// The newest server record of (`date`, `offering`) of the student being read: this
    /// device's marks before it go first, and one of the same key is weighed against it.
    fn server(&mut self, date: Day, offering: Rc<Id>, newest: Newest) {
        let key = (date, offering);
        let mut local = None;
        if let Some(locals) = self.mine.locals.as_mut() {
            let mut before = Vec::new();
            while let Some((k, l)) = locals.next_if(|(k, _)| *k < key) {
                before.push((k, l));
            }
            local = locals.next_if(|(k, _)| *k == key).map(|(_, l)| l);
            for (k, l) in before {
                self.push_local(k, l);
            }
        }
        let (status, source) = match winner(local, Some(newest)) {
            None => return,
            Some(Winner::Local(l)) => (l.status, Source::Local),
            Some(Winner::Server(n)) => {
                let mut own = false;
                if let Some(mine) = self.mine.own.as_mut() {
                    // Keys come in stream order: this device's records before this one are past.
                    while mine.next_if(|(k, _)| *k < key).is_some() {}
                    while let Some((_, us)) = mine.next_if(|(k, _)| *k == key) {
                        own |= us == n.recorded_at_us;
                    }
                }
                (n.status, if own { Source::Local } else { Source::Server })
            }
        };
        let (date, offering_id) = key;
        self.marks.push(StudentMark {
            offering_id,
            date,
            status,
            source,
        });
    }

    /// The rest of the student's marks of this device (after their last server record).
    fn rest_of_mine(&mut self) {
        if let Some(locals) = self.mine.locals.take() {
            for (k, l) in locals {
                self.push_local(k, l);
            }
        }
        self.mine = Mine::default();
    }

    fn push_local(&mut self, (date, offering_id): (Day, Rc<Id>), l: Local) {
        if let Some(Winner::Local(l)) = winner::<Newest>(Some(l), None) {
            self.marks.push(StudentMark {
                offering_id,
                date,
                status: l.status,
                source: Source::Local,
            });
        }
    }

    fn flush(
        &mut self,
        student: &Id,
        visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>,
    ) -> Result<()> {
        if !self.marks.is_empty() {
            visit(student, &self.marks)?;
        }
        self.marks.clear();
        Ok(())
    }
}
