//! Roster import: accepted shapes, every kind of bad row, atomicity, re-import.

use rollbook_core::marks::{self, Origin};
use rollbook_core::roll;
use rollbook_core::roster::{self, RosterChanges};
use rollbook_core::store::Store;
use rollbook_core::Status;
use rstest::rstest;

use crate::common::*;

fn import(store: &mut Store, csv: &[u8]) -> Result<RosterChanges, rollbook_core::Error> {
    roster::import_roster_csv(store, csv, "roster.csv")
}

fn names(store: &Store, offering: &str) -> Vec<String> {
    roll::rows(store, &id(offering), today())
        .expect("roster")
        .into_iter()
        .map(|r| r.student_name)
        .collect()
}

fn semicolons() -> String {
    // A Spanish-locale spreadsheet: `;` separated, commas inside names need no quotes.
    roster_csv()
        .replace(',', ";")
        .replace("\"Muñoz; José\"", "Muñoz, José")
}

fn with_bom() -> String {
    format!("\u{feff}{}", roster_csv())
}

fn reordered_with_extras() -> String {
    let mut out = String::from(
        "Student_Name, grade ,student_id,course_enrollment_id,course_offering_id,\
         teacher_assignment_id,course_name\n",
    );
    for line in roster_csv().lines().skip(1) {
        let c = split_simple(line);
        out.push_str(&format!(
            "\"{}\",7,{},{},{},{},\"{}\"\n",
            c[5], c[4], c[3], c[0], c[2], c[1]
        ));
    }
    out
}

fn crlf_and_padding() -> String {
    let mut out = String::from(
        " course_offering_id , course_name,teacher_assignment_id ,\tcourse_enrollment_id,\
         student_id , student_name\r\n",
    );
    for line in roster_csv().lines().skip(1) {
        let c = split_simple(line);
        out.push_str(&format!(
            "  {} , {} ,{},\t{} , {},\"{}\"\r\n",
            c[0], c[1], c[2], c[3], c[4], c[5]
        ));
    }
    out
}

/// Splits a line of the sample roster (its only quoted field is the last one).
fn split_simple(line: &str) -> Vec<String> {
    let (head, last) = match line.find('"') {
        Some(i) => (&line[..i], line[i..].trim_matches('"').to_string()),
        None => line
            .rsplit_once(',')
            .map(|(h, l)| (h, l.to_string()))
            .unwrap_or((line, "".into())),
    };
    let mut cells: Vec<String> = head
        .trim_end_matches(',')
        .split(',')
        .map(str::to_string)
        .collect();
    cells.push(last);
    cells
}

#[rstest]
#[case::comma(roster_csv())]
#[case::semicolon(semicolons())]
#[case::byte_order_mark(with_bom())]
#[case::any_order_and_extra_columns(reordered_with_extras())]
#[case::crlf_and_spaces_around_cells(crlf_and_padding())]
fn every_accepted_shape_stores_the_same_roster(#[case] csv: String) {
    let reference = school();
    let mut store = Store::open_in_memory().expect("store");
    let changes = import(&mut store, csv.as_bytes()).expect("file is accepted");
    assert_eq!(changes.rows, 4);
    assert_eq!(
        dump(&store),
        dump(&reference),
        "the same roster in another shape must store exactly the same thing"
    );
    assert_eq!(
        names(&store, MATH),
        ["Ana Álvarez", "bruno Díaz", "Muñoz, José"],
        "accents and a quoted comma survive, and the roll is sorted by name"
    );
}

#[test]
fn a_header_without_rows_is_refused_and_changes_nothing() {
    // A file cut short after its header, or an empty export: not a class without pupils.
    let mut store = Store::open_in_memory().expect("store");
    import(&mut store, roster_csv().as_bytes()).expect("the first roster");
    let before = dump(&store);
    for csv in [format!("{HEADER}\n"), HEADER.to_string()] {
        let errors = row_errors(import(&mut store, csv.as_bytes()));
        assert_row_error(&errors, 2, "student_id", "has a header but no rows");
        assert_eq!(dump(&store), before, "a refused file changes nothing");
    }
}

