//! The roll next to the school's other writers (check-in kiosks, co-teachers, the teacher's
//! other laptop): who the effective mark came from, and "mark the rest present" never
//! replacing a record the server holds.

use rollbook_core::history::MarkedBy;
use rollbook_core::history::{self, HistoryEntry};
use rollbook_core::marks::{self, RestPresent};
use rollbook_core::roll;
use rollbook_core::Status::{self, Absent, Excused, Late, Present};

use rollbook_core::store::Store;

use crate::common::*;

/// The front desk's kiosk: a teacher assignment that is not the offering's.
const KIOSK: &str = "e5f6a7b8-c9d0-4e1f-a2b3-00000000000a";

/// A record pulled from the server into the cache, as `sync::pull` stores it.
fn cached_record(
    store: &Store,
    record: &str,
    student: &str,
    teacher: &str,
    status: Status,
    at: &str,
) {
    let enrollment = match student {
        JOSE => E_JOSE_MATH,
        ANA => E_ANA_MATH,
        _ => E_BRUNO_MATH,
    };
    let us = utc(at).timestamp() * 1_000_000;
    store
        .conn()
        .execute(
            "INSERT INTO server_record (id, school_id, offering_id, teacher_assignment_id,
                 enrollment_id, student_id, date, status, recorded_at, recorded_at_us, fetched_at)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)",
            rusqlite::params![
                record,
                MATH,
                teacher,
                enrollment,
                student,
                DATE,
                status.as_str(),
                at,
                us
            ],
        )
        .expect("cache a server record");
}

fn row<'a>(rows: &'a [roll::RosterRow], student: &str) -> &'a roll::RosterRow {
    rows.iter()
        .find(|r| r.student_id == id(student))
        .expect("student on the roll")
}

#[test]
fn mark_the_rest_present_keeps_server_records_local_marks_and_both() {
    let mut store = school();
    let clock = clock();
    // José: the kiosk's "late" only (no local mark). Ana: a local mark only. Bruno: nothing.
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000001",
        JOSE,
        KIOSK,
        Late,
        "2024-03-15T07:58:00Z",
    );
    mark(&mut store, &clock, ANA, Absent);

    let outcome = marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today())
        .expect("rest present");
    assert_eq!(
        outcome,
        RestPresent { marked: 1, kept: 2 },
        "only Bruno had no mark at all; José's kiosk record and Ana's mark are kept"
    );
    let rows = roll::rows(&store, &id(MATH), today()).expect("roll");
    assert_eq!(
        row(&rows, JOSE).status,
        Some(Late),
        "the front desk's late must stay late"
    );
    assert_eq!(row(&rows, ANA).status, Some(Absent));
    assert_eq!(row(&rows, BRUNO).status, Some(Present));
    assert!(
        outbox_of(&store, JOSE).is_empty(),
        "nothing is sent for José: a present record would overwrite the kiosk's on the server"
    );

    // Undo restores exactly the previous state: Bruno unmarked, the others as they were.
    let undone = marks::undo(&mut store, &clock, "t", &id(MATH), today()).expect("undo");
    assert_eq!(undone.reverted, 1);
    let rows = roll::rows(&store, &id(MATH), today()).expect("roll");
    assert_eq!(row(&rows, BRUNO).status, None);
    assert_eq!(row(&rows, JOSE).status, Some(Late));
    assert_eq!(row(&rows, ANA).status, Some(Absent));
}

#[test]
fn mark_the_rest_present_keeps_a_student_with_both_a_local_mark_and_a_server_record() {
    let mut store = school();
    let clock = clock();
    mark(&mut store, &clock, ANA, Excused);
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000002",
        ANA,
        KIOSK,
        Late,
        "2024-03-15T07:59:00Z",
    );
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000003",
        JOSE,
        TEACHER,
        Absent,
        "2024-03-15T07:59:30Z",
    );
    let outcome = marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today())
        .expect("rest present");
    assert_eq!(outcome, RestPresent { marked: 1, kept: 2 });
    assert_eq!(
        outbox_of(&store, ANA).len(),
        1,
        "Ana's own change only, no present"
    );
    let again = marks::mark_rest_present(&mut store, &clock, window(), "t", &id(MATH), today())
        .expect("rest present");
    assert_eq!(
        again,
        RestPresent { marked: 0, kept: 3 },
        "nobody is left unmarked"
    );
}

