//! Undo: reverts the latest action on an offering and date, recorded in history, with the
//! same outbox rules as a mark.

use rollbook_core::checkin::import_marks_csv;
use rollbook_core::marks::{self, Origin};
use rollbook_core::outbox::outbox_counts;
use rollbook_core::store::Store;
use rollbook_core::Status::{Absent, Late, Present};
use rollbook_core::{Error, Status};

use crate::common::*;

fn undo(store: &mut Store, clock: &rollbook_core::clock::FixedClock) -> Result<u32, Error> {
    clock.advance(chrono::TimeDelta::seconds(1));
    marks::undo(store, clock, "teacher:ana", &id(MATH), today()).map(|u| u.reverted)
}

#[test]
fn undo_of_one_change_restores_it_and_rewrites_the_pending_item() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Present);
    mark(&mut store, &clock, ANA, Absent);
    assert_eq!(undo(&mut store, &clock).expect("undo"), 1);
    assert_eq!(current(&store, ANA), Some(Present));
    let items = outbox_of(&store, ANA);
    assert_eq!(items.len(), 1, "still one POST for an unsent mark");
    assert_eq!(items[0].1, "present");
    let history = marks::history(&store, &id(MATH), &id(ANA), today()).expect("history");
    let last = history.last().expect("undo row");
    assert_eq!(
        (last.old_status, last.new_status, last.origin),
        (Some(Absent), Some(Present), Origin::Undo)
    );
    assert!(history[1].undone, "the reverted change is flagged");
    assert!(!history[0].undone, "the earlier change is not");
    assert!(
        last.action > history[1].action,
        "undo is an action of its own"
    );
}

#[test]
fn undo_of_a_first_mark_leaves_it_unmarked_and_cancels_the_item() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Late);
    undo(&mut store, &clock).expect("undo");
    assert_eq!(current(&store, ANA), None);
    let items = outbox_of(&store, ANA);
    assert_eq!(
        items[0].2, "cancelled",
        "an unsent mark that was undone must never be sent"
    );
    let rows = rollbook_core::roll::rows(&store, &id(MATH), today()).expect("roster");
    let ana = rows
        .iter()
        .find(|r| r.student_id.as_str() == ANA)
        .expect("Ana");
    assert_eq!((ana.status, ana.delivery), (None, None));
}

#[test]
fn undo_of_mark_the_rest_present_reverts_all_of_it() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Absent);
    marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today()).expect("bulk");
    assert_eq!(undo(&mut store, &clock).expect("undo"), 2);
    assert_eq!(current(&store, JOSE), None);
    assert_eq!(current(&store, BRUNO), None);
    assert_eq!(
        current(&store, ANA),
        Some(Absent),
        "the earlier click is not part of the bulk"
    );
    let counts = outbox_counts(&store).expect("counts");
    assert_eq!((counts.pending, counts.cancelled), (1, 2));
}

#[test]
fn undo_after_a_check_in_import_reverts_only_this_offering_and_date() {
    let mut store = school();
    let clock = clock();
    let csv = format!(
        "course_offering_id,student_id,attendance_date,status\n\
         {MATH},{ANA},{DATE},late\n\
         {MATH},{JOSE},{DATE},present\n\
         {MATH},{JOSE},2024-03-16,absent\n"
    );
    import_marks_csv(
        &mut store,
        &clock,
        any_date(),
        "checkin",
        csv.as_bytes(),
        "in.csv",
    )
    .expect("import");
    assert_eq!(undo(&mut store, &clock).expect("undo"), 2);
    assert_eq!((current(&store, ANA), current(&store, JOSE)), (None, None));
    let other = marks::current_mark(&store, &id(MATH), &id(JOSE), day("2024-03-16")).expect("m");
    assert_eq!(other, Some(Absent), "undo is per offering and date");
    let undo_next_day = marks::undo(&mut store, &clock, "t", &id(MATH), day("2024-03-16"));
    assert_eq!(undo_next_day.expect("undo the other date").reverted, 1);
}

#[test]
fn repeated_undo_walks_back_then_says_nothing_to_undo() {
    let mut store = school();
    let clock = clock();
    for status in [Present, Absent, Late] {
        mark(&mut store, &clock, ANA, status);
    }
    let mut seen: Vec<Option<Status>> = Vec::new();
    for _ in 0..3 {
        undo(&mut store, &clock).expect("undo");
        seen.push(current(&store, ANA));
    }
    assert_eq!(
        seen,
        [Some(Absent), Some(Present), None],
        "undo is a stack, not a toggle"
    );
    let err = undo(&mut store, &clock).expect_err("nothing left");
    assert_eq!(err.code(), "conflict");
    assert!(err.to_string().contains("nothing to undo"), "{err}");
}

#[test]
fn undo_to_no_mark_is_refused_once_sent_and_changes_nothing() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, first.outbox_id.expect("item"), "synced");
    let before = dump(&store);
    let err = undo(&mut store, &clock).expect_err("the API cannot delete");
    assert_eq!(err.code(), "conflict");
    assert!(
        err.to_string()
            .contains("already sent to the server; choose a status instead"),
        "{err}"
    );
    assert_eq!(dump(&store), before, "a refused undo changes nothing");
}

#[test]
fn a_refused_bulk_undo_changes_none_of_its_marks() {
    let mut store = school();
    let clock = clock();
    marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today()).expect("bulk");
    let jose = outbox_of(&store, JOSE)[0].0;
    set_item_state(&store, jose, "sending");
    let before = dump(&store);
    undo(&mut store, &clock).expect_err("José's mark is on the wire");
    assert_eq!(dump(&store), before, "undo of an action is all or nothing");
}

#[test]
fn undo_to_the_status_the_server_holds_cancels_the_correction() {
    let mut store = school();
    let clock = clock();
    let first = mark(&mut store, &clock, ANA, Present);
    set_item_state(&store, first.outbox_id.expect("item"), "synced");
    mark(&mut store, &clock, ANA, Absent);
    undo(&mut store, &clock).expect("undo");
    let states: Vec<String> = outbox_of(&store, ANA).into_iter().map(|i| i.2).collect();
    assert_eq!(
        states,
        ["synced", "cancelled"],
        "the server already says present"
    );
}

#[test]
fn undo_of_an_unknown_offering_is_not_found() {
    let mut store = school();
    let err = marks::undo(&mut store, &clock(), "t", &id(TEACHER), today()).expect_err("none");
    assert_eq!(err.code(), "not_found");
}
