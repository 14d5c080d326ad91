//! A full disk: SQLite's `max_page_count` capped at the database's current size makes every
//! write that needs a new page fail as a full disk would (SQLITE_FULL). Chmod-based read-only
//! tests do not bind as root (CI), this does. The store must give a clear error and lose
//! nothing already saved.

use rollbook_core::checkin::import_marks_csv;
use rollbook_core::marks::{self, Origin};
use rollbook_core::roster;
use rollbook_core::store::Store;
use rollbook_core::{Error, Status};

use crate::common::*;

fn file_school(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::open(&dir.path().join("rollbook.db")).expect("open store");
    roster::import_roster_csv(&mut store, roster_csv().as_bytes(), "roster.csv")
        .expect("the sample roster imports");
    store
}

fn cap_at_current_size(store: &Store) {
    let pages: i64 = store
        .conn()
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page_count");
    let set: i64 = store
        .conn()
        .query_row(&format!("PRAGMA max_page_count = {pages}"), [], |r| {
            r.get(0)
        })
        .expect("max_page_count");
    assert_eq!(set, pages, "the cap is in force");
}

fn uncap(store: &Store) {
    store
        .conn()
        .query_row("PRAGMA max_page_count = 1073741823", [], |r| {
            r.get::<_, i64>(0)
        })
        .expect("max_page_count");
}

fn assert_disk_error(e: &Error) {
    assert_eq!(e.code(), "database", "a full disk is a database error: {e}");
    assert!(
        e.to_string().len() > "database error: ".len(),
        "the message says what happened: {e}"
    );
}

/// The day `n` days after 2024-01-01, as YYYY-MM-DD.
fn nth_day(n: i64) -> String {
    let d = ymd(2024, 1, 1) + chrono::TimeDelta::days(n);
    d.format("%Y-%m-%d").to_string()
}

#[test]
fn a_full_disk_refuses_marks_clearly_and_keeps_the_saved_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = file_school(&dir);
    let c = clock();
    mark(&mut store, &c, JOSE, Status::Absent);
    mark(&mut store, &c, ANA, Status::Late);
    cap_at_current_size(&store);

    // Marks on new dates until the file would have to grow.
    let mut saved = Vec::new();
    let mut failure = None;
    for n in 0..5000 {
        let date = nth_day(n);
        c.advance(chrono::TimeDelta::seconds(1));
        match marks::record_mark(
            &mut store,
            &c,
            any_date(),
            "teacher",
            Origin::Grid,
            &id(MATH),
            &id(BRUNO),
            day(&date),
            Status::Excused,
        ) {
            Ok(_) => saved.push(date),
            Err(e) => {
                failure = Some((date, e));
                break;
            }
        }
    }
    let (failed_date, e) = failure.expect("a capped database eventually refuses a write");
    assert_disk_error(&e);
    let before = dump(&store);

    // The refused mark left nothing behind: no mark, no history, no outbox item.
    assert_eq!(
        marks::current_mark(&store, &id(MATH), &id(BRUNO), day(&failed_date)).expect("read"),
        None,
        "a refused mark is not half-written"
    );
    let stray: i64 = store
        .conn()
        .query_row(
            "SELECT (SELECT COUNT(*) FROM outbox WHERE date = ?1)
                  + (SELECT COUNT(*) FROM mark_change WHERE date = ?1)",
            [&failed_date],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(
        stray, 0,
        "the outbox and history are written with the mark or not at all"
    );

    // Imports are refused too, and change nothing.
    let csv = format!(
        "course_offering_id,student_id,attendance_date,status\n{MATH},{JOSE},{},present\n\
         {MATH},{ANA},{},present\n",
        nth_day(9000),
        nth_day(9000)
    );
    if let Err(e) = import_marks_csv(
        &mut store,
        &c,
        any_date(),
        "checkin",
        csv.as_bytes(),
        "in.csv",
    ) {
        assert_disk_error(&e);
    }
    let mut big = String::from(HEADER);
    big.push('\n');
    for i in 0..400 {
        big.push_str(&format!(
            "{MATH},Matemáticas 7A,{TEACHER},c3d4e5f6-a7b8-4c9d-0e1f-1{i:011},\
             d4e5f6a7-b8c9-4d0e-a1b2-1{i:011},Estudiante con un nombre largo {i}\n"
        ));
    }
    let e = roster::import_roster_csv(&mut store, big.as_bytes(), "big.csv")
        .expect_err("a roster of 400 students does not fit");
    assert_disk_error(&e);
    assert_eq!(dump(&store), before, "refused writes change nothing");

    // Everything saved before is still there, unchanged; freeing space makes it work again.
    let d = day(DATE);
    let status = |s: &str, date| marks::current_mark(&store, &id(MATH), &id(s), date);
    assert_eq!(status(JOSE, d).expect("read"), Some(Status::Absent));
    assert_eq!(status(ANA, d).expect("read"), Some(Status::Late));
    for date in &saved {
        assert_eq!(
            status(BRUNO, day(date)).expect("read"),
            Some(Status::Excused),
            "a mark saved before the disk filled is kept"
        );
    }
    drop(store);
    let mut store = Store::open(&dir.path().join("rollbook.db")).expect("reopen after failure");
    let ok: String = store
        .conn()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(ok, "ok");
    assert_eq!(
        dump(&store),
        before,
        "the file on disk holds exactly what was saved"
    );
    // The cap is per connection; lifting it explicitly documents that space is back.
    uncap(&store);
    mark(&mut store, &c, BRUNO, Status::Present);
}
