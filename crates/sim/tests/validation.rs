//! POST validation (422 naming every bad field) and the 201 record shape.

use serde_json::{json, Value};

use crate::common::{builder, empty_sim, payload, post, post_json, post_status, WRITE};

#[tokio::test]
async fn every_bad_field_is_named_in_one_422() {
    let sim = empty_sim().await;
    let body = json!({
        "course_offering_id": "not-a-uuid",
        "teacher_assignment_id": "c3d4e5f6a7b84c9d0e1f2a3b4c5d6e7f",
        "course_enrollment_id": 12,
        "student_id": "{d4e5f6a7-b8c9-4d0e-a1b2-c3d4e5f6a7b8}",
        "attendance_date": "2023-02-29",
        "status": "Present",
    });
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 422);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "validation_error");
    assert!(v["message"].is_string());
    let fields = v["fields"].as_object().unwrap();
    let mut names: Vec<&str> = fields.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "attendance_date",
            "course_enrollment_id",
            "course_offering_id",
            "status",
            "student_id",
            "teacher_assignment_id"
        ],
        "a client shows the teacher every bad field at once, so all must be named"
    );
    assert_eq!(sim.record_count(), 0, "an invalid POST must store nothing");
}

#[tokio::test]
async fn missing_fields_and_non_json_bodies_are_422() {
    let sim = empty_sim().await;
    let mut body = payload(&sim, 0, "2024-03-15", "present");
    body.as_object_mut().unwrap().remove("status");
    body["attendance_date"] = Value::Null;
    let v: Value = post_json(&sim, WRITE, &body).await;
    assert_eq!(v["fields"]["status"], "is required");
    assert_eq!(v["fields"]["attendance_date"], "is required");
    assert_eq!(v["fields"].as_object().unwrap().len(), 2);

    let resp = crate::common::client()
        .post(format!("{}/academic/attendance", sim.base_url()))
        .bearer_auth(WRITE)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let v: Value = resp.json().await.unwrap();
    assert!(v["fields"]["body"].is_string());
}

#[tokio::test]
async fn any_uuid_variant_is_accepted_but_only_the_hyphenated_form() {
    let sim = empty_sim().await;
    let mut body = payload(&sim, 0, "2024-03-15", "late");
    body["course_enrollment_id"] = json!("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f");
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(
        resp.status(),
        201,
        "the vendor's own example id has a non-RFC variant nibble"
    );

    body["course_enrollment_id"] = json!("c3d4e5f6a7b84c9d0e1f2a3b4c5d6e7f");
    let v: Value = post_json(&sim, WRITE, &body).await;
    assert_eq!(v["fields"].as_object().unwrap().len(), 1);
    assert!(v["fields"]["course_enrollment_id"].is_string());

    for bad in [
        "2024-3-15",
        "15/03/2024",
        "2024-03-15T00:00:00Z",
        "2024-04-31",
        " 2024-03-15",
    ] {
        let mut b = payload(&sim, 0, bad, "present");
        b["status"] = json!("present");
        let v: Value = post_json(&sim, WRITE, &b).await;
        assert!(
            v["fields"]["attendance_date"].is_string(),
            "{bad} must be refused"
        );
    }
}

#[tokio::test]
async fn created_record_has_the_contract_shape() {
    let sim = empty_sim().await;
    let body = payload(&sim, 3, "2024-03-15", "excused");
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "attendance_date",
            "course_enrollment_id",
            "course_offering_id",
            "id",
            "recorded_at",
            "school_id",
            "status",
            "student_id",
            "teacher_assignment_id"
        ]
    );
    for f in [
        "course_offering_id",
        "teacher_assignment_id",
        "course_enrollment_id",
        "student_id",
    ] {
        assert_eq!(v[f], body[f], "{f} must echo the request");
    }
    assert_eq!(v["attendance_date"], "2024-03-15");
    assert_eq!(v["status"], "excused");
    assert_eq!(v["school_id"], sim.school_id().to_string());
    let id = uuid::Uuid::parse_str(v["id"].as_str().unwrap()).unwrap();
    assert_eq!(id.get_version_num(), 4);
    let recorded_at = v["recorded_at"].as_str().unwrap();
    assert!(
        recorded_at.ends_with('Z'),
        "recorded_at must be UTC with Z: {recorded_at}"
    );
    athena_sim::parse_timestamp(recorded_at).expect("recorded_at is RFC 3339");
    let stored = sim.records();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        serde_json::to_value(&stored[0]).unwrap(),
        v,
        "the response is the stored record"
    );
}

#[tokio::test]
async fn every_post_creates_a_record_with_a_newer_recorded_at() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    let mut last = None;
    for _ in 0..5 {
        let v: Value = post_json(&sim, WRITE, &body).await;
        let t = athena_sim::parse_timestamp(v["recorded_at"].as_str().unwrap()).unwrap();
        if let Some(prev) = last {
            assert!(
                t > prev,
                "newest recorded_at wins only if it is strictly increasing"
            );
        }
        last = Some(t);
    }
    assert_eq!(
        sim.record_count(),
        5,
        "like the real API: no idempotency, no dedupe"
    );
    assert_eq!(sim.post_count(), 5);
}

#[tokio::test]
async fn rejected_students_and_strict_enrollment_give_422() {
    let sim = builder()
        .empty_store()
        .strict_enrollment(true)
        .start()
        .await
        .unwrap();
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.reject_student(sim.enrollments()[0].student_id);
    let v: Value = post_json(&sim, WRITE, &body).await;
    assert!(
        v["fields"]["student_id"].is_string(),
        "a rejected student is named: {v}"
    );
    sim.accept_student(sim.enrollments()[0].student_id);
    assert_eq!(post_status(&sim, WRITE, &body).await, 201);

    let mut stranger = body.clone();
    stranger["student_id"] = json!(uuid::Uuid::new_v4());
    let resp = post(&sim, WRITE, &stranger).await.unwrap();
    assert_eq!(
        resp.status(),
        422,
        "strict enrollment refuses a student not in the offering"
    );
    let mut wrong_enrollment = body.clone();
    wrong_enrollment["course_enrollment_id"] = json!(uuid::Uuid::new_v4());
    let v: Value = post_json(&sim, WRITE, &wrong_enrollment).await;
    assert!(v["fields"]["course_enrollment_id"].is_string());
    assert_eq!(sim.record_count(), 1);

    let lenient = builder().empty_store().start().await.unwrap();
    assert_eq!(
        post_status(&lenient, WRITE, &stranger).await,
        201,
        "off by default"
    );

    let via_builder = builder()
        .empty_store()
        .reject_students([lenient.enrollments()[0].student_id])
        .start()
        .await
        .unwrap();
    assert_eq!(post_status(&via_builder, WRITE, &body).await, 422);
}
