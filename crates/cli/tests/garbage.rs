//! `rollbook-cli sync` and `pull` against a server that answers nonsense (athena-sim's
//! `wrong_types` and `html` faults): a clear message and the documented exit code, no crash, and
//! once the server is sane again each mark reaches it exactly once.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Output;

use athena_sim::Faults;
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod sim;
}
use support::cli::recent_date;
use support::sim::Rig;

const TOKEN: &str = "tok-CLI-GARBAGE-8d2f6a";
/// The longest stderr accepted: messages quote excerpts of what the server said, never a body.
const MAX_STDERR_CHARS: usize = 2000;

/// How many records of this mark the server holds.
fn on_server(rig: &Rig, offering: usize, student: usize) -> usize {
    let (o, s) = rig.pick(offering, student);
    rig.sim
        .records()
        .iter()
        .filter(|r| r.course_offering_id.to_string() == o && r.student_id.to_string() == s)
        .count()
}

/// What a run printed on stderr, checked for what no run may ever print.
fn stderr_of(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "no crash: {stderr}");
    assert!(
        stderr.chars().count() <= MAX_STDERR_CHARS,
        "an excerpt, not the body: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains(TOKEN) && !stdout.contains(TOKEN));
    stderr
}

#[test]
fn sync_against_nonsense_times_out_saying_why_then_delivers_once() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "absent");
    // Every POST is stored and answered with JSON of the wrong types, and every listing that
    // could settle it is nonsense too.
    rig.sim
        .set_faults(Faults::parse("wrong_types=1,methods=all").expect("spec"));
    let out = rig.cli.run(&["sync", "--wait", "--timeout", "3"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(3), "--wait timed out: {stderr}");
    assert!(
        stderr.contains("timed out after 3 s with 1 change not confirmed by the server"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unclear whether the server stored it")
            && stderr.contains("not an attendance record: invalid type"),
        "the reason is named: {stderr}"
    );
    assert_eq!(on_server(&rig, 0, 0), 1, "the server stored it anyway");
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(
        (status["unknown"].as_u64(), status["synced"].as_u64()),
        (Some(1), Some(0)),
        "a nonsense answer never makes a change synced: {status}"
    );

    // The server is sane again: the change is found there, not sent a second time.
    rig.sim.clear_faults();
    let out = rig
        .cli
        .run(&["sync", "--wait", "--timeout", "120", "--json"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        (report["sent"].as_u64(), report["reconciled"].as_u64()),
        (Some(0), Some(1)),
        "found by listing, never re-sent: {report}"
    );
    assert_eq!(on_server(&rig, 0, 0), 1, "exactly once on the server");
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["synced"], 1, "{status}");
}

#[test]
fn pull_against_a_portal_page_fails_naming_the_request_then_works() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "late");
    rig.cli.ok(&["sync", "--wait"]);
    let (offering, _) = rig.pick(0, 0);
    rig.sim
        .set_faults(Faults::parse("html=1,methods=get").expect("spec"));
    let out = rig.cli.run(&["pull", "--offering", &offering]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "could not list the records (GET /academic/attendance?course_offering_id={offering})"
        )) && stderr.contains("not a list of records: it is not JSON"),
        "{stderr}"
    );
    assert!(stderr.contains("`<!DOCTYPE html>"), "{stderr}");

    rig.sim.clear_faults();
    let pulled = rig.cli.json(&["pull", "--offering", &offering, "--json"]);
    assert_eq!(pulled["records"], 1, "{pulled}");
    assert_eq!(on_server(&rig, 0, 0), 1);
}
