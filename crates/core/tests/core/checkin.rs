//! Check-in import: a file of marks from a check-in system, all-or-nothing.

use rollbook_core::checkin::{import_marks_csv, MarksImport};
use rollbook_core::marks;
use rollbook_core::store::Store;
use rollbook_core::Error;
use rollbook_core::Status::{Absent, Late, Present};
use rstest::rstest;

use crate::common::*;

const MARKS_HEADER: &str = "course_offering_id,student_id,attendance_date,status";

fn import(store: &mut Store, csv: &str) -> Result<MarksImport, Error> {
    import_marks_csv(
        store,
        &clock(),
        window(),
        "checkin:gate",
        csv.as_bytes(),
        "checkin.csv",
    )
}

#[test]
fn a_good_file_marks_students_as_one_import_action() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, BRUNO, Late);
    // Any column order, extra columns, `;`, capitalized statuses as exports often write them.
    let csv = format!(
        "status;device;attendance_date;student_id;course_offering_id\n\
         Present;gate-1;{DATE};{ANA};{MATH}\n\
         absent;gate-1;{DATE};{JOSE};{MATH}\n\
         late;gate-2;{DATE};{BRUNO};{MATH}\n\
         present;gate-1;{DATE};{ANA};{MATH}\n"
    );
    let result = import(&mut store, &csv).expect("accepted");
    assert_eq!(
        result,
        MarksImport {
            rows: 4,
            changed: 2,
            unchanged: 2
        },
        "Bruno was already late and Ana's second row repeats the first"
    );
    assert_eq!(
        (current(&store, ANA), current(&store, JOSE)),
        (Some(Present), Some(Absent))
    );
    let actions: Vec<(i64, String, String)> = store
        .conn()
        .prepare("SELECT action, origin, actor FROM mark_change WHERE origin = 'import'")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .expect("rows");
    assert_eq!(actions.len(), 2, "unchanged rows write no history");
    assert_eq!(actions[0], actions[1], "one file is one action, one undo");
    assert_eq!(actions[0].2, "checkin:gate");

    let before = dump(&store);
    let again = import(&mut store, &csv).expect("same file again");
    assert_eq!(
        again,
        MarksImport {
            rows: 4,
            changed: 0,
            unchanged: 4
        }
    );
    assert_eq!(
        dump(&store),
        before,
        "re-importing the same file changes nothing"
    );
}

#[rstest]
#[case::bad_offering_id(format!("not-a-uuid,{ANA},{DATE},present"), "course_offering_id", "\"not-a-uuid\" is not a UUID")]
#[case::unknown_offering(format!("{TEACHER},{ANA},{DATE},present"), "course_offering_id", "no offering")]
#[case::bad_student_id(format!("{MATH},{ANA}x,{DATE},present"), "student_id", "is not a UUID")]
#[case::impossible_date(format!("{MATH},{ANA},2024-02-30,present"), "attendance_date", "\"2024-02-30\" is not a date: no such day in the calendar")]
#[case::date_in_another_form(format!("{MATH},{ANA},15/03/2024,present"), "attendance_date", "\"15/03/2024\" is not a date: expected YYYY-MM-DD")]
#[case::unknown_status(format!("{MATH},{ANA},{DATE},tardy"), "status", "\"tardy\" is not a status: expected present, absent, late or excused")]
#[case::empty_status(format!("{MATH},{ANA},{DATE},"), "status", "is empty")]
#[case::student_not_enrolled(format!("{SCIENCE},{ANA},{DATE},present"), "student_id", "is not enrolled in offering Ciencias 7A")]
#[case::student_unknown(format!("{MATH},{CARLA},{DATE},present"), "student_id", "is not enrolled")]
#[case::contradicting_rows(format!("{MATH},{JOSE},{DATE},absent"), "status", "contradicts line 2")]
fn each_kind_of_bad_row_is_named(#[case] bad: String, #[case] column: &str, #[case] reason: &str) {
    let mut store = school();
    let before = dump(&store);
    let csv = format!("{MARKS_HEADER}\n{MATH},{JOSE},{DATE},present\n{bad}\n");
    let errors = row_errors(import(&mut store, &csv));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_row_error(&errors, 3, column, reason);
    assert_eq!(
        dump(&store),
        before,
        "the good row must not be applied either"
    );
}

