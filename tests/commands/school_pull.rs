//! "Refresh all classes": the school pull behind `pull_all_classes`, its `school-pull` events,
//! one at a time, Cancel, and "records as of" (athena-sim on 127.0.0.1:0).

use std::sync::mpsc;

use athena_sim::{Faults, Sim, ALL_SCOPES};
use rollbook_app::AppState;
use serde_json::{json, Value};
use tauri::Listener;

use super::*;

/// The sample school with a week of history, its roster imported, signed in; every listing
/// takes `latency_ms`.
fn signed_in_school(
    dir: &Path,
    latency_ms: u64,
) -> (Sim, App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let sim = Sim::builder()
        .sample_school(3)
        .history(chrono::NaiveDate::from_ymd_opt(2024, 3, 14).unwrap(), 5)
        .token(TOKEN, &ALL_SCOPES)
        .faults(
            Faults::none()
                .with_latency_ms(latency_ms)
                .on_methods(false, true),
        )
        .start_on(tauri::async_runtime::handle().inner())
        .expect("the sim starts");
    let (app, window) = app(dir);
    call(
        &window,
        "save_settings",
        json!({"apiUrl": sim.base_url(), "schoolId": null}),
    )
    .unwrap();
    call(&window, "sign_in", json!({"token": TOKEN})).unwrap();
    import(&window, &sim.sample().unwrap().roster_csv());
    (sim, app, window)
}

fn events(app: &App<MockRuntime>) -> mpsc::Receiver<Value> {
    let (tx, rx) = mpsc::channel::<Value>();
    app.listen("school-pull", move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    rx
}

/// The events up to the last one (`done` or `failed`).
fn until_the_end(rx: &mpsc::Receiver<Value>) -> (Vec<Value>, Value) {
    let mut progress = Vec::new();
    loop {
        let event = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the school pull ends with an event");
        if event["kind"] == "progress" {
            progress.push(event);
        } else {
            return (progress, event);
        }
    }
}

#[test]
fn refresh_all_classes_runs_in_the_background_once_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, app, window) = signed_in_school(dir.path(), 150);
    let rx = events(&app);
    let offerings = sim.offerings().len();
    let before = invoke(&window, "school_pull_state").unwrap();
    assert_eq!(before, json!({"as_of": null, "running": false}));

    assert_eq!(invoke(&window, "pull_all_classes").unwrap(), Value::Null);
    let message = assert_error(
        invoke(&window, "pull_all_classes"),
        "conflict",
        "a second start while one runs is refused",
    );
    assert!(message.contains("already"), "{message}");
    assert_eq!(
        invoke(&window, "school_pull_state").unwrap()["running"],
        true
    );
    // The window stays usable meanwhile.
    invoke(&window, "sync_status").expect("other commands answer during the pull");

    let (progress, done) = until_the_end(&rx);
    assert_eq!(done["kind"], "done", "{done}");
    assert_eq!(done["offerings"], offerings);
    assert_eq!(done["pulled"], offerings);
    assert_eq!(done["records"], sim.record_count());
    assert_eq!(done["cancelled"], false);
    assert_eq!(progress[0]["done"], 0);
    assert_eq!(progress.last().unwrap()["done"], offerings);
    assert_eq!(progress.last().unwrap()["total"], offerings);
    let after = invoke(&window, "school_pull_state").unwrap();
    assert_eq!(after["running"], false);
    assert!(after["as_of"].is_string() && after["as_of"] == done["as_of"]);
    assert_eq!(invoke(&window, "cancel_pull_all_classes").unwrap(), false);
}

#[test]
fn cancel_stops_the_school_pull_and_keeps_what_finished() {
    let dir = tempfile::tempdir().unwrap();
    let (sim, app, window) = signed_in_school(dir.path(), 400);
    let rx = events(&app);
    invoke(&window, "pull_all_classes").unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap()["done"], 0);
    assert_eq!(invoke(&window, "cancel_pull_all_classes").unwrap(), true);
    let (_, done) = until_the_end(&rx);
    assert_eq!(done["kind"], "done", "{done}");
    assert_eq!(done["cancelled"], true, "{done}");
    assert!(done["pulled"].as_u64().unwrap() < sim.offerings().len() as u64);
    assert_eq!(
        invoke(&window, "school_pull_state").unwrap()["running"],
        false
    );
}

#[test]
fn the_demo_pulls_the_school_once_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app_with(AppState::demo(dir.path().to_path_buf()));
    wait_until("the demo's school pull finishes with a time", || {
        let state = invoke(&window, "school_pull_state").unwrap();
        state["running"] == false && state["as_of"].is_string()
    });
}
