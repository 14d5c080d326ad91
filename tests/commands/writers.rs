//! The school's other writers through the commands: the history dialog lists a kiosk's record
//! next to this device's change, and the roll flags a mark changed elsewhere until the history
//! is opened.

use chrono::Timelike;
use serde_json::{json, Value};

use super::*;

/// The front desk's kiosk: a teacher assignment that is not the offering's.
const KIOSK: &str = "e5f6a7b8-c9d0-4e1f-a2b3-00000000000a";

/// This device's mark delivered (its record in the cache), then a newer kiosk record pulled:
/// written beside the app as the sync engine and a pull would.
fn delivered_then_kiosk(db: &Path) {
    let conn = rollbook_core::store::Store::open(db)
        .expect("the database opens beside the app")
        .into_connection();
    let us = |s: &str| {
        s.parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .timestamp()
            * 1_000_000
    };
    // The server dates records when they arrive: this device's a second after the change, the
    // kiosk's twelve minutes later.
    let at = |secs: i64| {
        let t = chrono::Utc::now() + chrono::TimeDelta::seconds(secs);
        rollbook_core::clock::rfc3339(t.with_nanosecond(0).unwrap())
    };
    let delivered_at = at(1);
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    for (record, teacher, status, at) in [
        (
            "f0000000-0000-4000-8000-0000000000a1",
            None,
            "absent",
            delivered_at.clone(),
        ),
        (
            "f0000000-0000-4000-8000-0000000000a2",
            Some(KIOSK),
            "late",
            at(720),
        ),
    ] {
        conn.execute(
            "INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                 enrollment_id, student_id, date, status, recorded_at, recorded_at_us, fetched_at)
             SELECT ?1, NULL, offering_id, COALESCE(?2, teacher_assignment_id), enrollment_id,
                    student_id, date, ?3, ?4, ?5, ?4 FROM outbox WHERE id = 1",
            rusqlite::params![record, teacher, status, at, us(&at)],
        )
        .unwrap();
    }
    conn.execute(
        "UPDATE outbox SET state = 'synced', server_id = 'f0000000-0000-4000-8000-0000000000a1',
             server_recorded_at = ?1 WHERE id = 1",
        [delivered_at],
    )
    .unwrap();
    conn.execute_batch("COMMIT").unwrap();
}

#[test]
fn the_history_lists_a_kiosk_record_and_opening_it_clears_the_changed_elsewhere_flag() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let today = call(&window, "today", json!({"date": date()})).unwrap();
    let algebra = today[0]["id"].clone();
    let first = roll(&window, &algebra)[0]["student_id"].clone();
    call(
        &window,
        "set_mark",
        json!({"offering": algebra, "student": first, "date": date(), "status": "absent"}),
    )
    .expect("a mark is saved");
    delivered_then_kiosk(&dir.path().join("rollbook.db"));

    let row = |w: &WebviewWindow<MockRuntime>| -> Value {
        roll(w, &algebra)
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["student_id"] == first)
            .unwrap()
            .clone()
    };
    let shown = row(&window);
    assert_eq!(shown["status"], "late", "{shown}");
    assert_eq!(shown["marked_by"], "other", "{shown}");
    assert_eq!(shown["changed_elsewhere"], true, "{shown}");

    let history = call(
        &window,
        "history",
        json!({"offering": algebra, "student": first, "date": date()}),
    )
    .unwrap();
    let lines: Vec<(Value, Value)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].clone(), e["marked_by"].clone()))
        .collect();
    assert_eq!(
        lines,
        [
            (json!("local"), Value::Null),
            (json!("server"), json!("other"))
        ],
        "this device's change, then the kiosk's record: {history}"
    );
    assert_eq!(history[1]["status"], "late");
    assert_eq!(
        row(&window)["changed_elsewhere"],
        false,
        "the teacher looked at it"
    );
}
