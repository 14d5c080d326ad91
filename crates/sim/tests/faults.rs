//! Every fault kind, observed from a real client over loopback.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use athena_sim::{FaultKind, Faults, RetryAfter};
use serde_json::Value;

use crate::common::{
    builder, client_builder, empty_sim, get, get_json, get_status, payload, post, post_json,
    post_status, WRITE,
};

#[tokio::test]
async fn server_errors_store_nothing() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.fail_next(FaultKind::ServerError, 1);
    sim.fail_next(FaultKind::BadGateway, 1);
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 500);
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 502);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "a proxy's 502 is HTML: {ct}");
    assert_eq!(
        sim.record_count(),
        0,
        "a 5xx must not have stored the record"
    );
    assert_eq!(
        post_status(&sim, WRITE, &body).await,
        201,
        "queue is used up"
    );
    assert_eq!(sim.fault_count(FaultKind::ServerError), 1);
}

#[tokio::test]
async fn throttling_carries_retry_after_in_both_forms() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.set_faults(Faults::none().with_retry_after(RetryAfter::Seconds(3)));
    sim.fail_next(FaultKind::TooManyRequests, 1);
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");

    sim.set_faults(Faults::parse("retry_after=date:30").unwrap());
    sim.fail_next(FaultKind::Unavailable, 1);
    // Bracketed by clock readings before and after, so no delay in between matters: the date
    // is 30 s after the answer was made (whole seconds, so up to 1 s earlier).
    let before = std::time::SystemTime::now();
    let resp = post(&sim, WRITE, &body).await.unwrap();
    let after = std::time::SystemTime::now();
    assert_eq!(resp.status(), 503);
    let raw = resp.headers()["retry-after"].to_str().unwrap().to_string();
    let when = httpdate::parse_http_date(&raw).expect("Retry-After is an HTTP-date");
    assert!(
        when + Duration::from_secs(1) >= before + Duration::from_secs(30)
            && when <= after + Duration::from_secs(30),
        "30 s after the answer: {raw}"
    );
    assert_eq!(sim.record_count(), 0);
}

#[tokio::test]
async fn drop_before_gives_no_response_and_stores_nothing() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.fail_next(FaultKind::DropBefore, 1);
    let result = post(&sim, WRITE, &body).await;
    assert!(
        result.is_err(),
        "the client must see a broken connection, got {result:?}"
    );
    assert_eq!(sim.record_count(), 0);
    assert_eq!(sim.post_count(), 0);
    assert_eq!(
        post_status(&sim, WRITE, &body).await,
        201,
        "the server lives on"
    );
}

#[tokio::test]
async fn drop_after_gives_no_response_but_the_record_exists() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "late");
    sim.fail_next(FaultKind::DropAfter, 1);
    let result = post(&sim, WRITE, &body).await;
    assert!(
        result.is_err(),
        "no response may reach the client, got {result:?}"
    );
    let records = sim.records();
    assert_eq!(
        records.len(),
        1,
        "the ambiguous case: stored although the client saw an error"
    );
    assert_eq!(
        records[0].student_id.to_string(),
        body["student_id"].as_str().unwrap()
    );
    assert_eq!(sim.post_count(), 1);
    let listed: Vec<Value> = get_json(&sim, WRITE, "/academic/attendance").await;
    assert_eq!(listed.len(), 1, "reconciling by GET finds it");
}

#[test]
fn a_dropped_connection_closes_without_any_http_bytes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = builder().empty_store().start_on(rt.handle()).unwrap();
    let body = payload(&sim, 0, "2024-03-15", "present").to_string();
    for kind in [FaultKind::DropBefore, FaultKind::DropAfter] {
        sim.fail_next(kind, 1);
        let mut stream = std::net::TcpStream::connect(sim.addr()).unwrap();
        stream
            // Only a guard: the sim closes the connection at once.
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let request = format!(
            "POST /academic/attendance HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {WRITE}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut got = Vec::new();
        let outcome = stream.read_to_end(&mut got);
        assert!(
            got.is_empty(),
            "{kind}: expected a closed connection, got {:?}",
            String::from_utf8_lossy(&got)
        );
        if let Err(e) = outcome {
            assert_ne!(
                e.kind(),
                std::io::ErrorKind::WouldBlock,
                "{kind}: timed out, not closed"
            );
        }
    }
    assert_eq!(sim.record_count(), 1, "only drop_after stored its record");
}

#[tokio::test]
async fn garbage_is_a_2xx_that_does_not_parse_and_was_stored() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.fail_next(FaultKind::Garbage, 1);
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 201);
    let text = resp.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "must not parse: {text}"
    );
    assert_eq!(sim.record_count(), 1);
}

#[tokio::test]
async fn html_is_a_200_page_and_nothing_is_stored() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.fail_next(FaultKind::Html, 1);
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"));
    assert!(resp.text().await.unwrap().contains("<html"));
    assert_eq!(sim.record_count(), 0);
}

