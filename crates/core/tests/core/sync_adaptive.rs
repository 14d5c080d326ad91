//! The delivery's adaptive concurrency against a real athena-sim: it grows past where it starts
//! on a server that keeps up, never past the ceiling, and a rate-limited server gets every mark
//! exactly once with few requests refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use athena_sim::{FaultKind, Faults, SimHandle};
use rollbook_core::sync::adaptive::START;
use rollbook_core::sync::{DrainEnd, EngineConfig};
use rollbook_core::Status;

use crate::sync_support::*;

/// Marks of `offerings` × `students` × `days`, each its own outbox item.
fn mark_many(rig: &mut Rig, offerings: usize, students: usize, days: usize) -> Vec<i64> {
    let mut items = Vec::new();
    for o in 0..offerings {
        for s in 0..students {
            for d in 0..days {
                let date = format!("2024-03-{:02}", 11 + d);
                items.extend(rig.mark_on(o, s, &date, Status::ALL[(o + s + d) % 4]));
            }
        }
    }
    items
}

/// The most requests the sim was handling at once while `f` ran (sampled every millisecond).
async fn most_in_flight<T>(sim: &SimHandle, f: impl std::future::Future<Output = T>) -> (T, usize) {
    let most = Arc::new(AtomicUsize::new(0));
    let watcher = {
        let (sim, most) = (sim.clone(), most.clone());
        tokio::spawn(async move {
            loop {
                most.fetch_max(sim.in_flight(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };
    let out = f.await;
    watcher.abort();
    (out, most.load(Ordering::Relaxed))
}

fn with_ceiling(concurrency: usize) -> EngineConfig {
    EngineConfig {
        concurrency,
        ..fast()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_server_that_keeps_up_it_sends_more_at_once_than_it_starts_with() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.sim.set_faults(Faults::none().with_latency_ms(40));
    let items = mark_many(&mut rig, 4, 20, 5);
    let mut engine = rig.engine_with(with_ceiling(32));
    let (drained, most) = most_in_flight(&rig.sim, engine.drain(GUARD)).await;
    assert_eq!(drained.unwrap().end, DrainEnd::Done);
    assert!(items.iter().all(|i| rig.state(*i) == "synced"));
    assert_eq!(rig.sim.record_count(), items.len(), "each mark once");
    assert!(
        most > START,
        "{most} at once at most: it never grew past {START}"
    );
    assert!(most <= 32, "{most} at once: more than the ceiling");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ceiling_the_user_sets_is_never_exceeded() {
    let mut rig = Rig::start(sim_builder()).await;
    rig.sim.set_faults(Faults::none().with_latency_ms(20));
    let items = mark_many(&mut rig, 2, 20, 3);
    let mut engine = rig.engine_with(with_ceiling(3));
    let (drained, most) = most_in_flight(&rig.sim, engine.drain(GUARD)).await;
    assert_eq!(drained.unwrap().end, DrainEnd::Done);
    assert_eq!(rig.sim.record_count(), items.len());
    assert!(most <= 3, "{most} at once with a ceiling of 3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_server_gets_every_mark_once_and_refuses_few_requests() {
    let mut rig = Rig::start(sim_builder()).await;
    // 100 requests a second, 10 at once; Retry-After: 1 for the rest.
    rig.sim
        .set_faults(Faults::none().with_latency_ms(5).with_rate_limit(100));
    let items = mark_many(&mut rig, 4, 20, 5);
    let mut engine = rig.engine_with(with_ceiling(32));
    let drained = engine.drain(GUARD).await.unwrap();
    assert_eq!(drained.end, DrainEnd::Done);
    assert!(items.iter().all(|i| rig.state(*i) == "synced"));
    assert_eq!(rig.sim.record_count(), items.len(), "each mark once");
    let refused = rig.sim.fault_count(FaultKind::TooManyRequests);
    let requests = rig.sim.post_count() + refused;
    // Sending at 32 at once after every pause has most of each burst refused (without the
    // pace: 292 of 692).
    assert!(
        refused * 10 < requests,
        "{refused} of {requests} requests refused: the pace did not hold under the limit"
    );
}
