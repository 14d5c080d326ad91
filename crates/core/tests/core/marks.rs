//! Recording marks: enrollment checks, history, and the outbox rules (one POST per unsent
//! change, corrections after delivery, nothing sent twice).

use rollbook_core::marks::{self, Origin};
use rollbook_core::outbox::outbox_counts;
use rollbook_core::Status::{Absent, Excused, Late, Present};
use rstest::rstest;

use crate::common::*;

#[test]
fn a_student_not_enrolled_is_refused_naming_student_and_offering() {
    let mut store = school();
    let clock = clock();
    let before = dump(&store);
    // Carla is in no roster; José is not in MATH... he is, so use SCIENCE for Ana.
    let err = marks::record_mark(
        &mut store,
        &clock,
        window(),
        "t",
        Origin::Grid,
        &id(SCIENCE),
        &id(ANA),
        today(),
        Present,
    )
    .expect_err("Ana is not in SCIENCE");
    assert_eq!(err.code(), "conflict");
    let msg = err.to_string();
    assert!(
        msg.contains(ANA) && msg.contains(SCIENCE),
        "the user must see who and where: {msg}"
    );
    assert!(
        !msg.contains("Ana Álvarez"),
        "errors name students by id, never by name: {msg}"
    );
    assert!(msg.contains("is not enrolled"), "{msg}");
    let err = try_mark(&mut store, &clock, CARLA, Present).expect_err("unknown student");
    assert_eq!(err.code(), "conflict");
    assert_eq!(dump(&store), before, "a refused mark writes nothing");
}

#[test]
fn an_unknown_offering_is_not_found() {
    let mut store = school();
    let err = marks::record_mark(
        &mut store,
        &clock(),
        window(),
        "t",
        Origin::Cli,
        &id(TEACHER),
        &id(ANA),
        today(),
        Present,
    )
    .expect_err("no such offering");
    assert_eq!(err.code(), "not_found");
    assert!(err.to_string().contains(TEACHER), "{err}");
}

#[test]
fn an_inactive_enrollment_is_refused() {
    let mut store = school();
    store
        .conn()
        .execute(
            "UPDATE enrollment SET active = 0 WHERE id = ?1",
            [E_BRUNO_MATH],
        )
        .expect("deactivate");
    let err = try_mark(&mut store, &clock(), BRUNO, Present).expect_err("inactive");
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("no longer enrolled"), "{err}");
}

#[test]
fn a_first_mark_writes_mark_history_and_one_pending_item() {
    let mut store = school();
    let clock = clock();
    let outcome = mark(&mut store, &clock, ANA, Late);
    assert!(outcome.changed);
    assert_eq!(current(&store, ANA), Some(Late));
    let items = outbox_of(&store, ANA);
    assert_eq!(items.len(), 1);
    assert_eq!(outcome.outbox_id, Some(items[0].0));
    assert_eq!(
        (items[0].1.as_str(), items[0].2.as_str()),
        ("late", "pending")
    );
    let (teacher, enrollment): (String, String) = store
        .conn()
        .query_row(
            "SELECT teacher_assignment_id, enrollment_id FROM outbox WHERE id = ?1",
            [items[0].0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("item");
    assert_eq!(
        (teacher.as_str(), enrollment.as_str()),
        (TEACHER, E_ANA_MATH),
        "the POST needs the teacher assignment and enrollment ids"
    );
    let history = marks::history(&store, &id(MATH), &id(ANA), today()).expect("history");
    assert_eq!(history.len(), 1);
    let h = &history[0];
    assert_eq!((h.old_status, h.new_status), (None, Some(Late)));
    assert_eq!((h.actor.as_str(), h.origin), ("teacher:ana", Origin::Grid));
    assert_eq!(h.changed_at, "2024-03-15T08:00:01Z");
    assert_eq!(h.outbox_state.as_deref(), Some("pending"));
    assert!(!h.undone);
}

#[test]
fn the_same_status_again_is_a_no_op() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Present);
    let before = dump(&store);
    let outcome = mark(&mut store, &clock, ANA, Present);
    assert!(!outcome.changed);
    assert_eq!(outcome.outbox_id, None);
    assert_eq!(
        dump(&store),
        before,
        "no history row and no outbox item for a repeated click"
    );
}

