//! Rolls still to take and the school calendar through the commands: a partly taken past
//! school day is listed, meeting days are saved and read back (and change what is listed), and
//! a non-school-days file is imported or refused whole with its rows.

use serde_json::{json, Value};

use super::*;

const ALGEBRA: &str = "5f0c1a2e-3b4d-4c5e-8f60-718293a4b5c6";
const BIOLOGY: &str = "6a1d2b3f-4c5e-4d6f-9071-8293a4b5c6d7";
const ANA: &str = "c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f";

/// The most recent Monday-to-Friday day before today, and its ISO weekday.
fn last_school_day() -> (String, u8) {
    (1..=3)
        .map(|n| {
            let day = chrono::Utc::now().date_naive() - chrono::TimeDelta::days(n);
            let day = rollbook_core::Day::from_date(day);
            (day.to_string(), day.weekday())
        })
        .find(|(_, weekday)| *weekday <= 5)
        .expect("one of the three days before today is a weekday")
}

/// The (date, offering id, state, marked) of each roll still to take, in the order shown.
fn missing(window: &WebviewWindow<MockRuntime>) -> Vec<(String, String, String, u64)> {
    invoke(window, "missing_rolls")
        .expect("missing_rolls answers")
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["date"].as_str().unwrap().to_string(),
                m["id"].as_str().unwrap().to_string(),
                m["state"].as_str().unwrap().to_string(),
                m["marked"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn meeting_days(calendar: &Value, offering: &str) -> Value {
    calendar["offerings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["offering_id"] == offering)
        .unwrap_or_else(|| panic!("{offering} is in the calendar: {calendar}"))["meeting_days"]
        .clone()
}

#[test]
fn a_partly_taken_past_school_day_is_a_roll_still_to_take() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let (day, _) = last_school_day();
    call(
        &window,
        "set_mark",
        json!({"offering": ALGEBRA, "student": ANA, "date": day, "status": "late"}),
    )
    .expect("the mark is saved");

    let list = missing(&window);
    assert_eq!(
        list.first(),
        Some(&(day.clone(), ALGEBRA.to_string(), "partly".to_string(), 1)),
        "newest first, and Algebra's roll of {day} has 1 of 3 marked: {list:?}"
    );
    assert!(
        list.contains(&(day.clone(), BIOLOGY.to_string(), "not_taken".into(), 0)),
        "Biology's roll of that day was never taken: {list:?}"
    );
    let today = days_ago(0);
    assert!(
        list.iter()
            .all(|(date, ..)| *date < today && *date >= days_ago(14)),
        "the two weeks before today, not today: {list:?}"
    );
    let first = &invoke(&window, "missing_rolls").unwrap()[0];
    assert_eq!(first["name"], "Algebra I");
    assert_eq!(first["active_students"], 3);

    // Taking the rest of the roll takes it off the list.
    call(
        &window,
        "mark_rest_present",
        json!({"offering": ALGEBRA, "date": day}),
    )
    .unwrap();
    assert!(
        !missing(&window)
            .iter()
            .any(|(date, id, ..)| *date == day && id == ALGEBRA),
        "a taken roll is not listed"
    );
}

#[test]
fn meeting_days_are_saved_read_back_and_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let (day, weekday) = last_school_day();
    let calendar = invoke(&window, "calendar").unwrap();
    assert_eq!(calendar["non_school_days"], json!([]));
    assert_eq!(
        meeting_days(&calendar, ALGEBRA),
        json!([1, 2, 3, 4, 5]),
        "Monday to Friday until the user chooses"
    );

    // Algebra meets on every day but that weekday (given unordered, with a repeat).
    let others: Vec<u8> = (1..=7).rev().filter(|d| *d != weekday).collect();
    let mut days = others.clone();
    days.push(others[0]);
    let saved = call(
        &window,
        "save_meeting_days",
        json!({"offering": ALGEBRA, "days": days}),
    )
    .expect("the days are saved");
    let mut expected = others.clone();
    expected.sort_unstable();
    assert_eq!(meeting_days(&saved, ALGEBRA), json!(expected));
    assert_eq!(
        meeting_days(&invoke(&window, "calendar").unwrap(), ALGEBRA),
        json!(expected),
        "read back as saved"
    );
    assert_eq!(meeting_days(&saved, BIOLOGY), json!([1, 2, 3, 4, 5]));
    let list = missing(&window);
    assert!(
        !list.iter().any(|(d, id, ..)| *d == day && id == ALGEBRA),
        "Algebra does not meet on {day}: {list:?}"
    );
    assert!(list.iter().any(|(d, id, ..)| *d == day && id == BIOLOGY));

    for (bad, named) in [
        (json!([0]), "0"),
        (json!([3, 300]), "300"),
        (json!([-1]), "-1"),
    ] {
        let message = assert_error(
            call(
                &window,
                "save_meeting_days",
                json!({"offering": ALGEBRA, "days": bad}),
            ),
            "invalid",
            "not a weekday",
        );
        assert!(
            message.contains("weekday") && message.contains(named),
            "{message}"
        );
    }
    // None chosen: back to Monday to Friday.
    let reset = call(
        &window,
        "save_meeting_days",
        json!({"offering": ALGEBRA, "days": []}),
    )
    .unwrap();
    assert_eq!(meeting_days(&reset, ALGEBRA), json!([1, 2, 3, 4, 5]));
}

#[test]
fn non_school_days_are_imported_or_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rollbook.db");
    let (_app, window) = app(dir.path());
    import(&window, fixture());
    let (day, _) = last_school_day();
    let file = format!("date,name\n{day},Teacher training\n2099-12-25,Winter break\n");
    let done = call(
        &window,
        "import_non_school_days",
        json!({"csv": file, "fileName": "calendar.csv"}),
    )
    .expect("the calendar imports");
    assert_eq!(done, json!({"rows": 2, "days": 2}));
    assert_eq!(
        invoke(&window, "calendar").unwrap()["non_school_days"],
        json!([day, "2099-12-25"])
    );
    assert!(
        !missing(&window).iter().any(|(d, ..)| *d == day),
        "no roll is due on a non-school day"
    );

    let before = snapshot(&db);
    let error = call(
        &window,
        "import_non_school_days",
        json!({"csv": "date\n2025-02-30\nnext monday\n", "fileName": "bad.csv"}),
    )
    .expect_err("a bad file is refused");
    assert_eq!(error["code"], "bad_file", "{error}");
    let lines: Vec<u64> = error["rows"]
        .as_array()
        .expect("the rows say what is wrong")
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3], "every bad row, by line: {error}");
    assert_eq!(snapshot(&db), before, "a refused file changes nothing");
}

#[test]
fn the_refresh_interval_is_saved_and_a_bad_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (_app, window) = app(dir.path());
    let settings = invoke(&window, "settings").unwrap();
    assert_eq!(
        settings["refresh_minutes"], 10,
        "every 10 minutes unless chosen"
    );
    let saved = call(&window, "save_refresh_minutes", json!({"minutes": " 3 "})).unwrap();
    assert_eq!(saved["refresh_minutes"], 3);
    assert_eq!(invoke(&window, "settings").unwrap()["refresh_minutes"], 3);
    let err = call(&window, "save_refresh_minutes", json!({"minutes": "0"})).unwrap_err();
    assert_eq!(err["code"], "invalid");
    assert!(
        err["message"].as_str().unwrap().contains("1 to 240"),
        "{err}"
    );
    assert_eq!(
        invoke(&window, "settings").unwrap()["refresh_minutes"],
        3,
        "unchanged"
    );
    let back = call(&window, "save_refresh_minutes", json!({"minutes": ""})).unwrap();
    assert_eq!(back["refresh_minutes"], 10, "empty: back to the default");
}
