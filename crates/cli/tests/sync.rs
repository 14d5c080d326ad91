//! `rollbook-cli sync`, `pull`, `rejected`, `discard`, `status --json` and `login` input checks:
//! the real binary against athena-sim on 127.0.0.1:0.

use std::io::Write;
use std::process::Stdio;

use athena_sim::{Faults, RetryAfter};
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod sim;
}
use support::cli::recent_date;
use support::sim::Rig;

const TOKEN: &str = "tok-CLI-5e1d9b7a3c";

#[test]
fn sync_delivers_and_reports_as_json() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "late");
    rig.mark(0, 1, recent_date(), "present");
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["pending"], 2);
    for key in [
        "sending",
        "unknown",
        "blocked",
        "last_success_at",
        "next_attempt_at",
    ] {
        assert!(status.get(key).is_some(), "status --json has {key}");
    }
    let report = rig.cli.json(&["sync", "--json"]);
    assert_eq!(report["sent"], 2);
    assert_eq!(report["confirmed"], 2);
    assert_eq!(report["left"], 0);
    assert_eq!(report["duplicates"], Value::Array(vec![]));
    assert!(report.get("reconciled").is_some() && report.get("rejected").is_some());
    assert_eq!(rig.sim.record_count(), 2);
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["synced"], 2);
    assert!(status["last_success_at"].is_string());
    let again = rig.cli.json(&["sync", "--wait", "--json"]);
    assert_eq!(again["sent"], 0, "nothing is sent twice");

    let (offering, _) = rig.pick(0, 0);
    let pulled = rig.cli.json(&["pull", "--offering", &offering, "--json"]);
    assert_eq!(pulled["records"], 2);
}

#[test]
fn refused_marks_are_listed_and_can_be_discarded() {
    let rig = Rig::small_school(TOKEN);
    let (_, refused) = rig.pick(1, 2);
    rig.sim.reject_student(refused.parse().expect("uuid"));
    rig.mark(1, 2, recent_date(), "absent");
    rig.mark(1, 3, recent_date(), "absent");
    let report = rig.cli.json(&["sync", "--json"]);
    assert_eq!(
        (report["confirmed"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let list = rig.cli.json(&["rejected", "--json"]);
    let item = &list[0];
    assert!(
        item["reason"].as_str().unwrap().contains("HTTP 422"),
        "{item}"
    );
    assert_eq!(item["student_id"], refused.as_str());
    let text = rig.cli.ok(&["rejected"]);
    assert!(text.contains("does not accept attendance"), "{text}");
    let id = item["id"].as_i64().unwrap().to_string();
    rig.cli.ok(&["discard", &id]);
    let out = rig.cli.run(&["discard", &id]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "already discarded: the user's to fix"
    );
    assert_eq!(rig.cli.run(&["discard", "9999"]).status.code(), Some(2));
    assert_eq!(rig.cli.json(&["rejected", "--json"]), Value::Array(vec![]));
}

#[test]
fn a_refused_token_exits_1_and_says_sign_in_again() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "present");
    rig.sim.revoke_token(TOKEN);
    let out = rig.cli.run(&["sync", "--wait", "--timeout", "5"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the server refused the token"), "{stderr}");
    assert!(stderr.contains("rollbook-cli login"), "{stderr}");
    assert!(!stderr.contains(TOKEN) && !String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["blocked"]["reason"], "auth");
}

#[test]
fn a_token_of_several_schools_exits_1_asking_for_the_school_id() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "present");
    rig.mark(0, 1, recent_date(), "late");
    let school = rig.sim.school_id();
    let other = athena_sim::parse_uuid("11111111-2222-4333-8444-555555555555").expect("uuid");
    rig.sim.add_token_for_schools(
        TOKEN,
        &["write:attendance", "read:attendance", "read:students"],
        &[school, other],
    );
    let out = rig.cli.run(&["sync", "--wait"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("several schools"), "{stderr}");
    assert!(
        stderr.contains("rollbook-cli login --school-id"),
        "{stderr}"
    );
    assert_eq!(
        rig.cli.json(&["rejected", "--json"]),
        Value::Array(vec![]),
        "no mark is refused for a missing school id"
    );
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["blocked"]["reason"], "school");
    assert_eq!(status["pending"], 2);

    let out = rig
        .cli
        .command(&["sync", "--wait", "--json"])
        .env("ROLLBOOK_SCHOOL_ID", school.to_string())
        .output()
        .expect("run rollbook-cli");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["synced"], 2);
    assert_eq!(status["blocked"], Value::Null);
    assert_eq!(rig.sim.record_count(), 2);
}

#[test]
fn wait_exits_3_when_the_timeout_comes_first() {
    let rig = Rig::small_school(TOKEN);
    rig.mark(0, 0, recent_date(), "present");
    let faults = Faults::parse("503=1")
        .expect("spec")
        .with_retry_after(RetryAfter::Seconds(600));
    rig.sim.set_faults(faults);
    let started = std::time::Instant::now();
    let out = rig.cli.run(&["sync", "--wait", "--timeout", "1", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The point: it gave up at its own timeout instead of waiting out the 600 s Retry-After.
    // The bound is far from both, so a slow machine cannot make it fail.
    assert!(started.elapsed() < std::time::Duration::from_secs(300));
    let report: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["left"], 1);
    let status = rig.cli.json(&["status", "--json"]);
    assert!(
        status["paused_until"].is_string(),
        "the server's Retry-After is remembered"
    );
}

#[test]
fn login_checks_its_input_before_touching_the_keyring() {
    let rig = Rig::small_school(TOKEN);
    let out = rig
        .cli
        .run(&["login", "--api-url", "http://api.athena-erp.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only allowed to this computer"));
    let mut child = rig
        .cli
        .command(&["login"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"  \n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an empty token is the user's to fix"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token"));
}