#[test]
fn changing_an_unsent_mark_rewrites_its_item_one_post_not_two() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    store
        .conn()
        .execute(
            "UPDATE outbox SET next_attempt_at = '2024-03-15T09:00:00Z', attempts = 1",
            [],
        )
        .expect("backoff");
    let second = mark(&mut store, &clock, ANA, Absent);
    assert_eq!(
        first.outbox_id, second.outbox_id,
        "the pending item is rewritten in place"
    );
    let items = outbox_of(&store, ANA);
    assert_eq!(items.len(), 1, "one POST, not two: {items:?}");
    assert_eq!(
        (items[0].1.as_str(), items[0].2.as_str()),
        ("absent", "pending")
    );
    let (due, updated): (Option<String>, String) = store
        .conn()
        .query_row("SELECT next_attempt_at, updated_at FROM outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("item");
    assert_eq!(
        due, None,
        "a fresh change is due now, not after the old backoff"
    );
    assert_eq!(updated, "2024-03-15T08:00:02Z");
    let history = marks::history(&store, &id(MATH), &id(ANA), today()).expect("history");
    let steps: Vec<_> = history
        .iter()
        .map(|c| (c.old_status, c.new_status))
        .collect();
    assert_eq!(
        steps,
        [(None, Some(Present)), (Some(Present), Some(Absent))]
    );
    assert_ne!(
        history[0].action, history[1].action,
        "two clicks are two undoable actions"
    );
}

#[test]
fn a_change_after_delivery_queues_a_correction() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, first.outbox_id.expect("item"), "synced");
    let second = mark(&mut store, &clock, ANA, Late);
    assert_ne!(second.outbox_id, first.outbox_id);
    let items = outbox_of(&store, ANA);
    let states: Vec<_> = items.iter().map(|i| (i.1.as_str(), i.2.as_str())).collect();
    assert_eq!(
        states,
        [("present", "synced"), ("late", "pending")],
        "the server keeps the newest record: a correction is a new POST"
    );
}

#[test]
fn going_back_to_what_the_server_holds_cancels_the_pending_item() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, first.outbox_id.expect("item"), "synced");
    mark(&mut store, &clock, ANA, Absent);
    let back = mark(&mut store, &clock, ANA, Present);
    assert!(back.changed);
    assert_eq!(
        back.outbox_id, None,
        "nothing to send: the server already says present"
    );
    let states: Vec<_> = outbox_of(&store, ANA)
        .into_iter()
        .map(|i| (i.1, i.2))
        .collect::<Vec<_>>();
    assert_eq!(
        states,
        [
            ("present".into(), "synced".into()),
            ("absent".into(), "cancelled".into())
        ],
        "sending absent then present again would be two needless POSTs"
    );
    let counts = outbox_counts(&store).expect("counts");
    assert_eq!((counts.pending, counts.synced, counts.cancelled), (0, 1, 1));
    let history = marks::history(&store, &id(MATH), &id(ANA), today()).expect("history");
    assert_eq!(
        history.len(),
        3,
        "every change is in the history, sent or not"
    );
    assert_eq!(history[1].outbox_state.as_deref(), Some("cancelled"));
    assert_eq!(
        history[2].outbox_state.as_deref(),
        Some("synced"),
        "the last change is on the server through the first record"
    );
    // And with nothing pending, setting the synced status again is a plain no-op.
    mark(&mut store, &clock, ANA, Absent);
    mark(&mut store, &clock, ANA, Present);
    assert_eq!(outbox_counts(&store).expect("counts").pending, 0);
}

#[rstest]
#[case::in_flight("sending")]
#[case::outcome_unknown("unknown")]
fn an_item_in_flight_makes_the_server_state_unknown(#[case] state: &str) {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, first.outbox_id.expect("item"), "synced");
    let second = mark(&mut store, &clock, ANA, Absent);
    set_item_state(&store, second.outbox_id.expect("item"), state);
    let third = mark(&mut store, &clock, ANA, Present);
    assert!(
        third.outbox_id.is_some(),
        "absent may land on the server after all: present must be sent again"
    );
    assert_eq!(outbox_of(&store, ANA).len(), 3);
}

