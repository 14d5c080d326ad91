//! End-to-end tests of `rollbook-cli`: the real built binary on a temporary data directory.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rstest::rstest;
use serde_json::{json, Value};

mod support {
    pub mod cli;
    pub mod fixtures;
}
use support::cli::{days_ago, mark_args, Cli};
use support::fixtures::{checkins_csv, date, roster_csv, ANA, BRUNO, JOSE, MATH, TEACHER};

/// A sandbox with [`roster_csv`] imported.
fn with_roster() -> Cli {
    let sb = Cli::new();
    let roster = sb.write("roster.csv", roster_csv());
    sb.ok(&["roster", "import", path(&roster)]);
    sb
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// `roster show --json` of [`MATH`] on [`date`]: one object per student.
fn roll(sb: &Cli) -> Value {
    sb.json(&[
        "roster",
        "show",
        "--offering",
        MATH,
        "--date",
        date(),
        "--json",
    ])
}

#[test]
fn a_roll_call_from_import_to_status() {
    let sb = Cli::new();
    let roster = sb.write("roster.csv", roster_csv());
    let out = sb.ok(&["roster", "import", path(&roster)]);
    assert!(
        out.contains("3 students added"),
        "the user is told what changed: {out}"
    );

    let rows = roll(&sb);
    let rows = rows.as_array().expect("an array, one object per student");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["student_name"], "Ana Álvarez");
    assert_eq!(rows[0]["student_id"], ANA);
    assert_eq!(
        rows[0]["course_enrollment_id"],
        "c3d4e5f6-a7b8-4c9d-0e1f-000000000002"
    );
    assert_eq!(
        rows[0]["status"],
        Value::Null,
        "unmarked is null, not a missing key"
    );

    let mark = mark_args(MATH, ANA, date(), "late");
    let outcome = sb.json(&[&mark[..], &["--json"]].concat());
    assert_eq!(outcome["changed"], true);
    let again = sb.json(&[&mark[..], &["--json"]].concat());
    assert_eq!(again["changed"], false, "the same status twice is a no-op");

    let rest = sb.json(&[
        "mark-rest-present",
        "--offering",
        MATH,
        "--date",
        date(),
        "--json",
    ]);
    assert_eq!(rest, json!({"marked": 2, "kept": 1}));

    let rows = roll(&sb);
    let statuses: Vec<&Value> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(
        statuses,
        [&json!("late"), &json!("present"), &json!("present")]
    );
    assert_eq!(rows[0]["delivery"], "saved_here");

    let history = sb.json(&[
        "history",
        "--offering",
        MATH,
        "--student",
        ANA,
        "--date",
        date(),
        "--json",
    ]);
    assert_eq!(history.as_array().expect("array").len(), 1);
    assert_eq!(history[0]["new_status"], "late");
    assert_eq!(history[0]["origin"], "cli");
    assert_eq!(
        history[0]["actor"], "test:secretary",
        "ROLLBOOK_ACTOR names who changed it"
    );

    let counts = sb.json(&["counts", "--offering", MATH, "--date", date(), "--json"]);
    assert_eq!(counts["present"], 2);
    assert_eq!(counts["late"], 1);
    assert_eq!(counts["unmarked"], 0);

    let status = sb.json(&["status", "--json"]);
    assert_eq!(status["pending"], 3);
    assert_eq!(status["synced"], 0);
    assert_eq!(status["rejected"], 0);

    let human = sb.ok(&["roster", "show", "--offering", MATH, "--date", date()]);
    assert!(
        human.contains("Ana Álvarez") && human.contains("late"),
        "{human}"
    );
    let human = sb.ok(&[
        "history",
        "--offering",
        MATH,
        "--student",
        ANA,
        "--date",
        date(),
    ]);
    assert!(human.contains("- -> late"), "{human}");
}

#[test]
fn undo_reverts_the_last_change_and_then_has_nothing_left() {
    let sb = with_roster();
    sb.ok(&mark_args(MATH, JOSE, date(), "absent"));
    let out = sb.ok(&["undo", "--offering", MATH, "--date", date()]);
    assert!(out.contains("1 mark changed back"), "{out}");
    let err = sb.invalid(&["undo", "--offering", MATH, "--date", date()]);
    assert!(err.contains("nothing to undo"), "{err}");
    assert_eq!(sb.json(&["status", "--json"])["cancelled"], 1);
}

