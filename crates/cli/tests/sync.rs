//! `rollbook-cli sync`, `pull`, `rejected`, `discard`, `status --json` and `login` input checks:
//! the real binary against athena-sim on 127.0.0.1:0.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use athena_sim::{Faults, RetryAfter, Sim};
use serde_json::Value;

const TOKEN: &str = "tok-CLI-5e1d9b7a3c";
const DATE: &str = "2024-03-15";

struct Rig {
    _rt: tokio::runtime::Runtime,
    sim: Sim,
    dir: tempfile::TempDir,
}

impl Rig {
    fn new() -> Rig {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = rt
            .block_on(
                Sim::builder()
                    .sample_school(3)
                    .empty_store()
                    .token(
                        TOKEN,
                        &["write:attendance", "read:attendance", "read:students"],
                    )
                    .start(),
            )
            .expect("sim starts");
        let rig = Rig {
            _rt: rt,
            sim,
            dir: tempfile::tempdir().expect("tempdir"),
        };
        let roster = rig.dir.path().join("roster.csv");
        std::fs::write(&roster, rig.sim.sample().expect("sample").roster_csv()).expect("write");
        rig.ok(&["roster", "import", roster.to_str().expect("utf-8 path")]);
        rig
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rollbook-cli"));
        c.args(args)
            .env("ROLLBOOK_DATA_DIR", self.data_dir())
            .env("ROLLBOOK_API_URL", self.sim.base_url())
            .env("ROLLBOOK_TOKEN", TOKEN)
            .env_remove("ROLLBOOK_SCHOOL_ID")
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run rollbook-cli")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// (offering, student) of the sample school.
    fn pick(&self, offering: usize, student: usize) -> (String, String) {
        let o = &self.sim.offerings()[offering];
        let e = self.sim.sample().expect("sample").enrollments_of(o.id)[student];
        (o.id.to_string(), e.student_id.to_string())
    }

    fn mark(&self, offering: usize, student: usize, status: &str) {
        let (o, s) = self.pick(offering, student);
        self.ok(&[
            "mark",
            "--offering",
            &o,
            "--student",
            &s,
            "--date",
            DATE,
            "--status",
            status,
        ]);
    }
}

#[test]
fn sync_delivers_and_reports_as_json() {
    let rig = Rig::new();
    rig.mark(0, 0, "late");
    rig.mark(0, 1, "present");
    let status = rig.json(&["status", "--json"]);
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
    let report = rig.json(&["sync", "--json"]);
    assert_eq!(report["sent"], 2);
    assert_eq!(report["confirmed"], 2);
    assert_eq!(report["left"], 0);
    assert_eq!(report["duplicates"], Value::Array(vec![]));
    assert!(report.get("reconciled").is_some() && report.get("rejected").is_some());
    assert_eq!(rig.sim.record_count(), 2);
    let status = rig.json(&["status", "--json"]);
    assert_eq!(status["synced"], 2);
    assert!(status["last_success_at"].is_string());
    let again = rig.json(&["sync", "--wait", "--json"]);
    assert_eq!(again["sent"], 0, "nothing is sent twice");

    let (offering, _) = rig.pick(0, 0);
    let pulled = rig.json(&["pull", "--offering", &offering, "--json"]);
    assert_eq!(pulled["records"], 2);
}

#[test]
fn refused_marks_are_listed_and_can_be_discarded() {
    let rig = Rig::new();
    let (_, refused) = rig.pick(1, 2);
    rig.sim.reject_student(refused.parse().expect("uuid"));
    rig.mark(1, 2, "absent");
    rig.mark(1, 3, "absent");
    let report = rig.json(&["sync", "--json"]);
    assert_eq!(
        (report["confirmed"].as_u64(), report["rejected"].as_u64()),
        (Some(1), Some(1))
    );
    let list = rig.json(&["rejected", "--json"]);
    let item = &list[0];
    assert!(
        item["reason"].as_str().unwrap().contains("HTTP 422"),
        "{item}"
    );
    assert_eq!(item["student_id"], refused.as_str());
    let text = rig.ok(&["rejected"]);
    assert!(text.contains("does not accept attendance"), "{text}");
    let id = item["id"].as_i64().unwrap().to_string();
    rig.ok(&["discard", &id]);
    let out = rig.run(&["discard", &id]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "already discarded: the user's to fix"
    );
    assert_eq!(rig.run(&["discard", "9999"]).status.code(), Some(2));
    assert_eq!(rig.json(&["rejected", "--json"]), Value::Array(vec![]));
}

#[test]
fn a_refused_token_exits_1_and_says_sign_in_again() {
    let rig = Rig::new();
    rig.mark(0, 0, "present");
    rig.sim.revoke_token(TOKEN);
    let out = rig.run(&["sync", "--wait", "--timeout", "5"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the server refused the token"), "{stderr}");
    assert!(stderr.contains("rollbook-cli login"), "{stderr}");
    assert!(!stderr.contains(TOKEN) && !String::from_utf8_lossy(&out.stdout).contains(TOKEN));
    let status = rig.json(&["status", "--json"]);
    assert_eq!(status["blocked"]["reason"], "auth");
}

#[test]
fn a_token_of_several_schools_exits_1_asking_for_the_school_id() {
    let rig = Rig::new();
    rig.mark(0, 0, "present");
    rig.mark(0, 1, "late");
    let school = rig.sim.school_id();
    let other = athena_sim::parse_uuid("11111111-2222-4333-8444-555555555555").expect("uuid");
    rig.sim.add_token_for_schools(
        TOKEN,
        &["write:attendance", "read:attendance", "read:students"],
        &[school, other],
    );
    let out = rig.run(&["sync", "--wait"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("several schools"), "{stderr}");
    assert!(
        stderr.contains("rollbook-cli login --school-id"),
        "{stderr}"
    );
    assert_eq!(
        rig.json(&["rejected", "--json"]),
        Value::Array(vec![]),
        "no mark is refused for a missing school id"
    );
    let status = rig.json(&["status", "--json"]);
    assert_eq!(status["blocked"]["reason"], "school");
    assert_eq!(status["pending"], 2);

    let out = rig
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
    let status = rig.json(&["status", "--json"]);
    assert_eq!(status["synced"], 2);
    assert_eq!(status["blocked"], Value::Null);
    assert_eq!(rig.sim.record_count(), 2);
}

#[test]
fn wait_exits_3_when_the_timeout_comes_first() {
    let rig = Rig::new();
    rig.mark(0, 0, "present");
    let faults = Faults::parse("503=1")
        .expect("spec")
        .with_retry_after(RetryAfter::Seconds(600));
    rig.sim.set_faults(faults);
    let started = std::time::Instant::now();
    let out = rig.run(&["sync", "--wait", "--timeout", "1", "--json"]);
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
    let status = rig.json(&["status", "--json"]);
    assert!(
        status["paused_until"].is_string(),
        "the server's Retry-After is remembered"
    );
}

#[test]
fn login_checks_its_input_before_touching_the_keyring() {
    let rig = Rig::new();
    let out = rig.run(&["login", "--api-url", "http://api.athena-erp.com"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only allowed to this computer"));
    let mut child = rig
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
