//! Queries: the roll of an offering, counts, offerings, outbox counts.

use rollbook_core::marks;
use rollbook_core::outbox::{outbox_counts, OutboxCounts};
use rollbook_core::roll::{self, Delivery};
use rollbook_core::roster;
use rollbook_core::Status::{Absent, Excused, Late, Present};
use rstest::rstest;

use crate::common::*;

#[test]
fn the_roll_lists_active_students_by_name_with_their_marks() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, JOSE, Late);
    let rows = roll::rows(&store, &id(MATH), today()).expect("roster");
    let view: Vec<(&str, &str, Option<_>)> = rows
        .iter()
        .map(|r| {
            (
                r.student_name.as_str(),
                r.course_enrollment_id.as_str(),
                r.status,
            )
        })
        .collect();
    assert_eq!(
        view,
        [
            ("Ana Álvarez", E_ANA_MATH, None),
            ("bruno Díaz", E_BRUNO_MATH, None),
            ("Muñoz, José", E_JOSE_MATH, Some(Late)),
        ],
        "teachers scan the roll by name, whatever the case or accents"
    );
    assert_eq!(rows[2].changed_at.as_deref(), Some("2024-03-15T08:00:01Z"));
    let other_day = roll::rows(&store, &id(MATH), day("2024-03-14")).expect("roster");
    assert!(
        other_day.iter().all(|r| r.status.is_none()),
        "marks belong to their date"
    );

    let json = serde_json::to_value(&rows[2]).expect("json");
    assert_eq!(json["status"], "late");
    assert_eq!(json["delivery"], "saved_here");
    assert_eq!(
        serde_json::to_value(&rows[0]).expect("json")["status"],
        serde_json::Value::Null
    );
}

#[test]
fn the_roll_of_an_unknown_offering_is_not_found() {
    let store = school();
    let err = roll::rows(&store, &id(TEACHER), today()).expect_err("unknown");
    assert_eq!(err.code(), "not_found");
}

#[rstest]
#[case("pending", Some(Delivery::SavedHere))]
#[case("sending", Some(Delivery::Sending))]
#[case("synced", Some(Delivery::OnServer))]
#[case("unknown", Some(Delivery::NeedsAttention))]
#[case("rejected", Some(Delivery::NeedsAttention))]
fn delivery_follows_the_newest_item_of_the_mark(
    #[case] state: &str,
    #[case] expected: Option<Delivery>,
) {
    let mut store = school();
    let clock = clock();
    let item = mark(&mut store, &clock, ANA, Present)
        .outbox_id
        .expect("item");
    set_item_state(&store, item, state);
    let rows = roll::rows(&store, &id(MATH), today()).expect("roster");
    assert_eq!(
        rows[0].delivery, expected,
        "the grid shows where each mark is"
    );
}

#[test]
fn a_cancelled_correction_shows_the_record_the_server_has() {
    let mut store = school();
    let clock = clock();
    let item = mark(&mut store, &clock, ANA, Present)
        .outbox_id
        .expect("item");
    set_item_state(&store, item, "synced");
    mark(&mut store, &clock, ANA, Absent);
    mark(&mut store, &clock, ANA, Present);
    let rows = roll::rows(&store, &id(MATH), today()).expect("roster");
    assert_eq!(rows[0].delivery, Some(Delivery::OnServer));
}

#[test]
fn counts_by_status_of_active_students() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Excused);
    mark(&mut store, &clock, JOSE, Absent);
    let counts = marks::counts(&store, &id(MATH), today()).expect("counts");
    assert_eq!(
        (
            counts.present,
            counts.absent,
            counts.late,
            counts.excused,
            counts.unmarked
        ),
        (0, 1, 0, 1, 1)
    );
    store
        .conn()
        .execute(
            "UPDATE enrollment SET active = 0 WHERE id = ?1",
            [E_ANA_MATH],
        )
        .expect("deactivate");
    let counts = marks::counts(&store, &id(MATH), today()).expect("counts");
    assert_eq!(
        (counts.absent, counts.excused, counts.unmarked),
        (1, 0, 1),
        "counts describe the class as it is now"
    );
}

#[test]
fn offerings_are_listed_by_name_with_active_students() {
    let store = school();
    let list = roster::offerings(&store).expect("offerings");
    let view: Vec<(&str, u32)> = list
        .iter()
        .map(|o| (o.name.as_str(), o.active_students))
        .collect();
    assert_eq!(view, [("Ciencias 7A", 1), ("Matemáticas 7A", 3)]);
    assert_eq!(list[1].teacher_assignment_id.as_str(), TEACHER);
}

#[test]
fn outbox_counts_cover_every_state() {
    let mut store = school();
    let clock = clock();
    assert_eq!(
        outbox_counts(&store).expect("counts"),
        OutboxCounts::default()
    );
    let a = mark(&mut store, &clock, ANA, Present)
        .outbox_id
        .expect("item");
    let j = mark(&mut store, &clock, JOSE, Present)
        .outbox_id
        .expect("item");
    mark(&mut store, &clock, BRUNO, Present);
    set_item_state(&store, a, "synced");
    set_item_state(&store, j, "rejected");
    let json = serde_json::to_value(outbox_counts(&store).expect("counts")).expect("json");
    assert_eq!(
        json,
        serde_json::json!({"pending": 1, "sending": 0, "synced": 1, "unknown": 0,
                           "rejected": 1, "cancelled": 0}),
        "scripts read these keys from `rollbook-cli status --json`"
    );
}