#[test]
fn the_roll_says_who_marked_each_row() {
    let mut store = school();
    let clock = clock();
    // José: the kiosk (another teacher assignment). Ana: the same teacher on another device.
    // Bruno: this device.
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000004",
        JOSE,
        KIOSK,
        Late,
        "2024-03-15T07:58:00Z",
    );
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000005",
        ANA,
        TEACHER,
        Absent,
        "2024-03-15T08:01:00Z",
    );
    mark(&mut store, &clock, BRUNO, Present);
    let rows = roll::rows(&store, &id(MATH), today()).expect("roll");

    let jose = row(&rows, JOSE);
    assert!(jose.from_server);
    assert_eq!(jose.marked_by, Some(MarkedBy::Other));
    assert_eq!(jose.recorded_at.as_deref(), Some("2024-03-15T07:58:00Z"));
    let ana = row(&rows, ANA);
    assert!(ana.from_server);
    assert_eq!(ana.marked_by, Some(MarkedBy::SameTeacher));
    assert_eq!(ana.recorded_at.as_deref(), Some("2024-03-15T08:01:00Z"));
    let bruno = row(&rows, BRUNO);
    assert!(!bruno.from_server);
    assert_eq!(bruno.marked_by, Some(MarkedBy::ThisDevice));
    assert!(
        bruno.recorded_at.is_some(),
        "the time of this device's mark"
    );

    assert_eq!(
        serde_json::to_value(jose).expect("json")["marked_by"],
        "other",
        "the JSON of `roster show --json` names who marked it"
    );
    assert_eq!(
        serde_json::to_value(ana).expect("json")["marked_by"],
        "same_teacher"
    );
    assert_eq!(
        serde_json::to_value(bruno).expect("json")["marked_by"],
        "this_device"
    );
}

/// Ana's mark delivered at 08:00 as `record` (this device's outbox created it).
fn deliver_ana(store: &mut Store, clock: &rollbook_core::clock::FixedClock, record: &str) {
    let item = mark(store, clock, ANA, Absent)
        .outbox_id
        .expect("an item to send");
    cached_record(store, record, ANA, TEACHER, Absent, "2024-03-15T08:00:00Z");
    store
        .conn()
        .execute(
            "UPDATE outbox SET state = 'synced', server_id = ?2,
                 server_recorded_at = '2024-03-15T08:00:00Z' WHERE id = ?1",
            rusqlite::params![item, record],
        )
        .expect("delivered");
}

fn ana(store: &Store) -> roll::RosterRow {
    row(&roll::rows(store, &id(MATH), today()).expect("roll"), ANA).clone()
}

#[test]
fn history_lists_other_writers_records_next_to_local_changes_oldest_first() {
    let mut store = school();
    let clock = clock();
    // 07:58 the kiosk, 08:00 this device (delivered), 08:05 the teacher's other laptop.
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000010",
        ANA,
        KIOSK,
        Late,
        "2024-03-15T07:58:00Z",
    );
    deliver_ana(&mut store, &clock, "f0000000-0000-4000-8000-000000000011");
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000012",
        ANA,
        TEACHER,
        Excused,
        "2024-03-15T08:05:00Z",
    );
    let entries = history::open(&mut store, &id(MATH), &id(ANA), today()).expect("history");
    let got: Vec<String> = entries
        .iter()
        .map(|e| match e {
            HistoryEntry::Local(c) => format!(
                "here {:?} {}",
                c.new_status,
                c.server_id.as_deref().unwrap_or("-")
            ),
            HistoryEntry::Server(s) => {
                format!("{:?} {:?} {}", s.marked_by, s.status, s.recorded_at)
            }
        })
        .collect();
    assert_eq!(
        got,
        vec![
            "Other Late 2024-03-15T07:58:00Z".to_string(),
            "here Some(Absent) f0000000-0000-4000-8000-000000000011".to_string(),
            "SameTeacher Excused 2024-03-15T08:05:00Z".to_string(),
        ],
        "the kiosk, this device's change (its own record not listed twice), the other laptop"
    );
    let json = serde_json::to_value(&entries).expect("json");
    assert_eq!(json[0]["kind"], "server");
    assert_eq!(json[0]["marked_by"], "other");
    assert_eq!(json[1]["kind"], "local");
    assert_eq!(json[2]["marked_by"], "same_teacher");
}

