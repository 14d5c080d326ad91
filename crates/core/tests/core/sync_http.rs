//! The HTTP client's guard rails: `X-School-Id` is sent when configured (and a token of several
//! schools without it blocks the queue instead of refusing every mark), a redirect is never
//! followed (the token must not travel to another origin), and a huge answer is cut off.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use athena_sim::Sim;
use rollbook_core::secret::Secret;
use rollbook_core::sync::api::{ApiClient, ApiConfig, BaseUrl, Exchange};
use rollbook_core::sync::classify::{classify_post, PostOutcome, SCHOOL_BLOCKED};
use rollbook_core::sync::{load_status, save_api_settings, BlockReason, EngineConfig};
use rollbook_core::Status;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::sync_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_school_id_is_sent_when_configured() {
    let other_school = uuid::Uuid::parse_str("11111111-2222-4333-8444-555555555555").unwrap();
    let rig = Rig::start(Sim::builder().sample_school(7).empty_store()).await;
    let school = rig.sim.school_id();
    rig.sim
        .add_token_for_schools(TOKEN, ALL_SCOPES, &[school, other_school]);
    let mut rig = rig;
    let item = rig.mark(0, 0, Status::Present).unwrap();

    // Without it, a token of two schools is refused with 400: that blocks the queue.
    let mut config = ApiConfig::new(BaseUrl::parse(&rig.sim.base_url()).unwrap());
    let api = ApiClient::new(config.clone()).unwrap();
    let body = attendance(&rig);
    let ex = api.create(&Secret::new(TOKEN).unwrap(), &body).await;
    let now = chrono::Utc::now();
    match classify_post(&ex, &body, now, false) {
        PostOutcome::Blocked(b) => assert_eq!(b.reason, BlockReason::School),
        other => panic!("{other:?}"),
    }
    // Had a school id been sent, the same 400 would be about this record.
    match classify_post(&ex, &body, now, true) {
        PostOutcome::Rejected(reason) => assert!(reason.contains("X-School-Id"), "{reason}"),
        other => panic!("{other:?}"),
    }

    config.school_id = Some(id(school));
    let mut engine = rig.engine_using(ApiClient::new(config).unwrap(), fast());
    assert_eq!(engine.pass().await.unwrap().confirmed, 1);
    assert_eq!(rig.state(item), "synced");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_several_schools_blocks_the_queue_until_the_school_id_is_set() {
    let other_school = uuid::Uuid::parse_str("11111111-2222-4333-8444-555555555555").unwrap();
    let rig = Rig::start(Sim::builder().sample_school(7).empty_store()).await;
    let school = rig.sim.school_id();
    rig.sim
        .add_token_for_schools(TOKEN, ALL_SCOPES, &[school, other_school]);
    let mut rig = rig;
    // More marks than POSTs in flight at once (8).
    let items: Vec<i64> = (0..20)
        .map(|s| rig.mark(0, s, Status::Present).unwrap())
        .collect();
    let states = |rig: &Rig| -> Vec<String> { items.iter().map(|i| rig.state(*i)).collect() };

    // No school id: the first 400 stops the queue, with what to do; no mark is refused.
    let mut engine = rig.engine();
    let report = engine.pass().await.unwrap();
    assert_eq!(
        report.rejected, 0,
        "a missing school id is not the marks' fault"
    );
    assert!(
        report.sent <= 8,
        "no POST leaves after the first answer asking for a school id, only those already on \
         the wire: {} sent",
        report.sent
    );
    let blocked = engine.status().blocked.expect("blocked");
    assert_eq!(blocked.reason, BlockReason::School);
    assert_eq!(blocked.message, SCHOOL_BLOCKED);
    assert_eq!(states(&rig), vec!["pending"; 20]);
    assert_eq!(rig.sim.record_count(), 0);
    drop(engine);

    let mut engine = rig.engine();
    assert_eq!(
        engine.status().blocked.map(|b| b.reason),
        Some(BlockReason::School),
        "the block survives a restart"
    );
    assert_eq!(engine.pass().await.unwrap().sent, 0, "still no school id");
    drop(engine);

    // The user sets the school id: the block goes at once, and the marks are delivered.
    let saved =
        save_api_settings(&rig.store, &rig.sim.base_url(), Some(&school.to_string())).unwrap();
    let now = chrono::Utc::now();
    assert!(load_status(&rig.store, now).unwrap().blocked.is_none());
    let mut config = ApiConfig::new(BaseUrl::parse(&saved.api_url).unwrap());
    config.school_id = saved.school_id;
    let mut engine = rig.engine_using(ApiClient::new(config.clone()).unwrap(), fast());
    let report = engine.pass().await.unwrap();
    assert_eq!((report.confirmed, report.rejected, report.left), (20, 0, 0));
    assert_eq!(states(&rig), vec!["synced"; 20]);
    drop(engine);

    // Blocked again (a mark made while no school id is used), then a school id given some
    // other way (ROLLBOOK_SCHOOL_ID): the engine that sends it drops the block by itself.
    let item = rig.mark(0, 3, Status::Late).unwrap();
    rig.engine().pass().await.unwrap();
    assert!(load_status(&rig.store, now).unwrap().blocked.is_some());
    let mut engine = rig.engine_using(ApiClient::new(config).unwrap(), fast());
    assert_eq!(engine.pass().await.unwrap().confirmed, 1);
    assert!(engine.status().blocked.is_none());
    assert_eq!(rig.state(item), "synced");
    assert_eq!(rig.sim.record_count(), 21);
}

fn attendance(rig: &Rig) -> rollbook_core::sync::record::Attendance {
    let (o, s) = rig.pick(0, 0);
    let e = rig
        .sim
        .sample()
        .unwrap()
        .enrollment(
            uuid::Uuid::parse_str(o.as_str()).unwrap(),
            uuid::Uuid::parse_str(s.as_str()).unwrap(),
        )
        .unwrap();
    rollbook_core::sync::record::Attendance {
        offering_id: o,
        teacher_assignment_id: id(rig.sim.offerings()[0].teacher_assignment_id),
        enrollment_id: id(e.id),
        student_id: s,
        date: day(DATE),
        status: Status::Present,
    }
}

/// A server that answers every request with `answer` and counts connections.
async fn raw_server(answer: String) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_is_not_followed_and_the_item_is_unknown() {
    let (elsewhere, elsewhere_hits) = raw_server(
        "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".into(),
    )
    .await;
    let (redirector, _) = raw_server(format!(
        "HTTP/1.1 307 Temporary Redirect\r\nLocation: {elsewhere}/academic/attendance\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    ))
    .await;
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(0, 0, Status::Present).unwrap();
    let mut engine = rig.engine_using(
        api_for(&redirector),
        EngineConfig {
            reconcile_after: Duration::from_secs(60),
            ..fast()
        },
    );
    engine.pass().await.unwrap();
    assert_eq!(
        rig.state(item),
        "unknown",
        "a 3xx proves nothing about the record"
    );
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "the token never went to the other origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_answer_is_cut_off() {
    let big = 2 * 1024 * 1024;
    let (server, _) = raw_server(format!(
        "HTTP/1.1 201 Created\r\nContent-Length: {big}\r\nConnection: close\r\n\r\n{}",
        "x".repeat(big)
    ))
    .await;
    let api = api_for(&server);
    let rig = Rig::start(sim_builder()).await;
    let body = attendance(&rig);
    let ex = api.create(&Secret::new(TOKEN).unwrap(), &body).await;
    match &ex {
        Exchange::Answered {
            status: 201,
            body: Err(why),
            ..
        } => {
            assert!(why.contains("larger than"), "{why}")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        classify_post(&ex, &body, chrono::Utc::now(), false),
        PostOutcome::Ambiguous(_)
    ));
}
