//! Unknown outcomes settled against the server: a dropped connection before and after the
//! server stored the record, a restart with items left sending, several matching records, a
//! token that cannot read, and corrections delivered in order.

use athena_sim::FaultKind;
use rollbook_core::outbox;
use rollbook_core::secret::Secret;
use rollbook_core::sync::{self, DrainEnd, TokenStore};
use rollbook_core::Status;

use crate::sync_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_before_commit_is_not_found_and_sent_again() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(0, 0, Status::Present).unwrap();
    rig.sim.fail_next(FaultKind::DropBefore, 1);
    let mut engine = rig.engine();
    engine.pass().await.unwrap();
    assert_eq!(
        rig.state(item),
        "unknown",
        "a dropped connection leaves the outcome unknown"
    );
    assert_eq!(rig.sim.record_count(), 0);
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.reconciled, report.sent, report.confirmed),
        (0, 1, 1),
        "not found: sent again"
    );
    assert_eq!(
        rig.server_records(0, 0, DATE).len(),
        1,
        "exactly one record on the server"
    );
    assert_eq!(rig.item(item).3, 2, "two attempts recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_after_commit_is_found_and_linked_without_a_second_post() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(0, 0, Status::Absent).unwrap();
    rig.sim.fail_next(FaultKind::DropAfter, 1);
    let mut engine = rig.engine();
    engine.pass().await.unwrap();
    assert_eq!(rig.state(item), "unknown");
    assert_eq!(
        rig.sim.record_count(),
        1,
        "the server stored it before dropping the connection"
    );
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.reconciled, report.sent),
        (1, 0),
        "found: never POSTed again"
    );
    let records = rig.server_records(0, 0, DATE);
    assert_eq!(records.len(), 1, "exactly one record on the server");
    assert_eq!(
        rig.item(item).2.unwrap(),
        records[0].id.to_string(),
        "linked to that record"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_items_left_sending_reconciles_them() {
    let mut rig = Rig::start(sim_builder()).await;
    let stored = rig.mark(0, 0, Status::Present).unwrap();
    let lost = rig.mark(0, 1, Status::Late).unwrap();
    // The killed process had POSTed `stored` (the server has it) and `lost` (it never arrived).
    let (o, s) = rig.pick(0, 0);
    let e = rig
        .sim
        .sample()
        .unwrap()
        .enrollment(uuid(&o), uuid(&s))
        .unwrap()
        .id;
    let t = rig.sim.offerings()[0].teacher_assignment_id;
    let body = sync::record::Attendance {
        offering_id: o,
        teacher_assignment_id: id(t),
        enrollment_id: id(e),
        student_id: s,
        date: day(DATE),
        status: Status::Present,
    };
    let ex = rig.api().create(&Secret::new(TOKEN).unwrap(), &body).await;
    assert!(matches!(
        ex,
        sync::api::Exchange::Answered { status: 201, .. }
    ));
    rig.leave_sending(stored);
    rig.leave_sending(lost);

    let mut engine = rig.engine();
    assert_eq!(
        rig.state(stored),
        "unknown",
        "left sending by a crash: unknown, never pending"
    );
    assert_eq!(rig.state(lost), "unknown");
    let report = engine.pass().await.unwrap();
    assert_eq!(
        (report.reconciled, report.sent, report.confirmed),
        (1, 1, 1)
    );
    assert_eq!(rig.state(stored), "synced");
    assert_eq!(rig.state(lost), "synced");
    assert_eq!(
        rig.server_records(0, 0, DATE).len(),
        1,
        "the stored one was not sent twice"
    );
    assert_eq!(rig.server_records(0, 1, DATE).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_matching_records_link_the_oldest_and_report_the_rest() {
    let mut rig = Rig::start(sim_builder()).await;
    let item = rig.mark(1, 0, Status::Present).unwrap();
    // Two copies reached the server (e.g. a retry through a proxy), then the process died.
    for _ in 0..2 {
        let ex = rig
            .api()
            .create(&Secret::new(TOKEN).unwrap(), &attendance_of(&rig, 1, 0))
            .await;
        assert!(matches!(
            ex,
            sync::api::Exchange::Answered { status: 201, .. }
        ));
    }
    rig.leave_sending(item);
    let mut engine = rig.engine();
    let report = engine.pass().await.unwrap();
    let records = rig.server_records(1, 0, DATE);
    assert_eq!(records.len(), 2, "nothing more was sent");
    assert_eq!((report.reconciled, report.sent), (1, 0));
    assert_eq!(
        rig.item(item).2.unwrap(),
        records[0].id.to_string(),
        "the oldest is linked"
    );
    assert_eq!(report.duplicates.len(), 1);
    assert_eq!(report.duplicates[0].outbox_id, item);
    assert_eq!(
        report.duplicates[0].extra,
        vec![id(records[1].id)],
        "the other is reported"
    );
    let note = rig.item(item).1.unwrap();
    assert!(
        note.contains("duplicates") && note.contains(&records[1].id.to_string()),
        "{note}"
    );
}

fn attendance_of(rig: &Rig, offering: usize, student: usize) -> sync::record::Attendance {
    let (o, s) = rig.pick(offering, student);
    let e = rig
        .sim
        .sample()
        .unwrap()
        .enrollment(uuid(&o), uuid(&s))
        .unwrap()
        .id;
    sync::record::Attendance {
        teacher_assignment_id: id(rig.sim.offerings()[offering].teacher_assignment_id),
        offering_id: o,
        enrollment_id: id(e),
        student_id: s,
        date: day(DATE),
        status: Status::Present,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_cannot_read_leaves_unknown_items_for_send_again() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.sim.add_token("tok-WRITE-ONLY", &["write:attendance"]);
    rig.tokens
        .set(&Secret::new("tok-WRITE-ONLY").unwrap())
        .unwrap();
    let item = rig.mark(0, 0, Status::Present).unwrap();
    let other = rig.mark(0, 1, Status::Present).unwrap();
    rig.sim.fail_next(FaultKind::DropAfter, 1);
    let mut engine = rig.engine_with(rollbook_core::sync::EngineConfig {
        concurrency: 1,
        ..fast()
    });
    engine.pass().await.unwrap();
    assert_eq!(rig.state(item), "unknown");
    let drained = engine.drain(GUARD).await.unwrap();
    assert_eq!(
        drained.end,
        DrainEnd::NeedsResend(1),
        "cannot check: the user decides"
    );
    assert_eq!(rig.state(item), "unknown", "never re-sent blindly");
    assert_eq!(rig.state(other), "synced", "other items go on");
    assert!(engine.status().read_denied);
    assert!(rig.item(item).1.unwrap().contains("send again"));

    let n = outbox::resend_unknown(&rig.store, rig.clock.now()).unwrap();
    assert_eq!(n, 1);
    let flagged: i64 = rig
        .store
        .conn()
        .query_row(
            "SELECT resend_requested FROM outbox WHERE id = ?1",
            [item],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(flagged, 1);
    engine.pass().await.unwrap();
    assert_eq!(rig.state(item), "synced");
    assert_eq!(
        rig.server_records(0, 0, DATE).len(),
        2,
        "the user accepted a possible duplicate"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrections_reach_the_server_in_order() {
    let mut rig = Rig::start(sim_builder()).await;
    let mut engine = rig.engine();
    let first = rig.mark(0, 0, Status::Present).unwrap();
    engine.pass().await.unwrap();
    assert_eq!(rig.state(first), "synced");
    // A correction while the original's outcome is unknown must wait for it.
    let second = rig.mark(0, 0, Status::Absent).unwrap();
    rig.sim.fail_next(FaultKind::DropAfter, 1);
    engine.pass().await.unwrap();
    assert_eq!(rig.state(second), "unknown");
    let third = rig.mark(0, 0, Status::Late).unwrap();
    let fourth_same_item = rig.mark(0, 0, Status::Excused).unwrap();
    assert_eq!(
        third, fourth_same_item,
        "a pending correction is rewritten in place"
    );
    let report = engine.pass().await.unwrap();
    assert_eq!((report.reconciled, report.confirmed), (1, 1));
    let records = rig.server_records(0, 0, DATE);
    let statuses: Vec<_> = records.iter().map(|r| r.status).collect();
    use athena_sim::Status as S;
    assert_eq!(
        statuses,
        vec![S::Present, S::Absent, S::Excused],
        "in order, each once"
    );
    assert_eq!(
        records.last().unwrap().status,
        S::Excused,
        "the newest recorded_at carries the teacher's last word"
    );
}

fn uuid(id: &rollbook_core::Id) -> uuid::Uuid {
    uuid::Uuid::parse_str(id.as_str()).unwrap()
}
