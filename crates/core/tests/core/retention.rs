//! Keeping records for a limited time: a purge removes what the server confirmed and is older
//! than the cutoff (marks, history, outbox items, cached server records), keeps whatever the
//! server has not confirmed yet, is one transaction with its log row, and a pull afterwards
//! does not bring the purged days back.

use rollbook_core::clock::FixedClock;
use rollbook_core::marks;
use rollbook_core::retention::{self, PurgeReport};
use rollbook_core::store::Store;
use rollbook_core::sync::queue::upsert_records;
use rollbook_core::sync::record::{parse_record, ServerRecord};
use rollbook_core::Status;

use crate::common::*;

/// The purge runs on [`DATE`] (2024-03-15); keeping 30 days, records dated before 2024-02-14
/// go.
const OLD: &str = "2024-01-10";
const RECENT: &str = "2024-03-01";
const KEEP: u32 = 30;

fn mark_on(
    store: &mut Store,
    clock: &FixedClock,
    offering: &str,
    student: &str,
    date: &str,
    status: Status,
) -> Option<i64> {
    try_mark_on(store, clock, offering, student, date, status)
        .expect("mark recorded")
        .outbox_id
}

/// A record as the server answers it, for the cache.
fn record(
    n: u32,
    offering: &str,
    enrollment: &str,
    student: &str,
    date: &str,
    status: &str,
) -> ServerRecord {
    let json = format!(
        r#"{{"id": "e5f6a7b8-c9d0-4e1f-b2c3-{n:012}", "school_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
            "course_offering_id": "{offering}", "teacher_assignment_id": "{TEACHER}",
            "course_enrollment_id": "{enrollment}", "student_id": "{student}",
            "attendance_date": "{date}", "status": "{status}", "recorded_at": "{date}T08:30:00Z"}}"#
    );
    parse_record(json.as_bytes()).expect("a valid record")
}

fn cache(store: &Store, records: &[ServerRecord]) {
    upsert_records(store.conn(), records, utc("2024-03-15T09:00:00Z")).expect("cache records");
}

