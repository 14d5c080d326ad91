//! `rollbook-cli sync`, `pull`, `rejected`, `discard`, `status --json` and `login` input checks:
//! the real binary against athena-sim on 127.0.0.1:0.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

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

/// `login` with `typed` on its stdin, where it reads the token.
fn login_typing(rig: &Rig, args: &[&str], typed: &[u8]) -> std::process::Output {
    let mut command = vec!["login"];
    command.extend_from_slice(args);
    let mut child = rig
        .cli
        .command(&command)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(typed).unwrap();
    child.wait_with_output().unwrap()
}

/// `login` with an empty token (exit 2, nothing in the keyring): its settings are saved first.
fn login_without_a_token(rig: &Rig, args: &[&str]) {
    let out = login_typing(rig, args, b"\n");
    assert_eq!(out.status.code(), Some(2), "{args:?}");
}

#[test]
fn login_keeps_the_setting_it_is_not_given_and_saves_both_together() {
    const SCHOOL: &str = "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9";
    let rig = Rig::small_school(TOKEN);
    let settings = || {
        let store = rollbook_core::store::Store::open_data_dir(&rig.cli.data_dir()).unwrap();
        let get = |key| store.setting(key).unwrap();
        (
            get(rollbook_core::sync::api::SETTING_API_URL),
            get(rollbook_core::sync::api::SETTING_SCHOOL_ID),
        )
    };
    let (url_before, _) = settings();
    login_without_a_token(&rig, &["--school-id", SCHOOL]);
    let (url, school) = settings();
    assert_eq!(school.as_deref(), Some(SCHOOL));
    let default = || rollbook_core::sync::api::DEFAULT_API_URL.to_string();
    assert_eq!(
        url.unwrap_or_else(default),
        url_before.unwrap_or_else(default),
        "the URL is kept"
    );
    login_without_a_token(&rig, &["--api-url", "http://127.0.0.1:9"]);
    assert_eq!(
        settings(),
        (Some("http://127.0.0.1:9".into()), Some(SCHOOL.into())),
        "the school id is kept"
    );
    login_without_a_token(&rig, &["--school-id", ""]);
    assert_eq!(settings(), (Some("http://127.0.0.1:9".into()), None));
}

#[test]
fn login_checks_its_input_before_touching_the_keyring() {
    let rig = Rig::small_school(TOKEN);
    let out = rig
        .cli
        .run(&["login", "--api-url", "http://api.athena-erp.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only allowed to this computer"));
    let out = login_typing(&rig, &[], b"  \n");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an empty token is the user's to fix"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no token"));
}

/// The server's records of one mark, oldest first, as statuses.
fn server_statuses(rig: &Rig, offering: usize, student: usize) -> Vec<String> {
    let (o, s) = rig.pick(offering, student);
    let mut records: Vec<_> = rig
        .sim
        .records()
        .into_iter()
        .filter(|r| r.course_offering_id.to_string() == o && r.student_id.to_string() == s)
        .collect();
    records.sort_by_key(|r| r.recorded_at);
    records
        .iter()
        .map(|r| r.status.as_str().to_string())
        .collect()
}

