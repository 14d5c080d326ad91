//! GET /academic/attendance filters and order, GET /students/{id}.

use athena_sim::AttendanceRecord;
use serde_json::Value;

use crate::common::{builder, empty_sim, get, get_json, get_status, payload, post_status, WRITE};

fn assert_api_order(records: &[AttendanceRecord]) {
    for pair in records.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(
            a.attendance_date > b.attendance_date
                || (a.attendance_date == b.attendance_date && a.recorded_at > b.recorded_at),
            "the API lists newest date first, then newest recorded_at: {a:?} before {b:?}"
        );
    }
}

#[tokio::test]
async fn filters_select_and_order_is_date_then_recorded_at() {
    let sim = empty_sim().await;
    // Enrollment 0 and 1 share an offering (enrollments are listed by offering).
    for (i, date, status) in [
        (0, "2024-03-14", "present"),
        (0, "2024-03-15", "absent"),
        (1, "2024-03-15", "present"),
        (0, "2024-03-15", "late"),
    ] {
        assert_eq!(
            post_status(&sim, WRITE, &payload(&sim, i, date, status)).await,
            201
        );
    }
    let student = sim.enrollments()[0].student_id;
    let offering = sim.enrollments()[0].course_offering_id;

    let all: Vec<AttendanceRecord> = get_json(&sim, WRITE, "/academic/attendance").await;
    assert_eq!(all.len(), 4);
    assert_api_order(&all);

    let mine: Vec<AttendanceRecord> = get_json(
        &sim,
        WRITE,
        &format!("/academic/attendance?student_id={student}"),
    )
    .await;
    let statuses: Vec<String> = mine.iter().map(|r| r.status.to_string()).collect();
    assert_eq!(
        statuses,
        ["late", "absent", "present"],
        "the correction comes first"
    );

    let both: Vec<AttendanceRecord> = get_json(
        &sim,
        WRITE,
        &format!("/academic/attendance?course_offering_id={offering}&student_id={student}"),
    )
    .await;
    assert_eq!(both.len(), 3);
    let other = uuid::Uuid::new_v4();
    let none: Vec<Value> = get_json(
        &sim,
        WRITE,
        &format!("/academic/attendance?student_id={other}"),
    )
    .await;
    assert!(
        none.is_empty(),
        "an unknown student is an empty list, not an error"
    );
}

#[tokio::test]
async fn a_malformed_filter_is_422() {
    let sim = empty_sim().await;
    let resp = get(&sim, WRITE, "/academic/attendance?student_id=abc")
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let v: Value = resp.json().await.unwrap();
    assert!(v["fields"]["student_id"].is_string());
}

#[tokio::test]
async fn preloaded_history_lists_by_offering_in_api_order() {
    let sim = builder().start().await.unwrap();
    let offering = &sim.offerings()[2];
    let list: Vec<AttendanceRecord> = get_json(
        &sim,
        WRITE,
        &format!("/academic/attendance?course_offering_id={}", offering.id),
    )
    .await;
    let enrolled = sim.sample().unwrap().enrollments_of(offering.id).len();
    assert!(
        list.len() >= enrolled * 60,
        "60 school days of roll for {enrolled} students"
    );
    assert!(list.iter().all(|r| r.course_offering_id == offering.id));
    assert!(list
        .iter()
        .all(|r| r.teacher_assignment_id == offering.teacher_assignment_id));
    assert_api_order(&list);
}

#[tokio::test]
async fn students_are_served_by_id() {
    let sim = empty_sim().await;
    let student = sim.students()[5].clone();
    let resp = get(&sim, WRITE, &format!("/students/{}", student.id))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    for key in [
        "id",
        "school_id",
        "full_name",
        "document_type",
        "document_number",
        "is_active",
    ] {
        assert!(v.get(key).is_some(), "student JSON has {key}");
    }
    assert_eq!(v["full_name"], student.full_name.as_str());

    let resp = get(&sim, WRITE, &format!("/students/{}", uuid::Uuid::new_v4()))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "not_found");
    assert_eq!(get_status(&sim, WRITE, "/students/nope").await, 422);
}

#[tokio::test]
async fn list_count_counts_every_listing_request_faulted_ones_included() {
    let sim = empty_sim().await;
    assert_eq!(sim.list_count(), 0);
    assert_eq!(get_status(&sim, WRITE, "/academic/attendance").await, 200);
    sim.set_faults(athena_sim::Faults::none().on_methods(false, true));
    sim.fail_next(athena_sim::FaultKind::ServerError, 1);
    assert_eq!(get_status(&sim, WRITE, "/academic/attendance").await, 500);
    let student = sim.enrollments()[0].student_id;
    get_status(&sim, WRITE, &format!("/students/{student}")).await;
    assert_eq!(
        sim.list_count(),
        2,
        "two listings (one answered 500); a student lookup is not a listing"
    );
}