#[test]
fn a_check_in_file_is_imported() {
    let sb = with_roster();
    let file = sb.write(
        "checkin.csv",
        checkins_csv(&[
            [MATH, JOSE, date(), "present"],
            [MATH, BRUNO, date(), "absent"],
        ]),
    );
    let result = sb.json(&["marks", "import", path(&file), "--json"]);
    assert_eq!(result, json!({"rows": 2, "changed": 2, "unchanged": 0}));
}

#[test]
fn a_dry_run_writes_nothing_and_data_dir_flag_wins() {
    let sb = Cli::new();
    let roster = sb.write("roster.csv", roster_csv());
    let preview = sb.json(&["roster", "import", path(&roster), "--dry-run", "--json"]);
    assert_eq!(preview["students_added"], 3);
    assert_eq!(preview["dry_run"], true);
    assert_eq!(
        sb.json(&["offerings", "--json"]),
        json!([]),
        "a dry run must not write"
    );

    let other = sb.path("other");
    sb.ok(&[
        "--data-dir",
        path(&other),
        "roster",
        "import",
        path(&roster),
    ]);
    assert_eq!(
        sb.json(&["offerings", "--json"]),
        json!([]),
        "--data-dir beats the env"
    );
    let there = sb.json(&["offerings", "--json", "--data-dir", path(&other)]);
    assert_eq!(there[0]["active_students"], 3);
}

#[rstest]
#[case::bad_uuid(&["--offering", "not-a-uuid", "--student", ANA, "--date", date(), "--status", "late"], "\"not-a-uuid\" is not a UUID")]
#[case::impossible_date(&["--offering", MATH, "--student", ANA, "--date", "2024-02-30", "--status", "late"], "\"2024-02-30\" is not a date: no such day in the calendar")]
#[case::loose_date(&["--offering", MATH, "--student", ANA, "--date", "2024-3-15", "--status", "late"], "\"2024-3-15\" is not a date: expected YYYY-MM-DD")]
#[case::bad_status(&["--offering", MATH, "--student", ANA, "--date", date(), "--status", "tardy"], "\"tardy\" is not a status")]
#[case::missing_status(&["--offering", MATH, "--student", ANA, "--date", date()], "--status")]
#[case::not_enrolled(&["--offering", MATH, "--student", "d4e5f6a7-b8c9-4d0e-a1b2-0000000000ff", "--date", date(), "--status", "late"], "is not enrolled in offering Matemáticas 7A")]
#[case::unknown_offering(&["--offering", TEACHER, "--student", ANA, "--date", date(), "--status", "late"], "no offering b2c3d4e5")]
fn invalid_input_exits_2_naming_the_problem(#[case] args: &[&str], #[case] message: &str) {
    let sb = with_roster();
    let err = sb.invalid(&[&["mark"], args].concat());
    assert!(
        err.contains(message),
        "stderr must name the bad thing ({message}): {err}"
    );
    assert_eq!(
        sb.json(&["status", "--json"])["pending"],
        0,
        "nothing was recorded"
    );
}

#[test]
fn a_bad_file_exits_2_listing_every_row_on_its_own_line() {
    let sb = with_roster();
    let file = sb.write(
        "checkin.csv",
        checkins_csv(&[
            [MATH, JOSE, "2024-02-30", "present"],
            [MATH, BRUNO, date(), "tardy"],
        ]),
    );
    let err = sb.invalid(&["marks", "import", path(&file), "--json"]);
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].contains("checkin.csv was rejected, nothing was written"),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("line 2, column attendance_date: \"2024-02-30\" is not a date")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("line 3, column status: \"tardy\" is not a status")),
        "{err}"
    );
    assert_eq!(
        sb.json(&["status", "--json"])["pending"],
        0,
        "all-or-nothing"
    );
}

#[test]
fn a_missing_input_file_is_invalid_input() {
    let sb = Cli::new();
    let err = sb.invalid(&["roster", "import", "/nonexistent/roster.csv"]);
    assert!(err.contains("cannot read /nonexistent/roster.csv"), "{err}");
}

#[test]
fn an_unusable_data_directory_is_a_failure_exit_1() {
    let sb = Cli::new();
    let not_a_dir = sb.write("plain-file", "x");
    let out = sb.run(&["--data-dir", path(&not_a_dir), "status", "--json"]);
    assert_eq!(out.status.code(), Some(1), "not the user's input: exit 1");
    assert!(!out.stderr.is_empty(), "the reason is on stderr");
}

#[test]
fn help_exits_0() {
    let sb = Cli::new();
    let out = sb.ok(&["--help"]);
    assert!(out.contains("mark-rest-present"), "{out}");
}

