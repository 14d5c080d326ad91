//! `rollbook-cli missing` (rolls still to take) and `calendar` (non-school days, meeting days).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::Datelike;
use serde_json::{json, Value};

mod support {
    pub mod cli;
    pub mod fixtures;
}
use support::cli::{mark_args, Cli};
use support::fixtures::{roster_csv, JOSE, MATH};

/// A Monday at least a week ago, and the Friday, Saturday and Sunday before it.
fn last_week() -> [String; 4] {
    let today = chrono::Utc::now().date_naive();
    let mut monday = today - chrono::TimeDelta::days(7);
    while monday.weekday() != chrono::Weekday::Mon {
        monday = monday.pred_opt().expect("a day before");
    }
    let day =
        |n: i64| rollbook_core::Day::from_date(monday - chrono::TimeDelta::days(n)).to_string();
    [day(0), day(3), day(2), day(1)]
}

fn with_roster() -> Cli {
    let sb = Cli::new();
    let roster = sb.write("roster.csv", roster_csv());
    sb.ok(&["roster", "import", roster.to_str().expect("utf-8 path")]);
    sb
}

fn missing(sb: &Cli, before: &str) -> Vec<Value> {
    let out = sb.json(&["missing", "--date", before, "--days", "3", "--json"]);
    out.as_array().expect("a list").clone()
}

#[test]
fn missing_lists_past_school_days_whose_roll_is_not_complete() {
    let sb = with_roster();
    let [monday, friday, saturday, _] = last_week();
    sb.ok(&mark_args(MATH, JOSE, &friday, "late"));

    let list = missing(&sb, &monday);
    assert_eq!(
        list.len(),
        1,
        "Friday only; the weekend is not a school day: {list:?}"
    );
    let roll = &list[0];
    assert_eq!(roll["date"], friday.as_str());
    assert_eq!(roll["id"], MATH);
    assert_eq!(roll["name"], "Matemáticas 7A");
    assert_eq!(roll["state"], "partly");
    assert_eq!(
        (roll["marked"].as_u64(), roll["active_students"].as_u64()),
        (Some(1), Some(3))
    );
    let text = sb.ok(&["missing", "--date", &monday, "--days", "3"]);
    assert!(
        text.contains(&friday) && text.contains("partly taken: 1 of 3 marked"),
        "{text}"
    );

    // Friday was a holiday: nothing is due. Then the class meets on Saturdays too.
    let file = sb.write(
        "holidays.csv",
        format!("date,name\n{friday},Founders' day\n"),
    );
    let out = sb.ok(&["calendar", "import", file.to_str().expect("path")]);
    assert!(out.contains("1 non-school day from"), "{out}");
    assert!(missing(&sb, &monday).is_empty());
    let text = sb.ok(&["missing", "--date", &monday, "--days", "3"]);
    assert!(text.contains("Every roll"), "{text}");
    sb.ok(&[
        "calendar",
        "meeting-days",
        "--offering",
        MATH,
        "--days",
        "fri,Saturday",
    ]);
    let list = missing(&sb, &monday);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["date"], saturday.as_str());
    assert_eq!(list[0]["state"], "not_taken");
    let shown = sb.json(&["calendar", "show", "--json"]);
    assert_eq!(shown["non_school_days"], json!([friday]));
    assert_eq!(shown["offerings"][0]["meeting_days"], json!([5, 6]));
    sb.ok(&[
        "calendar",
        "meeting-days",
        "--offering",
        MATH,
        "--days",
        "weekdays",
    ]);
    assert_eq!(
        sb.json(&["calendar", "show", "--json"])["offerings"][0]["meeting_days"],
        json!([1, 2, 3, 4, 5])
    );
}

#[test]
fn bad_calendar_input_is_refused_naming_it_and_nothing_changes() {
    let sb = with_roster();
    let [_, friday, ..] = last_week();
    let good = sb.write("good.csv", format!("date\n{friday}\n"));
    sb.ok(&["calendar", "import", good.to_str().expect("path")]);
    let bad = sb.write("bad.csv", "date\n2025-02-30\n");
    let out = sb.run(&["calendar", "import", bad.to_str().expect("path")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 2") && err.contains("2025-02-30"),
        "{err}"
    );
    assert_eq!(
        sb.json(&["calendar", "show", "--json"])["non_school_days"],
        json!([friday]),
        "a refused file changes nothing"
    );
    let out = sb.run(&[
        "calendar",
        "meeting-days",
        "--offering",
        MATH,
        "--days",
        "mon,funday",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("\"funday\" is not a weekday"), "{err}");
    let out = sb.run(&["missing", "--days", "0"]);
    assert_eq!(out.status.code(), Some(2));
}