#[test]
fn first_import_reports_what_it_added_and_preview_writes_nothing() {
    let mut store = Store::open_in_memory().expect("store");
    let before = dump(&store);
    let preview =
        roster::preview_roster_csv(&store, roster_csv().as_bytes(), "roster.csv").expect("preview");
    assert_eq!(dump(&store), before, "a preview must not write");
    let changes = import(&mut store, roster_csv().as_bytes()).expect("import");
    assert_eq!(
        preview, changes,
        "the preview shows exactly what the import then does"
    );
    assert_eq!(
        changes,
        RosterChanges {
            rows: 4,
            offerings_added: 2,
            students_added: 3,
            enrollments_added: 4,
            ..RosterChanges::default()
        }
    );
    let again = import(&mut store, roster_csv().as_bytes()).expect("re-import");
    assert_eq!(
        again,
        RosterChanges {
            rows: 4,
            ..RosterChanges::default()
        },
        "idempotent"
    );
}

const GOOD_ROW: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d,Matemáticas 7A,\
b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e,c3d4e5f6-a7b8-4c9d-0e1f-000000000001,\
d4e5f6a7-b8c9-4d0e-a1b2-000000000001,José";

/// A row like GOOD_ROW for (offering, course, teacher, enrollment, student, name).
fn row(cells: [&str; 6]) -> String {
    cells.join(",")
}

#[rstest]
#[case::bad_offering_id(
    row(["a1b2c3d4-e5f6", "Matemáticas 7A", TEACHER, E_ANA_MATH, ANA, "Ana"]),
    "course_offering_id", "\"a1b2c3d4-e5f6\" is not a UUID: expected 8-4-4-4-12"
)]
#[case::bad_teacher_id(
    row([MATH, "Matemáticas 7A", "teacher-7", E_ANA_MATH, ANA, "Ana"]),
    "teacher_assignment_id", "\"teacher-7\" is not a UUID"
)]
#[case::bad_enrollment_id(
    row([MATH, "Matemáticas 7A", TEACHER, "c3d4e5f6-a7b8-4c9d-0e1f-00000000000g", ANA, "Ana"]),
    "course_enrollment_id", "'g' is not a hexadecimal digit"
)]
#[case::bad_student_id(
    row([MATH, "Matemáticas 7A", TEACHER, E_ANA_MATH, "d4e5f6a7b8c94d0ea1b2000000000002", "Ana"]),
    "student_id", "expected 8-4-4-4-12 hexadecimal digits"
)]
#[case::empty_course_name(
    row([MATH, "  ", TEACHER, E_ANA_MATH, ANA, "Ana"]),
    "course_name", "is empty"
)]
#[case::empty_student_name(
    row([MATH, "Matemáticas 7A", TEACHER, E_ANA_MATH, ANA, ""]),
    "student_name", "is empty"
)]
#[case::short_row(
    format!("{MATH},Matemáticas 7A,{TEACHER},{E_ANA_MATH},{ANA}"),
    "student_name", "this row has 5 cells, the header has 6"
)]
#[case::enrollment_reused_for_another_student(
    row([MATH, "Matemáticas 7A", TEACHER, E_JOSE_MATH, ANA, "Ana"]),
    "course_enrollment_id", "is used on line 2 for student"
)]
#[case::student_with_two_names(
    row([SCIENCE, "Ciencias 7A", TEACHER, E_JOSE_SCIENCE, JOSE, "Pepe"]),
    "student_name", "is named \"José\" on line 2 but \"Pepe\" here"
)]
#[case::offering_with_two_names(
    row([MATH, "Matemáticas 7B", TEACHER, E_ANA_MATH, ANA, "Ana"]),
    "course_name", "is named \"Matemáticas 7A\" on line 2 but \"Matemáticas 7B\" here"
)]
#[case::offering_with_two_teachers(
    row([MATH, "Matemáticas 7A", TEACHER2, E_ANA_MATH, ANA, "Ana"]),
    "teacher_assignment_id", "has teacher assignment"
)]
#[case::student_enrolled_twice_in_one_offering(
    row([MATH, "Matemáticas 7A", TEACHER, E_ANA_MATH, JOSE, "José"]),
    "course_enrollment_id", "is enrolled in offering"
)]
fn each_kind_of_bad_row_is_named_by_line_and_column(
    #[case] bad: String,
    #[case] column: &str,
    #[case] reason: &str,
) {
    let mut store = Store::open_in_memory().expect("store");
    let csv = format!("{HEADER}\n{GOOD_ROW}\n{bad}\n");
    let errors = row_errors(import(&mut store, csv.as_bytes()));
    assert_row_error(&errors, 3, column, reason);
    assert_eq!(errors.len(), 1, "one problem, one message: {errors:#?}");
    assert_eq!(
        dump(&store),
        dump(&Store::open_in_memory().expect("store")),
        "nothing written"
    );
}