#[tokio::test]
async fn latency_delays_each_request() {
    let sim = builder()
        .empty_store()
        .faults(Faults::parse("latency=150").unwrap())
        .start()
        .await
        .unwrap();
    let started = Instant::now();
    let status = post_status(&sim, WRITE, &payload(&sim, 0, "2024-03-15", "present")).await;
    assert_eq!(status, 201);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn faults_hit_post_only_unless_configured_for_get() {
    let sim = empty_sim().await;
    sim.set_faults(Faults::parse("500=1").unwrap());
    assert_eq!(get_status(&sim, WRITE, "/academic/attendance").await, 200);
    let body = payload(&sim, 0, "2024-03-15", "present");
    assert_eq!(post_status(&sim, WRITE, &body).await, 500);

    sim.set_faults(Faults::parse("methods=get").unwrap());
    sim.fail_next(FaultKind::Garbage, 1);
    assert_eq!(post_status(&sim, WRITE, &body).await, 201);
    let resp = get(&sim, WRITE, "/academic/attendance").await.unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "GET garbage must not parse"
    );
    sim.fail_next(FaultKind::DropBefore, 1);
    assert!(get(&sim, WRITE, "/academic/attendance").await.is_err());
    sim.clear_faults();
    assert_eq!(get_status(&sim, WRITE, "/academic/attendance").await, 200);
}

#[tokio::test]
async fn a_seeded_fault_mix_repeats_exactly() {
    let spec = "500=0.2,429=0.1,drop_before=0.1,drop_after=0.1,garbage=0.1,html=0.1,seed=99";
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = builder()
            .empty_store()
            .faults(Faults::parse(spec).unwrap())
            .start()
            .await
            .unwrap();
        let body = payload(&sim, 0, "2024-03-15", "present");
        let mut outcomes = Vec::new();
        for _ in 0..30 {
            outcomes.push(match post(&sim, WRITE, &body).await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            });
        }
        runs.push((outcomes, sim.record_count()));
    }
    assert_eq!(
        runs[0], runs[1],
        "tests rely on a seed giving the same failures"
    );
    let kinds: std::collections::HashSet<u16> = runs[0].0.iter().copied().collect();
    assert!(
        kinds.len() >= 4,
        "the mix shows several outcomes: {kinds:?}"
    );
}

#[tokio::test]
async fn a_server_that_stops_listening_comes_back_on_its_address_with_its_records() {
    let mut sim = empty_sim().await;
    let url = sim.base_url();
    let created = post_status(&sim, WRITE, &payload(&sim, 0, "2024-03-18", "present")).await;
    assert_eq!(created, 201);

    sim.stop_listening().await;
    let refused = post(&sim, WRITE, &payload(&sim, 1, "2024-03-18", "present")).await;
    assert!(
        refused.is_err_and(|e| e.is_connect()),
        "a stopped server refuses connections, like one that is down"
    );

    sim.listen_again(&tokio::runtime::Handle::current())
        .expect("the same port is free again");
    assert_eq!(sim.base_url(), url, "clients find it where it was");
    assert_eq!(
        sim.record_count(),
        1,
        "what it stored before is still there"
    );
    let again = post_status(&sim, WRITE, &payload(&sim, 1, "2024-03-18", "late")).await;
    assert_eq!(again, 201);
    assert_eq!(sim.record_count(), 2);
    sim.shutdown().await;
}

/// The stored record and what the POST sent agree on the six fields.
fn stored_as_sent(sim: &athena_sim::Sim, sent: &Value) {
    let records = sim.records();
    let stored = serde_json::to_value(records.last().expect("a record was stored")).unwrap();
    for field in [
        "course_offering_id",
        "teacher_assignment_id",
        "course_enrollment_id",
        "student_id",
        "attendance_date",
        "status",
    ] {
        assert_eq!(
            stored[field], sent[field],
            "the server stored what was sent"
        );
    }
}

