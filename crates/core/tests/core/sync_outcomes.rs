//! Every outcome class of a POST against athena-sim: delivered, connection refused, 5xx,
//! garbage 2xx, 429/503 with Retry-After, 401 then a new token, 403, 422.

use std::sync::Arc;
use std::time::Duration;

use athena_sim::{FaultKind, Faults, RetryAfter};
use rollbook_core::clock::FixedClock;
use rollbook_core::outbox;
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::{
    self, BlockReason, Engine, EngineConfig, MemoryTokens, TokenSource, TokenStore,
};
use rollbook_core::Status;

use crate::common::utc;
use crate::sync_support::*;

fn serial() -> EngineConfig {
    EngineConfig {
        concurrency: 1,
        ..fast()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_is_delivered_once_and_cached() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(0, 0, Status::Late).expect("queued");
    let mut engine = rig.engine();
    let report = engine.pass().await.unwrap();
    assert_eq!((report.sent, report.confirmed, report.left), (1, 1, 0));
    let (state, _, server_id, attempts) = rig.item(item);
    assert_eq!((state.as_str(), attempts), ("synced", 1));
    let on_server = rig.server_records(0, 0, DATE);
    assert_eq!(on_server.len(), 1, "exactly one record on the server");
    assert_eq!(
        server_id.as_deref(),
        Some(on_server[0].id.to_string().as_str())
    );
    assert_eq!(on_server[0].status, athena_sim::Status::Late);
    let cached: i64 = rig
        .store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM server_record WHERE id = ?1",
            [server_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        cached, 1,
        "the created record joins the cache so effective marks see it"
    );
    let status = engine.status();
    assert!(status.online && status.last_success_at.is_some() && status.outstanding() == 0);
    assert_eq!(
        engine.pass().await.unwrap().sent,
        0,
        "nothing is sent twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_keeps_items_pending_with_backoff() {
    let mut rig = Rig::start(sim_builder()).await;
    let a = rig.mark(0, 0, Status::Present).unwrap();
    let b = rig.mark(0, 1, Status::Present).unwrap();
    let config = EngineConfig {
        backoff_base: Duration::from_secs(60),
        backoff_cap: Duration::from_secs(60),
        ..serial()
    };
    let mut engine = rig.engine_using(api_for(&closed_port_url()), config);
    let report = engine.pass().await.unwrap();
    assert_eq!(
        report.sent, 0,
        "a connection that never opened sent nothing"
    );
    let (state, err, _, attempts) = rig.item(a);
    assert_eq!(
        (state.as_str(), attempts),
        ("pending", 1),
        "nothing was sent: pending, not unknown"
    );
    assert!(err.unwrap().contains("could not connect"));
    assert_eq!(
        (rig.state(b).as_str(), rig.item(b).3),
        ("pending", 0),
        "after a refused connection the pass stops: the network is down"
    );
    let status = engine.status();
    assert!(!status.online);
    assert!(status.next_attempt_at.is_some(), "a retry is scheduled");
    assert_eq!(
        engine.pass().await.unwrap().sent,
        0,
        "the backoff holds the queue back"
    );
    assert_eq!(rig.sim.post_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_makes_the_item_unknown_then_it_is_sent_again() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(1, 2, Status::Absent).unwrap();
    rig.sim.fail_next(FaultKind::ServerError, 1);
    let mut engine = rig.engine();
    engine.pass().await.unwrap();
    assert_eq!(
        rig.state(item),
        "unknown",
        "a 500 may or may not have stored it"
    );
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.reconciled, report.sent, report.confirmed),
        (0, 1, 1)
    );
    assert_eq!(rig.state(item), "synced");
    assert_eq!(
        rig.server_records(1, 2, DATE).len(),
        1,
        "exactly one record on the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_2xx_is_unknown_never_synced_then_found() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(0, 3, Status::Excused).unwrap();
    rig.sim.fail_next(FaultKind::Garbage, 1);
    let mut engine = rig.engine();
    engine.pass().await.unwrap();
    let (state, err, server_id, _) = rig.item(item);
    assert_eq!(
        state, "unknown",
        "a 2xx that is not the record proves nothing"
    );
    assert!(server_id.is_none());
    assert!(err.unwrap().contains("unclear"));
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.reconciled, report.sent),
        (1, 0),
        "found on the server, not re-sent"
    );
    let records = rig.server_records(0, 3, DATE);
    assert_eq!(records.len(), 1);
    assert_eq!(
        rig.item(item).2.as_deref(),
        Some(records[0].id.to_string().as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_200_is_unknown_and_sent_again_after_reconcile() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(0, 4, Status::Present).unwrap();
    rig.sim.fail_next(FaultKind::Html, 1);
    let mut engine = rig.engine();
    engine.pass().await.unwrap();
    assert_eq!(rig.state(item), "unknown");
    engine.pass().await.unwrap();
    assert_eq!(rig.state(item), "synced");
    assert_eq!(rig.server_records(0, 4, DATE).len(), 1);
}

async fn throttled(kind: FaultKind, retry_after: RetryAfter, wait: i64) {
    let start = utc("2024-03-15T08:00:00Z");
    let clock = Arc::new(FixedClock::new(start));
    let builder = sim_builder().faults(Faults::none().with_retry_after(retry_after));
    let mut rig = Rig::start_with_clock(builder, clock.clone()).await;
    let items: Vec<i64> = (0..3)
        .map(|s| rig.mark(2, s, Status::Present).unwrap())
        .collect();
    rig.sim.fail_next(kind, 1);
    let mut engine = rig.engine_with(serial());
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.sent, report.confirmed),
        (1, 0),
        "the whole queue stops at a {kind}"
    );
    let status = engine.status();
    let paused = status.paused_until.clone().expect("paused");
    let until = rollbook_core::clock::parse_rfc3339(&paused).unwrap();
    let secs = (until - start).num_seconds();
    assert!(
        (wait - 1..=wait + 1).contains(&secs),
        "Retry-After {retry_after:?} → {secs} s"
    );
    assert!(
        items.iter().all(|i| rig.state(*i) == "pending"),
        "nothing was stored: pending"
    );
    assert_eq!(
        engine.pass().await.unwrap().sent,
        0,
        "paused: nothing goes before Retry-After"
    );
    drop(engine);
    let mut engine = rig.engine_with(serial());
    assert_eq!(
        engine.pass().await.unwrap().sent,
        0,
        "the pause survives a restart"
    );
    clock.advance(chrono::TimeDelta::seconds(wait + 1));
    let report = engine.pass().await.unwrap();
    assert_eq!((report.confirmed, report.left), (3, 0));
    assert!(engine.status().paused_until.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_pauses_the_queue_for_retry_after_seconds() {
    throttled(FaultKind::TooManyRequests, RetryAfter::Seconds(30), 30).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_pauses_the_queue_until_the_retry_after_date() {
    throttled(FaultKind::Unavailable, RetryAfter::HttpDate(120), 120).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_blocks_the_queue_until_a_new_token() {
    let mut rig = Rig::start(sim_builder()).await;
    let a = rig.mark(0, 0, Status::Present).unwrap();
    let b = rig.mark(0, 1, Status::Absent).unwrap();
    rig.sim.revoke_token(TOKEN);
    let mut engine = rig.engine_with(serial());
    let report = engine.pass().await.unwrap();
    assert_eq!(report.sent, 1, "one 401 stops the whole queue");
    let blocked = engine.status().blocked.expect("blocked");
    assert_eq!(blocked.reason, BlockReason::Auth);
    assert!(
        blocked.message.contains("sign in again"),
        "{}",
        blocked.message
    );
    assert_eq!(
        (rig.state(a), rig.state(b)),
        ("pending".into(), "pending".into())
    );
    drop(engine);

    let mut engine = rig.engine_with(serial());
    assert!(
        engine.status().blocked.is_some(),
        "blocked survives a restart"
    );
    assert_eq!(
        engine.pass().await.unwrap().sent,
        0,
        "same token: still blocked, nothing sent"
    );

    rig.sim.add_token("tok-NEW-token-2", ALL_SCOPES);
    let tokens = rig.token_source();
    sync::sign_in(
        &mut rig.store,
        &tokens,
        Secret::new("tok-NEW-token-2").unwrap(),
    )
    .await
    .unwrap();
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.confirmed, report.left),
        (2, 0),
        "a new token resumes the queue"
    );
    assert!(engine.status().blocked.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_changed_outside_the_app_clears_the_block() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.mark(0, 0, Status::Present).unwrap();
    rig.sim.revoke_token(TOKEN);
    rig.engine().pass().await.unwrap();
    // e.g. ROLLBOOK_TOKEN changed: the block was about another token.
    rig.sim.add_token("tok-ENV", ALL_SCOPES);
    let store = Store::open(&rig.db()).unwrap();
    let tokens = TokenSource::new(Arc::new(MemoryTokens::new(Secret::new("tok-ENV"))));
    let mut engine = Engine::new(store, rig.api(), tokens, rig.clock.clone(), fast()).unwrap();
    assert_eq!(engine.pass().await.unwrap().confirmed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_token_blocks_with_a_clear_message() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.tokens.set(&Secret::new("tok-READ").unwrap()).unwrap();
    rig.sim.add_token("tok-READ", &["read:attendance"]);
    let item = rig.mark(0, 0, Status::Present).unwrap();
    let mut engine = rig.engine();
    engine.pass().await.unwrap();
    let blocked = engine.status().blocked.expect("blocked");
    assert_eq!(blocked.reason, BlockReason::Permission);
    assert!(blocked.message.contains("read-only"), "{}", blocked.message);
    assert!(
        blocked.message.contains("write:attendance"),
        "{}",
        blocked.message
    );
    assert_eq!(rig.state(item), "pending", "a 403 stored nothing");
    assert_eq!(rig.sim.record_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_item_never_blocks_the_others() {
    let mut rig = Rig::start(sim_builder()).await;
    let (_, refused) = rig.pick(0, 1);
    rig.sim.reject_student(uuid(&refused));
    let a = rig.mark(0, 0, Status::Present).unwrap();
    let b = rig.mark(0, 1, Status::Present).unwrap();
    let c = rig.mark(0, 2, Status::Late).unwrap();
    let mut engine = rig.engine_with(serial());
    let report = engine.pass().await.unwrap();
    assert_eq!((report.confirmed, report.rejected, report.left), (2, 1, 0));
    assert_eq!(
        (rig.state(a), rig.state(c)),
        ("synced".into(), "synced".into())
    );
    let (state, reason, _, _) = rig.item(b);
    assert_eq!(state, "rejected");
    let reason = reason.unwrap();
    assert!(reason.starts_with("HTTP 422"), "{reason}");
    assert!(
        reason.contains("does not accept attendance for this student"),
        "{reason}"
    );
    assert!(engine.status().blocked.is_none());

    let rejected = outbox::rejected_items(&rig.store).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].id, b);
    assert!(
        rejected[0].student_name.is_some(),
        "the list names the student"
    );
    outbox::discard(&rig.store, b, rig.clock.now()).unwrap();
    assert_eq!(rig.state(b), "cancelled");
    let err = outbox::discard(&rig.store, a, rig.clock.now()).unwrap_err();
    assert_eq!(err.code(), "conflict", "a synced item cannot be discarded");
    assert_eq!(
        outbox::discard(&rig.store, 999, rig.clock.now())
            .unwrap_err()
            .code(),
        "not_found"
    );
}

pub fn uuid(id: &rollbook_core::Id) -> uuid::Uuid {
    uuid::Uuid::parse_str(id.as_str()).unwrap()
}
