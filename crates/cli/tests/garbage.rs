//! `rollbook-cli sync` and `pull` against a server that answers nonsense (athena-sim's
//! `wrong_types` and `html` faults): a clear message and the documented exit code, no crash, and
//! once the server is sane again each mark reaches it exactly once.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use athena_sim::{Faults, Sim};
use serde_json::Value;

const TOKEN: &str = "tok-CLI-GARBAGE-8d2f6a";
const DATE: &str = "2024-03-15";
/// The longest stderr accepted: messages quote excerpts of what the server said, never a body.
const MAX_STDERR_CHARS: usize = 2000;

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

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rollbook-cli"))
            .args(args)
            .env("ROLLBOOK_DATA_DIR", self.data_dir())
            .env("ROLLBOOK_API_URL", self.sim.base_url())
            .env("ROLLBOOK_TOKEN", TOKEN)
            .env_remove("ROLLBOOK_SCHOOL_ID")
            .stdin(Stdio::null())
            .output()
            .expect("run rollbook-cli")
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

    /// How many records of this mark the server holds.
    fn on_server(&self, offering: usize, student: usize) -> usize {
        let (o, s) = self.pick(offering, student);
        self.sim
            .records()
            .iter()
            .filter(|r| r.course_offering_id.to_string() == o && r.student_id.to_string() == s)
            .count()
    }
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
    let rig = Rig::new();
    rig.mark(0, 0, "absent");
    // Every POST is stored and answered with JSON of the wrong types, and every listing that
    // could settle it is nonsense too.
    rig.sim
        .set_faults(Faults::parse("wrong_types=1,methods=all").expect("spec"));
    let out = rig.run(&["sync", "--wait", "--timeout", "3"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(3), "--wait timed out: {stderr}");
    assert!(
        stderr.contains("timed out after 3 s with 1 change(s) not confirmed by the server"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unclear whether the server stored it")
            && stderr.contains("not an attendance record: invalid type"),
        "the reason is named: {stderr}"
    );
    assert_eq!(rig.on_server(0, 0), 1, "the server stored it anyway");
    let status = rig.json(&["status", "--json"]);
    assert_eq!(
        (status["unknown"].as_u64(), status["synced"].as_u64()),
        (Some(1), Some(0)),
        "a nonsense answer never makes a change synced: {status}"
    );

    // The server is sane again: the change is found there, not sent a second time.
    rig.sim.clear_faults();
    let out = rig.run(&["sync", "--wait", "--timeout", "120", "--json"]);
    let stderr = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(
        (report["sent"].as_u64(), report["reconciled"].as_u64()),
        (Some(0), Some(1)),
        "found by listing, never re-sent: {report}"
    );
    assert_eq!(rig.on_server(0, 0), 1, "exactly once on the server");
    let status = rig.json(&["status", "--json"]);
    assert_eq!(status["synced"], 1, "{status}");
}

#[test]
fn pull_against_a_portal_page_fails_naming_the_request_then_works() {
    let rig = Rig::new();
    rig.mark(0, 0, "late");
    rig.ok(&["sync", "--wait"]);
    let (offering, _) = rig.pick(0, 0);
    rig.sim
        .set_faults(Faults::parse("html=1,methods=get").expect("spec"));
    let out = rig.run(&["pull", "--offering", &offering]);
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
    let pulled = rig.json(&["pull", "--offering", &offering, "--json"]);
    assert_eq!(pulled["records"], 1, "{pulled}");
    assert_eq!(rig.on_server(0, 0), 1);
}