#[test]
fn a_correction_back_to_the_synced_status_after_a_rejection_sends_nothing() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, first.outbox_id.expect("item"), "synced");
    let second = mark(&mut store, &clock, ANA, Excused);
    set_item_state(&store, second.outbox_id.expect("item"), "rejected");
    let third = mark(&mut store, &clock, ANA, Present);
    assert_eq!(
        third.outbox_id, None,
        "the server refused excused and still holds present"
    );
    assert_eq!(outbox_of(&store, ANA).len(), 2);
}

#[test]
fn mark_the_rest_present_never_overwrites_and_is_one_action() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Absent);
    let marked = marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today())
        .expect("rest present")
        .marked;
    assert_eq!(marked, 2);
    assert_eq!(
        current(&store, ANA),
        Some(Absent),
        "an absent student must not become present"
    );
    assert_eq!(current(&store, JOSE), Some(Present));
    assert_eq!(current(&store, BRUNO), Some(Present));
    let rows: Vec<(i64, String, String)> = store
        .conn()
        .prepare("SELECT action, origin, student_id FROM mark_change WHERE origin = 'bulk'")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .expect("bulk rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].0, rows[1].0,
        "one click, one action: undo takes it back whole"
    );
    assert_eq!(outbox_counts(&store).expect("counts").pending, 3);
    let again = marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today())
        .expect("rest present")
        .marked;
    assert_eq!(again, 0, "nobody is left unmarked");
}

#[test]
fn mark_the_rest_present_skips_students_who_left() {
    let mut store = school();
    store
        .conn()
        .execute(
            "UPDATE enrollment SET active = 0 WHERE id = ?1",
            [E_BRUNO_MATH],
        )
        .expect("deactivate");
    let marked = marks::mark_rest_present(&mut store, &clock(), window(), "t", &id(MATH), today())
        .expect("rest present")
        .marked;
    assert_eq!(marked, 2);
    assert_eq!(current(&store, BRUNO), None);
}

#[test]
fn history_shows_delivery_details_from_the_outbox() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, JOSE, Excused);
    store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'synced', sent_at = '2024-03-15T08:00:05Z',
                    server_id = 'e5f6a7b8-c9d0-4e1f-b2c3-d4e5f6a7b8c9',
                    server_recorded_at = '2024-03-15T08:00:06Z' WHERE id = ?1",
            [first.outbox_id.expect("item")],
        )
        .expect("deliver");
    let history = marks::history(&store, &id(MATH), &id(JOSE), today()).expect("history");
    let h = &history[0];
    assert_eq!(h.sent_at.as_deref(), Some("2024-03-15T08:00:05Z"));
    assert_eq!(
        h.server_id.as_deref(),
        Some("e5f6a7b8-c9d0-4e1f-b2c3-d4e5f6a7b8c9")
    );
    assert_eq!(
        h.server_recorded_at.as_deref(),
        Some("2024-03-15T08:00:06Z")
    );
    let json = serde_json::to_value(h).expect("json");
    assert_eq!(json["origin"], "grid");
    assert_eq!(json["new_status"], "excused");
    assert_eq!(json["old_status"], serde_json::Value::Null);
}

#[test]
fn marks_on_other_dates_and_offerings_are_separate() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, JOSE, Absent);
    marks::record_mark(
        &mut store,
        &clock,
        window(),
        "t",
        Origin::Cli,
        &id(SCIENCE),
        &id(JOSE),
        today(),
        Absent,
    )
    .expect("science");
    marks::record_mark(
        &mut store,
        &clock,
        any_date(),
        "t",
        Origin::Cli,
        &id(MATH),
        &id(JOSE),
        day("2024-03-16"),
        Absent,
    )
    .expect("next day");
    assert_eq!(
        outbox_counts(&store).expect("counts").pending,
        3,
        "one item per mark"
    );
}
