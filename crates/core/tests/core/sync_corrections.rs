//! Corrections made while an earlier change of the same mark is on its way (in flight, unknown,
//! or turned away before it reached the server), and how one listing settles a whole offering.
//! Once the earlier change has its outcome, the pending correction is compared with what the
//! server now holds, exactly as a new change is: going back to it sends nothing.

use std::time::Duration;

use athena_sim::{FaultKind, Faults, RetryAfter, Status as S};
use rollbook_core::marks;
use rollbook_core::sync::{DrainEnd, EngineConfig};
use rollbook_core::Status;

use crate::sync_support::*;

/// Statuses of one mark's server records, oldest first.
fn statuses(rig: &Rig, offering: usize, student: usize) -> Vec<S> {
    rig.server_records(offering, student, DATE)
        .iter()
        .map(|r| r.status)
        .collect()
}

fn history(rig: &Rig, offering: usize, student: usize) -> Vec<marks::Change> {
    let (o, s) = rig.pick(offering, student);
    marks::history(&rig.store, &o, &s, day(DATE)).expect("history")
}

/// Waits until `item` is `sending`: its POST is about to leave or on the wire.
async fn until_sending(rig: &Rig, item: i64) {
    let deadline = tokio::time::Instant::now() + GUARD;
    while rig.state(item) != "sending" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "item {item} never became sending"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_back_to_the_status_found_by_reconciliation_sends_nothing() {
    let mut rig = Rig::start(sim_builder()).await;
    let mut engine = rig.engine();
    let first = rig.mark(0, 0, Status::Absent).unwrap();
    rig.sim.fail_next(FaultKind::DropAfter, 1);
    engine.pass().await.unwrap();
    assert_eq!(rig.state(first), "unknown", "the answer was lost");
    let correction = rig.mark(0, 0, Status::Late).unwrap();
    assert_eq!(
        rig.mark(0, 0, Status::Absent),
        Some(correction),
        "rewritten in place while pending"
    );
    let report = engine.drain(GUARD).await.unwrap();
    assert_eq!(report.end, DrainEnd::Done);
    assert_eq!(
        statuses(&rig, 0, 0),
        vec![S::Absent],
        "the server already held absent: a second absent record is a duplicate Rollbook made"
    );
    assert_eq!(report.report.sent, 0, "nothing was POSTed again");
    assert!(report.report.duplicates.is_empty());
    assert_eq!(rig.state(first), "synced");
    assert_eq!(rig.state(correction), "cancelled");
    let server_id = rig.item(first).2.unwrap();
    let rows = history(&rig, 0, 0);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].server_id.as_deref(), Some(server_id.as_str()));
    assert_eq!(
        (rows[1].new_status, rows[1].outbox_state.as_deref()),
        (Some(Status::Late), Some("cancelled")),
        "\"late\" never left this computer: its history row must not claim a server record"
    );
    assert_eq!(rows[1].server_id, None);
    assert_eq!(rows[1].sent_at, None);
    assert_eq!(
        rows[2].server_id.as_deref(),
        Some(server_id.as_str()),
        "back to absent: the record the server holds, as for any change to what it holds"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_back_while_the_post_is_in_flight_sends_nothing() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.sim.set_faults(Faults::none().with_latency_ms(400));
    let first = rig.mark(0, 0, Status::Absent).unwrap();
    let mut engine = rig.engine();
    let pass = tokio::spawn(async move {
        let report = engine.pass().await.unwrap();
        (engine, report)
    });
    until_sending(&rig, first).await;
    let correction = rig.mark(0, 0, Status::Late).unwrap();
    rig.mark(0, 0, Status::Absent);
    let (mut engine, _) = pass.await.unwrap();
    rig.sim.clear_faults();
    let drained = engine.drain(GUARD).await.unwrap();
    assert_eq!(drained.end, DrainEnd::Done);
    assert_eq!(
        statuses(&rig, 0, 0),
        vec![S::Absent],
        "one absent record: the correction went back to what the POST in flight carried"
    );
    assert_eq!(rig.state(correction), "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_turned_away_before_storing_gives_way_to_the_later_one() {
    let mut rig = Rig::start(sim_builder()).await;
    let mut engine = rig.engine();
    rig.mark(0, 0, Status::Present).unwrap();
    rig.mark(0, 1, Status::Present).unwrap();
    engine.pass().await.unwrap();
    rig.sim.set_faults(
        Faults::none()
            .with_latency_ms(400)
            .with_retry_after(RetryAfter::Seconds(0)),
    );
    // Student 0: absent is turned away (429), meanwhile corrected to late: one POST (late).
    // Student 1: absent is turned away, meanwhile corrected back to present: no POST at all.
    rig.sim.fail_next(FaultKind::TooManyRequests, 2);
    let a = rig.mark(0, 0, Status::Absent).unwrap();
    let b = rig.mark(0, 1, Status::Absent).unwrap();
    let pass = tokio::spawn(async move {
        engine.pass().await.unwrap();
        engine
    });
    until_sending(&rig, a).await;
    until_sending(&rig, b).await;
    rig.mark(0, 0, Status::Late).unwrap();
    rig.mark(0, 1, Status::Present).unwrap();
    let mut engine = pass.await.unwrap();
    rig.sim.clear_faults();
    let drained = engine.drain(GUARD).await.unwrap();
    assert_eq!(drained.end, DrainEnd::Done);
    assert_eq!(
        statuses(&rig, 0, 1),
        vec![S::Present],
        "absent never reached the server and present is what it holds: nothing to send"
    );
    assert_eq!(
        statuses(&rig, 0, 0),
        vec![S::Present, S::Late],
        "absent never reached the server and was replaced by late: one POST, not two"
    );
    assert_eq!(rig.state(a), "cancelled");
    assert_eq!(rig.state(b), "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_not_found_after_an_unclear_answer_gives_way_to_the_later_one() {
    let mut rig = Rig::start(sim_builder()).await;
    let mut engine = rig.engine();
    let first = rig.mark(0, 0, Status::Absent).unwrap();
    rig.sim.fail_next(FaultKind::DropBefore, 1);
    engine.pass().await.unwrap();
    assert_eq!(rig.state(first), "unknown");
    rig.mark(0, 0, Status::Late).unwrap();
    let drained = engine.drain(GUARD).await.unwrap();
    assert_eq!(drained.end, DrainEnd::Done);
    assert_eq!(
        statuses(&rig, 0, 0),
        vec![S::Late],
        "absent was not on the server and the teacher's last word is late: one POST"
    );
    assert_eq!(rig.state(first), "cancelled");
}

/// One failed listing is one failed request: it delays the offering by one backoff step, and
/// the next listing settles every unknown item of the offering at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failed_listing_then_one_listing_settles_the_whole_offering() {
    let mut rig = Rig::start(sim_builder()).await;
    let config = EngineConfig {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_secs(20),
        ..fast()
    };
    let mut engine = rig.engine_with(config);
    let items: Vec<i64> = (0..25)
        .map(|s| rig.mark(0, s, Status::Absent).unwrap())
        .collect();
    rig.sim.fail_next(FaultKind::DropAfter, 25);
    engine.pass().await.unwrap();
    assert!(items.iter().all(|i| rig.state(*i) == "unknown"));
    assert_eq!(rig.sim.record_count(), 25, "all stored, every answer lost");
    // The next listing fails with a 500; later ones are answered.
    rig.sim.set_faults(Faults::none().on_methods(false, true));
    rig.sim.fail_next(FaultKind::ServerError, 1);
    let before = rig.sim.list_count();
    engine.pass().await.unwrap();
    assert_eq!(rig.sim.list_count(), before + 1, "one listing, failed");
    assert!(items.iter().all(|i| rig.state(*i) == "unknown"));
    rig.sim.clear_faults();
    let drained = engine.drain(GUARD).await.unwrap();
    assert_eq!(drained.end, DrainEnd::Done);
    assert!(items.iter().all(|i| rig.state(*i) == "synced"));
    assert_eq!(
        rig.sim.list_count(),
        before + 2,
        "one more listing answers for all 25 items of the offering"
    );
    assert_eq!(drained.report.sent, 0, "none was POSTed again");
}
