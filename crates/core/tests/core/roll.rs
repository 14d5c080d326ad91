//! The roll-call screens' queries (today's offerings, one row, unsent marks by day) and the
//! problems list with "try again" (crates/core/src/roll.rs, src/outbox/problems.rs).

use rollbook_core::outbox;
use rollbook_core::roll::{self, RollState};
use rollbook_core::Status::{Absent, Late, Present};
use serde_json::json;

use crate::common::*;

/// A record another device made, as a pull caches it.
fn server_record(store: &rollbook_core::store::Store, student: &str, enrollment: &str) {
    store
        .conn()
        .execute(
            "INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                 enrollment_id, student_id, date, status, recorded_at, recorded_at_us, fetched_at)
             VALUES ('e0000000-0000-4000-8000-000000000001', NULL, ?1, ?2, ?3, ?4, ?5, 'absent',
                     '2024-03-15T07:00:00Z', 1710486000000000, '2024-03-15T07:30:00Z')",
            (MATH, TEACHER, enrollment, student, DATE),
        )
        .expect("cache a server record");
}

#[test]
fn today_tells_each_offering_how_far_its_roll_got() {
    let mut store = school();
    let clock = clock();
    let summary = |store: &rollbook_core::store::Store, date| {
        roll::today(store, date)
            .expect("today")
            .into_iter()
            .map(|o| (o.name, o.active_students, o.marked, o.unsent, o.state))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        summary(&store, today()),
        [
            ("Ciencias 7A".into(), 1, 0, 0, RollState::NotTaken),
            ("Matemáticas 7A".into(), 3, 0, 0, RollState::NotTaken),
        ],
        "a fresh day: every roll is still to take, listed by name"
    );

    mark(&mut store, &clock, JOSE, Late);
    mark(&mut store, &clock, ANA, Present);
    let items = outbox_of(&store, JOSE);
    set_item_state(&store, items[0].0, "synced");
    assert_eq!(
        summary(&store, today())[1],
        ("Matemáticas 7A".into(), 3, 2, 1, RollState::Partly),
        "two marked, one of them still on this device only"
    );

    // Bruno's mark was made on another device and pulled: the roll is complete.
    server_record(&store, BRUNO, E_BRUNO_MATH);
    assert_eq!(
        summary(&store, today())[1],
        ("Matemáticas 7A".into(), 3, 3, 1, RollState::Taken)
    );
    assert_eq!(
        summary(&store, day("2024-03-14"))[1].4,
        RollState::NotTaken,
        "marks belong to their date"
    );

    let json = serde_json::to_value(&roll::today(&store, today()).unwrap()[1]).unwrap();
    assert_eq!(
        json,
        json!({"id": MATH, "name": "Matemáticas 7A", "teacher_assignment_id": TEACHER,
               "active_students": 3, "marked": 3, "unsent": 1, "state": "taken"}),
        "the Today screen reads exactly these fields"
    );
}

#[test]
fn unsent_counts_marks_not_items_and_includes_refused_ones() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, JOSE, Late);
    let first = outbox_of(&store, JOSE)[0].0;
    set_item_state(&store, first, "unknown");
    // A correction while the first item's outcome is unknown queues a second item.
    mark(&mut store, &clock, JOSE, Absent);
    assert_eq!(outbox_of(&store, JOSE).len(), 2);
    mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, outbox_of(&store, ANA)[0].0, "rejected");
    let math = roll::today(&store, today()).unwrap().remove(1);
    assert_eq!(
        math.unsent, 2,
        "José (two items) and Ana (refused) are two marks not on the server"
    );

    let by_day = roll::unsent_by_day(&store).unwrap();
    let math_today = &by_day[&(id(MATH), today())];
    assert_eq!(
        (
            math_today.pending,
            math_today.unknown,
            math_today.rejected,
            math_today.sending
        ),
        (1, 1, 1, 0)
    );
    assert_eq!(by_day.len(), 1, "only rolls with something unsent");
}

#[test]
fn one_row_of_the_roll_after_a_mark() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Late);
    let row = roll::roll_row(&store, &id(MATH), &id(ANA), today()).expect("Ana's row");
    assert_eq!(row.student_name, "Ana Álvarez");
    assert_eq!(row.status, Some(Late));
    let json = serde_json::to_value(&row).unwrap();
    assert_eq!(json["delivery"], "saved_here");
    assert_eq!(json["from_server"], false);
    let err = roll::roll_row(&store, &id(SCIENCE), &id(ANA), today()).unwrap_err();
    assert_eq!(err.code(), "not_found", "Ana is not on the science roll");
}

