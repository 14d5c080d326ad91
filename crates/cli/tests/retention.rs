//! `rollbook-cli retention` and `purge`: the real binary on a real data directory, marks
//! delivered to athena-sim on 127.0.0.1:0. Old delivered marks go, unsent ones stay, recent
//! history is untouched, a dry run changes nothing, and a pull does not bring purged days back.

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use athena_sim::Sim;
use rollbook_core::store::Store;
use serde_json::{json, Value};

mod support {
    pub mod cli;
    pub mod db;
    pub mod sim;
}
use support::cli::days_ago;
use support::db::snapshot;
use support::sim::Rig;

const TOKEN: &str = "tok-RETENTION-8c2e4a6f1b3d";
const KEEP: u32 = 30;

/// athena-sim with a sample school of three offerings, none of their marks on it yet.
fn rig() -> Rig {
    Rig::new(
        Sim::builder()
            .sample_school(3)
            .empty_store()
            .token(TOKEN, &["write:attendance", "read:attendance"]),
        TOKEN,
    )
}

fn db(rig: &Rig) -> PathBuf {
    rig.cli.data_dir().join("rollbook.db")
}

/// Exit 2 with a message naming the problem.
fn refused(rig: &Rig, args: &[&str], says: &str) {
    let stderr = rig.cli.invalid(args);
    assert!(
        stderr.contains(says),
        "{args:?} must say {says:?}: {stderr}"
    );
}

fn history(rig: &Rig, offering: usize, student: usize, date: &str) -> Value {
    let (o, s) = rig.pick(offering, student);
    rig.cli.json(&[
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

fn server_records_on(rig: &Rig, date: &str) -> i64 {
    Store::read_only(&db(rig))
        .expect("open read-only")
        .into_connection()
        .query_row(
            "SELECT COUNT(*) FROM server_record WHERE date = ?1",
            [date],
            |r| r.get(0),
        )
        .expect("count")
}

#[test]
fn a_purge_removes_old_delivered_marks_and_keeps_the_rest() {
    let rig = rig();
    let old = days_ago(200);
    let recent = days_ago(2);
    // Delivered: two old marks of offering 0, one of offering 1, and a recent mark corrected
    // once (two history entries).
    rig.mark(0, 0, &old, "late");
    rig.mark(0, 1, &old, "present");
    rig.mark(1, 0, &old, "absent");
    rig.mark(0, 0, &recent, "present");
    rig.cli.ok(&["sync", "--wait"]);
    rig.mark(0, 0, &recent, "absent");
    rig.cli.ok(&["sync", "--wait"]);
    assert_eq!(rig.sim.record_count(), 5);
    // Not delivered yet: an old mark made after the sync.
    rig.mark(0, 2, &old, "excused");
    let recent_history = history(&rig, 0, 0, &recent);
    assert_eq!(recent_history.as_array().map(Vec::len), Some(2));

    // Nothing is purged until a retention is set.
    assert_eq!(
        rig.cli.json(&["retention", "--json"]),
        json!({"keep_days": null, "last_purge": null})
    );
    assert!(rig.cli.ok(&["retention"]).contains("everything"));
    refused(&rig, &["purge"], "rollbook-cli retention set --keep-days N");
    refused(
        &rig,
        &["retention", "set", "--keep-days", "0"],
        "0 is not a number of days",
    );
    refused(&rig, &["retention", "set", "--keep-days", "40000"], "40000");
    refused(
        &rig,
        &["purge", "--keep-days=-1"],
        "\"-1\" is not a number of days",
    );
    let keep = KEEP.to_string();
    rig.cli.ok(&["retention", "set", "--keep-days", &keep]);
    assert_eq!(rig.cli.json(&["retention", "--json"])["keep_days"], KEEP);

    // A dry run says what would go and changes nothing.
    let tables = snapshot(&db(&rig));
    let bytes = std::fs::read(db(&rig)).expect("db bytes");
    let preview = rig.cli.json(&["purge", "--dry-run", "--json"]);
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
    assert_eq!(snapshot(&db(&rig)), tables, "a dry run writes no row");
    assert_eq!(
        std::fs::read(db(&rig)).expect("db bytes"),
        bytes,
        "nor a byte"
    );
    let text = rig.cli.ok(&["purge", "--dry-run"]);
    assert!(
        text.contains("3 marks") && text.contains("Nothing was changed"),
        "{text}"
    );

    let report = rig.cli.json(&["purge", "--json"]);
    expected["dry_run"] = json!(false);
    assert_eq!(report, expected, "the purge removes what the dry run said");

    assert_eq!(
        history(&rig, 0, 0, &old),
        json!([]),
        "an old delivered mark is gone"
    );
    assert_eq!(history(&rig, 1, 0, &old), json!([]));
    assert_eq!(
        history(&rig, 0, 2, &old).as_array().map(Vec::len),
        Some(1),
        "an old mark the server has not confirmed is kept"
    );
    assert_eq!(
        history(&rig, 0, 0, &recent),
        recent_history,
        "recent history is untouched"
    );
    let status = rig.cli.json(&["status", "--json"]);
    assert_eq!(
        (status["pending"].clone(), status["synced"].clone()),
        (json!(1), json!(2))
    );
    assert_eq!(server_records_on(&rig, &old), 0);
    assert_eq!(server_records_on(&rig, &recent), 2);

    // The server still has the old records; a pull does not bring them back.
    let (offering, _) = rig.pick(0, 0);
    let pulled = rig.cli.json(&["pull", "--offering", &offering, "--json"]);
    assert_eq!(pulled["records"], 4, "the server lists all of offering 0");
    assert_eq!(pulled["too_old"], 2, "the two purged records are left out");
    assert_eq!(
        server_records_on(&rig, &old),
        0,
        "purged days do not come back"
    );
    assert!(rig
        .cli
        .ok(&["pull", "--offering", &offering])
        .contains("2 records older than this computer keeps were not stored"));
    let roll = rig.cli.json(&[
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
    let shown = rig.cli.json(&["retention", "--json"]);
    let mut logged = counts.clone();
    logged["id"] = json!(1);
    logged["ran_at"] = shown["last_purge"]["ran_at"].clone();
    assert_eq!(shown["last_purge"], logged);
    let text = rig.cli.ok(&["retention"]);
    assert!(
        text.contains(&format!("Records kept on this computer: {KEEP} days"))
            && text.contains("Last purge: ")
            && text.contains("3 marks")
            && text.contains("1 mark older than that not yet confirmed"),
        "{text}"
    );
    rig.cli.ok(&["retention", "off"]);
    let shown = rig.cli.json(&["retention", "--json"]);
    assert_eq!(shown["keep_days"], Value::Null);
    assert_eq!(shown["last_purge"]["id"], 1);

    // A one-off purge needs no setting.
    let once = rig
        .cli
        .json(&["purge", "--keep-days", "1", "--dry-run", "--json"]);
    assert_eq!(once["keep_days"], 1);
}