fn count(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Rows of a table for one student and date.
fn rows_of(store: &Store, table: &str, student: &str, date: &str) -> i64 {
    store
        .conn()
        .query_row(
            &format!("SELECT COUNT(*) FROM {table} WHERE student_id = ?1 AND date = ?2"),
            (student, date),
            |r| r.get(0),
        )
        .expect("count")
}

/// A school with old and recent marks in every delivery state:
/// - OLD: José (MATH) delivered and then corrected, both delivered; José (SCIENCE) marked and
///   undone before sending (cancelled); Ana still pending; Bruno refused by the server;
///   plus server records of José's delivered marks and of Carla from another device.
/// - RECENT: Ana delivered (its history must stay untouched).
fn school_with_history() -> (Store, FixedClock) {
    let mut store = school();
    let clock = clock();
    let first = mark_on(&mut store, &clock, MATH, JOSE, OLD, Status::Absent).unwrap();
    set_item_state(&store, first, "synced");
    let second = mark_on(&mut store, &clock, MATH, JOSE, OLD, Status::Excused).unwrap();
    set_item_state(&store, second, "synced");
    mark_on(&mut store, &clock, SCIENCE, JOSE, OLD, Status::Late).unwrap();
    marks::undo(&mut store, &clock, "teacher:ana", &id(SCIENCE), day(OLD)).expect("undo");
    mark_on(&mut store, &clock, MATH, ANA, OLD, Status::Present).unwrap();
    let refused = mark_on(&mut store, &clock, MATH, BRUNO, OLD, Status::Late).unwrap();
    set_item_state(&store, refused, "rejected");
    let recent = mark_on(&mut store, &clock, MATH, ANA, RECENT, Status::Late).unwrap();
    set_item_state(&store, recent, "synced");
    cache(
        &store,
        &[
            record(1, MATH, E_JOSE_MATH, JOSE, OLD, "absent"),
            record(2, MATH, E_JOSE_MATH, JOSE, OLD, "excused"),
            record(3, MATH, E_CARLA_MATH, CARLA, OLD, "present"),
            record(4, MATH, E_BRUNO_MATH, BRUNO, OLD, "present"),
            record(5, MATH, E_ANA_MATH, ANA, RECENT, "late"),
        ],
    );
    (store, clock)
}

#[test]
fn a_purge_removes_confirmed_old_records_and_keeps_unconfirmed_ones() {
    let (mut store, _clock) = school_with_history();
    let recent_history = marks::history(&store, &id(MATH), &id(ANA), day(RECENT)).unwrap();
    assert_eq!(recent_history.len(), 1);

    let preview = retention::preview(&store, KEEP, today()).expect("preview");
    let expected = PurgeReport {
        keep_days: KEEP,
        cutoff: day("2024-02-14"),
        // José in MATH (the mark; SCIENCE's was undone, so it has none).
        marks: 1,
        // José MATH: 2 changes; José SCIENCE: the mark and its undo.
        changes: 4,
        // José MATH: 2 synced; José SCIENCE: 1 cancelled.
        outbox_items: 3,
        // José's two own records and Carla's, from another device. Bruno's record stays with
        // his refused mark.
        server_records: 3,
        // Ana (pending) and Bruno (rejected).
        kept_unconfirmed: 2,
    };
    assert_eq!(
        preview, expected,
        "the preview counts what the purge will remove"
    );

    let report =
        retention::purge(&mut store, KEEP, today(), utc("2024-03-15T10:00:00Z")).expect("purge");
    assert_eq!(
        report, expected,
        "the purge removes exactly what the preview said"
    );

    for table in ["mark", "mark_change", "outbox", "server_record"] {
        assert_eq!(
            rows_of(&store, table, JOSE, OLD),
            0,
            "José's confirmed old {table} rows are gone"
        );
    }
    assert_eq!(
        rows_of(&store, "server_record", CARLA, OLD),
        0,
        "another device's old record is gone"
    );
    for (student, why) in [
        (ANA, "not sent yet"),
        (BRUNO, "refused: the teacher must still see it"),
    ] {
        assert_eq!(rows_of(&store, "mark", student, OLD), 1, "{why}");
        assert_eq!(rows_of(&store, "mark_change", student, OLD), 1, "{why}");
        assert_eq!(rows_of(&store, "outbox", student, OLD), 1, "{why}");
    }
    assert_eq!(
        rows_of(&store, "server_record", BRUNO, OLD),
        1,
        "kept with the refused mark"
    );
    assert_eq!(
        marks::history(&store, &id(MATH), &id(ANA), day(RECENT))
            .unwrap()
            .len(),
        recent_history.len(),
        "recent history is untouched"
    );
    assert_eq!(rows_of(&store, "server_record", ANA, RECENT), 1);
    assert_eq!(
        marks::current_mark(&store, &id(MATH), &id(ANA), day(OLD)).unwrap(),
        Some(Status::Present),
        "an unsent mark is still the teacher's mark"
    );
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM pragma_foreign_key_check"),
        0
    );

    let last = retention::last_purge(&store)
        .unwrap()
        .expect("the purge is logged");
    assert_eq!(last.report, expected);
    assert_eq!(last.ran_at, "2024-03-15T10:00:00Z");

    let again = retention::purge(&mut store, KEEP, today(), utc("2024-03-15T11:00:00Z")).unwrap();
    assert_eq!(again.removed(), 0, "nothing is left to remove");
    assert_eq!(again.kept_unconfirmed, 2);
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM purge_log"),
        2,
        "every purge is logged"
    );
    assert_eq!(
        retention::last_purge(&store).unwrap().unwrap().ran_at,
        "2024-03-15T11:00:00Z"
    );
}

#[test]
fn a_preview_changes_nothing() {
    let (store, _clock) = school_with_history();
    let before = dump(&store);
    let preview = retention::preview(&store, KEEP, today()).unwrap();
    assert!(preview.removed() > 0);
    assert_eq!(
        dump(&store),
        before,
        "a preview writes nothing, not even a log row"
    );
}

#[test]
fn a_purge_that_fails_changes_nothing() {
    let (mut store, _clock) = school_with_history();
    let before = dump(&store);
    // The log row is the last write of the purge: if it fails, the deletions before it must
    // not stay.
    store
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_log BEFORE INSERT ON purge_log
             BEGIN SELECT RAISE(ABORT, 'the disk is full'); END;",
        )
        .unwrap();
    let err = retention::purge(&mut store, KEEP, today(), utc("2024-03-15T10:00:00Z"))
        .expect_err("the log row cannot be written");
    assert!(err.to_string().contains("the disk is full"), "{err}");
    store.conn().execute_batch("DROP TRIGGER no_log").unwrap();
    assert_eq!(dump(&store), before, "one transaction: all or nothing");
}

#[test]
fn the_cutoff_day_itself_is_kept() {
    let mut store = school();
    let clock = clock();
    for date in ["2024-02-13", "2024-02-14"] {
        let item = mark_on(&mut store, &clock, MATH, JOSE, date, Status::Present).unwrap();
        set_item_state(&store, item, "synced");
    }
    let report = retention::purge(&mut store, KEEP, today(), utc("2024-03-15T10:00:00Z")).unwrap();
    assert_eq!(report.marks, 1);
    assert_eq!(
        rows_of(&store, "mark", JOSE, "2024-02-13"),
        0,
        "31 days old: removed"
    );
    assert_eq!(
        rows_of(&store, "mark", JOSE, "2024-02-14"),
        1,
        "30 days old: kept"
    );
}

