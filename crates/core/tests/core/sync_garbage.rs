//! A server that answers nonsense: a 2xx whose body is not the record (truncated JSON, JSON of
//! the wrong types, a body far past the cap, a body that trickles past the request timeout,
//! another record, a captive portal's page), on the POST and on the GETs of reconciliation and
//! pull. The engine never panics, never counts an item synced without a valid record of it,
//! looks for the record by listing before any re-send, and once the server is sane again holds
//! each mark there exactly once, with the same effective marks here as there.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use athena_sim::{FaultKind, Faults};
use rollbook_core::clock::FixedClock;
use rollbook_core::sync::effective;
use rollbook_core::sync::{self, ApiClient, ApiConfig, BaseUrl, Engine};
use rollbook_core::{Id, Status};

use crate::common::utc;
use crate::sync_support::*;

/// The request timeout of the slow-drip tests: the sim's drip lasts minutes, so it always fires
/// mid-body; the other tests keep the long guard.
const DRIP_TIMEOUT: Duration = Duration::from_secs(3);

/// The longest note or error these tests accept: a message quotes an excerpt, never a body.
const MAX_MESSAGE_CHARS: usize = 700;

/// Passes at most this many times to settle everything once the server is sane again.
const MAX_PASSES: usize = 10;

/// Whether the sim stores the POSTed record before answering this kind of nonsense.
fn stores(kind: FaultKind) -> bool {
    kind != FaultKind::Html
}

/// What the note of an item whose POST got `kind` must say.
fn post_reason(kind: FaultKind) -> &'static str {
    match kind {
        FaultKind::Garbage | FaultKind::Html => "not an attendance record: it is not JSON",
        FaultKind::WrongTypes => "not an attendance record: invalid type",
        FaultKind::HugeBody => "larger than 1 MiB",
        FaultKind::SlowDrip => "had not arrived in full after 3 s",
        FaultKind::WrongRecord => "not the one sent",
        other => panic!("{other} is not nonsense"),
    }
}

/// What the note of an unknown item must say after its offering's listing got `kind` for the
/// `nth` time (counting the POST's own injection as the first).
fn listing_reason(kind: FaultKind, nth: u64) -> &'static str {
    match kind {
        FaultKind::Garbage | FaultKind::Html => "not a list of records: it is not JSON",
        FaultKind::WrongTypes if nth.is_multiple_of(2) => "not a list of records: it is an object",
        FaultKind::WrongTypes => "Rollbook cannot read that may be this one",
        FaultKind::HugeBody => "larger than 64 MiB",
        FaultKind::SlowDrip => "had not arrived in full after 3 s",
        FaultKind::WrongRecord => "held 1 of other offerings",
        other => panic!("{other} is not nonsense"),
    }
}

fn api(rig: &Rig, kind: FaultKind) -> ApiClient {
    let mut config = ApiConfig::new(BaseUrl::parse(&rig.sim.base_url()).expect("base url"));
    config.request_timeout = if kind == FaultKind::SlowDrip {
        DRIP_TIMEOUT
    } else {
        GUARD
    };
    ApiClient::new(config).expect("client")
}

fn engine(rig: &Rig, kind: FaultKind) -> Engine {
    rig.engine_using(api(rig, kind), fast())
}

async fn start() -> (Rig, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::new(utc("2024-03-15T08:00:00Z")));
    let rig = Rig::start_with_clock(sim_builder(), clock.clone()).await;
    (rig, clock)
}

/// The ids of the records in the local cache.
fn cached(rig: &Rig) -> Vec<String> {
    let mut stmt = rig
        .store
        .conn()
        .prepare("SELECT id FROM server_record ORDER BY id")
        .unwrap();
    let ids = stmt.query_map([], |r| r.get(0)).unwrap();
    ids.collect::<Result<_, _>>().unwrap()
}

/// Every outbox item: (id, state, server id).
fn outbox(rig: &Rig) -> Vec<(i64, String, Option<String>)> {
    let mut stmt = rig
        .store
        .conn()
        .prepare("SELECT id, state, server_id FROM outbox ORDER BY id")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.collect::<Result<_, _>>().unwrap()
}

/// Passes (moving the clock past every backoff) until nothing is outstanding.
async fn settle_all(rig: &Rig, engine: &mut Engine, clock: &FixedClock) {
    for _ in 0..MAX_PASSES {
        clock.advance(chrono::TimeDelta::minutes(1));
        if engine.pass().await.expect("a pass").left == 0 {
            return;
        }
    }
    panic!(
        "still outstanding after {MAX_PASSES} passes against a sane server: {:?}",
        outbox(rig)
    );
}