#[test]
fn problems_list_unknown_and_refused_items_with_names_and_reasons() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, JOSE, Late);
    mark(&mut store, &clock, ANA, Present);
    mark(&mut store, &clock, BRUNO, Present);
    let (jose, ana) = (outbox_of(&store, JOSE)[0].0, outbox_of(&store, ANA)[0].0);
    set_item_state(&store, jose, "unknown");
    store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'rejected', last_error = 'HTTP 422: not enrolled'
             WHERE id = ?1",
            [ana],
        )
        .unwrap();
    let list = outbox::problems(&store).unwrap();
    let view: Vec<_> = list
        .iter()
        .map(|p| {
            (
                p.id,
                p.state.as_str(),
                p.student_name.as_deref(),
                p.offering_name.as_deref(),
                p.reason.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            (
                jose,
                "unknown",
                Some("Muñoz, José"),
                Some("Matemáticas 7A"),
                None
            ),
            (
                ana,
                "rejected",
                Some("Ana Álvarez"),
                Some("Matemáticas 7A"),
                Some("HTTP 422: not enrolled")
            ),
        ],
        "the panel names who and which class, and the server's reason"
    );
    assert_eq!(serde_json::to_value(&list[1]).unwrap()["status"], "present");
}

#[test]
fn a_refused_item_can_be_tried_again_unless_a_later_change_replaced_it() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Present);
    let first = outbox_of(&store, ANA)[0].0;
    set_item_state(&store, first, "rejected");
    outbox::retry(&store, first, utc("2024-03-15T09:00:00Z"))
        .expect("the newest item of the mark can be tried again");
    assert_eq!(outbox_of(&store, ANA)[0].2, "pending");
    // Marking again now rewrites that pending item: still one POST.
    mark(&mut store, &clock, ANA, Late);
    assert_eq!(outbox_of(&store, ANA).len(), 1);

    set_item_state(&store, first, "rejected");
    mark(&mut store, &clock, ANA, Absent);
    let err = outbox::retry(&store, first, utc("2024-03-15T09:00:00Z")).unwrap_err();
    assert_eq!(
        err.code(),
        "conflict",
        "the later change carries the mark now: {err}"
    );
    let pending = outbox_of(&store, ANA)[1].0;
    assert_eq!(
        outbox::retry(&store, pending, utc("2024-03-15T09:00:00Z"))
            .unwrap_err()
            .code(),
        "conflict",
        "only a refused item is tried again"
    );
    assert_eq!(
        outbox::retry(&store, 999, utc("2024-03-15T09:00:00Z"))
            .unwrap_err()
            .code(),
        "not_found"
    );
}

#[test]
fn connection_settings_are_checked_before_anything_is_stored() {
    use rollbook_core::sync::{save_api_settings, ApiConfig};
    let store = school();
    let saved = save_api_settings(
        &store,
        " http://127.0.0.1:8080/ ",
        Some(&TEACHER.to_uppercase()),
    )
    .expect("loopback http and a UUID are fine");
    assert_eq!(saved.api_url, "http://127.0.0.1:8080");
    assert_eq!(saved.school_id, Some(id(TEACHER)), "ids are kept lowercase");
    let env = std::collections::HashMap::new();
    let config = ApiConfig::resolve_with_env(&store, &env).unwrap();
    assert_eq!(config.base_url.as_str(), "http://127.0.0.1:8080");
    assert_eq!(config.school_id, Some(id(TEACHER)));

    for (url, school, why) in [
        (
            "http://athena.example.edu",
            None,
            "plain http leaves this computer",
        ),
        ("ftp://127.0.0.1", None, "not http(s)"),
        ("https://athena.example.edu", Some("school-7"), "not a UUID"),
    ] {
        let err = save_api_settings(&store, url, school).expect_err(why);
        assert_eq!(err.code(), "invalid", "{why}: {err}");
    }
    let config = ApiConfig::resolve_with_env(&store, &env).unwrap();
    assert_eq!(
        config.base_url.as_str(),
        "http://127.0.0.1:8080",
        "a refused save changes nothing"
    );
    save_api_settings(&store, "https://athena.example.edu", Some("  ")).unwrap();
    let config = ApiConfig::resolve_with_env(&store, &env).unwrap();
    assert_eq!(config.school_id, None, "a blank school id clears it");
}
