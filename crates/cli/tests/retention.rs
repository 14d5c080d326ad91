//! `rollbook-cli retention` and `purge`: the real binary on a real data directory, marks
//! delivered to athena-sim on 127.0.0.1:0. Old delivered marks go, unsent ones stay, recent
//! history is untouched, a dry run changes nothing, and a pull does not bring purged days back.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use athena_sim::Sim;
use rusqlite::{Connection, OpenFlags};
use serde_json::{json, Value};

const TOKEN: &str = "tok-RETENTION-8c2e4a6f1b3d";
const KEEP: u32 = 30;

struct Rig {
    _rt: tokio::runtime::Runtime,
    sim: Sim,
    dir: tempfile::TempDir,
}

/// A day `n` days before today (UTC: far enough from the cutoff that the time zone of the
/// binary's "today" does not matter).
fn days_ago(n: i64) -> String {
    let day = time::OffsetDateTime::now_utc().date() - time::Duration::days(n);
    format!(
        "{:04}-{:02}-{:02}",
        day.year(),
        day.month() as u8,
        day.day()
    )
}

impl Rig {
    fn new() -> Rig {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let sim = rt
            .block_on(
                Sim::builder()
                    .sample_school(3)
                    .empty_store()
                    .token(TOKEN, &["write:attendance", "read:attendance"])
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

    fn db(&self) -> PathBuf {
        self.dir.path().join("data").join("rollbook.db")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_rollbook-cli"))
            .args(args)
            .env("ROLLBOOK_DATA_DIR", self.dir.path().join("data"))
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

    /// Exit 2 with a message naming the problem.
    fn refused(&self, args: &[&str], says: &str) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{args:?} must say {says:?}: {stderr}"
        );
    }

    /// (offering, student) of the sample school.
    fn pick(&self, offering: usize, student: usize) -> (String, String) {
        let o = &self.sim.offerings()[offering];
        let e = self.sim.sample().expect("sample").enrollments_of(o.id)[student];
        (o.id.to_string(), e.student_id.to_string())
    }

    fn mark(&self, offering: usize, student: usize, date: &str, status: &str) {
        let (o, s) = self.pick(offering, student);
        self.ok(&[
            "mark",
            "--offering",
            &o,
            "--student",
            &s,
            "--date",
            date,
            "--status",
            status,
        ]);
    }

    fn history(&self, offering: usize, student: usize, date: &str) -> Value {
        let (o, s) = self.pick(offering, student);
        self.json(&[
            "history",
            "--offering",
            &o,
            "--student",
            &s,
            "--date",
            date,
            "--json",
        ])
    }

    /// Every row of every table, read beside the CLI (read-only).
    fn tables(&self) -> BTreeMap<String, Vec<String>> {
        let conn = Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only");
        let names: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .expect("tables");
        names
            .into_iter()
            .map(|table| {
                let mut stmt = conn
                    .prepare(&format!("SELECT * FROM \"{table}\" ORDER BY 1"))
                    .expect("select");
                let n = stmt.column_count();
                let rows = stmt
                    .query_map([], |r| {
                        Ok((0..n)
                            .map(|i| format!("{:?}", r.get_ref(i).expect("cell")))
                            .collect::<Vec<_>>()
                            .join(" | "))
                    })
                    .expect("rows")
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .expect("rows");
                (table, rows)
            })
            .collect()
    }

    fn server_records_on(&self, date: &str) -> i64 {
        Connection::open_with_flags(self.db(), OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open read-only")
            .query_row(
                "SELECT COUNT(*) FROM server_record WHERE date = ?1",
                [date],
                |r| r.get(0),
            )
            .expect("count")
    }
}

#[test]
fn a_purge_removes_old_delivered_marks_and_keeps_the_rest() {
    let rig = Rig::new();
    let old = days_ago(200);
    let recent = days_ago(2);
    // Delivered: two old marks of offering 0, one of offering 1, and a recent mark corrected
    // once (two history entries).
    rig.mark(0, 0, &old, "late");
    rig.mark(0, 1, &old, "present");
    rig.mark(1, 0, &old, "absent");
    rig.mark(0, 0, &recent, "present");
    rig.ok(&["sync", "--wait"]);
    rig.mark(0, 0, &recent, "absent");
    rig.ok(&["sync", "--wait"]);
    assert_eq!(rig.sim.record_count(), 5);
    // Not delivered yet: an old mark made after the sync.
    rig.mark(0, 2, &old, "excused");
    let recent_history = rig.history(0, 0, &recent);
    assert_eq!(recent_history.as_array().map(Vec::len), Some(2));

    // Nothing is purged until a retention is set.
    assert_eq!(
        rig.json(&["retention", "--json"]),
        json!({"keep_days": null, "last_purge": null})
    );
    assert!(rig.ok(&["retention"]).contains("everything"));
    rig.refused(&["purge"], "rollbook-cli retention set --keep-days N");
    rig.refused(
        &["retention", "set", "--keep-days", "0"],
        "0 is not a number of days",
    );
    rig.refused(&["retention", "set", "--keep-days", "40000"], "40000");
    rig.refused(
        &["purge", "--keep-days=-1"],
        "\"-1\" is not a number of days",
    );
    let keep = KEEP.to_string();
    rig.ok(&["retention", "set", "--keep-days", &keep]);
    assert_eq!(rig.json(&["retention", "--json"])["keep_days"], KEEP);

    // A dry run says what would go and changes nothing.
    let tables = rig.tables();
    let bytes = std::fs::read(rig.db()).expect("db bytes");
    let preview = rig.json(&["purge", "--dry-run", "--json"]);
    let counts = json!({
        "keep_days": KEEP,
        "cutoff": days_ago(i64::from(KEEP)),
        "marks": 3,
        "changes": 3,
        "outbox_items": 3,
        "server_records": 3,
        "kept_unconfirmed": 1,
    });
    let mut expected = counts.clone();
    expected["dry_run"] = json!(true);
    assert_eq!(preview, expected);
    assert_eq!(rig.tables(), tables, "a dry run writes no row");
    assert_eq!(
        std::fs::read(rig.db()).expect("db bytes"),
        bytes,
        "nor a byte"
    );
    let text = rig.ok(&["purge", "--dry-run"]);
    assert!(
        text.contains("3 marks") && text.contains("Nothing was changed"),
        "{text}"
    );

    let report = rig.json(&["purge", "--json"]);
    expected["dry_run"] = json!(false);
    assert_eq!(report, expected, "the purge removes what the dry run said");

    assert_eq!(
        rig.history(0, 0, &old),
        json!([]),
        "an old delivered mark is gone"
    );
    assert_eq!(rig.history(1, 0, &old), json!([]));
    assert_eq!(
        rig.history(0, 2, &old).as_array().map(Vec::len),
        Some(1),
        "an old mark the server has not confirmed is kept"
    );
    assert_eq!(
        rig.history(0, 0, &recent),
        recent_history,
        "recent history is untouched"
    );
    let status = rig.json(&["status", "--json"]);
    assert_eq!(
        (status["pending"].clone(), status["synced"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(rig.server_records_on(&old), 0);
    assert_eq!(rig.server_records_on(&recent), 2);

    // The server still has the old records; a pull does not bring them back.
    let (offering, _) = rig.pick(0, 0);
    let pulled = rig.json(&["pull", "--offering", &offering, "--json"]);
    assert_eq!(pulled["records"], 4, "the server lists all of offering 0");
    assert_eq!(pulled["too_old"], 2, "the two purged records are left out");
    assert_eq!(
        rig.server_records_on(&old),
        0,
        "purged days do not come back"
    );
    assert!(rig
        .ok(&["pull", "--offering", &offering])
        .contains("2 record(s) older than this computer keeps were not stored"));
    let roll = rig.json(&[
        "roster",
        "show",
        "--offering",
        &offering,
        "--date",
        &old,
        "--json",
    ]);
    let statuses: Vec<&Value> = roll
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| &r["status"])
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| !s.is_null()).count(),
        1,
        "only the unsent mark is left on the old day: {roll}"
    );

    // The last purge is shown; turning retention off keeps its record.
    let shown = rig.json(&["retention", "--json"]);
    let mut logged = counts.clone();
    logged["id"] = json!(1);
    logged["ran_at"] = shown["last_purge"]["ran_at"].clone();
    assert_eq!(shown["last_purge"], logged);
    let text = rig.ok(&["retention"]);
    assert!(
        text.contains(&format!("Records kept on this computer: {KEEP} days"))
            && text.contains("Last purge: ")
            && text.contains("3 marks")
            && text.contains("1 mark older than that not yet confirmed"),
        "{text}"
    );
    rig.ok(&["retention", "off"]);
    let shown = rig.json(&["retention", "--json"]);
    assert_eq!(shown["keep_days"], Value::Null);
    assert_eq!(shown["last_purge"]["id"], 1);

    // A one-off purge needs no setting.
    let once = rig.json(&["purge", "--keep-days", "1", "--dry-run", "--json"]);
    assert_eq!(once["keep_days"], 1);
}
