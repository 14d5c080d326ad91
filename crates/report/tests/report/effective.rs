//! One effective record per (offering, student, date): a correction counts once.

use rollbook_report::{effective, student_report, RawRecord};

use crate::util::*;

fn raw(status: rollbook_core::Status, at: &str, local: bool) -> RawRecord {
    RawRecord {
        offering_id: course(1),
        offering_name: Some("Course 1".into()),
        student_id: id(1),
        date: day("2024-09-02"),
        status,
        recorded_at: at.into(),
        local_unconfirmed: local,
    }
}

#[test]
fn newest_recorded_at_wins_and_a_correction_counts_once() {
    let records = effective(vec![
        raw(A, "2024-09-02T08:00:00Z", false),
        raw(P, "2024-09-02T08:05:00Z", false),
    ]);
    assert_eq!(
        records.len(),
        1,
        "two server records for one session are one session"
    );
    assert_eq!(records[0].status, P);
    let report = student_report(&id(1), &records, None, None);
    assert_eq!(
        report.sessions.total, 1,
        "the API's example script counts raw records: we don't"
    );
    assert_eq!(report.sessions.absent, 0);
}

#[test]
fn instants_are_compared_not_strings() {
    // "10:00+02:00" is 08:00Z: older than 09:30Z although it sorts later as text.
    let records = effective(vec![
        raw(P, "2024-09-02T09:30:00Z", false),
        raw(A, "2024-09-02T10:00:00+02:00", false),
    ]);
    assert_eq!(
        records[0].status, P,
        "the later instant wins, whatever its offset"
    );
}

#[test]
fn an_unconfirmed_local_mark_wins_over_newer_server_records() {
    let records = effective(vec![
        raw(E, "2024-09-02T08:00:00Z", true),
        raw(A, "2024-09-02T12:00:00Z", false),
    ]);
    assert_eq!(
        records[0].status, E,
        "the teacher's current mark wins until confirmed"
    );
}

#[test]
fn unparseable_instants_rank_lowest_and_ties_keep_the_later_input() {
    let records = effective(vec![
        raw(P, "2024-09-02T08:00:00Z", false),
        raw(A, "yesterday", false),
    ]);
    assert_eq!(
        records[0].status, P,
        "a garbled timestamp never overrides a real one"
    );
    let records = effective(vec![
        raw(P, "2024-09-02T08:00:00Z", false),
        raw(L, "2024-09-02T08:00:00Z", false),
    ]);
    assert_eq!(
        records[0].status, L,
        "equal instants: the later record in the input"
    );
}

#[test]
fn distinct_sessions_are_kept_and_sorted() {
    let mut other_day = raw(A, "2024-09-02T08:00:00Z", false);
    other_day.date = day("2024-09-01");
    let mut other_course = raw(P, "2024-09-02T08:00:00Z", false);
    other_course.offering_id = course(0);
    let records = effective(vec![
        raw(L, "2024-09-02T08:00:00Z", false),
        other_day,
        other_course,
    ]);
    let keys: Vec<_> = records
        .iter()
        .map(|r| (r.date.to_string(), r.status))
        .collect();
    assert_eq!(
        keys,
        [
            ("2024-09-01".to_string(), A),
            ("2024-09-02".into(), P),
            ("2024-09-02".into(), L)
        ]
    );
    assert!(effective(Vec::new()).is_empty());
}

#[test]
fn recorded_at_is_read_in_every_form_rfc_3339_allows() {
    // Each pair: the first is the older instant, the second the newer, however they are written.
    for (older, newer) in [
        ("2024-09-02T08:00:00.1Z", "2024-09-02T08:00:00.100000001Z"),
        ("2024-09-02t08:00:00z", "2024-09-02T08:00:01Z"),
        ("2024-09-02 08:00:00Z", "2024-09-02T08:00:00.5Z"),
        ("2024-09-02T10:00:00+02:00", "2024-09-02T08:00:00.000001Z"),
        ("2024-09-02T08:00:00.9999999999Z", "2024-09-02T08:00:01Z"),
        ("2024-06-30T23:59:59.5Z", "2024-06-30T23:59:60Z"),
    ] {
        for records in [
            vec![raw(A, older, false), raw(P, newer, false)],
            vec![raw(P, newer, false), raw(A, older, false)],
        ] {
            assert_eq!(
                effective(records)[0].status,
                P,
                "{newer} is after {older}: the newest record is the effective mark"
            );
        }
    }
    // Not RFC 3339 (no seconds, no offset, a leap second where none can be): below any instant.
    for unreadable in [
        "2024-09-02T09:00Z",
        "2024-09-02T09:00:00",
        "2024-09-02T09:00:60Z",
        "2024-09-02T09:00:00+0200",
    ] {
        let records = effective(vec![
            raw(P, "1970-01-01T00:00:00Z", false),
            raw(A, unreadable, false),
        ]);
        assert_eq!(records[0].status, P, "{unreadable} ranks below any instant");
    }
}
