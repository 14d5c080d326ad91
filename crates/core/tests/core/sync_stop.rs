//! Stopping the engine (`sync::stop`): a deadline, a stop signal (Ctrl-C in the CLI) and the
//! app closing all end a run the same way: no new request starts, requests in flight get what
//! is left of the time, a POST cut there leaves its item unknown (as after a crash), and
//! everything is written down; the next engine delivers every mark exactly once.

use std::time::{Duration, Instant};

use athena_sim::Faults;
use rollbook_core::sync::stop::{Stop, StopReason};
use rollbook_core::sync::{DrainEnd, EngineConfig, SyncHandle};
use rollbook_core::Status;

use crate::sync_support::*;

fn one_at_a_time() -> EngineConfig {
    EngineConfig {
        concurrency: 1,
        ..fast()
    }
}

/// Waits until the sim is handling a request (the first POST is on the wire).
async fn until_on_the_wire(rig: &Rig) {
    let started = Instant::now();
    while rig.sim.in_flight() == 0 {
        assert!(started.elapsed() < GUARD, "no request reached the sim");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// After the stopped engine is gone: a new engine without faults delivers everything, once.
async fn the_next_engine_delivers_each_mark_once(rig: &Rig, marks: usize) {
    rig.sim.clear_faults();
    rig.wait_sim_idle().await;
    let mut engine = rig.engine();
    let drained = engine.drain(GUARD).await.expect("drain");
    assert_eq!(drained.end, DrainEnd::Done);
    for s in 0..marks {
        assert_eq!(
            rig.server_records(0, s, DATE).len(),
            1,
            "student {s}: exactly one record on the server"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_stops_at_its_deadline_even_with_a_post_on_the_wire() {
    let mut rig = Rig::start(sim_builder()).await;
    let items: Vec<i64> = (0..3)
        .map(|s| rig.mark(0, s, Status::Absent).expect("queued"))
        .collect();
    rig.sim.set_faults(Faults::none().with_latency_ms(5_000));
    let mut engine = rig.engine_with(one_at_a_time());
    let started = Instant::now();
    let drained = engine.drain(Duration::from_secs(1)).await.expect("drain");
    let took = started.elapsed();
    assert_eq!(drained.end, DrainEnd::TimedOut);
    // The promise of a timeout: over within a second or two, not after the 5 s POST.
    assert!(took < Duration::from_secs(3), "a 1 s drain took {took:?}");
    assert_eq!(drained.report.left, 3);
    assert_eq!(
        rig.state(items[0]),
        "unknown",
        "cut on the wire: looked for on the server before any resend"
    );
    assert_eq!(rig.state(items[1]), "pending", "never left: waits");
    assert_eq!(rig.state(items[2]), "pending");
    drop(engine);
    the_next_engine_delivers_each_mark_once(&rig, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_signal_starts_nothing_new_and_lets_the_post_in_flight_end_within_its_grace() {
    let mut rig = Rig::start(sim_builder()).await;
    let items: Vec<i64> = (0..3)
        .map(|s| rig.mark(0, s, Status::Late).expect("queued"))
        .collect();
    rig.sim.set_faults(Faults::none().with_latency_ms(300));
    let mut engine = rig.engine_with(one_at_a_time());
    let stop = engine.stop_signal();
    let (drained, ()) = tokio::join!(engine.drain(GUARD), async {
        until_on_the_wire(&rig).await;
        stop.stop_within(GUARD);
    });
    let drained = drained.expect("drain");
    assert_eq!(drained.end, DrainEnd::Stopped);
    assert_eq!(
        (drained.report.sent, drained.report.confirmed),
        (1, 1),
        "the POST in flight had the time to end, and no other started"
    );
    assert_eq!(rig.state(items[0]), "synced");
    assert_eq!(rig.state(items[1]), "pending");
    assert_eq!(rig.state(items[2]), "pending");
    drop(engine);
    the_next_engine_delivers_each_mark_once(&rig, 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_closing_cuts_a_hung_post_after_its_grace_and_saves_the_rest() {
    let mut rig = Rig::start(sim_builder()).await;
    let items: Vec<i64> = (0..2)
        .map(|s| rig.mark(0, s, Status::Present).expect("queued"))
        .collect();
    rig.sim.set_faults(Faults::none().with_latency_ms(30_000));
    let handle = SyncHandle::start(rig.engine_with(one_at_a_time()));
    until_on_the_wire(&rig).await;
    let started = Instant::now();
    let engine = handle
        .shutdown(Duration::from_millis(200))
        .await
        .expect("the engine comes back");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(3), "closing took {took:?}");
    assert_eq!(
        rig.state(items[0]),
        "unknown",
        "cut: checked at the next start"
    );
    assert_eq!(rig.state(items[1]), "pending");
    assert_eq!(engine.status().sending, 0, "nothing is left in flight");
    drop(engine);
    the_next_engine_delivers_each_mark_once(&rig, 2).await;
}

#[tokio::test]
async fn the_earliest_cut_wins_and_an_ask_says_so() {
    let stop = Stop::new();
    assert_eq!(stop.reason(), None);
    assert_eq!(stop.cut_at(), None);
    let later = tokio::time::Instant::now() + GUARD;
    let bounded = stop.until(later);
    assert_eq!(bounded.cut_at(), Some(later));
    assert_eq!(
        bounded.reason(),
        None,
        "a deadline to come stops nothing yet"
    );
    let past = bounded.until(tokio::time::Instant::now());
    assert_eq!(past.reason(), Some(StopReason::Deadline));
    assert_eq!(
        past.until(later).cut_at(),
        past.cut_at(),
        "a later deadline does not extend an earlier one"
    );
    let signal = bounded.signal();
    signal.stop_within(Duration::ZERO);
    signal.stop_within(GUARD);
    assert_eq!(
        stop.reason(),
        Some(StopReason::Asked),
        "every copy is asked"
    );
    assert!(
        bounded.cut_at().expect("cut") <= tokio::time::Instant::now(),
        "asking again with more time does not extend the first ask"
    );
    tokio::time::timeout(GUARD, bounded.cut())
        .await
        .expect("a cut that has come resolves at once");
}