/// A reader that stops early (`rollbook-cli roster show ... | head -1`): the output stops
/// quietly (no "failed printing to stdout" panic), and the command still does its work and
/// exits 0. The reading end is closed before the command starts, so its first line already
/// finds no reader, whatever the timing.
#[rstest]
#[case::text(&["roster", "show", "--offering", MATH, "--date", date()][..])]
#[case::json(&["roster", "show", "--offering", MATH, "--date", date(), "--json"][..])]
#[case::a_change(&["mark", "--offering", MATH, "--student", ANA, "--date", date(), "--status", "late"][..])]
fn a_reader_that_goes_away_stops_the_output_quietly(#[case] args: &[&str]) {
    let sb = with_roster();
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = sb
        .command(args)
        .env("RUST_BACKTRACE", "0")
        .stdout(writer)
        .output()
        .expect("run rollbook-cli");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "a closed pipe is not an error: {stderr}"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    if args[0] == "mark" {
        let rows = roll(&sb);
        assert_eq!(
            rows[0]["status"], "late",
            "the change was made although nobody read what was printed"
        );
    }
}

/// Any other write error (here a full disk) is a failure: a script must not take a cut-off
/// output for a whole one.
#[test]
fn an_output_that_cannot_be_written_is_a_failure() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    let sb = with_roster();
    let out = sb
        .command(&["roster", "show", "--offering", MATH, "--date", date()])
        .stdout(full)
        .output()
        .expect("run rollbook-cli");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn a_status_is_accepted_in_any_case_as_in_files() {
    let sb = with_roster();
    sb.ok(&mark_args(MATH, ANA, date(), "Present"));
    sb.ok(&mark_args(MATH, JOSE, date(), "LATE"));
    let rows = roll(&sb);
    assert_eq!(
        (rows[0]["status"].as_str(), rows[2]["status"].as_str()),
        (Some("present"), Some("late"))
    );
    let err = sb.invalid(&mark_args(MATH, ANA, date(), "Tardy"));
    assert!(err.contains("\"Tardy\" is not a status"), "{err}");
}

const SCIENCE: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5e";
const ART: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5f";

/// [`roster_csv`] plus Jose in two more offerings.
fn three_offerings() -> String {
    let mut csv = roster_csv();
    for (offering, name, e) in [(SCIENCE, "Ciencias", 7), (ART, "Arte", 8)] {
        csv.push_str(&format!(
            "{offering};{name};{TEACHER};c3d4e5f6-a7b8-4c9d-0e1f-00000000000{e};{JOSE};Muñoz, José\n"
        ));
    }
    csv
}

