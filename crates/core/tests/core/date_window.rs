//! The dates a new mark may have: today and the 400 days before, unless the user allows a date
//! outside them explicitly. The API has no delete: a typo like 2062 would be sent for ever.

use rollbook_core::checkin::import_marks_csv;
use rollbook_core::marks::{self, DateWindow, Origin};
use rollbook_core::store::Store;
use rollbook_core::Status::{Absent, Present};
use rollbook_core::{Day, Error};
use rstest::rstest;

use crate::common::*;

/// `today` moved by `days` (negative: earlier).
fn shifted(days: i64) -> Day {
    Day::from_date(today().date() + chrono::TimeDelta::days(days))
}

fn mark_on(store: &mut Store, window: DateWindow, date: Day) -> Result<bool, Error> {
    marks::record_mark(
        store,
        &clock(),
        window,
        "t",
        Origin::Cli,
        &id(MATH),
        &id(ANA),
        date,
        Absent,
    )
    .map(|o| o.changed)
}

#[rstest]
#[case::today(0, true)]
#[case::tomorrow(1, false)]
#[case::the_first_day_of_the_window(-400, true)]
#[case::the_day_before_it(-401, false)]
#[case::a_typo_years_ahead(365 * 38, false)]
fn a_mark_is_taken_only_inside_the_window(#[case] days: i64, #[case] accepted: bool) {
    let mut store = school();
    let date = shifted(days);
    let before = dump(&store);
    let result = mark_on(&mut store, DateWindow::new(today()), date);
    if accepted {
        assert_eq!(result.ok(), Some(true), "{date} is inside the window");
        return;
    }
    let err = result.expect_err("outside the window");
    assert_eq!(err.code(), "date_outside_window");
    assert!(err.is_user_input(), "the CLI exits 2 for it");
    let msg = err.to_string();
    for needle in [
        date.to_string(),
        shifted(-400).to_string(),
        today().to_string(),
    ] {
        assert!(msg.contains(&needle), "the message names {needle}: {msg}");
    }
    let json = serde_json::to_value(&err).expect("serializes");
    assert_eq!(json["date"], date.to_string());
    assert_eq!(json["first"], shifted(-400).to_string());
    assert_eq!(json["last"], today().to_string());
    assert_eq!(dump(&store), before, "a refused mark writes nothing");
}

#[rstest]
#[case::the_year_9999("9999-12-31")]
#[case::the_year_1("0001-01-01")]
#[case::a_typo_for_2024("2042-03-15")]
fn an_explicit_allow_takes_a_date_outside(#[case] date: &str) {
    let mut store = school();
    let window = DateWindow::new(today()).allow_outside(true);
    assert_eq!(mark_on(&mut store, window, day(date)).ok(), Some(true));
    let now = marks::current_mark(&store, &id(MATH), &id(ANA), day(date)).expect("read");
    assert_eq!(now, Some(Absent));
}

#[test]
fn mark_the_rest_present_refuses_a_date_outside_unless_allowed() {
    let mut store = school();
    let before = dump(&store);
    let date = shifted(1);
    let err = marks::mark_rest_present(
        &mut store,
        &clock(),
        DateWindow::new(today()),
        "t",
        &id(MATH),
        date,
    )
    .expect_err("tomorrow is outside");
    assert_eq!(err.code(), "date_outside_window");
    assert_eq!(dump(&store), before);
    let window = DateWindow::new(today()).allow_outside(true);
    let marked = marks::mark_rest_present(&mut store, &clock(), window, "t", &id(MATH), date)
        .expect("allowed");
    assert_eq!(marked.marked, 3);
    let now = marks::current_mark(&store, &id(MATH), &id(BRUNO), date).expect("read");
    assert_eq!(now, Some(Present));
}

#[test]
fn a_check_in_file_with_a_date_outside_is_rejected_naming_line_and_window() {
    let mut store = school();
    let before = dump(&store);
    let (late, early) = (shifted(30), shifted(-401));
    let csv = format!(
        "course_offering_id,student_id,attendance_date,status\n\
         {MATH},{ANA},{DATE},present\n\
         {MATH},{JOSE},{late},absent\n\
         {MATH},{BRUNO},{early},absent\n"
    );
    let window = DateWindow::new(today());
    let result = import_marks_csv(
        &mut store,
        &clock(),
        window,
        "gate",
        csv.as_bytes(),
        "in.csv",
    );
    let errors = row_errors(result);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let first = shifted(-400).to_string();
    for (line, date) in [(3, late), (4, early)] {
        assert_row_error(&errors, line, "attendance_date", &date.to_string());
        let e = errors.iter().find(|e| e.line == line).expect("row");
        assert!(
            e.reason.contains(&first) && e.reason.contains(DATE),
            "the reason names the window: {e:?}"
        );
    }
    assert_eq!(dump(&store), before, "nothing is half-written");

    let allowed = DateWindow::new(today()).allow_outside(true);
    let done = import_marks_csv(
        &mut store,
        &clock(),
        allowed,
        "gate",
        csv.as_bytes(),
        "in.csv",
    )
    .expect("allowed explicitly");
    assert_eq!(done.changed, 3);
}
