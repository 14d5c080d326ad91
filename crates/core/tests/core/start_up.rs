//! What the window reads when it starts, on a database holding months of a teacher's marks and
//! a counselor's cache of server records: every statement the start-up runs (the engine's
//! recovery and status, Today, the rolls still to take, the refresh targets, the first roll and
//! its counts) is traced and its query plan read. None may scan a large table row by row: the
//! cost of a start-up must not grow with the years of data behind it.

use std::sync::Mutex;

use athena_sim::{format_date, SampleSchool};
use chrono::TimeDelta;
use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::marks::{self, DateWindow, Origin};
use rollbook_core::store::Store;
use rollbook_core::sync::{
    load_status, refresh_targets, ApiClient, ApiConfig, BaseUrl, Engine, EngineConfig, TokenSource,
};
use rollbook_core::{roll, roster, Day, Id, Status};
use rusqlite::trace::{TraceEvent, TraceEventCodes};

/// The tables that grow with the years: a start-up reads them through an index only.
const LARGE: [&str; 5] = [
    "mark",
    "mark_change",
    "outbox",
    "server_record",
    "mark_seen",
];

/// Whole reads that are the answer itself: the status's count of changes by state (pending,
/// synced, ...) counts the entries of the state index, one per change ever made (a teacher's
/// year is about 33,000, a few milliseconds); nothing else reads so much.
const COUNTS_BY_STATE: &str = "SELECT state, COUNT(*) FROM outbox GROUP BY state";

/// The aliases the queries give the large tables (a plan names the alias). `o` is not one: it
/// is the outbox in some queries and the offering in others.
const TABLE_ALIASES: [(&str, &str); 2] = [("m", "mark"), ("r", "server_record")];

static TRACED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn traced(event: TraceEvent<'_>) {
    if let TraceEvent::Stmt(_, sql) = event {
        TRACED.lock().unwrap().push(sql.to_owned());
    }
}

fn trace(store: &Store, on: bool) {
    store.conn().trace_v2(
        TraceEventCodes::SQLITE_TRACE_STMT,
        on.then_some(traced as fn(TraceEvent<'_>)),
    );
}

/// The plan's lines that read a large table whole, `SCAN t` (with or without an index: a
/// covering index scanned from end to end still reads every row's entry), or the whole history
/// of a class or a student: a `SEARCH` whose only keys are the offering or the student, with no
/// date (e.g. `SEARCH m USING PRIMARY KEY (offering_id=?)` for one day's roll reads every day).
fn scans(store: &Store, sql: &str) -> Vec<String> {
    let mut stmt = store
        .conn()
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("{e}: {sql}"));
    // Parameters unbound: the plan does not depend on their values.
    let nulls = std::iter::repeat_n(rusqlite::types::Null, stmt.parameter_count());
    let details: Vec<String> = stmt
        .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    details
        .into_iter()
        .filter(|d| {
            let words: Vec<&str> = d.split_whitespace().collect();
            let large = words
                .get(1)
                .is_some_and(|t| LARGE.contains(t) || TABLE_ALIASES.iter().any(|(a, _)| a == t));
            let keys = d.rfind('(').map_or("", |at| &d[at..]);
            let whole_history = matches!(
                keys,
                "(offering_id=?)" | "(student_id=?)" | "(offering_id=? AND student_id=?)"
            );
            large
                && (words.first() == Some(&"SCAN")
                    || (words.first() == Some(&"SEARCH") && whole_history))
        })
        .collect()
}

#[test]
fn nothing_at_start_up_scans_a_table_that_grows_with_the_years() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("rollbook.db")).unwrap();
    // Six classes of 30, a counselor's pull of 40 classes, 20 school days of this teacher's marks.
    let school = SampleSchool::generate_sized(7, 40, 30);
    roster::import_roster_csv(&mut store, school.roster_csv().as_bytes(), "roster.csv").unwrap();
    let today = athena_sim::today_utc();
    {
        let tx = store.conn_mut().transaction().unwrap();
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                         enrollment_id, student_id, date, status, recorded_at, recorded_at_us,
                         fetched_at)
                     VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, '2026-01-01T00:00:00Z', ?8,
                             '2026-01-01T00:00:00Z')",
                )
                .unwrap();
            for (n, r) in school
                .history(today - TimeDelta::days(1), 60)
                .iter()
                .enumerate()
            {
                insert
                    .execute(rusqlite::params![
                        r.id.to_string(),
                        r.course_offering_id.to_string(),
                        r.teacher_assignment_id.to_string(),
                        r.course_enrollment_id.to_string(),
                        r.student_id.to_string(),
                        format_date(r.attendance_date),
                        r.status.to_string(),
                        n as i64
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let clock = SystemClock;
    let offerings: Vec<Id> = school
        .offerings
        .iter()
        .take(6)
        .map(|o| Id::parse(&o.id.to_string()).unwrap())
        .collect();
    let mut first = None;
    for (o, offering) in school.offerings.iter().take(6).enumerate() {
        for e in school.enrollments_of(offering.id).into_iter().take(30) {
            for d in 0..20 {
                let date = Day::parse(&format_date(today - TimeDelta::days(d))).unwrap();
                let student = Id::parse(&e.student_id.to_string()).unwrap();
                marks::record_mark(
                    &mut store,
                    &clock,
                    DateWindow::new(date).allow_outside(true),
                    "teacher",
                    Origin::Grid,
                    &offerings[o],
                    &student,
                    date,
                    Status::ALL[(d as usize + o) % 4],
                )
                .unwrap();
                first.get_or_insert(date);
            }
        }
    }
    let day = Day::parse(&format_date(today)).unwrap();

    TRACED.lock().unwrap().clear();
    // The engine's start on its own connection: items a crash left sending, the first status.
    let engine_store = Store::open(&dir.path().join("rollbook.db")).unwrap();
    trace(&engine_store, true);
    let api = ApiClient::new(ApiConfig::new(
        BaseUrl::parse("http://127.0.0.1:9").unwrap(),
    ))
    .unwrap();
    let engine = Engine::new(
        engine_store,
        api,
        TokenSource::fixed("start-up-token"),
        std::sync::Arc::new(SystemClock),
        EngineConfig::default(),
    )
    .unwrap();
    trace(engine.store(), false);
    // The window's first commands on the app's connection.
    trace(&store, true);
    load_status(&store, clock.now()).unwrap();
    roll::today(&store, day).unwrap();
    roll::missing_rolls(&store, day, 14).unwrap();
    refresh_targets(&store, day).unwrap();
    assert_eq!(roll::rows(&store, &offerings[0], day).unwrap().len(), 30);
    marks::counts(&store, &offerings[0], day).unwrap();
    trace(&store, false);

    let statements: Vec<String> = std::mem::take(&mut *TRACED.lock().unwrap());
    assert!(statements.len() >= 7, "the start-up ran: {statements:?}");
    assert!(
        statements.iter().any(|s| s.trim() == COUNTS_BY_STATE),
        "the counts by state are read as allowed here: {statements:?}"
    );
    let mut found = Vec::new();
    for sql in &statements {
        let head = sql.trim_start().to_ascii_uppercase();
        let reads = ["SELECT", "WITH", "UPDATE", "DELETE"];
        if !reads.iter().any(|r| head.starts_with(r)) || sql.trim() == COUNTS_BY_STATE {
            continue;
        }
        for line in scans(&store, sql) {
            found.push(format!(
                "{line}\n    in: {}",
                sql.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    assert!(
        found.is_empty(),
        "start-up statements that read a large table whole:\n{}",
        found.join("\n")
    );
}