#[test]
fn a_student_who_left_the_roster_is_an_error() {
    let mut store = school();
    store
        .conn()
        .execute(
            "UPDATE enrollment SET active = 0 WHERE id = ?1",
            [E_BRUNO_MATH],
        )
        .expect("deactivate");
    let csv = format!("{MARKS_HEADER}\n{MATH},{BRUNO},{DATE},present\n");
    let errors = row_errors(import(&mut store, &csv));
    assert_row_error(&errors, 2, "student_id", "is no longer enrolled");
}

#[test]
fn a_rejected_file_changes_nothing_even_with_marks_already_there() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Absent);
    let before = dump(&store);
    let csv = format!(
        "{MARKS_HEADER}\n{MATH},{ANA},{DATE},present\n{MATH},{JOSE},{DATE},present\n\
         {MATH},{BRUNO},2024-13-01,present\n"
    );
    let errors = row_errors(import(&mut store, &csv));
    assert_row_error(&errors, 4, "attendance_date", "no such day");
    assert_eq!(dump(&store), before, "all-or-nothing");
    let history = marks::history(&store, &id(MATH), &id(ANA), today()).expect("history");
    assert_eq!(history.len(), 1);
}

#[test]
fn a_missing_column_is_named() {
    let mut store = school();
    let errors = row_errors(import(
        &mut store,
        "course_offering_id,student_id,date,status\n",
    ));
    assert_row_error(&errors, 1, "attendance_date", "required column is missing");
}

#[test]
fn a_header_only_file_imports_nothing() {
    let mut store = school();
    let result = import(&mut store, &format!("{MARKS_HEADER}\n")).expect("empty is fine");
    assert_eq!(
        result,
        MarksImport {
            rows: 0,
            changed: 0,
            unchanged: 0
        }
    );
}

#[rstest]
#[case::one_cell_too_many(format!("{MATH},{ANA},{DATE},present,gate-1"), "has 5 cells")]
#[case::a_name_with_an_unquoted_comma(format!("{MATH},{ANA},{DATE},present,x,y"), "has 6 cells")]
#[case::one_cell_too_few(format!("{MATH},{ANA},{DATE}"), "this row has 3 cells")]
fn a_row_whose_cells_do_not_match_the_header_is_a_row_error(
    #[case] bad: String,
    #[case] reason: &str,
) {
    let mut store = school();
    let before = dump(&store);
    let csv = format!("{MARKS_HEADER}\n{MATH},{JOSE},{DATE},present\n{bad}\n");
    let errors = row_errors(import(&mut store, &csv));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].line, 3, "{errors:#?}");
    assert!(
        errors[0].reason.contains(reason) && errors[0].reason.contains("the header has 4"),
        "{errors:#?}"
    );
    assert_eq!(dump(&store), before, "nothing of the file is applied");
}

#[test]
fn empty_cells_after_the_last_column_are_not_extra_cells() {
    // Spreadsheets pad short rows with separators when another row is longer.
    let mut store = school();
    let csv = format!("{MARKS_HEADER}\n{MATH},{JOSE},{DATE},present,,\n");
    let result = import(&mut store, &csv).expect("trailing empty cells carry nothing");
    assert_eq!(result.changed, 1);
}

#[test]
fn a_file_with_thousands_of_bad_rows_lists_the_first_50_and_counts_the_rest() {
    let mut store = school();
    let mut csv = format!("{MARKS_HEADER}\n");
    for _ in 0..120 {
        csv.push_str(&format!("{MATH},{JOSE},{DATE},tardy\n"));
    }
    match import(&mut store, &csv) {
        Err(Error::BadFile {
            rows, more_rows, ..
        }) => {
            assert_eq!(rows.len(), 50, "the first 50 problems are listed");
            assert_eq!((rows[0].line, rows[49].line), (2, 51), "in line order");
            assert_eq!(more_rows, 70, "and the rest are counted");
        }
        other => panic!("the file must be rejected, got {other:?}"),
    }
    let message = import(&mut store, &csv).unwrap_err().to_string();
    assert_eq!(message.lines().count(), 1 + 50 + 1, "{message}");
    assert!(
        message.ends_with("and 70 more problems not listed"),
        "{message}"
    );
}
