use super::*;
use rstest::rstest;
use std::ops::Bound;

fn local(status: Status, state: Option<ItemState>) -> Local {
    Local {
        status,
        changed_at: "L".into(),
        newest_state: state,
    }
}

fn server(status: Status) -> Remote {
    Remote {
        status,
        recorded_at: "S".into(),
        teacher_assignment_id: Id::parse("b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e").unwrap(),
        own: false,
    }
}

#[test]
fn own_delivered_record_is_not_from_another_device() {
    let own = Remote {
        own: true,
        ..server(A)
    };
    let m = merge(Some(local(A, Some(ItemState::Synced))), Some(own)).unwrap();
    assert_eq!(
        m.source,
        Source::Local,
        "a mark this device delivered must not be shown as made on another device"
    );
}

use Status::{Absent as A, Present as P};

const O1: &str = "a1b2c3d4-e5f6-4a7b-8c9d-000000000001";
const O2: &str = "a1b2c3d4-e5f6-4a7b-8c9d-000000000002";
const S1: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000001";
const S2: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000002";
const T: &str = "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e";

fn query_plan(store: &Store, sql: &str) -> String {
    let conn = store.conn();
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let args = vec!["x"; stmt.parameter_count()];
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(3));
    rows.unwrap()
        .map(|r| r.unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn histories_are_read_through_the_indexes_that_serve_them() {
    let store = Store::open_in_memory().unwrap();
    let plan = query_plan(&store, &server_sql(STUDENT_SERVER_WHERE));
    assert!(
        plan.contains(
            "SEARCH server_record USING INDEX server_record_by_student_day (student_id=?"
        ),
        "a student's history must not scan a cache of a million records: {plan}"
    );
    let plan = query_plan(&store, &local_sql(STUDENT_LOCAL_WHERE));
    assert!(
        plan.contains("SEARCH m USING PRIMARY KEY (offering_id=? AND student_id=?")
            && !plan.contains("SCAN m"),
        "a student's local marks are found by key, not by scanning every mark: {plan}"
    );
    // An offering's records are its range of server_record_by_offering_id (grouped by key in a
    // temporary B-tree: one class's records, not the cache's).
    let plan = query_plan(&store, &server_sql(OFFERING_SERVER_WHERE));
    assert!(
        plan.contains(
            "SEARCH server_record USING INDEX server_record_by_offering_id (offering_id=?)"
        ) && !plan.contains("SCAN server_record"),
        "{plan}"
    );
    let plan = query_plan(&store, &local_sql(OFFERING_LOCAL_WHERE));
    assert!(
        plan.contains("SEARCH m USING INDEX mark_by_offering_date (offering_id=?"),
        "{plan}"
    );
}

/// Two offerings, two students: S1 has a server record corrected on the server and a
/// pending local mark over another server record; S2 has one server record.
fn school() -> Store {
    let store = Store::open_in_memory().unwrap();
    let conn = store.conn();
    conn.execute_batch(&format!(
        "INSERT INTO offering VALUES ('{O1}', 'Math', '{T}'), ('{O2}', 'Art', '{T}');
         INSERT INTO student VALUES ('{S1}', 'Ana'), ('{S2}', 'Bruno');
         INSERT INTO enrollment VALUES ('e1', '{O1}', '{S1}', 1), ('e2', '{O1}', '{S2}', 1),
                                       ('e3', '{O2}', '{S1}', 1);
         INSERT INTO mark VALUES ('{O2}', '{S1}', '2024-03-05', 'present', 'L');
         INSERT INTO outbox (offering_id, student_id, date, teacher_assignment_id,
                             enrollment_id, status, state, created_at, updated_at)
              VALUES ('{O2}', '{S1}', '2024-03-05', '{T}', 'e3', 'present', 'pending', 'L', 'L');"
    ))
    .unwrap();
    let rows = [
        ("r1", O1, S1, "2024-03-04", "absent", 1),
        ("r2", O1, S1, "2024-03-04", "excused", 2),
        ("r3", O2, S1, "2024-03-05", "absent", 3),
        ("r4", O1, S2, "2024-03-04", "late", 4),
        ("r5", O1, S1, "2024-04-01", "present", 5),
    ];
    for (id, o, s, d, status, at) in rows {
        conn.execute(
            "INSERT INTO server_record VALUES (?1, NULL, ?2, ?3, 'e', ?4, ?5, ?6, ?7, ?8, 'F')",
            params![id, o, T, s, d, status, format!("t{at}"), at],
        )
        .unwrap();
    }
    store
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

#[test]
fn a_students_history_has_one_effective_mark_per_offering_and_date() {
    let store = school();
    let s1 = Id::parse(S1).unwrap();
    let list = for_student(&store, &s1, day("2024-03-01"), day("2024-03-31")).unwrap();
    let got: Vec<(&str, Day, Status, Source)> = list
        .iter()
        .map(|r| (r.offering_id.as_str(), r.date, r.status, r.source))
        .collect();
    assert_eq!(
        got,
        vec![
            (O1, day("2024-03-04"), Status::Excused, Source::Server),
            (O2, day("2024-03-05"), Status::Present, Source::Local),
        ],
        "the newest server record counts once; a pending local mark wins"
    );
    assert!(list.iter().all(|r| r.student_id == s1));
    let all = for_student(&store, &s1, day("2024-01-01"), day("2024-12-31")).unwrap();
    assert_eq!(
        all.len(),
        3,
        "the range bounds are inclusive and nothing else is lost"
    );
}

#[test]
fn an_offerings_history_covers_every_student_in_the_range() {
    let store = school();
    let o1 = Id::parse(O1).unwrap();
    let list = for_offering(&store, &o1, day("2024-03-04"), day("2024-03-04")).unwrap();
    let got: Vec<(&str, Status)> = list
        .iter()
        .map(|r| (r.student_id.as_str(), r.status))
        .collect();
    assert_eq!(got, vec![(S1, Status::Excused), (S2, Status::Late)]);
    let o2 = Id::parse(O2).unwrap();
    let art = for_offering(&store, &o2, day("2024-01-01"), day("2024-12-31")).unwrap();
    assert_eq!(art.len(), 1);
    assert_eq!(
        (art[0].status, art[0].source),
        (Status::Present, Source::Local)
    );
}

#[test]
fn the_school_is_read_from_one_covering_index_without_sorting() {
    let store = Store::open_in_memory().unwrap();
    for sql in [
        range::FIRST_STUDENT_SQL,
        range::NEXT_STUDENT_SQL,
        range::STUDENT_RANGE_SQL,
    ] {
        let plan = query_plan(&store, sql);
        assert!(
            plan.contains("SEARCH server_record USING COVERING INDEX server_record_by_student_day")
                && !plan.contains("TEMP B-TREE"),
            "a school's year (a million records) must be read by seeks in index order, \
             never scanned whole nor sorted: {sql}: {plan}"
        );
    }
}

#[test]
fn this_devices_own_records_are_found_from_the_outbox_not_by_a_scan_of_the_cache() {
    let store = Store::open_in_memory().unwrap();
    let plan = query_plan(&store, range::OWN_SQL);
    assert!(
        plan.contains("SEARCH r USING INDEX server_record_by_offering_id (offering_id=? AND id=?)")
            && !plan.contains("SCAN r"),
        "{plan}"
    );
}

#[test]
fn the_school_read_gives_each_students_marks_as_for_student() {
    let store = school();
    let (from, to) = (day("2024-01-01"), day("2024-12-31"));
    let mut seen: Vec<(Id, Vec<StudentMark>)> = Vec::new();
    for_range(&store, from, to, .., |student, marks| {
        seen.push((student.clone(), marks.to_vec()));
        Ok(())
    })
    .unwrap();
    let students: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(students, vec![S1, S2], "one visit per student, by id");
    for (student, marks) in &seen {
        let want: Vec<(Id, Day, Status, Source)> = for_student(&store, student, from, to)
            .unwrap()
            .into_iter()
            .map(|r| (r.offering_id, r.date, r.status, r.source))
            .collect();
        let got: Vec<(Id, Day, Status, Source)> = marks
            .iter()
            .map(|m| ((*m.offering_id).clone(), m.date, m.status, m.source))
            .collect();
        assert_eq!(
            got, want,
            "the same rule decides the school view and a student's"
        );
    }
    let mut march = 0;
    for_range(
        &store,
        day("2024-03-05"),
        day("2024-03-05"),
        ..,
        |_, marks| {
            march += marks.len();
            assert_eq!(
                (marks[0].status, marks[0].source),
                (Status::Present, Source::Local),
                "a pending local mark wins over the server's record"
            );
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(march, 1, "the range bounds are inclusive");
}

#[test]
fn a_local_mark_with_no_server_record_is_read_too() {
    let store = school();
    store
        .conn()
        .execute_batch(&format!(
            "INSERT INTO mark VALUES ('{O1}', '{S2}', '2024-05-06', 'absent', 'L');
             INSERT INTO student VALUES ('d4e5f6a7-b8c9-4d0e-a1b2-000000000003', 'Caro');
             INSERT INTO mark VALUES ('{O1}', 'd4e5f6a7-b8c9-4d0e-a1b2-000000000003',
                                     '2024-05-06', 'late', 'L');"
        ))
        .unwrap();
    let mut seen = Vec::new();
    for_range(
        &store,
        day("2024-05-01"),
        day("2024-05-31"),
        ..,
        |s, marks| {
            seen.push((s.as_str().to_string(), marks.len(), marks[0].status));
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(
        seen,
        vec![
            (S2.to_string(), 1, Status::Absent),
            (
                "d4e5f6a7-b8c9-4d0e-a1b2-000000000003".to_string(),
                1,
                Status::Late
            )
        ]
    );
}

#[test]
fn the_school_read_in_parts_visits_each_student_once_as_the_whole_read_does() {
    const S4: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000004";
    const S5: &str = "d4e5f6a7-b8c9-4d0e-a1b2-000000000005";
    let store = school();
    // A student with this device's marks only, before, between and after the others.
    store
        .conn()
        .execute_batch(&format!(
            "INSERT INTO student VALUES ('00000000-0000-4000-8000-000000000000', 'Abe'),
                 ('{S4}', 'Ben'), ('{S5}', 'Cy'),
                 ('ffffffff-0000-4000-8000-000000000000', 'Zoe');
             INSERT INTO mark VALUES
                 ('{O1}', '00000000-0000-4000-8000-000000000000', '2024-03-04', 'late', 'L'),
                 ('{O1}', '{S4}', '2024-03-04', 'absent', 'L'),
                 ('{O1}', 'ffffffff-0000-4000-8000-000000000000', '2024-03-04', 'present', 'L');
             INSERT INTO server_record VALUES
                 ('r9', NULL, '{O1}', '{T}', 'e', '{S5}', '2024-03-04', 'absent', 't9', 9, 'F');"
        ))
        .unwrap();
    let (from, to) = (day("2024-01-01"), day("2024-12-31"));
    let read = |span: (Bound<Id>, Bound<Id>)| {
        let mut seen: Vec<(String, Vec<StudentMark>)> = Vec::new();
        for_range(&store, from, to, span, |s, marks| {
            seen.push((s.as_str().to_string(), marks.to_vec()));
            Ok(())
        })
        .unwrap();
        seen
    };
    let whole = read((Bound::Unbounded, Bound::Unbounded));
    let students: Vec<&str> = whole.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        students,
        vec![
            "00000000-0000-4000-8000-000000000000",
            S1,
            S2,
            S4,
            S5,
            "ffffffff-0000-4000-8000-000000000000"
        ]
    );
    for split in students.iter().skip(1) {
        let split = Id::parse(split).unwrap();
        let mut parts = read((Bound::Unbounded, Bound::Excluded(split.clone())));
        parts.extend(read((Bound::Included(split), Bound::Unbounded)));
        assert_eq!(parts, whole, "two parts read what the whole read does");
    }
    let middle = read((
        Bound::Excluded(Id::parse(S2).unwrap()),
        Bound::Included(Id::parse(S5).unwrap()),
    ));
    let students: Vec<&str> = middle.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(students, vec![S4, S5]);
}

#[rstest]
#[case::pending_local_wins(Some(local(P, Some(ItemState::Pending))), Some(server(A)), Some((P, Source::Local)))]
#[case::sending_local_wins(Some(local(P, Some(ItemState::Sending))), Some(server(A)), Some((P, Source::Local)))]
#[case::unknown_local_wins(Some(local(P, Some(ItemState::Unknown))), Some(server(A)), Some((P, Source::Local)))]
#[case::rejected_local_wins(Some(local(P, Some(ItemState::Rejected))), Some(server(A)), Some((P, Source::Local)))]
#[case::synced_newest_server_wins(Some(local(P, Some(ItemState::Synced))), Some(server(A)), Some((A, Source::Server)))]
#[case::no_item_server_wins(Some(local(P, None)), Some(server(A)), Some((A, Source::Server)))]
#[case::only_server(None, Some(server(A)), Some((A, Source::Server)))]
#[case::only_local(Some(local(P, Some(ItemState::Synced))), None, Some((P, Source::Local)))]
#[case::nothing(None, None, None)]
fn rule(
    #[case] l: Option<Local>,
    #[case] s: Option<Remote>,
    #[case] want: Option<(Status, Source)>,
) {
    assert_eq!(merge(l, s).map(|m| (m.status, m.source)), want);
}