#[test]
fn a_roster_preview_says_which_offerings_the_file_leaves_as_they_are() {
    let sb = Cli::new();
    let all = sb.write("all.csv", three_offerings());
    sb.ok(&["roster", "import", path(&all)]);
    let math = sb.write("math.csv", roster_csv());
    let out = sb.ok(&["roster", "import", path(&math), "--dry-run"]);
    assert!(
        out.contains("2 offerings not in this file, left as they are"),
        "a partial file is not 'no changes' without a word: {out}"
    );
    let preview = sb.json(&["roster", "import", path(&math), "--dry-run", "--json"]);
    assert_eq!(preview["offerings_not_in_file"], 2);
    assert_eq!(preview["enrollments_deactivated"], 0);
    sb.ok(&["roster", "import", path(&math)]);
    let offerings = sb.json(&["offerings", "--json"]);
    let active: Vec<i64> = offerings
        .as_array()
        .expect("offerings")
        .iter()
        .map(|o| o["active_students"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(
        active,
        [1, 1, 3],
        "Arte, Ciencias keep Jose; Matemáticas its three"
    );
    let one = sb.write(
        "one.csv",
        roster_csv().lines().take(2).collect::<Vec<_>>().join("\n"),
    );
    let out = sb.ok(&["roster", "import", path(&one), "--dry-run"]);
    assert!(
        out.contains("2 enrollments made inactive")
            && out.contains("2 offerings not in this file, left as they are"),
        "{out}"
    );
}

#[test]
fn a_new_enrollment_id_from_the_sis_is_a_re_enrollment() {
    let sb = with_roster();
    sb.ok(&mark_args(MATH, ANA, date(), "absent"));
    let renumbered = sb.write(
        "renumbered.csv",
        roster_csv().replace("0e1f-000000000002", "0e1f-0000000000a2"),
    );
    let out = sb.ok(&["roster", "import", path(&renumbered), "--dry-run"]);
    assert!(
        out.contains("1 enrollment re-enrolled with a new id"),
        "{out}"
    );
    sb.ok(&["roster", "import", path(&renumbered)]);
    let rows = roll(&sb);
    assert_eq!(
        rows[0]["course_enrollment_id"],
        "c3d4e5f6-a7b8-4c9d-0e1f-0000000000a2"
    );
    assert_eq!(rows[0]["status"], "absent");
}

#[test]
fn a_row_with_more_cells_than_the_header_is_refused_naming_its_line() {
    let sb = with_roster();
    let mut csv = checkins_csv(&[[MATH, JOSE, date(), "present"]]);
    csv.push_str(&format!("{MATH},{ANA},{},present,late\n", date()));
    let file = sb.write("checkin.csv", csv);
    let err = sb.invalid(&["marks", "import", path(&file)]);
    assert!(
        err.contains("line 3, column row: has 5 cells, the header has 4"),
        "{err}"
    );
    assert_eq!(
        sb.json(&["status", "--json"])["pending"],
        0,
        "all-or-nothing"
    );
}

#[test]
fn a_file_of_120000_bad_rows_prints_the_first_50_and_counts_the_rest() {
    let sb = with_roster();
    let mut csv = String::from("course_offering_id,student_id,attendance_date,status\n");
    for _ in 0..120_000 {
        csv.push_str(&format!("{MATH},{JOSE},{},tardy\n", date()));
    }
    let file = sb.write("checkin.csv", csv);
    let err = sb.invalid(&["marks", "import", path(&file)]);
    assert_eq!(
        err.lines().count(),
        52,
        "a heading, 50 rows and a count: {}",
        &err[..err.len().min(400)]
    );
    assert!(err.contains("line 51, column status"), "{err}");
    assert!(!err.contains("line 52, column"), "{err}");
    assert!(
        err.trim_end()
            .ends_with("and 119950 more problems not listed"),
        "{err}"
    );
    let out = sb.run(&["marks", "import", path(&file), "--json"]);
    assert_eq!(out.status.code(), Some(2));
    let json: Value =
        serde_json::from_slice(&out.stdout).expect("--json prints the refusal as JSON");
    assert_eq!(json["code"], "bad_file");
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(50));
    assert_eq!(json["more_rows"], 119_950);
}

#[test]
fn counts_of_one_are_singular() {
    let sb = Cli::new();
    let one = sb.write(
        "one.csv",
        roster_csv().lines().take(2).collect::<Vec<_>>().join("\n"),
    );
    let out = sb.ok(&["roster", "import", path(&one)]);
    assert!(
        out.contains("(1 row): 1 offering added, 1 student added, 1 enrollment added."),
        "{out}"
    );
    let out = sb.ok(&["roster", "show", "--offering", MATH, "--date", date()]);
    assert!(out.contains("1 active student\n"), "{out}");
    let file = sb.write(
        "checkin.csv",
        checkins_csv(&[[MATH, JOSE, date(), "present"]]),
    );
    let out = sb.ok(&["marks", "import", path(&file)]);
    assert!(
        out.contains("1 row, 1 mark changed, 0 already as in the file"),
        "{out}"
    );
}

#[test]
fn class_report_help_offers_only_what_class_report_writes() {
    let sb = Cli::new();
    let class = sb.ok(&["class-report", "--help"]);
    assert!(
        !class.to_lowercase().contains("html"),
        "class-report has no HTML report: {class}"
    );
    let student = sb.ok(&["report", "--help"]);
    assert!(student.contains("--html"), "{student}");
}

/// The window a refusal names, `(first, last)`: "…, FIRST to LAST (today and the 400 days…".
fn window_named(err: &str) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let end = err
        .find(" (today and the 400 days before)")
        .unwrap_or_else(|| panic!("the refusal names the window: {err}"));
    let day = |s: &str| {
        rollbook_core::Day::parse(s)
            .unwrap_or_else(|e| panic!("{e}: {err}"))
            .date()
    };
    (day(&err[end - 24..end - 14]), day(&err[end - 10..end]))
}

/// A refusal names the date and the window: today (the binary's local date, within a day of
/// UTC) and the 400 days before.
fn assert_refused_naming(err: &str, date: &str) {
    assert!(err.contains(date), "the refusal names {date}: {err}");
    let (first, last) = window_named(err);
    let utc = chrono::Utc::now().date_naive();
    assert!(
        (last - utc).num_days().abs() <= 1,
        "the window ends today: {err}"
    );
    assert_eq!((last - first).num_days(), 400, "{err}");
    assert!(
        err.contains("--allow-date-outside-window"),
        "the way out is said: {err}"
    );
}

