//! The school view: every student with records in a date range, ranked by absence rate, with
//! the measures of the student report (one definition: [`crate::student_report`], whose
//! [`report_from`] reads each student's marks as they stream by) and the change of
//! the absence rate over the last 30 days.
//!
//! The records are read once for the whole school, one student at a time
//! ([`effective::for_range`]), so a year of a school (a million records) is never held at once;
//! only the rows the view shows are kept.

mod export;

pub use export::{school_csv, school_html};

use std::cmp::Ordering;
use std::collections::HashMap;
use std::ops::Bound;
use std::rc::Rc;

use rollbook_core::store::Store;
use rollbook_core::sync::effective::{self, StudentMark};
use rollbook_core::{lookup, Day, Error, Id, Status};
use serde::Serialize;

use crate::gather::NameSearch;
use crate::measures::{absence_rate_of, report_from, Session, StudentReport, Tier};
use crate::ReportError;

/// The 30-day change compares the last this many days of the range with as many before.
pub const CHANGE_WINDOW_DAYS: i64 = 30;

/// What the counselor asks the school view for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolQuery {
    pub from: Day,
    pub to: Day,
    /// Only students in one of these tiers; empty = every tier.
    pub tiers: Vec<Tier>,
    /// Only students with records in this offering within the range.
    pub offering: Option<Id>,
    /// Only students whose name has every word of this (case and accents ignored), or whose
    /// id starts with it, as the student search finds them.
    pub search: Option<String>,
}

/// The school's students who need support, highest absence rate first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolView {
    pub from: Day,
    pub to: Day,
    /// When the records were last pulled for the whole school (RFC 3339); `None` if never.
    pub as_of: Option<String>,
    /// Students with records in the range, before the filters.
    pub total: usize,
    pub students: Vec<SchoolRow>,
}

/// One student of the school view: the student report's measures (same names as
/// `report --student --json`), the offerings they have records in, and two more measures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SchoolRow {
    #[serde(flatten)]
    pub report: StudentReport,
    /// `None` when this device does not know the student's name.
    pub full_name: Option<String>,
    /// The offerings with records in the range, by name (an unnamed one by its id).
    pub offerings: Vec<String>,
    /// Absence rate over the last 30 days of the range minus over the 30 days before, in
    /// percentage points; `None` when the range is too short or either window has no record.
    pub absence_rate_change_30d: Option<f64>,
    /// The last date in the range with a session attended (present or late).
    pub last_present: Option<Day>,
}

/// When the school's records were last pulled as a whole: the school pull writes it.
fn as_of(store: &Store) -> Result<Option<String>, ReportError> {
    Ok(rollbook_core::sync::last_school_pull(store)?)
}

/// The school view over `query.from..=query.to` with the filters of `query`.
pub fn school_view(store: &Store, query: &SchoolQuery) -> Result<SchoolView, ReportError> {
    if query.from > query.to {
        return Err(Error::Invalid(format!(
            "the date range starts on {}, after it ends on {}",
            query.from, query.to
        ))
        .into());
    }
    let names = lookup::all_student_names(store)?;
    let offering_names = lookup::offering_names(store)?;
    let search = query
        .search
        .as_deref()
        .filter(|q| !q.trim().is_empty())
        .map(NameSearch::new);
    let part = Part {
        query,
        names: &names,
        offering_names: &offering_names,
        search: search.as_ref(),
    };
    let splits = split_points(names.keys().cloned());
    let readers = if splits.is_empty() {
        Vec::new()
    } else {
        splits
            .iter()
            .map(|_| store.reader())
            .collect::<Result<Option<Vec<Store>>, _>>()?
            .unwrap_or_default()
    };
    let (total, mut students) = if readers.is_empty() {
        part.rows(store, (Bound::Unbounded, Bound::Unbounded))?
    } else {
        // The first part on this connection, each other on a reader of its own, at once.
        // Part i ends where part i + 1 starts: at the next split, or with the last student.
        let end_after = |i: usize| {
            splits
                .get(i)
                .cloned()
                .map_or(Bound::Unbounded, Bound::Excluded)
        };
        let first = (Bound::Unbounded, end_after(0));
        let spans = (splits.iter().cloned().enumerate())
            .map(|(i, split)| (Bound::Included(split), end_after(i + 1)));
        std::thread::scope(|scope| {
            let others: Vec<_> = readers
                .into_iter()
                .zip(spans)
                .map(|(reader, span)| scope.spawn(move || part.rows(&reader, span)))
                .collect();
            let (mut total, mut students) = part.rows(store, first)?;
            for other in others {
                // A part that panicked panics here, with its own message.
                let (n, rows) = other
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))?;
                total += n;
                students.extend(rows);
            }
            Ok::<_, ReportError>((total, students))
        })?
    };
    students.sort_by(ranking);
    Ok(SchoolView {
        from: query.from,
        to: query.to,
        as_of: as_of(store)?,
        total,
        students,
    })
}

/// How many parts the school is read in at once: one per core, up to four.
const MAX_PARTS: usize = 4;