/// Each synced item is linked to a record the server really stored, with its six fields; the
/// cache holds only records the server really stored; each mark of `marks` is on the server
/// exactly once; and the effective marks here are the server's.
fn assert_in_step(rig: &Rig, kind: FaultKind, marks: &[(usize, usize)]) {
    let on_server: HashMap<String, athena_sim::AttendanceRecord> = rig
        .sim
        .records()
        .into_iter()
        .map(|r| (r.id.to_string(), r))
        .collect();
    for (item, state, server_id) in outbox(rig) {
        assert_eq!(
            state, "synced",
            "{kind}: item {item} is delivered in the end"
        );
        let server_id = server_id.expect("a synced item names its record");
        let record = on_server.get(&server_id).unwrap_or_else(|| {
            panic!("{kind}: item {item} is linked to {server_id}, which the server never stored")
        });
        let (student, status): (String, String) = rig
            .store
            .conn()
            .query_row(
                "SELECT student_id, status FROM outbox WHERE id = ?1",
                [item],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (record.student_id.to_string(), record.status.to_string()),
            (student, status),
            "{kind}: item {item} is linked to a record of its own mark"
        );
    }
    for id in cached(rig) {
        assert!(
            on_server.contains_key(&id),
            "{kind}: the cache holds {id}, which the server never stored: a nonsense answer \
             was believed"
        );
    }
    for &(offering, student) in marks {
        assert_eq!(
            rig.server_records(offering, student, DATE).len(),
            1,
            "{kind}: the server holds mark ({offering}, {student}) exactly once"
        );
    }
    let offerings: HashSet<usize> = marks.iter().map(|(o, _)| *o).collect();
    for offering in offerings {
        let (o, _) = rig.pick(offering, 0);
        let here: HashMap<Id, String> = effective::for_offering_date(&rig.store, &o, day(DATE))
            .unwrap()
            .into_iter()
            .map(|(student, m)| (student, m.status.to_string()))
            .collect();
        let mut there: HashMap<Id, (chrono::DateTime<chrono::Utc>, String)> = HashMap::new();
        for r in on_server.values() {
            if r.course_offering_id.to_string() != o.as_str()
                || athena_sim::format_date(r.attendance_date) != DATE
            {
                continue;
            }
            let slot = there
                .entry(id(r.student_id))
                .or_insert((r.recorded_at, r.status.to_string()));
            if r.recorded_at >= slot.0 {
                *slot = (r.recorded_at, r.status.to_string());
            }
        }
        let there: HashMap<Id, String> = there.into_iter().map(|(k, (_, s))| (k, s)).collect();
        assert_eq!(
            here, there,
            "{kind}: the effective marks here are the server's"
        );
    }
}

