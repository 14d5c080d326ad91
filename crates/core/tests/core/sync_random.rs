//! A seeded randomized run: rounds of marks and corrections against a sim with mixed faults
//! (5xx, 429/503, drops before and after commit, garbage and HTML answers, on POST and GET), an
//! engine killed mid-pass or restarted between rounds, then faults off and a drain. Afterwards
//! every outbox item is on the server exactly once (or rejected with a reason), the only extra
//! server records are the reported duplicates, and the server's effective marks (newest
//! `recorded_at` per mark) equal the local marks.
//!
//! Nothing here depends on timing: after a kill the next engine starts only once the sim has
//! handled every abandoned request (as a crashed app restarts seconds later), and a kill waits
//! until the pass has items out, so it always catches some in flight.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use athena_sim::{Faults, RetryAfter};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rollbook_core::secret::Secret;
use rollbook_core::sync::{DrainEnd, Engine, EngineConfig};
use rollbook_core::Status;

use crate::sync_support::*;

const DATES: [&str; 3] = ["2024-03-13", "2024-03-14", "2024-03-15"];
const OFFERINGS: usize = 3;
const STUDENTS: usize = 8;
/// Every POST for this student (in offering 0) is refused: rejected items must carry a reason.
const REFUSED: usize = 7;

fn config() -> EngineConfig {
    // The production grace before an unknown item is looked for (shortened). It is exercised,
    // not relied on: the test waits for the sim to finish abandoned requests after each kill.
    EngineConfig {
        reconcile_after: Duration::from_millis(300),
        ..fast()
    }
}

fn faults(seed: u64) -> Faults {
    Faults::parse(
        "latency=2,500=0.06,502=0.03,429=0.04,503=0.03,drop_before=0.05,drop_after=0.08,\
         garbage=0.05,html=0.02,retry_after=0,methods=all",
    )
    .expect("fault spec")
    .with_retry_after(RetryAfter::Seconds(0))
    .with_seed(seed)
}

async fn run(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut rig = Rig::start(sim_builder().faults(faults(seed))).await;
    let (_, refused) = rig.pick(0, REFUSED);
    rig.sim
        .reject_student(uuid::Uuid::parse_str(refused.as_str()).unwrap());
    let mut duplicates_reported = 0usize;
    let mut left_sending = 0i64;

    for round in 0..20 {
        for _ in 0..rng.random_range(4..14) {
            let status = Status::ALL[rng.random_range(0..4)];
            let date = DATES[rng.random_range(0..DATES.len())];
            rig.mark_on(
                rng.random_range(0..OFFERINGS),
                rng.random_range(0..STUDENTS),
                date,
                status,
            );
        }
        let mut engine = rig.engine_with(config());
        for _ in 0..rng.random_range(1..4) {
            if rng.random_bool(0.3) {
                // Killed mid-pass: requests in flight are abandoned, items stay `sending`.
                let cut = Duration::from_millis(rng.random_range(1..12));
                kill_mid_send(&rig, &mut engine, cut).await;
                break;
            }
            let report = engine.pass().await.expect("pass");
            duplicates_reported += report
                .duplicates
                .iter()
                .map(|d| d.extra.len())
                .sum::<usize>();
        }
        drop(engine);
        left_sending += count_sending(&rig);
        rig.wait_sim_idle().await;
        if round % 4 == 3 {
            crash_after_commit(&rig, &mut rng).await;
        }
    }

    rig.sim.clear_faults();
    let mut engine = rig.engine_with(config());
    let drained = engine.drain(GUARD * 5).await.expect("drain");
    assert_eq!(
        drained.end,
        DrainEnd::Done,
        "with faults off everything settles"
    );
    duplicates_reported += drained
        .report
        .duplicates
        .iter()
        .map(|d| d.extra.len())
        .sum::<usize>();
    drop(engine);
    rig.wait_sim_idle().await;
    let injected: Vec<String> = athena_sim::FaultKind::ALL
        .iter()
        .map(|k| format!("{k}={}", rig.sim.fault_count(*k)))
        .collect();
    assert!(left_sending > 0, "some kills must catch items in flight");
    eprintln!(
        "seed {seed}: {left_sending} items left sending by kills, {} records, {} posts, \
         {} duplicates reported, {}",
        rig.sim.record_count(),
        rig.sim.post_count(),
        duplicates_reported,
        injected.join(" ")
    );
    check(&rig, duplicates_reported);
}

/// Runs a pass for `cut`, then kills it (drops it) as soon as it has items `sending` (at once
/// if it has; a pass still reconciling goes on until it sends). A pass that ends first is not
/// killed.
async fn kill_mid_send(rig: &Rig, engine: &mut Engine, cut: Duration) {
    let pass = engine.pass();
    tokio::pin!(pass);
    if tokio::time::timeout(cut, &mut pass).await.is_ok() {
        return;
    }
    while count_sending(rig) == 0 {
        tokio::select! {
            _ = &mut pass => return,
            _ = tokio::time::sleep(Duration::from_millis(1)) => {}
        }
    }
}

