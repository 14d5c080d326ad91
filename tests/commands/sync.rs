//! The sync engine behind the commands: signing in starts delivery, events report it,
//! refused marks are listed and handled (athena-sim on 127.0.0.1:0).

use std::sync::mpsc;
use std::time::Duration;

use athena_sim::{Sim, ALL_SCOPES};
use serde_json::{json, Value};
use tauri::Listener;

use super::*;

/// A loopback Athena with the fixture's offerings unknown to it (it accepts any enrollment).
fn sim() -> Sim {
    Sim::builder()
        .token(TOKEN, &ALL_SCOPES)
        .token("t-read-only", &["read:attendance"])
        .start_on(tauri::async_runtime::handle().inner())
        .expect("the sim starts")
}

/// Marks `student` with `status` in `offering` on [`date()`].
fn set_mark(window: &WebviewWindow<MockRuntime>, offering: &Value, student: &Value, status: &str) {
    call(
        window,
        "set_mark",
        json!({"offering": offering, "student": student, "date": date(), "status": status}),
    )
    .unwrap();
}

#[test]
fn signing_in_starts_delivery_and_events_report_it() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app(dir.path());
    let (tx, statuses) = mpsc::channel::<Value>();
    app.listen("sync-status", move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    let (tx, changed) = mpsc::channel::<Value>();
    app.listen("marks-changed", move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });

    let settings = call(
        &window,
        "save_settings",
        json!({"apiUrl": sim.base_url(), "schoolId": null}),
    )
    .expect("a loopback URL is fine");
    assert_eq!(
        settings,
        json!({"api_url": sim.base_url(), "school_id": null, "signed_in": false,
               "read_only": false, "demo": false, "refresh_minutes": 10})
    );
    let settings = call(&window, "sign_in", json!({"token": format!(" {TOKEN}\n")})).unwrap();
    assert_eq!(settings["signed_in"], true);
    assert!(
        !settings.to_string().contains(TOKEN),
        "no command ever returns the token"
    );

    import(&window, fixture());
    let offering = invoke(&window, "offerings").unwrap()[0]["id"].clone();
    let rows = roll(&window, &offering);
    for row in rows.as_array().unwrap() {
        set_mark(&window, &offering, &row["student_id"], "present");
    }
    // The marks nudge the engine: it sends them shortly after, with no "sync now".
    wait_until("the three marks reach the server", || {
        sim.record_count() == 3
    });
    let status = statuses
        .iter()
        .find(|s| s["synced"] == 3 && s["pending"] == 0 && s["running"] == false)
        .expect("a sync-status event says all sent");
    assert_eq!(status["online"], true);
    assert_eq!(
        changed.recv_timeout(Duration::from_secs(10)).unwrap(),
        json!({"offering": offering, "date": date()}),
        "the open grid is told its delivery column changed"
    );
    let rows = roll(&window, &offering);
    assert!(rows
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["delivery"] == "on_server"));
    assert_eq!(invoke(&window, "sync_status").unwrap()["synced"], 3);

    // A token that may not record puts the app in read-only mode once the server says so.
    call(&window, "sign_in", json!({"token": "t-read-only"})).unwrap();
    let student = rows[0]["student_id"].clone();
    set_mark(&window, &offering, &student, "late");
    invoke(&window, "sync_now").unwrap();
    wait_until("the server refuses the read-only token", || {
        invoke(&window, "settings").unwrap()["read_only"] == true
    });
    assert_eq!(sim.record_count(), 3, "nothing more was recorded");

    let settings = invoke(&window, "sign_out").unwrap();
    assert_eq!(settings["signed_in"], false);
}

#[test]
fn refused_marks_are_listed_and_can_be_tried_again_or_discarded() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    call(&window, "save_settings", json!({"apiUrl": sim.base_url()})).unwrap();
    call(&window, "sign_in", json!({"token": TOKEN})).unwrap();
    import(&window, fixture());
    let offering = invoke(&window, "offerings").unwrap()[0]["id"].clone();
    let rows = roll(&window, &offering);
    let (refused, other) = (rows[0]["student_id"].clone(), rows[1]["student_id"].clone());
    for student in [&refused, &other] {
        sim.reject_student(athena_sim::parse_uuid(student.as_str().unwrap()).unwrap());
        set_mark(&window, &offering, student, "absent");
    }
    invoke(&window, "sync_now").unwrap();
    wait_until("the server refuses both marks", || {
        invoke(&window, "sync_problems")
            .unwrap()
            .as_array()
            .is_some_and(|p| p.len() == 2)
    });
    let problems = invoke(&window, "sync_problems").unwrap();
    assert_eq!(problems[0]["state"], "rejected");
    assert_eq!(problems[0]["student_id"], refused);
    assert_eq!(problems[0]["offering_name"], "Algebra I");
    assert!(
        problems[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("422")),
        "the server's reason is shown: {problems}"
    );

    sim.accept_student(athena_sim::parse_uuid(refused.as_str().unwrap()).unwrap());
    call(&window, "retry", json!({"id": problems[0]["id"]})).unwrap();
    call(&window, "discard", json!({"id": problems[1]["id"]})).unwrap();
    wait_until("the retried mark is delivered", || sim.record_count() == 1);
    wait_until("nothing needs attention any more", || {
        invoke(&window, "sync_problems").unwrap() == json!([])
    });
    assert_eq!(
        call(&window, "resend_unknown", json!({})).unwrap(),
        json!({"resent": 0})
    );
}