/// The student ids the school is split at, so each part holds about as many of the roster's
/// students (the cache's students are the roster's; any other lands in whichever part its id
/// falls in); none when there is one core or a handful of students.
fn split_points(roster: impl Iterator<Item = Id>) -> Vec<Id> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_PARTS));
    let mut ids: Vec<Id> = roster.collect();
    if parts < 2 || ids.len() < 100 {
        return Vec::new();
    }
    ids.sort_unstable();
    (1..parts)
        .map(|k| ids[ids.len() * k / parts].clone())
        .collect()
}

/// What each part of the school view reads with: the query and the names, shared.
#[derive(Clone, Copy)]
struct Part<'a> {
    query: &'a SchoolQuery,
    names: &'a HashMap<Id, String>,
    offering_names: &'a HashMap<Id, String>,
    search: Option<&'a NameSearch>,
}

impl Part<'_> {
    /// The rows of the students in `span` that pass the filters, and how many students the
    /// span has records of.
    fn rows(
        self,
        store: &Store,
        span: (Bound<Id>, Bound<Id>),
    ) -> Result<(usize, Vec<SchoolRow>), ReportError> {
        let query = self.query;
        let (mut total, mut students) = (0, Vec::new());
        effective::for_range(store, query.from, query.to, span, |student, marks| {
            total += 1;
            if let Some(o) = &query.offering {
                if !marks.iter().any(|m| *m.offering_id == *o) {
                    return Ok(());
                }
            }
            let full_name = self.names.get(student);
            if let Some(search) = self.search {
                let by_name = full_name.is_some_and(|n| search.words_match(n));
                if !by_name && !search.id_matches(student) {
                    return Ok(());
                }
            }
            let names = OfferingNames::new(marks, self.offering_names);
            let sessions = marks.iter().map(|m| session(m, names.of(&m.offering_id)));
            let report = report_from(student, sessions, Some(query.from), Some(query.to));
            if !query.tiers.is_empty() && !query.tiers.contains(&report.tier) {
                return Ok(());
            }
            students.push(SchoolRow {
                full_name: full_name.cloned(),
                offerings: report
                    .by_course
                    .iter()
                    .map(|c| {
                        c.course_name
                            .clone()
                            .unwrap_or_else(|| c.course_offering_id.to_string())
                    })
                    .collect(),
                absence_rate_change_30d: change_30d(marks, query.from, query.to),
                last_present: marks
                    .iter()
                    .filter(|m| matches!(m.status, Status::Present | Status::Late))
                    .map(|m| m.date)
                    .max(),
                report,
            });
            Ok(())
        })?;
        Ok((total, students))
    }
}

/// A mark of the stream as the measures read it.
fn session<'a>(m: &'a StudentMark, offering_name: Option<&'a str>) -> Session<'a> {
    Session {
        date: m.date,
        offering_id: &m.offering_id,
        offering_name,
        status: m.status,
    }
}

/// The names of one student's few offerings: a mark's is found by its shared id, without
/// hashing each of a school's records.
struct OfferingNames<'a>(Vec<(&'a Rc<Id>, Option<&'a str>)>);

impl<'a> OfferingNames<'a> {
    fn new(marks: &'a [StudentMark], names: &'a HashMap<Id, String>) -> Self {
        let mut list: Vec<(&Rc<Id>, Option<&str>)> = Vec::new();
        for m in marks {
            if !list.iter().any(|(id, _)| Rc::ptr_eq(id, &m.offering_id)) {
                list.push((
                    &m.offering_id,
                    names.get(&*m.offering_id).map(String::as_str),
                ));
            }
        }
        OfferingNames(list)
    }

    fn of(&self, offering: &Rc<Id>) -> Option<&'a str> {
        self.0
            .iter()
            .find(|(id, _)| Rc::ptr_eq(id, offering))
            .and_then(|(_, name)| *name)
    }
}

/// Absence rate of the last 30 days of `from..=to` minus that of the 30 days before, in points;
/// both windows are cut to the range.
fn change_30d(marks: &[StudentMark], from: Day, to: Day) -> Option<f64> {
    let back = |days: i64| to.checked_add_days(-days);
    let last_start = back(CHANGE_WINDOW_DAYS - 1)?.max(from);
    let prior_end = back(CHANGE_WINDOW_DAYS)?;
    if prior_end < from {
        return None;
    }
    let prior_start = back(2 * CHANGE_WINDOW_DAYS - 1).map_or(from, |d| d.max(from));
    // The marks are by date: each window is one run of them.
    let rate = |a: Day, b: Day| {
        let start = marks.partition_point(|m| m.date < a);
        let end = marks.partition_point(|m| m.date <= b);
        // The absence rate does not read the offerings' names.
        let window = marks[start..end].iter().map(|m| session(m, None));
        absence_rate_of(window, Some(a), Some(b))
    };
    let (last, prior) = (rate(last_start, to)?, rate(prior_start, prior_end)?);
    Some((last - prior) * 100.0)
}

/// Highest absence rate first, then by name (case ignored; unnamed last), then by id.
fn ranking(a: &SchoolRow, b: &SchoolRow) -> Ordering {
    let rate = |r: &SchoolRow| r.report.absence_rate.unwrap_or(-1.0);
    rate(b)
        .total_cmp(&rate(a))
        .then_with(|| crate::measures::by_name(&a.full_name, &b.full_name))
        .then_with(|| a.report.student_id.cmp(&b.report.student_id))
}