#[tokio::test]
async fn wrong_types_is_well_formed_json_of_the_wrong_types_and_was_stored() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.fail_next(FaultKind::WrongTypes, 1);
    let resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 201);
    let answer: Value = resp.json().await.expect("well-formed JSON");
    assert!(answer["id"].is_number(), "{answer}");
    assert_eq!(answer["status"], 42, "{answer}");
    assert_eq!(answer["attendance_date"], "yesterday", "{answer}");
    assert_eq!(sim.record_count(), 1, "the dangerous case: stored anyway");
    stored_as_sent(&sim, &body);

    // On GETs (the 2nd and 3rd injections of the kind): an object instead of an array, then
    // an array of records with the wrong types.
    sim.set_faults(Faults::parse("methods=get").unwrap());
    sim.fail_next(FaultKind::WrongTypes, 3);
    let list: Value = get_json(&sim, WRITE, "/academic/attendance").await;
    assert!(list.is_object(), "an object every second time: {list}");
    let list: Value = get_json(&sim, WRITE, "/academic/attendance").await;
    let items = list.as_array().expect("an array the other times");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], 42, "{list}");
    let student = body["student_id"].as_str().unwrap();
    let resp = get(&sim, WRITE, &format!("/students/{student}"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert!(
        answer["id"].is_number() && answer["full_name"].is_number(),
        "{answer}"
    );
    assert_eq!(sim.record_count(), 1, "a GET stores nothing");
}

#[tokio::test]
async fn huge_body_streams_far_past_any_cap_and_was_stored() {
    let sim = empty_sim().await;
    let body = payload(&sim, 1, "2024-03-15", "absent");
    sim.fail_next(FaultKind::HugeBody, 1);
    let mut resp = post(&sim, WRITE, &body).await.unwrap();
    assert_eq!(resp.status(), 201);
    assert!(
        resp.headers().get("content-length").is_none(),
        "streamed: the size is learnt only by reading"
    );
    // Read well past the 1 MiB a client may allow for one record, then stop.
    let mut read = 0usize;
    while read <= 4 << 20 {
        let chunk = resp
            .chunk()
            .await
            .expect("still streaming")
            .expect("not over yet: the body is far larger");
        assert!(chunk.iter().all(|b| *b == b' '), "whitespace first");
        read += chunk.len();
    }
    drop(resp);
    assert_eq!(sim.record_count(), 1);
    stored_as_sent(&sim, &body);
    assert_eq!(
        post_status(&sim, WRITE, &body).await,
        201,
        "the server lives on after the client hung up"
    );
}

#[tokio::test]
async fn slow_drip_sends_the_status_at_once_then_outlasts_a_client_timeout() {
    let sim = empty_sim().await;
    let body = payload(&sim, 2, "2024-03-15", "late");
    sim.fail_next(FaultKind::SlowDrip, 1);
    let client = client_builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let mut resp = client
        .post(format!("{}/academic/attendance", sim.base_url()))
        .bearer_auth(WRITE)
        .json(&body)
        .send()
        .await
        .expect("the status and headers arrive at once");
    assert_eq!(resp.status(), 201);
    let first = resp.chunk().await.expect("first bytes").expect("some");
    assert!(first.len() < 100, "a few bytes at a time: {first:?}");
    let outcome = loop {
        match resp.chunk().await {
            Ok(Some(_)) => continue,
            other => break other,
        }
    };
    match outcome {
        Err(e) => assert!(e.is_timeout(), "the client's timeout fires mid-body: {e}"),
        Ok(_) => panic!("the body must outlast a 1 s timeout"),
    }
    assert_eq!(sim.record_count(), 1);
    stored_as_sent(&sim, &body);
}

#[tokio::test]
async fn wrong_record_answers_a_valid_record_that_is_not_the_one_sent() {
    let sim = empty_sim().await;
    let body = payload(&sim, 0, "2024-03-15", "present");
    sim.fail_next(FaultKind::WrongRecord, 2);
    let first: Value = post_json(&sim, WRITE, &body).await;
    assert_eq!(first["student_id"], body["student_id"]);
    assert_ne!(first["status"], body["status"], "another status: {first}");
    let second: Value = post_json(&sim, WRITE, &body).await;
    assert_ne!(
        second["student_id"], body["student_id"],
        "another student: {second}"
    );
    for answer in [&first, &second] {
        let record: athena_sim::AttendanceRecord =
            serde_json::from_value(answer.clone()).expect("a perfectly valid record");
        assert!(
            sim.records().iter().all(|r| r.id != record.id),
            "the record answered is not one the server stored"
        );
    }
    assert_eq!(sim.record_count(), 2, "both POSTs stored what was sent");
    stored_as_sent(&sim, &body);

    // A list answers another question: the records its filter leaves out, or a made-up one
    // when there are none; a student look-up answers another student.
    let other_body = payload(&sim, 5, "2024-03-15", "late");
    post(&sim, WRITE, &other_body).await.unwrap();
    sim.set_faults(Faults::parse("methods=get").unwrap());
    sim.fail_next(FaultKind::WrongRecord, 3);
    let student = body["student_id"].as_str().unwrap();
    let listed: Vec<Value> = get_json(
        &sim,
        WRITE,
        &format!("/academic/attendance?student_id={student}"),
    )
    .await;
    assert_eq!(listed.len(), 1, "only the record the filter leaves out");
    assert_eq!(listed[0]["student_id"], other_body["student_id"]);
    let everything: Vec<Value> = get_json(&sim, WRITE, "/academic/attendance").await;
    assert_eq!(everything.len(), 1, "one made-up record: {everything:?}");
    let made_up: athena_sim::AttendanceRecord =
        serde_json::from_value(everything[0].clone()).expect("a valid record");
    assert!(sim.records().iter().all(|r| r.id != made_up.id));
    let other: Value = get_json(&sim, WRITE, &format!("/students/{student}")).await;
    assert_ne!(other["id"], student, "{other}");
}
