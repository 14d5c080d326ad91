//! Commands that only read run on connections of their own: they answer while another command
//! holds the store (a long write, a slow read), and they see every committed change.

use std::sync::mpsc;
use std::time::Duration;

use rollbook_app::AppState;
use serde_json::json;
use tauri::Manager;

use super::*;

#[test]
fn reading_commands_answer_while_the_store_is_held_and_see_what_was_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (app, window) = app(dir.path());
    import(&window, fixture());
    let offering = invoke(&window, "offerings").unwrap()[0]["id"].clone();
    let student = roll(&window, &offering)[0]["student_id"].clone();
    let mark = |status: &str| {
        call(
            &window,
            "set_mark",
            json!({"offering": offering, "student": student, "date": date(), "status": status}),
        )
        .unwrap()
    };
    mark("late");

    // Another command holds the store until the reads below are done (or 10 s have passed:
    // then they waited for it, and the test fails instead of hanging).
    let (held_tx, held) = mpsc::channel();
    let (done, done_rx) = mpsc::channel::<()>();
    let handle = app.handle().clone();
    let holder = std::thread::spawn(move || {
        handle.state::<AppState>().with_store(|_store| {
            held_tx.send(()).unwrap();
            Ok::<bool, rollbook_core::Error>(done_rx.recv_timeout(Duration::from_secs(10)).is_ok())
        })
    });
    held.recv().unwrap();
    let rows = roll(&window, &offering);
    let counted = counts(&window, &offering);
    let today = call(&window, "today", json!({"date": date()})).unwrap();
    invoke(&window, "missing_rolls").unwrap();
    invoke(&window, "calendar").unwrap();
    invoke(&window, "app_info").unwrap();
    invoke(&window, "school_view").unwrap();
    done.send(()).unwrap();
    assert!(
        holder.join().unwrap().unwrap(),
        "the reads answered while the store was held, without waiting for it"
    );
    assert_eq!(
        rows[0]["status"], "late",
        "the committed mark is read: {rows}"
    );
    assert_eq!(counted["late"], 1, "{counted}");
    let ours = today
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == offering)
        .unwrap()
        .clone();
    assert_eq!(ours["marked"], 1, "{ours}");

    // A connection given back reads the next commit too.
    mark("absent");
    assert_eq!(roll(&window, &offering)[0]["status"], "absent");
    let counted = counts(&window, &offering);
    assert_eq!(
        (counted["late"].clone(), counted["absent"].clone()),
        (json!(0), json!(1))
    );
}
