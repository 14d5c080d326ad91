//! Fixtures shared by the core tests: a small school, a fixed clock, and a dump of every table
//! to compare a database before and after.

#![allow(dead_code)]

use rollbook_core::clock::FixedClock;
use rollbook_core::error::RowError;
use rollbook_core::marks::{self, DateWindow, MarkOutcome, Origin};
use rollbook_core::roster;
use rollbook_core::store::Store;
use rollbook_core::{Day, Error, Id, Status};

/// An instant written as RFC 3339 (read by chrono, not by the code under test).
pub fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().expect("a test instant")
}

/// A calendar date.
pub fn ymd(year: i32, month: u32, day: u32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(year, month, day).expect("a test date")
}

pub const MATH: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
pub const SCIENCE: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e";
pub const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
pub const TEACHER2: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6f";
pub const JOSE: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
pub const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
pub const BRUNO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000003";
pub const CARLA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000004";
/// Enrollments: JOSE, ANA, BRUNO in MATH; JOSE in SCIENCE.
pub const E_JOSE_MATH: &str = "c3d4e5f6-a7b8-4c9d-0e1f-000000000001";
pub const E_ANA_MATH: &str = "c3d4e5f6-a7b8-4c9d-0e1f-000000000002";
pub const E_BRUNO_MATH: &str = "c3d4e5f6-a7b8-4c9d-0e1f-000000000003";
pub const E_JOSE_SCIENCE: &str = "c3d4e5f6-a7b8-4c9d-0e1f-000000000004";
pub const E_CARLA_MATH: &str = "c3d4e5f6-a7b8-4c9d-0e1f-000000000005";

pub const HEADER: &str =
    "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,student_name";

/// The school's roster as the SIS exports it (comma separated, accents, a quoted comma).
pub fn roster_csv() -> String {
    format!(
        "{HEADER}\n\
         {MATH},Matemáticas 7A,{TEACHER},{E_JOSE_MATH},{JOSE},\"Muñoz, José\"\n\
         {MATH},Matemáticas 7A,{TEACHER},{E_ANA_MATH},{ANA},Ana Álvarez\n\
         {MATH},Matemáticas 7A,{TEACHER},{E_BRUNO_MATH},{BRUNO},bruno Díaz\n\
         {SCIENCE},Ciencias 7A,{TEACHER},{E_JOSE_SCIENCE},{JOSE},\"Muñoz, José\"\n"
    )
}

pub fn id(s: &str) -> Id {
    Id::parse(s).expect("test id")
}

pub fn day(s: &str) -> Day {
    Day::parse(s).expect("test date")
}

pub const DATE: &str = "2024-03-15";

pub fn today() -> Day {
    day(DATE)
}

pub fn clock() -> FixedClock {
    FixedClock::new(utc("2024-03-15T08:00:00Z"))
}

/// The dates a mark may have when today is [`DATE`].
pub fn window() -> DateWindow {
    DateWindow::new(today())
}

/// Any date allowed: for the tests about something else that mark days after [`DATE`].
pub fn any_date() -> DateWindow {
    window().allow_outside(true)
}

/// An in-memory store with the school's roster imported.
pub fn school() -> Store {
    let mut store = Store::open_in_memory().expect("open store");
    roster::import_roster_csv(&mut store, roster_csv().as_bytes(), "roster.csv")
        .expect("the sample roster imports");
    store
}

/// Records a mark in MATH on [`DATE`] from the grid.
pub fn mark(store: &mut Store, clock: &FixedClock, student: &str, status: Status) -> MarkOutcome {
    try_mark(store, clock, student, status).expect("mark is recorded")
}

pub fn try_mark(
    store: &mut Store,
    clock: &FixedClock,
    student: &str,
    status: Status,
) -> Result<MarkOutcome, Error> {
    try_mark_on(store, clock, MATH, student, DATE, status)
}

/// Records a mark in `offering` on `date` from the grid, a second after the last one.
pub fn try_mark_on(
    store: &mut Store,
    clock: &FixedClock,
    offering: &str,
    student: &str,
    date: &str,
    status: Status,
) -> Result<MarkOutcome, Error> {
    clock.advance(chrono::TimeDelta::seconds(1));
    marks::record_mark(
        store,
        clock,
        window(),
        "teacher:ana",
        Origin::Grid,
        &id(offering),
        &id(student),
        day(date),
        status,
    )
}

pub fn current(store: &Store, student: &str) -> Option<Status> {
    marks::current_mark(store, &id(MATH), &id(student), today()).expect("read mark")
}

/// Outbox items of a student's MATH mark on [`DATE`]: (id, status, state), oldest first.
pub fn outbox_of(store: &Store, student: &str) -> Vec<(i64, String, String)> {
    let mut stmt = store
        .conn()
        .prepare(
            "SELECT id, status, state FROM outbox
             WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3 ORDER BY id",
        )
        .expect("prepare");
    stmt.query_map((MATH, student, DATE), |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .expect("query")
    .collect::<rusqlite::Result<_>>()
    .expect("rows")
}

/// Simulates the sync engine moving an item to a state (e.g. delivered: `synced`).
pub fn set_item_state(store: &Store, item: i64, state: &str) {
    store
        .conn()
        .execute("UPDATE outbox SET state = ?2 WHERE id = ?1", (item, state))
        .expect("set outbox state");
}

/// Every row of every table, as text: equal dumps mean equal content.
pub fn dump(store: &Store) -> String {
    let conn = store.conn();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("list tables");
    let mut out = String::new();
    for table in tables {
        out.push_str(&format!("== {table}\n"));
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
            .expect("sel");
        let n = stmt.column_count();
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            let cells: Vec<String> = (0..n)
                .map(|i| format!("{:?}", row.get_ref(i).expect("cell")))
                .collect();
            out.push_str(&cells.join(" | "));
            out.push('\n');
        }
    }
    out
}

/// The row errors of a rejected file (panics, saying why, if the file was accepted).
pub fn row_errors(result: Result<impl std::fmt::Debug, Error>) -> Vec<RowError> {
    match result {
        Err(Error::BadFile { rows, .. }) => rows,
        other => panic!("a bad file must be rejected with its rows listed, got {other:?}"),
    }
}

/// Asserts one error at (line, column) whose reason contains `reason`.
pub fn assert_row_error(errors: &[RowError], line: u64, column: &str, reason: &str) {
    assert!(
        errors
            .iter()
            .any(|e| e.line == line && e.column == column && e.reason.contains(reason)),
        "the user must be told line {line}, column {column}: …{reason}…; got {errors:#?}"
    );
}
