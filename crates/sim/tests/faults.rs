//! Every fault kind, observed from a real client over loopback.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use athena_sim::{FaultKind, Faults, RetryAfter};
use serde_json::Value;

use crate::common::{builder, empty_sim, get, payload, post, WRITE};

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
        post(&sim, WRITE, &body).await.unwrap().status(),
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
        post(&sim, WRITE, &body).await.unwrap().status(),
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
    let listed: Vec<Value> = get(&sim, WRITE, "/academic/attendance")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
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
        .start();
    let sim = sim.await.unwrap();
    let started = Instant::now();
    let status = post(&sim, WRITE, &payload(&sim, 0, "2024-03-15", "present"))
        .await
        .unwrap();
    assert_eq!(status.status(), 201);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn faults_hit_post_only_unless_configured_for_get() {
    let sim = empty_sim().await;
    sim.set_faults(Faults::parse("500=1").unwrap());
    assert_eq!(
        get(&sim, WRITE, "/academic/attendance")
            .await
            .unwrap()
            .status(),
        200
    );
    let body = payload(&sim, 0, "2024-03-15", "present");
    assert_eq!(post(&sim, WRITE, &body).await.unwrap().status(), 500);

    sim.set_faults(Faults::parse("methods=get").unwrap());
    sim.fail_next(FaultKind::Garbage, 1);
    assert_eq!(post(&sim, WRITE, &body).await.unwrap().status(), 201);
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
    assert_eq!(
        get(&sim, WRITE, "/academic/attendance")
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_seeded_fault_mix_repeats_exactly() {
    let spec = "500=0.2,429=0.1,drop_before=0.1,drop_after=0.1,garbage=0.1,html=0.1,seed=99";
    let mut runs = Vec::new();
    for _ in 0..2 {
        let sim = builder()
            .empty_store()
            .faults(Faults::parse(spec).unwrap())
            .start();
        let sim = sim.await.unwrap();
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
    let created = post(&sim, WRITE, &payload(&sim, 0, "2024-03-18", "present"))
        .await
        .expect("posted");
    assert_eq!(created.status(), 201);

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
    let again = post(&sim, WRITE, &payload(&sim, 1, "2024-03-18", "late"))
        .await
        .expect("posted");
    assert_eq!(again.status(), 201);
    assert_eq!(sim.record_count(), 2);
    sim.shutdown().await;
}