#[test]
fn every_problem_of_the_file_is_listed_at_once_in_line_order() {
    let mut store = Store::open_in_memory().expect("store");
    let csv = format!(
        "{HEADER}\n{}\n{GOOD_ROW}\n\n{}\n",
        row(["x", "", TEACHER, E_ANA_MATH, ANA, "Ana"]),
        row([MATH, "Matemáticas 7A", TEACHER, E_JOSE_MATH, "y", ""]),
    );
    let errors = row_errors(import(&mut store, csv.as_bytes()));
    let at: Vec<(u64, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        at,
        [
            (2, "course_offering_id"),
            (2, "course_name"),
            (5, "student_id"),
            (5, "student_name"),
        ],
        "a user fixes the whole file in one pass only if every problem is listed"
    );
}

#[test]
fn invalid_utf8_names_the_line_and_column() {
    let mut store = Store::open_in_memory().expect("store");
    // "Matemáticas" saved as Latin-1 by an old spreadsheet: 0xE1 is not UTF-8.
    let mut bytes = format!("{HEADER}\n{GOOD_ROW}\n{MATH},Matem").into_bytes();
    bytes.push(0xE1);
    bytes.extend_from_slice(format!("ticas,{TEACHER},{E_ANA_MATH},{ANA},Ana\n").as_bytes());
    let errors = row_errors(import(&mut store, &bytes));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_row_error(&errors, 3, "course_name", "is not valid UTF-8");
}

#[test]
fn a_missing_column_is_one_error_on_line_1_naming_it() {
    let mut store = Store::open_in_memory().expect("store");
    let csv = roster_csv().replace(",student_name", ",name");
    let errors = row_errors(import(&mut store, csv.as_bytes()));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_row_error(&errors, 1, "student_name", "required column is missing");
}

#[test]
fn an_empty_file_is_rejected() {
    let mut store = Store::open_in_memory().expect("store");
    let errors = row_errors(import(&mut store, b""));
    assert_row_error(&errors, 1, "header", "the file is empty");
}

#[test]
fn a_rejected_file_leaves_the_database_unchanged() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Status::Late);
    let before = dump(&store);
    // Good changes (a rename, a new student) mixed with one bad row: none may be applied.
    let csv = format!(
        "{}{}\n{}\n",
        roster_csv().replace("Ana Álvarez", "Ana María Álvarez"),
        row([
            MATH,
            "Matemáticas 7A",
            TEACHER,
            E_CARLA_MATH,
            CARLA,
            "Carla"
        ]),
        row([MATH, "Matemáticas 7A", TEACHER, E_ANA_MATH, CARLA, "Carla"]),
    );
    let errors = row_errors(import(&mut store, csv.as_bytes()));
    assert!(!errors.is_empty());
    assert_eq!(
        dump(&store),
        before,
        "all-or-nothing: a rejected file must not change anything"
    );
}

