//! The engine as a background task: a pass at start, a debounced pass after marks, retries when
//! due, status published on a watch channel (no polling), a clean shutdown.

use std::time::Duration;

use athena_sim::FaultKind;
use rollbook_core::sync::{EngineConfig, SyncHandle, SyncStatus};
use rollbook_core::Status;
use tokio::sync::watch;

use crate::sync_support::*;

async fn until(rx: &mut watch::Receiver<SyncStatus>, what: &str, ok: impl Fn(&SyncStatus) -> bool) {
    let reached = {
        let wait = rx.wait_for(|s| ok(s));
        matches!(tokio::time::timeout(GUARD, wait).await, Ok(Ok(_)))
    };
    assert!(reached, "status never showed {what}: {:?}", *rx.borrow());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_engine_syncs_on_start_after_nudges_and_on_retries() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.mark(0, 0, Status::Present).unwrap();
    // A debounce that never ends during the test (only a guard), so a nudged mark is seen
    // waiting before its pass however slow the machine; "sync now" cuts it short. The debounce
    // ending on its own is `a_nudge_alone_brings_a_pass_once_the_debounce_is_over`.
    let config = EngineConfig {
        debounce: GUARD,
        ..fast()
    };
    let handle = SyncHandle::start(rig.engine_with(config));
    let mut rx = handle.subscribe();
    until(&mut rx, "the start pass", |s| {
        s.synced == 1 && s.outstanding() == 0 && !s.running
    })
    .await;
    assert!(rx.borrow().online);

    // A burst of marks and nudges: one pass delivers them all. The first nudge already shows
    // the mark as waiting (a chip must not say "all sent" meanwhile).
    rig.mark(0, 1, Status::Late).unwrap();
    handle.nudge();
    until(&mut rx, "the nudged mark waiting", |s| {
        s.pending == 1 && !s.running
    })
    .await;
    for s in 2..6 {
        rig.mark(0, s, Status::Late).unwrap();
        handle.nudge();
    }
    assert_eq!(
        rx.borrow().synced,
        1,
        "nothing is sent while the debounce lasts"
    );
    handle.run_now();
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

    let engine = handle.shutdown(GUARD).await.expect("the engine comes back");
    assert_eq!(engine.status().outstanding(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nudge_alone_brings_a_pass_once_the_debounce_is_over() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.mark(0, 0, Status::Present).unwrap();
    let handle = SyncHandle::start(rig.engine());
    let mut rx = handle.subscribe();
    until(&mut rx, "the start pass", |s| {
        s.synced == 1 && s.outstanding() == 0 && !s.running
    })
    .await;
    // Nothing is due and nothing outstanding: only the nudge can bring the next pass.
    rig.mark(0, 1, Status::Late).unwrap();
    handle.nudge();
    until(&mut rx, "the mark delivered after the debounce", |s| {
        s.synced == 2 && s.outstanding() == 0
    })
    .await;
    assert_eq!(rig.sim.record_count(), 2);
    handle.shutdown(GUARD).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_now_does_not_wait_out_the_backoff_of_an_unreachable_server() {
    let mut rig = Rig::start(sim_builder()).await;
    // Backoff long enough that a test waiting it out would time out.
    let config = EngineConfig {
        backoff_base: Duration::from_secs(120),
        backoff_cap: Duration::from_secs(600),
        seed: Some(1),
        ..fast()
    };
    rig.sim.stop_listening().await;
    rig.mark(0, 0, Status::Present).unwrap();
    let handle = SyncHandle::start(rig.engine_with(config));
    let mut rx = handle.subscribe();
    until(&mut rx, "the failed start pass", |s| {
        !s.running && !s.online && s.pending == 1 && s.next_attempt_at.is_some()
    })
    .await;
    rig.sim
        .listen_again(&tokio::runtime::Handle::current())
        .unwrap();
    handle.run_now();
    until(&mut rx, "the mark delivered on request", |s| {
        s.synced == 1 && s.pending == 0 && s.online
    })
    .await;
    assert_eq!(rig.sim.record_count(), 1);
    handle.shutdown(GUARD).await;
}
