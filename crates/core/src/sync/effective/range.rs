//! Every student's effective marks over a date range, one student at a time: the school view.
//!
//! The same rule as the rest of this module ([`winner`]), read as a stream so a school's year
//! (a million cached records) is never held in memory: the server records come straight from
//! the index `server_record_by_student_day` (student, date, offering, `recorded_at_us`,
//! status), the newest of each (offering, student, date) is kept, and this device's marks of
//! the range (a teacher's few thousand, loaded once and sorted the same way) are merged in as
//! the stream passes them.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use super::{winner, Local, Source, Winner, LOCAL_SQL};
use crate::error::Result;
use crate::ids::{Day, Id, Status};
use crate::store::Store;

/// One effective mark of the student a [`for_range`] visit is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentMark {
    pub offering_id: Id,
    pub date: Day,
    pub status: Status,
    pub source: Source,
}

/// (student, date, offering): the order the stream is read in.
type Key = (Id, Day, Id);

// Served by server_record_by_student_day alone (a covering index, in this order).
pub(super) const RANGE_SERVER_SQL: &str =
    "SELECT student_id, date, offering_id, status, recorded_at_us
     FROM server_record WHERE date BETWEEN ?1 AND ?2
     ORDER BY student_id, date, offering_id, recorded_at_us";

// This device's own delivered records of the range: the outbox items that became one.
pub(super) const OWN_SQL: &str = "SELECT r.student_id, r.date, r.offering_id, r.recorded_at_us
     FROM outbox o JOIN server_record r ON r.id = o.server_id
     WHERE o.date BETWEEN ?1 AND ?2";

/// The newest server record of a key so far.
struct Newest {
    status: Status,
    recorded_at_us: i64,
}

/// Calls `visit` once per student with an effective mark from `from` to `to` (inclusive), in
/// order of student id, with that student's marks by date then offering (the marks
/// [`super::for_student`] gives, by the same rule). An error from `visit` stops the read.
pub fn for_range(
    store: &Store,
    from: Day,
    to: Day,
    mut visit: impl FnMut(&Id, &[StudentMark]) -> Result<()>,
) -> Result<()> {
    let mut out = Batch {
        own: own_records(store, from, to)?,
        locals: local_marks(store, from, to)?.into_iter().peekable(),
        student: None,
        marks: Vec::new(),
    };
    let mut stmt = store.conn().prepare_cached(RANGE_SERVER_SQL)?;
    let mut rows = stmt.query(params![from, to])?;
    let mut offerings: HashMap<String, Id> = HashMap::new();
    let mut current: Option<(Key, Newest)> = None;
    while let Some(r) = rows.next()? {
        let student = text(r, 0)?;
        let date: Day = r.get(1)?;
        let offering = text(r, 2)?;
        let newest = Newest {
            status: r.get(3)?,
            recorded_at_us: r.get(4)?,
        };
        if let Some(((s, d, o), n)) = current.as_mut() {
            if s.as_str() == student && *d == date && o.as_str() == offering {
                // Ordered by recorded_at_us: a later row of the same key is newer.
                *n = newest;
                continue;
            }
        }
        if let Some((key, n)) = current.take() {
            out.server(key, n, &mut visit)?;
        }
        let student = match &out.student {
            Some(s) if s.as_str() == student => s.clone(),
            _ => r.get::<_, Id>(0)?,
        };
        let offering = match offerings.get(offering) {
            Some(id) => id.clone(),
            None => {
                let id: Id = r.get(2)?;
                offerings.insert(offering.to_owned(), id.clone());
                id
            }
        };
        current = Some(((student, date, offering), newest));
    }
    if let Some((key, n)) = current {
        out.server(key, n, &mut visit)?;
    }
    while let Some((key, l)) = out.locals.next() {
        out.push(key, winner::<Newest>(Some(l), None), &mut visit)?;
    }
    out.flush(&mut visit)
}

/// A text column borrowed from the row: no allocation for each of a school's records.
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn own_records(store: &Store, from: Day, to: Day) -> Result<HashMap<Key, Vec<i64>>> {
    let mut stmt = store.conn().prepare_cached(OWN_SQL)?;
    let rows = stmt.query_map(params![from, to], |r| {
        Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get::<_, i64>(3)?))
    })?;
    let mut own: HashMap<Key, Vec<i64>> = HashMap::new();
    for row in rows {
        let (key, us) = row?;
        own.entry(key).or_default().push(us);
    }
    Ok(own)
}

/// This device's marks of the range, in stream order.
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
    let mut list = rows.collect::<rusqlite::Result<Vec<(Key, Local)>>>()?;
    list.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(list)
}

type Locals = std::iter::Peekable<std::vec::IntoIter<(Key, Local)>>;

/// The read's state: this device's marks still to merge, and one student's marks gathered.
struct Batch {
    own: HashMap<Key, Vec<i64>>,
    locals: Locals,
    student: Option<Id>,
    marks: Vec<StudentMark>,
}

impl Batch {
    /// The newest server record of `key`: this device's marks before it go first, and one of
    /// the same key is weighed against it.
    fn server(
        &mut self,
        key: Key,
        newest: Newest,
        visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>,
    ) -> Result<()> {
        while let Some((k, l)) = self.locals.next_if(|(k, _)| *k < key) {
            self.push(k, winner::<Newest>(Some(l), None), visit)?;
        }
        let local = self.locals.next_if(|(k, _)| *k == key).map(|(_, l)| l);
        self.push(key, winner(local, Some(newest)), visit)
    }

    fn push(
        &mut self,
        key: Key,
        mark: Option<Winner<Newest>>,
        visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>,
    ) -> Result<()> {
        if self.student.as_ref() != Some(&key.0) {
            self.flush(visit)?;
            self.student = Some(key.0.clone());
        }
        let (status, source) = match mark {
            None => return Ok(()),
            Some(Winner::Local(l)) => (l.status, Source::Local),
            Some(Winner::Server(n)) => {
                let own = self
                    .own
                    .get(&key)
                    .is_some_and(|at| at.contains(&n.recorded_at_us));
                (n.status, if own { Source::Local } else { Source::Server })
            }
        };
        let (_, date, offering_id) = key;
        self.marks.push(StudentMark {
            offering_id,
            date,
            status,
            source,
        });
        Ok(())
    }

    fn flush(&mut self, visit: &mut impl FnMut(&Id, &[StudentMark]) -> Result<()>) -> Result<()> {
        if let Some(student) = &self.student {
            if !self.marks.is_empty() {
                visit(student, &self.marks)?;
            }
        }
        self.marks.clear();
        Ok(())
    }
}