#[test]
fn a_newer_kiosk_record_over_a_delivered_mark_is_flagged_until_history_is_opened() {
    let mut store = school();
    let clock = clock();
    deliver_ana(&mut store, &clock, "f0000000-0000-4000-8000-000000000020");
    assert!(!ana(&store).changed_elsewhere, "this device's own record");
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000021",
        ANA,
        KIOSK,
        Late,
        "2024-03-15T08:12:00Z",
    );
    let row = ana(&store);
    assert_eq!(
        row.status,
        Some(Late),
        "the newer record is the effective mark"
    );
    assert!(
        row.changed_elsewhere,
        "the kiosk changed the teacher's mark"
    );
    assert_eq!(
        serde_json::to_value(&row).expect("json")["changed_elsewhere"],
        true
    );

    history::open(&mut store, &id(MATH), &id(ANA), today()).expect("history");
    assert!(!ana(&store).changed_elsewhere, "the teacher looked at it");
    // A record newer than what was seen flags the row again.
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000022",
        ANA,
        KIOSK,
        Excused,
        "2024-03-15T08:20:00Z",
    );
    assert!(ana(&store).changed_elsewhere);
}

#[test]
fn marking_the_row_acknowledges_a_change_made_elsewhere() {
    let mut store = school();
    let clock = clock();
    deliver_ana(&mut store, &clock, "f0000000-0000-4000-8000-000000000030");
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000031",
        ANA,
        KIOSK,
        Late,
        "2024-03-15T08:12:00Z",
    );
    assert!(ana(&store).changed_elsewhere);
    // The teacher insists on their own status: the one this device already holds locally.
    let outcome = mark(&mut store, &clock, ANA, Absent);
    let row = ana(&store);
    assert!(!row.changed_elsewhere, "marking it is looking at it");
    assert_eq!(
        row.status,
        Some(Absent),
        "the teacher's change is the mark, though it equals what this device sent before"
    );
    assert!(
        outcome.outbox_id.is_some(),
        "it is sent again: it must become the newest record on the server"
    );
    assert_eq!(outbox_of(&store, ANA).len(), 2);
}

#[test]
fn accepting_the_status_another_writer_recorded_sends_nothing() {
    let mut store = school();
    let clock = clock();
    deliver_ana(&mut store, &clock, "f0000000-0000-4000-8000-000000000050");
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000051",
        ANA,
        KIOSK,
        Late,
        "2024-03-15T08:12:00Z",
    );
    let outcome = mark(&mut store, &clock, ANA, Late);
    assert_eq!(
        outcome.outbox_id, None,
        "the server's newest record already says late: a second one would only add noise"
    );
    let row = ana(&store);
    assert_eq!(row.status, Some(Late));
    assert!(!row.changed_elsewhere);
}

#[test]
fn a_kiosk_mark_on_a_row_this_device_never_marked_is_not_a_conflict() {
    let store = school();
    cached_record(
        &store,
        "f0000000-0000-4000-8000-000000000040",
        JOSE,
        KIOSK,
        Late,
        "2024-03-15T07:58:00Z",
    );
    let rows = roll::rows(&store, &id(MATH), today()).expect("roll");
    let jose = row(&rows, JOSE);
    assert_eq!(jose.marked_by, Some(MarkedBy::Other));
    assert!(!jose.changed_elsewhere, "only marked by another writer");
}