/// The whole story of one kind of nonsense answered to POSTs (and, while it lasts, to the
/// listing that would settle them).
async fn post_nonsense(kind: FaultKind) {
    let (mut rig, clock) = start().await;
    let mut engine = engine(&rig, kind);
    // A mark of another offering, delivered while the server was sane.
    let before = rig.mark(1, 0, Status::Present).unwrap();
    engine.pass().await.unwrap();
    assert_eq!(rig.state(before), "synced");

    rig.sim
        .set_faults(Faults::none().with(kind, 1.0).on_methods(true, true));
    let item = rig.mark(0, 0, Status::Absent).unwrap();
    let report = engine.pass().await.expect("the engine survives the answer");
    assert_eq!((report.sent, report.confirmed), (1, 0), "{kind}");
    let (state, note, server_id, attempts) = rig.item(item);
    assert_eq!(
        state, "unknown",
        "{kind}: a 2xx whose body is not the record proves nothing either way"
    );
    assert_eq!((server_id, attempts), (None, 1), "{kind}");
    let note = note.expect("the item says why");
    assert!(
        note.contains("unclear whether the server stored it"),
        "{kind}: {note}"
    );
    assert!(note.contains(post_reason(kind)), "{kind}: {note}");
    assert!(
        note.chars().count() <= MAX_MESSAGE_CHARS,
        "{kind}: a note quotes an excerpt, not the body: {note}"
    );
    assert_eq!(
        rig.server_records(0, 0, DATE).len(),
        usize::from(stores(kind)),
        "{kind}: what the server did with the POST"
    );

    // The listing that would settle it is nonsense too: the item stays unknown, nothing is sent
    // again, nothing joins the cache.
    let cache = cached(&rig);
    for pass in 0..2u64 {
        clock.advance(chrono::TimeDelta::minutes(1));
        let report = engine
            .pass()
            .await
            .expect("the engine survives the listing");
        assert_eq!(
            (report.sent, report.reconciled),
            (0, 0),
            "{kind}: nothing is sent again before the server could be checked"
        );
        let (state, note, _, attempts) = rig.item(item);
        assert_eq!((state.as_str(), attempts), ("unknown", 1), "{kind}");
        let note = note.unwrap();
        assert!(
            note.contains(listing_reason(kind, pass + 2)),
            "{kind}, listing {pass}: {note}"
        );
        assert!(note.chars().count() <= MAX_MESSAGE_CHARS, "{kind}: {note}");
        assert_eq!(cached(&rig), cache, "{kind}: the cache is unchanged");
    }
    assert_eq!(
        rig.sim.fault_count(kind),
        3,
        "{kind}: the POST and two listings got nonsense"
    );

    // The server is sane again: the item is settled (found, or sent again when it was not
    // stored) and a later mark goes out.
    rig.sim.clear_faults();
    let later = rig.mark(0, 1, Status::Late).unwrap();
    settle_all(&rig, &mut engine, &clock).await;
    assert_eq!(
        rig.item(item).3,
        if stores(kind) { 1 } else { 2 },
        "{kind}: a stored record is found by listing, never sent twice"
    );
    assert_eq!(rig.state(later), "synced", "{kind}");
    assert_in_step(&rig, kind, &[(1, 0), (0, 0), (0, 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_json_after_a_post_is_unknown_until_found() {
    post_nonsense(FaultKind::Garbage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_of_the_wrong_types_after_a_post_is_unknown_until_found() {
    post_nonsense(FaultKind::WrongTypes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_body_after_a_post_is_unknown_until_found() {
    post_nonsense(FaultKind::HugeBody).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_outlasts_the_timeout_is_unknown_until_found() {
    post_nonsense(FaultKind::SlowDrip).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_record_after_a_post_is_unknown_until_found() {
    post_nonsense(FaultKind::WrongRecord).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_page_after_a_post_is_unknown_then_sent_again() {
    post_nonsense(FaultKind::Html).await;
}

/// Pulls of offering 0 whose listing gets `kind` (once per entry of `says`) fail with a message
/// naming the request and containing each of that entry's phrases, and change neither the
/// cache nor the outbox.
async fn pull_nonsense(kind: FaultKind, says: &[&[&str]]) {
    let (mut rig, _clock) = start().await;
    rig.mark(0, 0, Status::Present).unwrap();
    rig.mark(0, 1, Status::Absent).unwrap();
    rig.mark(1, 0, Status::Late).unwrap();
    let mut engine = engine(&rig, kind);
    assert_eq!(engine.pass().await.unwrap().confirmed, 3);
    let (cache, items) = (cached(&rig), outbox(&rig));
    assert_eq!(cache.len(), 3);

    let (offering, _) = rig.pick(0, 0);
    let api = api(&rig, kind);
    let tokens = rig.token_source();
    rig.sim.set_faults(Faults::none().on_methods(false, true));
    for (n, phrases) in says.iter().enumerate() {
        rig.sim.fail_next(kind, 1);
        let err = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
            .await
            .expect_err("a nonsense listing is not pulled");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "GET /academic/attendance?course_offering_id={offering}"
            )),
            "{kind}: the error names the request: {msg}"
        );
        for phrase in *phrases {
            assert!(msg.contains(phrase), "{kind} #{n}: {msg}");
        }
        assert!(
            msg.chars().count() <= MAX_MESSAGE_CHARS,
            "{kind}: the error quotes an excerpt, not the body: {msg}"
        );
        assert_eq!(cached(&rig), cache, "{kind}: the cache is unchanged");
        assert_eq!(outbox(&rig), items, "{kind}: the outbox is unchanged");
    }
    let report = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .expect("the server is sane again");
    assert_eq!((report.records, report.skipped), (2, 0), "{kind}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_of_the_wrong_shape_or_types_fails_the_pull() {
    pull_nonsense(
        FaultKind::WrongTypes,
        &[
            &["none of its 2 elements is a valid record (the first starts `{"],
            &["not a list of records: it is an object, not an array (it starts `{\"data\":"],
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_listing_fails_the_pull() {
    pull_nonsense(
        FaultKind::HugeBody,
        &[&["the answer is larger than 64 MiB"]],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_portal_page_instead_of_a_listing_fails_the_pull() {
    pull_nonsense(
        FaultKind::Html,
        &[&["not a list of records: it is not JSON", "`<!DOCTYPE html>"]],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_that_outlasts_the_timeout_fails_the_pull() {
    pull_nonsense(
        FaultKind::SlowDrip,
        &[&["the answer had not arrived in full after 3 s"]],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_of_another_offering_fails_the_pull() {
    pull_nonsense(
        FaultKind::WrongRecord,
        &[&["1 record of another offering or student: it answers another question"]],
    )
    .await;
}