#[test]
fn enrollments_that_contradict_the_store_are_row_errors() {
    let mut store = school();
    let before = dump(&store);
    let csv = format!(
        "{HEADER}\n{}\n",
        // Ana's enrollment id now claims to be Carla's.
        row([MATH, "Matemáticas 7A", TEACHER, E_ANA_MATH, CARLA, "Carla"]),
    );
    let errors = row_errors(import(&mut store, csv.as_bytes()));
    assert_row_error(
        &errors,
        2,
        "course_enrollment_id",
        "cannot move to another student",
    );
    assert_eq!(dump(&store), before);
}

#[test]
fn a_file_covers_the_offerings_it_names_and_leaves_the_others_as_they_are() {
    let mut store = school();
    // Only MATH, without Bruno: SCIENCE is not in the file.
    let csv = format!(
        "{HEADER}\n{}\n{}\n",
        row([
            MATH,
            "Matemáticas 7A",
            TEACHER,
            E_JOSE_MATH,
            JOSE,
            "\"Muñoz, José\""
        ]),
        row([
            MATH,
            "Matemáticas 7A",
            TEACHER,
            E_ANA_MATH,
            ANA,
            "Ana Álvarez"
        ]),
    );
    let preview = roster::preview_roster_csv(&store, csv.as_bytes(), "math.csv").expect("preview");
    assert_eq!(
        preview,
        RosterChanges {
            rows: 2,
            enrollments_deactivated: 1,
            offerings_not_in_file: 1,
            ..RosterChanges::default()
        },
        "the preview says SCIENCE is left as it is, and only Bruno's MATH enrollment ends"
    );
    let changes = import(&mut store, csv.as_bytes()).expect("import");
    assert_eq!(changes, preview);
    assert_eq!(names(&store, MATH), ["Ana Álvarez", "Muñoz, José"]);
    assert_eq!(
        names(&store, SCIENCE),
        ["Muñoz, José"],
        "an offering the file does not name keeps its students"
    );
    // A file of SCIENCE alone leaves MATH as it is, too.
    let science = format!(
        "{HEADER}\n{}\n",
        row([
            SCIENCE,
            "Ciencias 7A",
            TEACHER,
            E_JOSE_SCIENCE,
            JOSE,
            "\"Muñoz, José\""
        ]),
    );
    let changes = import(&mut store, science.as_bytes()).expect("import");
    assert_eq!(
        changes,
        RosterChanges {
            rows: 1,
            offerings_not_in_file: 1,
            ..RosterChanges::default()
        }
    );
    assert_eq!(names(&store, MATH), ["Ana Álvarez", "Muñoz, José"]);
}