#[rstest]
#[case::the_day_after_tomorrow(days_ago(-2))]
#[case::a_typo_years_ahead(days_ago(-365 * 36))]
#[case::the_year_9999("9999-12-31".to_string())]
#[case::the_year_1("0001-01-01".to_string())]
#[case::more_than_400_days_ago(days_ago(402))]
fn a_mark_dated_outside_the_window_exits_2_unless_allowed(#[case] date: String) {
    let sb = with_roster();
    let err = sb.invalid(&mark_args(MATH, ANA, &date, "absent"));
    assert_refused_naming(&err, &date);
    assert_eq!(
        sb.json(&["status", "--json"])["pending"],
        0,
        "nothing was recorded"
    );

    let allowed = [
        &mark_args(MATH, ANA, &date, "absent")[..],
        &["--allow-date-outside-window", "--json"],
    ]
    .concat();
    assert_eq!(sb.json(&allowed)["changed"], true);
    let roll = sb.json(&[
        "roster",
        "show",
        "--offering",
        MATH,
        "--date",
        &date,
        "--json",
    ]);
    assert_eq!(roll[0]["student_id"], ANA);
    assert_eq!(
        roll[0]["status"], "absent",
        "the mark was made when allowed"
    );
}

#[test]
fn the_window_takes_today_and_400_days_back() {
    let sb = with_roster();
    // Two days inside each end, so the time zone of the binary's "today" does not matter.
    for date in [days_ago(2), days_ago(398)] {
        sb.ok(&mark_args(MATH, ANA, &date, "late"));
    }
}

#[test]
fn today_is_the_user_s_local_date() {
    // Today where the clock is 14 hours ahead of UTC: tomorrow or later 12 hours behind it.
    let ahead = (chrono::Utc::now() + chrono::TimeDelta::hours(14)).date_naive();
    let date = rollbook_core::Day::from_date(ahead).to_string();
    let sb = with_roster();
    let mark = |tz: &str| {
        sb.command(&mark_args(MATH, ANA, &date, "late"))
            .env("TZ", tz)
            .output()
            .expect("run rollbook-cli")
    };
    let behind = mark("Etc/GMT+12");
    assert_eq!(
        behind.status.code(),
        Some(2),
        "{date} is after today at UTC-12: {}",
        String::from_utf8_lossy(&behind.stderr)
    );
    let ahead = mark("Etc/GMT-14");
    assert_eq!(
        ahead.status.code(),
        Some(0),
        "{date} is today (or, past midnight, yesterday) at UTC+14: {}",
        String::from_utf8_lossy(&ahead.stderr)
    );
}

#[test]
fn mark_rest_present_refuses_a_date_outside_the_window_unless_allowed() {
    let sb = with_roster();
    let date = days_ago(-2);
    let rest = [
        "mark-rest-present",
        "--offering",
        MATH,
        "--date",
        &date,
        "--json",
    ];
    let err = sb.invalid(&rest);
    assert_refused_naming(&err, &date);
    assert_eq!(
        sb.json(&["status", "--json"])["pending"],
        0,
        "nothing was recorded"
    );
    let allowed = sb.json(&[&rest[..], &["--allow-date-outside-window"]].concat());
    assert_eq!(allowed, json!({"marked": 3, "kept": 0}));
}

#[test]
fn a_check_in_row_dated_outside_the_window_is_a_row_error_and_nothing_is_written() {
    let sb = with_roster();
    let (ahead, old) = (days_ago(-30), days_ago(420));
    let file = sb.write(
        "checkin.csv",
        checkins_csv(&[
            [MATH, JOSE, date(), "present"],
            [MATH, BRUNO, &ahead, "absent"],
            [MATH, ANA, &old, "absent"],
        ]),
    );
    let err = sb.invalid(&["marks", "import", path(&file)]);
    assert!(
        err.contains("checkin.csv was rejected, nothing was written"),
        "{err}"
    );
    for (line, date) in [(3, &ahead), (4, &old)] {
        let row = err
            .lines()
            .find(|l| {
                l.contains(&format!(
                    "line {line}, column attendance_date: {date} is outside"
                ))
            })
            .unwrap_or_else(|| panic!("line {line} is named with its date: {err}"));
        assert_refused_naming(row, date);
    }
    assert_eq!(
        sb.json(&["status", "--json"])["pending"],
        0,
        "nothing was written"
    );

    let done = sb.json(&[
        "marks",
        "import",
        path(&file),
        "--allow-date-outside-window",
        "--json",
    ]);
    assert_eq!(done, json!({"rows": 3, "changed": 3, "unchanged": 0}));
}
