//! Check-in import: a CSV of marks from a school's check-in system (`course_offering_id`,
//! `student_id`, `attendance_date`, `status`). All-or-nothing like the roster import: every row
//! is checked first, then all are applied in one transaction as one action (origin `import`),
//! so one undo per offering and date takes them back. A date outside the [`DateWindow`] is a
//! row error unless the window allows it.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension;
use serde::Serialize;

use crate::clock::Clock;
use crate::csv_file::{self, Problems, Row};
use crate::error::Result;
use crate::ids::{Day, Id, Status};
use crate::mark_change::{describe_offering, ChangeWriter, Enrolled, MarkKey};
use crate::marks::{DateWindow, Origin};
use crate::store::{Store, Writes};

/// The columns a check-in file must have, in any order.
pub const MARKS_COLUMNS: &[&str] = &[
    "course_offering_id",
    "student_id",
    "attendance_date",
    "status",
];
const OFFERING: usize = 0;
const STUDENT: usize = 1;
const DATE: usize = 2;
const STATUS: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MarksImport {
    /// Data rows read (blank rows are not counted).
    pub rows: u32,
    /// Rows that changed a mark.
    pub changed: u32,
    /// Rows equal to the mark already stored (or repeating an earlier row).
    pub unchanged: u32,
}

struct Line {
    offering: Id,
    student: Id,
    date: Day,
    status: Status,
    target: Enrolled,
}

/// Checks a check-in file and applies it in one transaction, or rejects it whole.
pub fn import_marks_csv(
    store: &mut Store,
    clock: &dyn Clock,
    window: DateWindow,
    actor: &str,
    bytes: &[u8],
    file_name: &str,
) -> Result<MarksImport> {
    let tx = store.transaction(Writes::Local)?;
    let mut problems = Problems::default();
    let rows = csv_file::read(bytes, MARKS_COLUMNS, &mut problems);
    let mut lines = Vec::with_capacity(rows.len());
    let mut seen: BTreeMap<(Id, Id, Day), (Status, u64)> = BTreeMap::new();
    for row in &rows {
        let Some(line) = check_row(&tx, row, window, &mut problems)? else {
            continue;
        };
        let key = (line.offering.clone(), line.student.clone(), line.date);
        match seen.get(&key) {
            Some((status, first)) if *status != line.status => problems.push(
                row.line,
                MARKS_COLUMNS[STATUS],
                format!(
                    "{:?} contradicts line {first}, which marks the same student, offering and \
                     date {:?}",
                    line.status.as_str(),
                    status.as_str()
                ),
            ),
            Some(_) => {}
            None => {
                seen.insert(key, (line.status, row.line));
            }
        }
        lines.push(line);
    }
    problems.finish(file_name)?;
    let mut changed = 0;
    {
        let writer = ChangeWriter::begin(&tx, clock, actor, Origin::Import)?;
        for l in &lines {
            let key = MarkKey {
                offering: &l.offering,
                student: &l.student,
                date: l.date,
            };
            if writer.set(key, &l.target, Some(l.status))?.is_some() {
                changed += 1;
            }
        }
    }
    tx.commit()?;
    let rows = rows.len() as u32;
    Ok(MarksImport {
        rows,
        changed,
        unchanged: rows - changed,
    })
}

/// A row's values, and the student's active enrollment; `None` with problems reported.
fn check_row(
    conn: &rusqlite::Connection,
    row: &Row,
    window: DateWindow,
    p: &mut Problems,
) -> Result<Option<Line>> {
    let offering = row.id(OFFERING, p);
    let student = row.id(STUDENT, p);
    let date = row.day(DATE, p).filter(|&date| match window.check(date) {
        Ok(()) => true,
        Err(outside) => {
            p.push(row.line, MARKS_COLUMNS[DATE], outside.to_string());
            false
        }
    });
    let status = row.status(STATUS, p);
    let (Some(offering), Some(student), Some(date), Some(status)) =
        (offering, student, date, status)
    else {
        return Ok(None);
    };
    let teacher: Option<Id> = conn
        .prepare_cached("SELECT teacher_assignment_id FROM offering WHERE id = ?1")?
        .query_row([&offering], |r| r.get(0))
        .optional()?;
    let Some(teacher) = teacher else {
        p.push(
            row.line,
            MARKS_COLUMNS[OFFERING],
            format!("no offering {offering} is stored here; import a roster that lists it first"),
        );
        return Ok(None);
    };
    let enrollment: Option<(Id, bool)> = conn
        .prepare_cached(
            "SELECT id, active FROM enrollment WHERE offering_id = ?1 AND student_id = ?2",
        )?
        .query_row((&offering, &student), |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match enrollment {
        Some((enrollment, true)) => Ok(Some(Line {
            offering,
            student,
            date,
            status,
            target: Enrolled {
                enrollment,
                teacher,
            },
        })),
        found => {
            let why = if found.is_some() {
                "is no longer enrolled in"
            } else {
                "is not enrolled in"
            };
            p.push(
                row.line,
                MARKS_COLUMNS[STUDENT],
                format!(
                    "student {student} {why} {}",
                    describe_offering(conn, &offering)?
                ),
            );
            Ok(None)
        }
    }
}
