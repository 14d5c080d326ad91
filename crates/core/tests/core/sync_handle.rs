//! The engine as a background task: a pass at start, a debounced pass after marks, retries when
//! due, status published on a watch channel (no polling), a clean shutdown.

use std::time::Duration;

use athena_sim::FaultKind;
use rollbook_core::sync::{SyncHandle, SyncStatus};
use rollbook_core::Status;
use tokio::sync::watch;

use crate::sync_support::*;

async fn until(rx: &mut watch::Receiver<SyncStatus>, what: &str, ok: impl Fn(&SyncStatus) -> bool) {
    let reached = {
        let wait = rx.wait_for(|s| ok(s));
        matches!(
            tokio::time::timeout(Duration::from_secs(10), wait).await,
            Ok(Ok(_))
        )
    };
    assert!(reached, "status never showed {what}: {:?}", *rx.borrow());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_engine_syncs_on_start_after_nudges_and_on_retries() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.mark(0, 0, Status::Present).unwrap();
    let handle = SyncHandle::start(rig.engine());
    let mut rx = handle.subscribe();
    until(&mut rx, "the start pass", |s| {
        s.synced == 1 && s.outstanding() == 0 && !s.running
    })
    .await;
    assert!(rx.borrow().online);

    // A burst of marks and nudges: one debounced pass delivers them all.
    for s in 1..6 {
        rig.mark(0, s, Status::Late).unwrap();
        handle.nudge();
    }
    until(&mut rx, "the nudged marks", |s| {
        s.synced == 6 && s.outstanding() == 0
    })
    .await;
    assert_eq!(rig.sim.record_count(), 6);

    // An unclear answer: the engine comes back on its own to reconcile (no nudge).
    rig.sim.fail_next(FaultKind::DropAfter, 1);
    rig.mark(1, 0, Status::Absent).unwrap();
    handle.run_now();
    until(&mut rx, "the retry", |s| {
        s.synced == 7 && s.outstanding() == 0
    })
    .await;
    assert_eq!(rig.sim.record_count(), 7, "reconciled, not sent twice");

    let engine = handle.shutdown().await.expect("the engine comes back");
    assert_eq!(engine.status().outstanding(), 0);
}