fn count_sending(rig: &Rig) -> i64 {
    rig.store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE state = 'sending'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// A kill right after the server stored a POST, before the answer was written down: the item
/// is left `sending` and its record is on the server.
async fn crash_after_commit(rig: &Rig, rng: &mut StdRng) {
    let pending: Vec<(i64, rollbook_core::sync::record::Attendance)> =
        rollbook_core::sync::queue::active_items(rig.store.conn())
            .unwrap()
            .into_iter()
            .filter(|i| i.state == rollbook_core::outbox::ItemState::Pending)
            .map(|i| (i.id, i.body))
            .collect();
    let Some((item, body)) = pending
        .get(rng.random_range(0..pending.len().max(1)))
        .cloned()
    else {
        return;
    };
    // Only the head of its mark may be in flight; skip if an older item of the mark is unsettled.
    let older: i64 = rig
        .store
        .conn()
        .query_row(
            "SELECT COUNT(*) FROM outbox WHERE offering_id = ?1 AND student_id = ?2 AND date = ?3
               AND id < ?4 AND state IN ('pending', 'sending', 'unknown')",
            rusqlite::params![body.offering_id, body.student_id, body.date, item],
            |r| r.get(0),
        )
        .unwrap();
    if older > 0 {
        return;
    }
    rig.sim.clear_faults();
    let ex = rig.api().create(&Secret::new(TOKEN).unwrap(), &body).await;
    rig.sim.set_faults(faults(rng.random()));
    match ex {
        rollbook_core::sync::api::Exchange::Answered { status: 201, .. } => rig.leave_sending(item),
        // The refused student: nothing stored, the item stays pending.
        rollbook_core::sync::api::Exchange::Answered { status: 422, .. } => {}
        other => panic!("with faults off the sim stores or refuses a POST: {other:?}"),
    }
}

fn check(rig: &Rig, duplicates_reported: usize) {
    let conn = rig.store.conn();
    // (id, offering, student, date, status, state, server_id, last_error)
    type Row = (
        i64,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let items: Vec<Row> = conn
        .prepare(
            "SELECT id, offering_id, student_id, date, status, state, server_id, last_error
             FROM outbox ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert!(
        items.len() > 40,
        "the run made enough changes to mean something: {}",
        items.len()
    );
    let records: HashMap<String, athena_sim::AttendanceRecord> = rig
        .sim
        .records()
        .into_iter()
        .map(|r| (r.id.to_string(), r))
        .collect();
    let mut owned = HashSet::new();
    let mut rejected_keys = HashSet::new();
    for (id, offering, student, date, status, state, server_id, last_error) in &items {
        match state.as_str() {
            "synced" => {
                let sid = server_id.as_ref().expect("a synced item names its record");
                let r = records
                    .get(sid)
                    .unwrap_or_else(|| panic!("item {id}: {sid} is not on the server"));
                assert_eq!(
                    (r.course_offering_id.to_string(), r.student_id.to_string()),
                    (offering.clone(), student.clone())
                );
                assert_eq!(
                    (
                        athena_sim::format_date(r.attendance_date),
                        r.status.as_str()
                    ),
                    (date.clone(), status.as_str())
                );
                assert!(owned.insert(sid.clone()), "two items own {sid}");
            }
            "rejected" => {
                assert!(
                    last_error
                        .as_deref()
                        .is_some_and(|e| e.contains("HTTP 422")),
                    "item {id} has its reason"
                );
                rejected_keys.insert((offering.clone(), student.clone(), date.clone()));
            }
            "cancelled" => {}
            other => panic!("item {id} is still {other}"),
        }
    }
    assert_eq!(
        records.len(),
        owned.len() + duplicates_reported,
        "every server record is one item's, or a reported duplicate"
    );
    // The server's effective mark (newest recorded_at) equals the local mark.
    let mut newest: HashMap<(String, String, String), &athena_sim::AttendanceRecord> =
        HashMap::new();
    for r in records.values() {
        let key = (
            r.course_offering_id.to_string(),
            r.student_id.to_string(),
            athena_sim::format_date(r.attendance_date),
        );
        let slot = newest.entry(key).or_insert(r);
        if r.recorded_at > slot.recorded_at {
            *slot = r;
        }
    }
    let marks: Vec<(String, String, String, String)> = conn
        .prepare("SELECT offering_id, student_id, date, status FROM mark")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let mut compared = 0;
    for (o, s, d, status) in marks {
        let key = (o, s, d);
        if rejected_keys.contains(&key) {
            continue;
        }
        let server = newest
            .get(&key)
            .unwrap_or_else(|| panic!("{key:?} is not on the server"));
        assert_eq!(
            server.status.as_str(),
            status,
            "{key:?}: the server's effective mark differs"
        );
        compared += 1;
    }
    assert!(compared > 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomized_rounds_with_faults_and_restarts_deliver_exactly_once() {
    for seed in [11, 29, 4242] {
        run(seed).await;
    }
}
