//! The dates a mark may have, through the commands: today and the 400 days before it (the
//! user's local date; UTC in these tests, see [`days_ago`]), others only when the user
//! confirmed the date in the window and the page says so with `allowDateOutsideWindow`.

use serde_json::{json, Value};

use super::*;

const ALGEBRA: &str = "5f0c1a2e-3b4d-4c5e-8f60-718293a4b5c6";
const ANA: &str = "c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f";

fn mark(
    window: &WebviewWindow<MockRuntime>,
    date: &str,
    allow: Option<bool>,
) -> Result<Value, Value> {
    let mut args = json!({"offering": ALGEBRA, "student": ANA, "date": date, "status": "absent"});
    if let Some(allow) = allow {
        args["allowDateOutsideWindow"] = json!(allow);
    }
    call(window, "set_mark", args)
}

/// The refusal the page branches on: the code, and the date and window its question names.
fn assert_refused(result: Result<Value, Value>, date: &str) {
    let error = result.expect_err("a date outside the window is refused");
    assert_eq!(error["code"], "date_outside_window", "{error}");
    assert_eq!(error["date"], date, "{error}");
    assert_eq!(error["first"], days_ago(400).as_str(), "{error}");
    assert_eq!(error["last"], days_ago(0).as_str(), "{error}");
    let message = error["message"].as_str().expect("a message");
    assert!(message.contains(date), "{message}");
}

#[test]
fn a_mark_outside_the_window_is_refused_unless_the_user_confirmed_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    import(&window, fixture());

    for inside in [days_ago(0), days_ago(400)] {
        let row = mark(&window, &inside, None).expect("inside the window");
        assert_eq!(row["status"], "absent");
    }
    for outside in [days_ago(-1), days_ago(401), "9999-12-31".to_string()] {
        assert_refused(mark(&window, &outside, None), &outside);
        assert_refused(mark(&window, &outside, Some(false)), &outside);
        let status = |w: &WebviewWindow<MockRuntime>| {
            let rows = call(w, "roster", json!({"offering": ALGEBRA, "date": outside})).unwrap();
            rows[0]["status"].clone()
        };
        assert_eq!(status(&window), Value::Null, "nothing was written");

        let row = mark(&window, &outside, Some(true)).expect("confirmed by the user");
        assert_eq!(row["status"], "absent");
        assert_eq!(status(&window), "absent");
    }

    let rest = |date: &str, allow: Option<bool>| {
        let mut args = json!({"offering": ALGEBRA, "date": date});
        if let Some(allow) = allow {
            args["allowDateOutsideWindow"] = json!(allow);
        }
        call(&window, "mark_rest_present", args)
    };
    let tomorrow = days_ago(-1);
    let next = days_ago(-2);
    assert_refused(rest(&next, None), &next);
    assert_eq!(
        rest(&next, Some(true)).unwrap(),
        json!({"marked": 3, "kept": 0})
    );
    assert_eq!(
        rest(&tomorrow, Some(true)).unwrap(),
        json!({"marked": 2, "kept": 1}),
        "one was marked"
    );
}
