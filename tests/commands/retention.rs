//! Keeping records for a limited time through the commands: the setting is saved and checked, a
//! preview changes nothing, "Purge now" removes what the server confirmed and is older, and a
//! retention set purges at start-up.

use std::path::Path;

use rollbook_core::marks::{self, Origin};
use rollbook_core::store::Store;
use rollbook_core::{retention, roster, Day, Id, Status};
use serde_json::{json, Value};

use super::*;

const ALGEBRA: &str = "5f0c1a2e-3b4d-4c5e-8f60-718293a4b5c6";
const ANA: &str = "c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f";
const BEN: &str = "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70";
const CHLOE: &str = "e5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7081";

fn set_mark(window: &WebviewWindow<MockRuntime>, student: &str, date: &str, status: &str) {
    call(
        window,
        "set_mark",
        json!({"offering": ALGEBRA, "student": student, "date": date, "status": status}),
    )
    .expect("the mark is saved");
}

/// As if the server had confirmed every item of `date` but `except`'s.
fn confirm(db: &Path, date: &str, except: &str) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute(
            "UPDATE outbox SET state = 'synced' WHERE date = ?1 AND student_id <> ?2",
            [date, except],
        )
        .unwrap();
}

fn history(window: &WebviewWindow<MockRuntime>, student: &str, date: &str) -> Vec<Value> {
    call(
        window,
        "history",
        json!({"offering": ALGEBRA, "student": student, "date": date}),
    )
    .unwrap()
    .as_array()
    .unwrap()
    .clone()
}

#[test]
fn keep_days_are_saved_previewed_and_purged() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rollbook.db");
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let (old, recent) = (days_ago(400), days_ago(1));
    for student in [ANA, BEN, CHLOE] {
        set_mark(&window, student, &old, "present");
    }
    set_mark(&window, ANA, &recent, "late");
    set_mark(&window, ANA, &recent, "absent");
    // No token here: the server "confirms" by hand. Chloé's old mark is still waiting.
    confirm(&db, &old, CHLOE);
    let recent_history = history(&window, ANA, &recent);
    assert_eq!(recent_history.len(), 2);

    assert_eq!(
        invoke(&window, "retention"),
        Ok(json!({"keep_days": null, "last_purge": null})),
        "everything is kept by default, and a start without a setting purges nothing"
    );
    assert_error(
        invoke(&window, "preview_purge"),
        "invalid",
        "no days to keep: nothing to preview",
    );
    for (typed, named) in [
        ("0", "0 is not"),
        ("36501", "36501"),
        ("a month", "\"a month\""),
    ] {
        let message = assert_error(
            call(&window, "save_retention", json!({"keepDays": typed})),
            "invalid",
            "not a number of days",
        );
        assert!(message.contains(named), "{typed}: {message}");
    }
    assert_eq!(
        invoke(&window, "retention").unwrap()["keep_days"],
        Value::Null,
        "a refused value is not saved"
    );

    let saved = call(&window, "save_retention", json!({"keepDays": " 30 "})).unwrap();
    assert_eq!(saved, json!({"keep_days": 30, "last_purge": null}));

    let before = snapshot(&db);
    let preview = invoke(&window, "preview_purge").expect("a preview with the saved days");
    let expected = json!({
        "keep_days": 30,
        "cutoff": days_ago(30),
        "marks": 2,
        "changes": 2,
        "outbox_items": 2,
        "server_records": 0,
        "kept_unconfirmed": 1,
    });
    assert_eq!(preview, expected);
    assert_eq!(snapshot(&db), before, "a preview changes nothing");
    let other = call(&window, "preview_purge", json!({"keepDays": "1000"})).unwrap();
    assert_eq!(other["marks"], 0, "the days typed, before saving them");

    let after = invoke(&window, "purge_now").expect("purge now");
    assert_eq!(after["keep_days"], 30);
    let last = &after["last_purge"];
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(
            &last[key], value,
            "the purge removed what the preview said ({key})"
        );
    }
    assert!(last["ran_at"].is_string());
    assert!(
        history(&window, ANA, &old).is_empty(),
        "confirmed and old: gone"
    );
    assert!(history(&window, BEN, &old).is_empty());
    assert_eq!(
        history(&window, CHLOE, &old).len(),
        1,
        "not confirmed: kept"
    );
    assert_eq!(
        history(&window, ANA, &recent),
        recent_history,
        "recent: untouched"
    );
    let roll = call(&window, "roster", json!({"offering": ALGEBRA, "date": old})).unwrap();
    let marked: Vec<&Value> = roll
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["status"].is_null())
        .map(|r| &r["student_id"])
        .collect();
    assert_eq!(marked, [CHLOE], "the old roll shows only the unsent mark");

    let off = call(&window, "save_retention", json!({"keepDays": ""})).unwrap();
    assert_eq!(off["keep_days"], Value::Null, "empty: keep everything");
    assert_eq!(
        off["last_purge"], after["last_purge"],
        "the last purge is still shown"
    );
}

#[test]
fn a_retention_set_purges_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let old = days_ago(400);
    {
        let mut store = Store::open_data_dir(dir.path()).unwrap();
        roster::import_roster_csv(&mut store, fixture().as_bytes(), "roster.csv").unwrap();
        let clock = rollbook_core::clock::SystemClock;
        for student in [ANA, BEN] {
            marks::record_mark(
                &mut store,
                &clock,
                // Records old enough to purge: dated outside the window on purpose.
                marks::DateWindow::new(Day::parse(&old).unwrap()).allow_outside(true),
                "app:test",
                Origin::Grid,
                &Id::parse(ALGEBRA).unwrap(),
                &Id::parse(student).unwrap(),
                Day::parse(&old).unwrap(),
                Status::Absent,
            )
            .unwrap();
        }
        retention::set_keep_days(&store, Some(90)).unwrap();
    }
    confirm(&dir.path().join("rollbook.db"), &old, BEN);

    // The purge waits for the window's first screen: until the page says it is painted, the
    // window reads everything as it was.
    let (_app, window) = app_unshown(memory_tokens(AppState::new(dir.path().to_path_buf())));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(invoke(&window, "retention").unwrap()["last_purge"].is_null());
    assert_eq!(
        history(&window, ANA, &old).len(),
        1,
        "Ana's mark is still there"
    );
    invoke(&window, "window_shown").unwrap();
    let mut shown = Value::Null;
    wait_until("the start-up purge is logged", || {
        shown = invoke(&window, "retention").unwrap();
        !shown["last_purge"].is_null()
    });
    assert_eq!(shown["keep_days"], 90);
    assert_eq!(shown["last_purge"]["marks"], 1);
    assert_eq!(shown["last_purge"]["kept_unconfirmed"], 1);
    assert!(
        history(&window, ANA, &old).is_empty(),
        "Ana's confirmed mark is gone"
    );
    assert_eq!(
        history(&window, BEN, &old).len(),
        1,
        "Ben's unsent mark is kept"
    );
}