fn enrollment_ids_in_outbox(store: &Store, student: &str) -> Vec<(String, String)> {
    store
        .conn()
        .prepare("SELECT state, enrollment_id FROM outbox WHERE student_id = ?1 ORDER BY id")
        .and_then(|mut s| {
            s.query_map([student], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .expect("outbox")
}

#[test]
fn a_new_enrollment_id_for_the_same_student_and_offering_is_a_re_enrollment() {
    let mut store = school();
    let clock = clock();
    let sent = mark(&mut store, &clock, ANA, Status::Absent);
    set_item_state(&store, sent.outbox_id.expect("queued"), "synced");
    mark(&mut store, &clock, ANA, Status::Late);
    // The SIS now gives Ana's MATH enrollment another id (E_CARLA_MATH is unused so far).
    let csv = roster_csv().replace(E_ANA_MATH, E_CARLA_MATH);
    let preview =
        roster::preview_roster_csv(&store, csv.as_bytes(), "roster.csv").expect("preview");
    assert_eq!(
        preview,
        RosterChanges {
            rows: 4,
            enrollments_reenrolled: 1,
            ..RosterChanges::default()
        },
        "a re-enrollment, not a refusal of the whole file"
    );
    let changes = import(&mut store, csv.as_bytes()).expect("a re-enrollment is accepted");
    assert_eq!(changes, preview);
    let ana = roll::rows(&store, &id(MATH), today())
        .expect("roster")
        .into_iter()
        .find(|r| r.student_name == "Ana Álvarez")
        .expect("Ana is still on the roll");
    assert_eq!(
        ana.course_enrollment_id,
        id(E_CARLA_MATH),
        "the new id is used"
    );
    assert_eq!(ana.status, Some(Status::Late), "her mark stays");
    assert_eq!(
        enrollment_ids_in_outbox(&store, ANA),
        [
            ("synced".to_string(), E_ANA_MATH.to_string()),
            ("pending".to_string(), E_CARLA_MATH.to_string()),
        ],
        "what was sent keeps the old id; what waits is sent with the new one"
    );
    mark(&mut store, &clock, ANA, Status::Present);
    assert_eq!(
        enrollment_ids_in_outbox(&store, ANA)[1].1,
        E_CARLA_MATH,
        "later marks use the new id"
    );
    let history = marks::history(&store, &id(MATH), &id(ANA), today()).expect("history");
    assert_eq!(history.len(), 3, "the history stays whole");
    let again = import(&mut store, csv.as_bytes()).expect("re-import");
    assert_eq!(
        again,
        RosterChanges {
            rows: 4,
            ..RosterChanges::default()
        }
    );
}

#[test]
fn reimport_renames_adds_deactivates_and_keeps_history() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, BRUNO, Status::Absent);
    // Bruno leaves MATH; Carla joins; Ana's name is corrected; MATH gets a new teacher and name.
    let csv = format!(
        "{HEADER}\n{}\n{}\n{}\n",
        row([
            MATH,
            "Matemáticas 7A (tarde)",
            TEACHER2,
            E_JOSE_MATH,
            JOSE,
            "\"Muñoz, José\""
        ]),
        row([
            MATH,
            "Matemáticas 7A (tarde)",
            TEACHER2,
            E_ANA_MATH,
            ANA,
            "Ana María Álvarez"
        ]),
        row([
            MATH,
            "Matemáticas 7A (tarde)",
            TEACHER2,
            E_CARLA_MATH,
            CARLA,
            "Carla Ñáñez"
        ]),
    );
    let changes = import(&mut store, csv.as_bytes()).expect("re-import");
    assert_eq!(
        changes,
        RosterChanges {
            rows: 3,
            offerings_renamed: 1,
            teachers_changed: 1,
            students_added: 1,
            students_renamed: 1,
            enrollments_added: 1,
            enrollments_deactivated: 1,
            offerings_not_in_file: 1,
            ..RosterChanges::default()
        },
        "SCIENCE is not in the file: it is left as it is, and the count says so"
    );
    assert_eq!(
        names(&store, MATH),
        ["Ana María Álvarez", "Carla Ñáñez", "Muñoz, José"]
    );
    assert_eq!(
        names(&store, SCIENCE),
        ["Muñoz, José"],
        "offerings not in the file are untouched"
    );
    assert_eq!(
        current(&store, BRUNO),
        Some(Status::Absent),
        "a departed student's mark stays"
    );
    let history = marks::history(&store, &id(MATH), &id(BRUNO), today()).expect("history");
    assert_eq!(history.len(), 1, "a departed student's history stays");
    let err = try_mark(&mut store, &clock, BRUNO, Status::Present).expect_err("inactive");
    assert_eq!(err.code(), "conflict");

    let back = import(&mut store, roster_csv().as_bytes()).expect("old roster again");
    assert_eq!(back.enrollments_reactivated, 1, "Bruno comes back");
    assert_eq!(
        back.enrollments_deactivated, 1,
        "Carla is not in the old file"
    );
    assert_eq!(
        names(&store, MATH),
        ["Ana Álvarez", "bruno Díaz", "Muñoz, José"]
    );
    marks::record_mark(
        &mut store,
        &clock,
        window(),
        "cli",
        Origin::Cli,
        &id(MATH),
        &id(BRUNO),
        today(),
        Status::Present,
    )
    .expect("a reactivated student can be marked again");
}