#[test]
fn without_a_setting_nothing_is_purged() {
    let (mut store, _clock) = school_with_history();
    let before = dump(&store);
    let ran =
        retention::purge_with_setting(&mut store, today(), utc("2024-03-15T10:00:00Z")).unwrap();
    assert_eq!(ran, None, "everything is kept by default");
    assert_eq!(dump(&store), before);

    retention::set_keep_days(&store, Some(KEEP)).unwrap();
    let ran =
        retention::purge_with_setting(&mut store, today(), utc("2024-03-15T10:00:00Z")).unwrap();
    assert_eq!(ran.map(|r| (r.keep_days, r.marks)), Some((KEEP, 1)));
    let shown = retention::retention(&store).unwrap();
    assert_eq!(shown.keep_days, Some(KEEP));
    assert_eq!(
        shown.last_purge.map(|p| p.report.cutoff),
        Some(day("2024-02-14"))
    );
}

#[test]
fn records_older_than_the_last_purge_are_not_cached_again() {
    let (mut store, _clock) = school_with_history();
    assert_eq!(
        retention::pull_cutoff(&store).unwrap(),
        None,
        "no retention set"
    );
    retention::set_keep_days(&store, Some(KEEP)).unwrap();
    assert_eq!(
        retention::pull_cutoff(&store).unwrap(),
        None,
        "no purge yet: nothing removed"
    );
    retention::purge(&mut store, KEEP, today(), utc("2024-03-15T10:00:00Z")).unwrap();
    assert_eq!(
        retention::pull_cutoff(&store).unwrap(),
        Some(day("2024-02-14"))
    );

    // What the engine caches from a listing (reconciling an unknown item) follows it too.
    cache(
        &store,
        &[
            record(3, MATH, E_CARLA_MATH, CARLA, OLD, "present"),
            record(6, MATH, E_CARLA_MATH, CARLA, "2024-02-14", "late"),
        ],
    );
    assert_eq!(
        rows_of(&store, "server_record", CARLA, OLD),
        0,
        "purged: not cached again"
    );
    assert_eq!(
        rows_of(&store, "server_record", CARLA, "2024-02-14"),
        1,
        "kept: cached"
    );

    retention::set_keep_days(&store, Some(60)).unwrap();
    assert_eq!(
        retention::pull_cutoff(&store).unwrap(),
        Some(day("2024-01-15")),
        "keeping more again: the days the setting now keeps are cached again"
    );
    retention::set_keep_days(&store, None).unwrap();
    cache(
        &store,
        &[record(3, MATH, E_CARLA_MATH, CARLA, OLD, "present")],
    );
    assert_eq!(
        rows_of(&store, "server_record", CARLA, OLD),
        1,
        "keeping everything again"
    );
}

/// Through the real API: records older than the cutoff the last purge used are listed by the
/// server but not cached again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_after_a_purge_does_not_bring_the_purged_days_back() {
    use crate::sync_support::{Rig, ALL_SCOPES, TOKEN};
    use rollbook_core::sync;

    let mut rig = Rig::start(
        athena_sim::Sim::builder()
            .sample_school(7)
            .history(ymd(2024, 3, 14), 5)
            .token(TOKEN, ALL_SCOPES),
    )
    .await;
    let (offering, _) = rig.pick(0, 0);
    let (api, tokens) = (rig.api(), rig.token_source());
    let first = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .expect("pull");
    assert_eq!(first.too_old, 0, "no retention yet: everything is cached");
    let cached = |store: &Store, cmp: &str| {
        count(
            store,
            &format!("SELECT COUNT(*) FROM server_record WHERE date {cmp} '2024-03-12'"),
        )
    };
    let old = cached(&rig.store, "<");
    assert!(
        old > 0 && cached(&rig.store, ">=") > 0,
        "history on both sides of the cutoff"
    );

    // Keep 3 days on 2024-03-15: records before 2024-03-12 go.
    retention::set_keep_days(&rig.store, Some(3)).unwrap();
    let report =
        retention::purge(&mut rig.store, 3, today(), utc("2024-03-15T10:00:00Z")).expect("purge");
    assert_eq!(report.server_records as i64, old);
    let kept = cached(&rig.store, ">=");

    let again = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .expect("pull again");
    assert_eq!(
        cached(&rig.store, "<"),
        0,
        "the purged days do not come back"
    );
    assert_eq!(
        again.too_old as i64, old,
        "the report says how many were left out"
    );
    assert_eq!(
        again.records, first.records,
        "the server still lists them all"
    );
    assert_eq!(again.new_records, 0);
    assert_eq!(
        cached(&rig.store, ">="),
        kept,
        "the days kept are refreshed as before"
    );
}