#[test]
fn a_revert_after_an_unknown_outcome_leaves_one_record_and_an_honest_history() {
    let rig = Rig::small_school(TOKEN);
    rig.sim
        .set_faults(Faults::parse("drop_after=1").expect("spec"));
    rig.mark(0, 0, recent_date(), "absent");
    let out = rig.cli.run(&["sync", "--wait", "--timeout", "3"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "the answer was lost: unknown at the timeout; {}",
        String::from_utf8_lossy(&out.stderr)
    );
    rig.mark(0, 0, recent_date(), "late");
    rig.mark(0, 0, recent_date(), "absent");
    rig.sim.clear_faults();
    let report = rig.cli.json(&["sync", "--wait", "--json"]);
    assert_eq!(
        server_statuses(&rig, 0, 0),
        vec!["absent"],
        "the server held absent already: a second POST would be a duplicate"
    );
    assert_eq!(report["sent"], 0, "{report}");
    assert_eq!(report["duplicates"], Value::Array(vec![]));
    let (o, s) = rig.pick(0, 0);
    let history = rig.cli.json(&[
        "history",
        "--offering",
        &o,
        "--student",
        &s,
        "--date",
        recent_date(),
        "--json",
    ]);
    let rows = history.as_array().expect("history rows");
    assert_eq!(rows.len(), 3, "{history}");
    assert_eq!(rows[1]["new_status"], "late");
    assert_eq!(
        (&rows[1]["outbox_state"], &rows[1]["server_id"]),
        (&Value::from("cancelled"), &Value::Null),
        "\"late\" never left: its row must not name the absent record; {history}"
    );
    let text = rig.cli.ok(&[
        "history",
        "--offering",
        &o,
        "--student",
        &s,
        "--date",
        recent_date(),
    ]);
    let late_line = text
        .lines()
        .find(|l| l.contains("absent -> late"))
        .expect("the late change is listed");
    assert!(
        late_line.contains("cancelled") && !late_line.contains("server record"),
        "{text}"
    );
}

#[test]
fn one_failed_listing_then_one_listing_settles_a_whole_course() {
    let rig = Rig::small_school(TOKEN);
    rig.sim
        .set_faults(Faults::parse("drop_after=1").expect("spec"));
    for student in 0..25 {
        rig.mark(0, student, recent_date(), "present");
    }
    let out = rig.cli.run(&["sync", "--wait", "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(3), "all 25 unknown at the timeout");
    assert_eq!(rig.sim.record_count(), 25);
    // The first listing fails with a 500; the server is healthy after it.
    rig.sim
        .set_faults(Faults::parse("methods=get").expect("spec"));
    rig.sim.fail_next(athena_sim::FaultKind::ServerError, 1);
    let before = rig.sim.list_count();
    // Delivery only: the refresh after it would list the offering once more.
    let out = rig.cli.run(&[
        "sync",
        "--wait",
        "--timeout",
        "60",
        "--no-refresh",
        "--json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a healthy server settles the course within the timeout: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        rig.sim.list_count(),
        before + 2,
        "the failed listing, then one listing for all 25 items"
    );
    assert_eq!(rig.sim.record_count(), 25, "none was sent twice");
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(status["synced"], 25);
}

/// `n` school days before today (oldest first), as `YYYY-MM-DD`: dates a mark may carry.
fn recent_days(n: u32) -> Vec<String> {
    athena_sim::school_days_before(athena_sim::today_utc(), n)
        .into_iter()
        .map(athena_sim::format_date)
        .collect()
}

/// Every (offering, student, date) on the server has exactly one record, and there are `n`.
fn one_record_per_mark(rig: &Rig, n: usize) {
    let mut per_key: HashMap<String, usize> = HashMap::new();
    for r in rig.sim.records() {
        let key = format!(
            "{} {} {}",
            r.course_offering_id, r.student_id, r.attendance_date
        );
        *per_key.entry(key).or_default() += 1;
    }
    let twice: Vec<_> = per_key.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "a mark stored twice breaks exactly-once: {twice:?}"
    );
    assert_eq!(per_key.len(), n, "every mark reaches the server");
}

/// Waits until the sim is done with what the last (exited) run left on the wire, so the next
/// run finds on the server whatever a cut request stored there.
fn sim_settles(rig: &Rig) {
    if let Err(busy) = rig.block_on(rig.sim.wait_idle(GUARD)) {
        panic!("the sim must finish the requests of a stopped run: {busy}");
    }
}

/// The outbox as `status --json` shows it: (pending, sending, unknown, synced).
fn outbox_counts(rig: &Rig) -> (u64, u64, u64, u64) {
    let s = rig.cli.json(&["status", "--json"]);
    let n = |k: &str| {
        s[k].as_u64()
            .unwrap_or_else(|| panic!("status --json has {k}: {s}"))
    };
    (n("pending"), n("sending"), n("unknown"), n("synced"))
}

/// How long a test waits for the sim or a child before calling it a failure (a guard only).
const GUARD: Duration = Duration::from_secs(60);

#[test]
fn timeout_bounds_the_whole_run_even_with_a_request_on_the_wire() {
    let rig = Rig::small_school(TOKEN);
    let dates = recent_days(1);
    for s in 0..5 {
        rig.mark(0, s, &dates[0], "absent");
    }
    rig.sim.set_faults(Faults::none().with_latency_ms(2000));
    let started = Instant::now();
    let out = rig.cli.run(&[
        "sync",
        "--wait",
        "--timeout",
        "3",
        "--concurrency",
        "1",
        "--json",
    ]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "timed out: {stderr}");
    // The promise of --timeout 3: the command is over within a second or two of 3 s, not
    // after every 2 s POST of the queue.
    assert!(took < Duration::from_secs(5), "--timeout 3 ran {took:?}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("the report is printed");
    let (pending, sending, unknown, synced) = outbox_counts(&rig);
    assert_eq!(sending, 0, "nothing is left in flight: the state is saved");
    assert_eq!(
        unknown, 1,
        "the POST cut at the deadline is unknown, as after a crash"
    );
    assert_eq!(report["confirmed"].as_u64(), Some(synced));
    assert_eq!(pending + unknown + synced, 5, "nothing is lost");

    rig.sim.clear_faults();
    sim_settles(&rig);
    let again = rig.cli.json(&["sync", "--wait", "--json"]);
    assert_eq!(again["left"], 0, "{again}");
    assert_eq!(outbox_counts(&rig), (0, 0, 0, 5));
    one_record_per_mark(&rig, 5);
}

#[test]
fn timeout_bounds_a_long_queue_and_the_next_sync_finishes_it_once() {
    let rig = Rig::small_school(TOKEN);
    let mut csv = String::from("course_offering_id,student_id,attendance_date,status\n");
    let mut marks = 0;
    for date in recent_days(8) {
        for e in rig.sim.enrollments() {
            csv.push_str(&format!(
                "{},{},{date},present\n",
                e.course_offering_id, e.student_id
            ));
            marks += 1;
        }
    }
    assert!(marks >= 2000, "a long queue: {marks}");
    let file = rig.cli.write("checkins.csv", csv);
    rig.cli
        .ok(&["marks", "import", file.to_str().expect("utf-8 path")]);
    // 8 POSTs of 50 ms at a time: about 160 a second, so the queue takes far longer than 2 s.
    rig.sim.set_faults(Faults::none().with_latency_ms(50));
    let started = Instant::now();
    let out = rig.cli.run(&["sync", "--wait", "--timeout", "2", "--json"]);
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "timed out: {stderr}");
    assert!(took < Duration::from_secs(4), "--timeout 2 ran {took:?}");
    let (pending, sending, unknown, synced) = outbox_counts(&rig);
    assert_eq!(sending, 0, "nothing is left in flight: the state is saved");
    assert!(pending > 0, "the queue was not finished in 2 s");
    assert_eq!(pending + unknown + synced, marks as u64, "nothing is lost");

    rig.sim.clear_faults();
    sim_settles(&rig);
    let again = rig.cli.json(&["sync", "--wait", "--json"]);
    assert_eq!(again["left"], 0, "{again}");
    assert_eq!(outbox_counts(&rig), (0, 0, 0, marks as u64));
    one_record_per_mark(&rig, marks);
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_sync_saying_what_it_left_and_the_next_sync_delivers_once() {
    let rig = Rig::small_school(TOKEN);
    let dates = recent_days(1);
    for s in 0..4 {
        rig.mark(1, s, &dates[0], "late");
    }
    // A POST takes 10 s: Ctrl-C lands while the first one is on the wire.
    rig.sim.set_faults(Faults::none().with_latency_ms(10_000));
    let child = rig
        .cli
        .command(&["sync", "--wait", "--concurrency", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rollbook-cli sync");
    let waiting = Instant::now();
    while rig.sim.in_flight() == 0 {
        assert!(
            waiting.elapsed() < GUARD,
            "the first POST never reached the sim"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let interrupted = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success());
    let out = child.wait_with_output().expect("wait for rollbook-cli");
    let took = interrupted.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "stopped by Ctrl-C: {stderr}");
    // Requests in flight get one more second, not the 10 s they would take.
    assert!(
        took < Duration::from_secs(5),
        "Ctrl-C took {took:?} to stop sync"
    );
    assert!(
        stderr.contains("stopped: 1 sent, 0 confirmed, 4 left (1 unknown"),
        "Ctrl-C says what it left: {stderr}"
    );
    assert_eq!(
        outbox_counts(&rig),
        (3, 0, 1, 0),
        "saved: the cut POST is unknown, the others wait"
    );

    rig.sim.clear_faults();
    sim_settles(&rig);
    let again = rig.cli.json(&["sync", "--wait", "--json"]);
    assert_eq!(again["left"], 0, "{again}");
    assert_eq!(outbox_counts(&rig), (0, 0, 0, 4));
    one_record_per_mark(&rig, 4);
}

#[test]
fn sync_help_says_the_timeout_bounds_the_whole_run() {
    let help = support::cli::Cli::new().ok(&["sync", "--help"]);
    assert!(help.contains("bound of the whole run"), "{help}");
    assert!(help.contains("Ctrl-C"), "{help}");
}
