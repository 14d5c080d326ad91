//! Rosters: offerings, students and enrollments, imported from the school's SIS export (CSV).
//! The roll of an offering on a date is [`crate::roll::rows`].
//!
//! An import is all-or-nothing: every row is checked (format, conflicts inside the file,
//! conflicts with what is stored) before anything is written, and the write is one
//! transaction. A file covers the offerings it names: a re-import updates names and teachers,
//! adds and reactivates enrollments, and marks inactive the enrollments of the file's offerings
//! that the file no longer lists; offerings the file does not name are left as they are (a
//! teacher may import only some courses). Marks and history of inactive enrollments stay.
//!
//! A new enrollment id for a student already enrolled in the offering (a school's SIS that
//! renumbers) is a re-enrollment: the enrollment takes the new id, and the outbox items still
//! waiting to be sent carry it; what was already sent keeps the old id, as the server holds it.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use crate::csv_file::{self, Problems, Row};
use crate::error::Result;
use crate::ids::Id;
use crate::store::{Store, Writes};

/// The columns a roster file must have, in any order.
pub const ROSTER_COLUMNS: &[&str] = &[
    "course_offering_id",
    "course_name",
    "teacher_assignment_id",
    "course_enrollment_id",
    "student_id",
    "student_name",
];
const OFFERING: usize = 0;
const COURSE_NAME: usize = 1;
const TEACHER: usize = 2;
const ENROLLMENT: usize = 3;
const STUDENT: usize = 4;
const STUDENT_NAME: usize = 5;

#[derive(Debug, Clone, Serialize)]
pub struct Offering {
    pub id: Id,
    pub name: String,
    pub teacher_assignment_id: Id,
    pub active_students: u32,
}

/// What an import changed (or, for a preview, would change).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RosterChanges {
    /// Data rows read (blank rows are not counted).
    pub rows: u32,
    pub offerings_added: u32,
    pub offerings_renamed: u32,
    /// Offerings whose teacher_assignment_id changed.
    pub teachers_changed: u32,
    pub students_added: u32,
    pub students_renamed: u32,
    pub enrollments_added: u32,
    pub enrollments_reactivated: u32,
    pub enrollments_deactivated: u32,
    /// Enrollments the file gives a new id (same student and offering): the new id is used.
    pub enrollments_reenrolled: u32,
    /// Stored offerings the file does not name: left as they are.
    pub offerings_not_in_file: u32,
}

/// One fully valid roster row.
struct Line {
    line: u64,
    offering: Id,
    course_name: String,
    teacher: Id,
    enrollment: Id,
    student: Id,
    student_name: String,
}

/// What an import writes.
#[derive(Default)]
struct Plan {
    offerings: BTreeMap<Id, (String, Id)>,
    students: BTreeMap<Id, String>,
    /// enrollment -> (offering, student, first line in the file)
    enrollments: BTreeMap<Id, (Id, Id, u64)>,
    /// (stored id, the file's new id, offering, student) of re-enrollments.
    reenroll: Vec<(Id, Id, Id, Id)>,
    deactivate: Vec<Id>,
}

/// Checks a roster file and computes what importing it would change; writes nothing.
pub fn preview_roster_csv(store: &Store, bytes: &[u8], file_name: &str) -> Result<RosterChanges> {
    plan(store.conn(), bytes, file_name).map(|(changes, _)| changes)
}

/// Imports a roster file in one transaction, or rejects it whole with every bad row listed.
pub fn import_roster_csv(
    store: &mut Store,
    bytes: &[u8],
    file_name: &str,
) -> Result<RosterChanges> {
    let tx = store.transaction(Writes::Local)?;
    let (changes, plan) = plan(&tx, bytes, file_name)?;
    apply(&tx, &plan)?;
    tx.commit()?;
    Ok(changes)
}

