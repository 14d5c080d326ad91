//! `rollbook-cli pull --all`: every offering of the roster pulled from athena-sim on
//! 127.0.0.1:0; the summary, the JSON report, exit 1 naming an offering that failed (the
//! others kept), a second pull replacing what the server no longer has, and its arguments.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use athena_sim::{FaultKind, ListFilter, Sim};
use rollbook_core::store::Store;
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod sim;
}
use support::sim::Rig;

const TOKEN: &str = "tok-PULLALL-8c2e4a6b1d";

fn school() -> Rig {
    Rig::new(
        Sim::builder()
            .sample_school(3)
            .history(chrono::NaiveDate::from_ymd_opt(2024, 3, 14).unwrap(), 5)
            .token(TOKEN, &["read:attendance", "read:students"]),
        TOKEN,
    )
}

/// Cached records of one offering.
fn cached(rig: &Rig, offering: &str) -> Vec<String> {
    let db = rig.cli.data_dir().join("rollbook.db");
    let conn = Store::read_only(&db).expect("db").into_connection();
    let mut stmt = conn
        .prepare("SELECT id FROM server_record WHERE offering_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([offering], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn on_server(rig: &Rig, offering: &athena_sim::Offering) -> usize {
    rig.sim
        .list(ListFilter {
            course_offering_id: Some(offering.id),
            student_id: None,
        })
        .len()
}

#[test]
fn pull_all_pulls_every_class_and_reports_it() {
    let rig = school();
    let offerings = rig.sim.offerings().len();
    let out = rig.cli.run(&["pull", "--all"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains(&format!("Pulled {offerings} of {offerings} classes")),
        "{stdout}"
    );
    assert!(stdout.contains("Records as of "), "{stdout}");
    assert!(
        !stderr.contains("Pulled"),
        "progress only on a terminal, never in a script's stderr: {stderr}"
    );

    let report = rig.cli.json(&["pull", "--all", "--json"]);
    assert_eq!(report["offerings"], offerings);
    assert_eq!(report["pulled"], offerings);
    assert_eq!(report["failed"], Value::Array(vec![]));
    assert_eq!(report["records"], rig.sim.record_count());
    assert_eq!(
        report["new_records"], 0,
        "the second pull finds nothing new"
    );
    assert_eq!(report["cancelled"], false);
    assert!(report["as_of"].is_string());
    for o in rig.sim.offerings() {
        assert_eq!(cached(&rig, &o.id.to_string()).len(), on_server(&rig, o));
    }
}

#[test]
fn a_class_that_fails_is_named_and_the_others_are_kept() {
    let rig = school();
    let bad = rig.sim.offerings()[1].clone();
    rig.sim.fail_listings_of(bad.id, FaultKind::Garbage, 1);
    let out = rig.cli.run(&["pull", "--all", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&bad.name) && stderr.contains(&bad.id.to_string()),
        "the failing class is named: {stderr}"
    );
    assert!(
        stderr.contains("not a list of records"),
        "with why: {stderr}"
    );
    assert!(stderr.contains("the others were kept"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is printed");
    assert_eq!(report["failed"][0]["offering_id"], bad.id.to_string());
    assert_eq!(report["failed"][0]["name"], bad.name);
    assert_eq!(report["pulled"], rig.sim.offerings().len() - 1);
    assert!(cached(&rig, &bad.id.to_string()).is_empty());
    for o in rig.sim.offerings().iter().filter(|o| o.id != bad.id) {
        assert_eq!(cached(&rig, &o.id.to_string()).len(), on_server(&rig, o));
    }
}

#[test]
fn a_second_pull_replaces_what_the_server_no_longer_has() {
    let rig = school();
    rig.cli.ok(&["pull", "--all"]);
    let o = rig.sim.offerings()[0].clone();
    let before = cached(&rig, &o.id.to_string());
    let gone = rig
        .sim
        .records()
        .into_iter()
        .find(|r| r.course_offering_id == o.id)
        .expect("a record of the offering");
    assert!(rig.sim.remove_record(gone.id));
    let report = rig.cli.json(&["pull", "--all", "--json"]);
    assert_eq!(report["pulled"], rig.sim.offerings().len());
    let after = cached(&rig, &o.id.to_string());
    assert_eq!(after.len(), before.len() - 1);
    assert!(!after.contains(&gone.id.to_string()));
}

#[test]
fn concurrency_goes_only_with_all_and_within_bounds() {
    let rig = school();
    let stderr = rig.cli.invalid(&[
        "pull",
        "--offering",
        &rig.sim.offerings()[0].id.to_string(),
        "--concurrency",
        "4",
    ]);
    assert!(stderr.contains("--all"), "{stderr}");
    for n in ["0", "65", "many"] {
        let stderr = rig.cli.invalid(&["pull", "--all", "--concurrency", n]);
        assert!(stderr.contains("--concurrency"), "{n}: {stderr}");
    }
    let stderr = rig.cli.invalid(&[
        "pull",
        "--all",
        "--student",
        &rig.sim.students()[0].id.to_string(),
    ]);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    rig.cli.ok(&["pull", "--all", "--concurrency", "1"]);
    assert!(rig.sim.max_lists_in_flight() <= 1);
}

#[test]
fn school_report_pull_pulls_every_class_before_ranking() {
    let rig = school();
    let from_cache = rig.cli.json(&[
        "school-report",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-14",
        "--json",
    ]);
    assert_eq!(
        from_cache["students"],
        Value::Array(vec![]),
        "nothing pulled yet"
    );
    assert!(from_cache["as_of"].is_null());

    let pulled = rig.cli.json(&[
        "school-report",
        "--from",
        "2024-03-01",
        "--to",
        "2024-03-14",
        "--pull",
        "--json",
    ]);
    let students = pulled["students"].as_array().expect("students");
    let with_records: std::collections::HashSet<String> = rig
        .sim
        .list(ListFilter {
            course_offering_id: None,
            student_id: None,
        })
        .iter()
        .map(|r| r.student_id.to_string())
        .collect();
    assert_eq!(
        students.len(),
        with_records.len(),
        "every student with records"
    );
    assert!(pulled["as_of"].is_string(), "the school pull's time");
    for o in rig.sim.offerings() {
        assert_eq!(cached(&rig, &o.id.to_string()).len(), on_server(&rig, o));
    }
}
