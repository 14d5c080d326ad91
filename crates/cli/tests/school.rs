//! `rollbook-cli school-report`: the real binary on a data directory of its own, with a roster
//! and marks imported (no server: the school view reads what this device holds).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

mod support {
    pub mod cli;
}
use support::cli::{days_ago, Cli};

const MATH: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c51";
const ART: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c53";
const TEACHER: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";
const ANA: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
const BO: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
const CY: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000003";
const EVE: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000004";

/// Over the 12 days 3 to 14 days ago: Eve (a name a spreadsheet would run) absent from Math
/// every day (100 %); Cy in Art 5 days, absent 2 (40 %, too few days for a tier); Ana in Math
/// and Art, absent from Math on 2 days (1 day of 12, 8.3 %); Bo in Art, always present.
fn school() -> Cli {
    let cli = Cli::new();
    let enrol = [
        (MATH, "Matemáticas 7A", ANA, "Ana Álvarez"),
        (ART, "Arte 7A", ANA, "Ana Álvarez"),
        (ART, "Arte 7A", BO, "Bo Li"),
        (ART, "Arte 7A", CY, "Cy Ng"),
        (MATH, "Matemáticas 7A", EVE, "=Eve Cruz"),
    ];
    let mut roster = String::from(
        "course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,\
         student_name\n",
    );
    for (n, (o, name, s, student)) in enrol.iter().enumerate() {
        roster.push_str(&format!(
            "{o},{name},{TEACHER},c3d4e5f6-a7b8-4c9d-0e1f-{n:012},{s},{student}\n"
        ));
    }
    let file = cli.write("roster.csv", roster);
    cli.ok(&["roster", "import", file.to_str().expect("path")]);
    let mut marks = String::from("course_offering_id,student_id,attendance_date,status\n");
    for i in 0..12 {
        let d = days_ago(3 + i);
        let mut add = |o: &str, s: &str, status: &str| {
            marks.push_str(&format!("{o},{s},{d},{status}\n"));
        };
        add(MATH, EVE, "absent");
        add(MATH, ANA, if i < 2 { "absent" } else { "present" });
        add(ART, ANA, "present");
        add(ART, BO, "late");
        if i < 5 {
            add(ART, CY, if i < 2 { "excused" } else { "present" });
        }
    }
    let file = cli.write("marks.csv", marks);
    cli.ok(&["marks", "import", file.to_str().expect("path")]);
    cli
}

fn students(v: &Value) -> Vec<String> {
    v["students"]
        .as_array()
        .expect("students")
        .iter()
        .map(|s| s["student_id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn json_ranks_every_student_with_the_report_measures() {
    let cli = school();
    let out = cli.ok(&["school-report", "--json"]);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    let at = |key: &str| out.find(&format!("\"{key}\":")).expect(key);
    assert!(
        at("from") < at("to") && at("to") < at("as_of") && at("as_of") < at("students"),
        "the issue's keys, in order: {out}"
    );
    assert_eq!(v["as_of"], Value::Null, "no school pull yet");
    assert_eq!(
        students(&v),
        [EVE, CY, ANA, BO],
        "highest absence rate first"
    );
    for s in v["students"].as_array().expect("students") {
        for key in [
            "student_id",
            "full_name",
            "offerings",
            "tier",
            "absence_rate",
            "days_absent",
            "excused_days_absent",
            "unexcused_days_absent",
            "days_observed",
            "crdc_15_days",
            "current_absence_streak",
            "longest_absence_streak",
            "absence_rate_change_30d",
            "last_present",
        ] {
            assert!(s.get(key).is_some(), "{key} in {s}");
        }
    }
    let eve = &v["students"][0];
    assert_eq!(eve["tier"], "severe-chronic");
    assert_eq!(
        eve["full_name"], "=Eve Cruz",
        "JSON carries the name as it is"
    );
    assert_eq!(eve["current_absence_streak"], 12);
    assert_eq!(eve["last_present"], Value::Null);
    assert_eq!(v["students"][1]["tier"], "insufficient-data");
    let ana = &v["students"][2];
    assert_eq!(
        ana["offerings"],
        serde_json::json!(["Arte 7A", "Matemáticas 7A"])
    );
    assert_eq!(ana["tier"], "at-risk");
    assert_eq!(ana["days_absent"], 1.0);
    let report: Value =
        serde_json::from_str(&cli.ok(&["report", "--student", ANA, "--json", "--no-pull"]))
            .expect("JSON");
    for key in [
        "tier",
        "absence_rate",
        "days_absent",
        "days_observed",
        "by_course",
    ] {
        assert_eq!(
            ana[key], report[key],
            "{key}: the student report's own measure"
        );
    }
}

#[test]
fn tiers_given_twice_and_an_offering_filter() {
    let cli = school();
    let v = cli.json(&[
        "school-report",
        "--tier",
        "severe-chronic",
        "--tier",
        "at-risk",
        "--json",
    ]);
    assert_eq!(students(&v), [EVE, ANA]);
    let v = cli.json(&["school-report", "--offering", ART, "--json"]);
    assert_eq!(students(&v), [CY, ANA, BO], "students with records in Art");
    let v = cli.json(&["school-report", "--search", "alvarez", "--json"]);
    assert_eq!(students(&v), [ANA]);
}

#[test]
fn the_call_list_is_written_and_defused() {
    let cli = school();
    let file = cli.path("calls.csv");
    let out = cli.ok(&[
        "school-report",
        "--tier",
        "severe-chronic",
        "--csv",
        file.to_str().expect("path"),
    ]);
    assert!(out.contains("Wrote the call list (1 student)"), "{out}");
    let csv = std::fs::read_to_string(&file).expect("the call list");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("student_id,student_name,offerings,tier,"));
    assert!(
        lines[1].starts_with(&format!(
            "{EVE},'=Eve Cruz,Matemáticas 7A,severe-chronic,100.0,12,"
        )),
        "a name a spreadsheet would run as a formula is defused: {}",
        lines[1]
    );
}

#[test]
fn the_table_is_ranked() {
    let cli = school();
    let out = cli.ok(&["school-report"]);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} in {out}"));
    assert!(out.contains("4 of 4 students with records"), "{out}");
    assert!(at("=Eve Cruz") < at("Cy Ng") && at("Cy Ng") < at("Ana Álvarez"));
    assert!(at("Ana Álvarez") < at("Bo Li"));
}

#[test]
fn a_bad_tier_is_refused_by_name() {
    let cli = school();
    let err = cli.invalid(&["school-report", "--tier", "chronic"]);
    assert!(
        err.contains("--tier") && err.contains("\"chronic\" is not a tier"),
        "the message names the flag and the value: {err}"
    );
    let err = cli.invalid(&[
        "school-report",
        "--from",
        "2024-05-02",
        "--to",
        "2024-05-01",
    ]);
    assert!(
        err.contains("--from 2024-05-02 is after --to 2024-05-01"),
        "{err}"
    );
}