/// Every offering, by name, with its number of active students.
pub fn offerings(store: &Store) -> Result<Vec<Offering>> {
    let mut stmt = store.conn().prepare(
        "SELECT o.id, o.name, o.teacher_assignment_id,
                (SELECT COUNT(*) FROM enrollment e WHERE e.offering_id = o.id AND e.active = 1)
         FROM offering o",
    )?;
    let mut list = stmt
        .query_map([], |r| {
            Ok(Offering {
                id: r.get(0)?,
                name: r.get(1)?,
                teacher_assignment_id: r.get(2)?,
                active_students: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    list.sort_by(|a, b| {
        sort_key(&a.name)
            .cmp(&sort_key(&b.name))
            .then(a.id.cmp(&b.id))
    });
    Ok(list)
}

/// A name as a reader expects it in a list: case and Spanish accents ignored, ñ after n.
pub fn sort_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => key.push('a'),
            'é' | 'è' | 'ê' | 'ë' => key.push('e'),
            'í' | 'ì' | 'î' | 'ï' => key.push('i'),
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => key.push('o'),
            'ú' | 'ù' | 'û' | 'ü' => key.push('u'),
            'ç' => key.push('c'),
            // In Spanish ñ is its own letter between n and o.
            'ñ' => key.push_str("n\u{10FFFF}"),
            c => key.push(c),
        }
    }
    key
}

fn plan(conn: &Connection, bytes: &[u8], file_name: &str) -> Result<(RosterChanges, Plan)> {
    let mut problems = Problems::default();
    let rows = csv_file::read(bytes, ROSTER_COLUMNS, &mut problems);
    let lines: Vec<Line> = rows
        .iter()
        .filter_map(|r| parse_line(r, &mut problems))
        .collect();
    // A header with no rows is a file cut short or exported empty, not a class without pupils.
    if rows.is_empty() && problems.is_empty() {
        problems.push(
            2,
            "student_id",
            "the file has a header but no rows: there is no one to enroll",
        );
    }
    let plan = check_file_conflicts(&lines, &mut problems);
    let mut changes = RosterChanges {
        rows: rows.len() as u32,
        ..RosterChanges::default()
    };
    let mut plan = plan;
    if problems.is_empty() {
        diff_with_store(conn, &mut plan, &mut changes, &mut problems)?;
    }
    problems.finish(file_name)?;
    plan.deactivate = deactivated(conn, &plan)?;
    changes.enrollments_deactivated = plan.deactivate.len() as u32;
    changes.enrollments_reenrolled = plan.reenroll.len() as u32;
    changes.offerings_not_in_file = not_in_file(conn, &plan)?;
    Ok((changes, plan))
}

fn parse_line(row: &Row, p: &mut Problems) -> Option<Line> {
    // Every cell is checked (no short-circuit) so each problem of the row is reported.
    let offering = row.id(OFFERING, p);
    let course_name = row.text(COURSE_NAME, p).map(str::to_string);
    let teacher = row.id(TEACHER, p);
    let enrollment = row.id(ENROLLMENT, p);
    let student = row.id(STUDENT, p);
    let student_name = row.text(STUDENT_NAME, p).map(str::to_string);
    Some(Line {
        line: row.line,
        offering: offering?,
        course_name: course_name?,
        teacher: teacher?,
        enrollment: enrollment?,
        student: student?,
        student_name: student_name?,
    })
}

/// Rows of one file must agree with each other; builds the plan from the first row of each.
fn check_file_conflicts(lines: &[Line], p: &mut Problems) -> Plan {
    let mut plan = Plan::default();
    let mut offering_line: BTreeMap<&Id, u64> = BTreeMap::new();
    let mut student_line: BTreeMap<&Id, u64> = BTreeMap::new();
    let mut pair: BTreeMap<(&Id, &Id), (&Id, u64)> = BTreeMap::new();
    for l in lines {
        let col = |c: usize| ROSTER_COLUMNS[c];
        if let Some((name, teacher)) = plan.offerings.get(&l.offering) {
            let first = offering_line.get(&l.offering).copied().unwrap_or(0);
            if *name != l.course_name {
                p.push(
                    l.line,
                    col(COURSE_NAME),
                    format!(
                        "offering {} is named {name:?} on line {first} but {:?} here",
                        l.offering, l.course_name
                    ),
                );
            }
            if *teacher != l.teacher {
                p.push(
                    l.line,
                    col(TEACHER),
                    format!(
                        "offering {} has teacher assignment {teacher} on line {first} but {} here",
                        l.offering, l.teacher
                    ),
                );
            }
        } else {
            plan.offerings.insert(
                l.offering.clone(),
                (l.course_name.clone(), l.teacher.clone()),
            );
            offering_line.insert(&l.offering, l.line);
        }
        if let Some(name) = plan.students.get(&l.student) {
            if *name != l.student_name {
                let first = student_line.get(&l.student).copied().unwrap_or(0);
                p.push(
                    l.line,
                    col(STUDENT_NAME),
                    format!(
                        "student {} is named {name:?} on line {first} but {:?} here",
                        l.student, l.student_name
                    ),
                );
            }
        } else {
            plan.students
                .insert(l.student.clone(), l.student_name.clone());
            student_line.insert(&l.student, l.line);
        }
        if let Some((off, stu, first)) = plan.enrollments.get(&l.enrollment) {
            if *off != l.offering || *stu != l.student {
                p.push(
                    l.line,
                    col(ENROLLMENT),
                    format!(
                        "enrollment {} is used on line {first} for student {stu} in offering \
                         {off}, and here for student {} in offering {}",
                        l.enrollment, l.student, l.offering
                    ),
                );
            }
        } else {
            match pair.get(&(&l.offering, &l.student)) {
                Some((other, first)) => p.push(
                    l.line,
                    col(ENROLLMENT),
                    format!(
                        "student {} is enrolled in offering {} as enrollment {other} on line \
                         {first}, and as {} here",
                        l.student, l.offering, l.enrollment
                    ),
                ),
                None => {
                    let value = (l.offering.clone(), l.student.clone(), l.line);
                    plan.enrollments.insert(l.enrollment.clone(), value);
                    pair.insert((&l.offering, &l.student), (&l.enrollment, l.line));
                }
            }
        }
    }
    plan
}

/// Counts what the plan changes against the store and reports enrollments that contradict it.
fn diff_with_store(
    conn: &Connection,
    plan: &mut Plan,
    changes: &mut RosterChanges,
    p: &mut Problems,
) -> Result<()> {
    for (id, (name, teacher)) in &plan.offerings {
        let stored: Option<(String, Id)> = conn
            .prepare_cached("SELECT name, teacher_assignment_id FROM offering WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match stored {
            None => changes.offerings_added += 1,
            Some((old_name, old_teacher)) => {
                changes.offerings_renamed += u32::from(old_name != *name);
                changes.teachers_changed += u32::from(old_teacher != *teacher);
            }
        }
    }
    for (id, name) in &plan.students {
        let stored: Option<String> = conn
            .prepare_cached("SELECT full_name FROM student WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        match stored {
            None => changes.students_added += 1,
            Some(old) => changes.students_renamed += u32::from(old != *name),
        }
    }
    let column = ROSTER_COLUMNS[ENROLLMENT];
    for (id, (offering, student, line)) in &plan.enrollments {
        let stored: Option<(Id, Id, bool)> = conn
            .prepare_cached("SELECT offering_id, student_id, active FROM enrollment WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        match stored {
            Some((o, s, _)) if o != *offering || s != *student => p.push(
                *line,
                column,
                format!(
                    "enrollment {id} is already stored for student {s} in offering {o}; an \
                     enrollment cannot move to another student or offering"
                ),
            ),
            Some((_, _, active)) => changes.enrollments_reactivated += u32::from(!active),
            None => {
                let other: Option<Id> = conn
                    .prepare_cached(
                        "SELECT id FROM enrollment WHERE offering_id = ?1 AND student_id = ?2",
                    )?
                    .query_row((offering, student), |r| r.get(0))
                    .optional()?;
                match other {
                    Some(other) => {
                        let r = (other, id.clone(), offering.clone(), student.clone());
                        plan.reenroll.push(r);
                    }
                    None => changes.enrollments_added += 1,
                }
            }
        }
    }
    Ok(())
}

/// Stored offerings the file does not name.
fn not_in_file(conn: &Connection, plan: &Plan) -> Result<u32> {
    let mut stmt = conn.prepare_cached("SELECT id FROM offering")?;
    let mut count = 0;
    for id in stmt.query_map([], |r| r.get::<_, Id>(0))? {
        count += u32::from(!plan.offerings.contains_key(&id?));
    }
    Ok(count)
}

/// Active enrollments of the file's offerings that the file no longer lists (a re-enrolled
/// one is listed under its new id).
fn deactivated(conn: &Connection, plan: &Plan) -> Result<Vec<Id>> {
    let listed: BTreeSet<&Id> = plan
        .enrollments
        .keys()
        .chain(plan.reenroll.iter().map(|(old, ..)| old))
        .collect();
    let mut gone = Vec::new();
    let mut stmt =
        conn.prepare_cached("SELECT id FROM enrollment WHERE offering_id = ?1 AND active = 1")?;
    for offering in plan.offerings.keys() {
        for id in stmt.query_map([offering], |r| r.get::<_, Id>(0))? {
            let id = id?;
            if !listed.contains(&id) {
                gone.push(id);
            }
        }
    }
    Ok(gone)
}

fn apply(conn: &Connection, plan: &Plan) -> Result<()> {
    let mut offering = conn.prepare_cached(
        "INSERT INTO offering (id, name, teacher_assignment_id) VALUES (?1, ?2, ?3)
         ON CONFLICT (id) DO UPDATE
            SET name = excluded.name, teacher_assignment_id = excluded.teacher_assignment_id",
    )?;
    for (id, (name, teacher)) in &plan.offerings {
        offering.execute((id, name, teacher))?;
    }
    let mut student = conn.prepare_cached(
        "INSERT INTO student (id, full_name) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET full_name = excluded.full_name",
    )?;
    for (id, name) in &plan.students {
        student.execute((id, name))?;
    }
    // A re-enrollment: the enrollment row takes the new id (the old one is not referenced by
    // any table: what was sent carries its own copy), and so do the items still to be sent.
    let mut renumber = conn.prepare_cached("UPDATE enrollment SET id = ?2 WHERE id = ?1")?;
    let mut pending = conn.prepare_cached(
        "UPDATE outbox SET enrollment_id = ?1
          WHERE offering_id = ?2 AND student_id = ?3 AND state = 'pending'",
    )?;
    for (old, new, offering, student) in &plan.reenroll {
        renumber.execute((old, new))?;
        pending.execute((new, offering, student))?;
    }
    let mut enrollment = conn.prepare_cached(
        "INSERT INTO enrollment (id, offering_id, student_id, active) VALUES (?1, ?2, ?3, 1)
         ON CONFLICT (id) DO UPDATE SET active = 1",
    )?;
    for (id, (offering, student, _)) in &plan.enrollments {
        enrollment.execute((id, offering, student))?;
    }
    let mut deactivate = conn.prepare_cached("UPDATE enrollment SET active = 0 WHERE id = ?1")?;
    for id in &plan.deactivate {
        deactivate.execute([id])?;
    }
    Ok(())
}
