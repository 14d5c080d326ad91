//! The school pull (`sync::pull_all`) and the rule every offering listing follows: it replaces
//! that offering's cached records, and one that fails or does not parse changes nothing.

use std::time::{Duration, Instant};

use crate::common::ymd;
use athena_sim::{FaultKind, Faults, RetryAfter, Sim};
use rollbook_core::store::{Store, Writes};
use rollbook_core::sync::status::QueueState;
use rollbook_core::sync::stop::Stop;
use rollbook_core::sync::{self, PullAllOptions, PullProgress, SchoolPullReport};
use rollbook_core::{Id, Status};

use crate::sync_support::*;

fn school() -> athena_sim::SimBuilder {
    Sim::builder()
        .sample_school(7)
        .history(ymd(2024, 3, 14), 5)
        .token(TOKEN, ALL_SCOPES)
}

/// The cached records of one offering, (id, status) sorted: what "left as it was" compares.
fn cached(store: &Store, offering: &Id) -> Vec<(String, String)> {
    let mut stmt = store
        .conn()
        .prepare("SELECT id, status FROM server_record WHERE offering_id = ?1 ORDER BY id")
        .unwrap();
    stmt.query_map([offering], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

fn uuid(id: &Id) -> uuid::Uuid {
    uuid::Uuid::parse_str(id.as_str()).unwrap()
}

/// The offerings of the roster in the order the school pull starts them (by name).
fn by_name(rig: &Rig) -> Vec<Id> {
    let mut o: Vec<_> = rig.sim.offerings().iter().collect();
    o.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(a.id.to_string().cmp(&b.id.to_string()))
    });
    o.into_iter().map(|o| id(o.id)).collect()
}

async fn pull_all_with(
    rig: &mut Rig,
    concurrency: usize,
    stop: &sync::StopSignal,
    seen: &mut Vec<PullProgress>,
) -> SchoolPullReport {
    let (api, tokens) = (rig.api(), rig.token_source());
    let mut progress = |p: &PullProgress| seen.push(*p);
    sync::pull_all(
        &mut rig.store,
        &api,
        &tokens,
        &*rig.clock,
        PullAllOptions { concurrency },
        stop,
        &mut progress,
    )
    .await
    .expect("the school pull runs")
}

async fn pull_all(rig: &mut Rig) -> SchoolPullReport {
    pull_all_with(rig, 8, &Stop::new().signal(), &mut Vec::new()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offering_listing_replaces_its_cache_but_keeps_what_this_device_posted() {
    let mut rig = Rig::start(school()).await;
    let (offering, _) = rig.pick(0, 0);
    let (other, _) = rig.pick(1, 0);
    let (api, tokens) = (rig.api(), rig.token_source());
    sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &other)
        .await
        .unwrap();
    let other_before = cached(&rig.store, &other);
    // This device marks a student and delivers it: the outbox owns that server record.
    let item = rig.mark(0, 1, rollbook_core::Status::Late).unwrap();
    rig.engine().pass().await.unwrap();
    let (state, _, posted, _) = rig.item(item);
    assert_eq!(state, "synced");
    let posted = posted.unwrap();

    let first = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    assert_eq!(first.removed, 0);
    let before = cached(&rig.store, &offering);
    let gone = before.iter().find(|(i, _)| *i != posted).unwrap().0.clone();
    // The server no longer has one record of the offering, nor the one this device posted.
    assert!(rig.sim.remove_record(uuid::Uuid::parse_str(&gone).unwrap()));
    assert!(rig
        .sim
        .remove_record(uuid::Uuid::parse_str(&posted).unwrap()));

    let again = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    assert_eq!(again.removed, 1, "{again:?}");
    let after = cached(&rig.store, &offering);
    assert!(
        !after.iter().any(|(i, _)| *i == gone),
        "a record the server's listing no longer has is gone from the cache"
    );
    assert!(
        after.iter().any(|(i, _)| *i == posted),
        "the record this device's outbox created is kept: its history and the roll refer to it"
    );
    assert_eq!(after.len(), before.len() - 1);
    assert_eq!(
        cached(&rig.store, &other),
        other_before,
        "another offering's cache is not touched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbled_listing_leaves_its_offering_as_it_was_and_the_others_are_pulled() {
    let mut rig = Rig::start(school()).await;
    let offerings = by_name(&rig);
    let mut seen = Vec::new();
    let first = pull_all_with(&mut rig, 8, &Stop::new().signal(), &mut seen).await;
    assert_eq!(first.offerings as usize, offerings.len());
    assert_eq!(first.pulled, first.offerings, "{first:?}");
    assert!(first.failed.is_empty() && !first.cancelled && first.error.is_none());
    assert_eq!(first.records as usize, rig.sim.record_count());
    assert_eq!(first.new_records, first.records);
    assert_eq!(seen.first().unwrap().done, 0, "progress starts at 0 of all");
    let last = seen.last().unwrap();
    assert_eq!(
        (last.done, last.total, last.records),
        (first.offerings, first.offerings, first.records)
    );
    assert!(seen.windows(2).all(|w| w[0].done < w[1].done));
    let as_of = sync::last_school_pull(&rig.store).unwrap();
    assert!(as_of.is_some() && first.as_of == as_of);

    // On the server, a record of each of two offerings goes; the first one's listing comes
    // back garbled (a truncated body), then wrong (an object, not a list).
    let (bad, good) = (&offerings[0], &offerings[1]);
    for o in [bad, good] {
        let rec = cached(&rig.store, o)[0].0.clone();
        assert!(rig.sim.remove_record(uuid::Uuid::parse_str(&rec).unwrap()));
    }
    for kind in [FaultKind::Garbage, FaultKind::WrongTypes] {
        let bad_before = cached(&rig.store, bad);
        let good_before = cached(&rig.store, good).len();
        rig.sim.fail_listings_of(uuid(bad), kind, 1);
        let report = pull_all(&mut rig).await;
        assert_eq!(report.failed.len(), 1, "{kind}: {report:?}");
        let failed = &report.failed[0];
        assert_eq!(&failed.offering_id, bad);
        assert!(failed.name.is_some());
        assert!(
            failed.reason.contains("not a list of records"),
            "the reason says what was wrong: {}",
            failed.reason
        );
        assert_eq!(report.pulled, report.offerings - 1);
        assert_eq!(
            cached(&rig.store, bad),
            bad_before,
            "{kind}: a listing that does not parse changes nothing for its offering"
        );
        assert!(cached(&rig.store, good).len() <= good_before);
    }
    assert_eq!(
        cached(&rig.store, good).len() as u64,
        rig.sim
            .list(athena_sim::ListFilter {
                course_offering_id: Some(uuid(good)),
                student_id: None
            })
            .len() as u64,
        "the other offerings are pulled: the removed record is gone from their cache"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_listings_than_the_concurrency_are_in_flight() {
    let mut rig = Rig::start(school()).await;
    rig.sim
        .set_faults(Faults::none().with_latency_ms(60).on_methods(false, true));
    let offerings = rig.sim.offerings().len();
    assert!(
        offerings > 6,
        "the sample school has enough offerings to queue"
    );
    let report = pull_all_with(&mut rig, 3, &Stop::new().signal(), &mut Vec::new()).await;
    assert_eq!(report.pulled as usize, offerings);
    assert_eq!(
        rig.sim.list_count() as usize,
        offerings,
        "one listing per offering"
    );
    let max = rig.sim.max_lists_in_flight();
    assert!(max <= 3, "at most the concurrency in flight: {max}");
    assert!(max >= 2, "listings do run concurrently: {max}");
    let (api, tokens) = (rig.api(), rig.token_source());
    let err = sync::pull_all(
        &mut rig.store,
        &api,
        &tokens,
        &*rig.clock,
        PullAllOptions { concurrency: 0 },
        &Stop::new().signal(),
        &mut |_| {},
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("expected 1 to 64"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_pauses_the_whole_pull() {
    let mut rig = Rig::start(school()).await;
    rig.sim
        .set_faults(Faults::none().with_retry_after(RetryAfter::Seconds(2)));
    let first = by_name(&rig)[0].clone();
    rig.sim
        .fail_listings_of(uuid(&first), FaultKind::TooManyRequests, 1);
    let started = Instant::now();
    let sim = rig.sim.handle();
    let counted = async {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        sim.list_count()
    };
    let (signal, mut seen) = (Stop::new().signal(), Vec::new());
    let (report, during_pause) =
        tokio::join!(pull_all_with(&mut rig, 1, &signal, &mut seen), counted);
    assert_eq!(
        during_pause, 1,
        "no listing starts while the server asked to wait"
    );
    assert!(started.elapsed() >= Duration::from_secs(2));
    assert_eq!(report.pulled, report.offerings, "{report:?}");
    assert!(report.failed.is_empty());
    let paused = QueueState::load(&rig.store).unwrap().paused_until;
    assert!(
        paused.is_some(),
        "deliveries wait out the server's Retry-After too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_stops_the_pull_with_the_sign_in_message() {
    let mut rig = Rig::start(school()).await;
    assert!(rig.sim.revoke_token(TOKEN));
    let report = pull_all(&mut rig).await;
    let error = report.error.clone().expect("the pull says why it stopped");
    assert!(error.contains("sign in again"), "{error}");
    assert!(!error.contains(TOKEN));
    assert_eq!(report.pulled, 0);
    assert!(
        rig.sim.list_count() <= 8,
        "no listing starts after the refusal"
    );
    assert_eq!(sync::last_school_pull(&rig.store).unwrap(), None);
    assert!(QueueState::load(&rig.store).unwrap().blocked.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_failures_are_tried_again_then_reported() {
    let mut rig = Rig::start(school()).await;
    let offerings = by_name(&rig);
    rig.sim
        .fail_listings_of(uuid(&offerings[0]), FaultKind::ServerError, 2);
    rig.sim
        .fail_listings_of(uuid(&offerings[1]), FaultKind::BadGateway, 3);
    let report = pull_all(&mut rig).await;
    assert_eq!(report.pulled, report.offerings - 1, "{report:?}");
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].offering_id, offerings[1]);
    assert!(
        report.failed[0].reason.contains("502"),
        "{}",
        report.failed[0].reason
    );
    assert!(
        !cached(&rig.store, &offerings[0]).is_empty(),
        "pulled on its third attempt"
    );
    assert!(cached(&rig.store, &offerings[1]).is_empty());
    assert_eq!(
        rig.sim.list_count() as usize,
        offerings.len() + 2 + 2,
        "three attempts each for the two failing offerings, one for the others"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_keeps_what_finished() {
    let mut rig = Rig::start(school()).await;
    rig.sim
        .set_faults(Faults::none().with_latency_ms(40).on_methods(false, true));
    let stop = Stop::new();
    let signal = stop.signal();
    let mut seen = Vec::new();
    let (api, tokens) = (rig.api(), rig.token_source());
    let mut progress = |p: &PullProgress| {
        seen.push(*p);
        if p.done == 2 {
            signal.stop_within(Duration::ZERO);
        }
    };
    let report = sync::pull_all(
        &mut rig.store,
        &api,
        &tokens,
        &*rig.clock,
        PullAllOptions { concurrency: 2 },
        &stop.signal(),
        &mut progress,
    )
    .await
    .unwrap();
    assert!(report.cancelled, "{report:?}");
    assert!(
        report.pulled >= 2 && report.pulled < report.offerings,
        "{report:?}"
    );
    let with_records = by_name(&rig)
        .iter()
        .filter(|o| !cached(&rig.store, o).is_empty())
        .count();
    assert_eq!(
        with_records as u32, report.pulled,
        "what finished is kept, nothing else was written"
    );
    assert!(sync::last_school_pull(&rig.store).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_of_records_already_held_writes_nothing() {
    let mut rig = Rig::start(school()).await;
    let (offering, _) = rig.pick(0, 0);
    let (api, tokens) = (rig.api(), rig.token_source());
    let first = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    assert!(first.new_records > 0);
    let before = cached(&rig.store, &offering);

    // Another connection holds the write lock, as a mark being saved does: a listing that
    // changes nothing does not wait for it (with a write, it would fail after the 5 s busy
    // timeout with "database is locked").
    let writer = Store::open(rig.store.path().unwrap()).unwrap();
    writer.conn().execute_batch("BEGIN IMMEDIATE").unwrap();
    let again = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .expect("nothing to write: the lock is not needed");
    assert_eq!((again.new_records, again.removed), (0, 0));
    assert_eq!(again.records, first.records);
    writer.conn().execute_batch("ROLLBACK").unwrap();

    // Once the listing differs (a record gone from the server), it is written.
    let gone = rig
        .sim
        .list(athena_sim::ListFilter {
            course_offering_id: Some(uuid(&offering)),
            student_id: None,
        })
        .into_iter()
        .next()
        .unwrap();
    assert!(rig.sim.remove_record(gone.id));
    let third = sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    assert_eq!(third.removed, 1);
    assert_eq!(cached(&rig.store, &offering).len(), before.len() - 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_is_saved_while_a_listing_is_being_written() {
    let mut rig = Rig::start(school()).await;
    let (offering, _) = rig.pick(0, 0);
    let (api, tokens) = (rig.api(), rig.token_source());
    sync::pull_offering(&mut rig.store, &api, &tokens, &*rig.clock, &offering)
        .await
        .unwrap();
    let before = cached(&rig.store, &offering);
    assert!(!before.is_empty());

    // Another connection is in the middle of saving a listing of that offering (one record
    // gone), its transaction open, as the school pull's is for most of a first pull.
    let mut pull = Store::open(rig.store.path().unwrap()).unwrap();
    let listing = pull.transaction(Writes::Records).unwrap();
    listing
        .execute(
            "DELETE FROM server_record WHERE offering_id = ?1 AND id = ?2",
            [offering.as_str(), before[0].0.as_str()],
        )
        .unwrap();

    // The teacher marks a student meanwhile: saved at once, not after the listing (with one
    // write lock for both, it would fail after the 5 s busy timeout with "database is
    // locked").
    let item = rig
        .mark(1, 2, Status::Absent)
        .expect("the mark is saved and queued while the listing is open");
    assert_eq!(rig.item(item).0, "pending");
    assert_eq!(
        cached(&rig.store, &offering),
        before,
        "the unfinished listing is not seen"
    );

    listing.commit().unwrap();
    assert_eq!(cached(&rig.store, &offering), before[1..].to_vec());
    assert_eq!(rig.item(item).0, "pending");
}

/// The connection's `synchronous` of the database file and of the records file, and its
/// `wal_autocheckpoint`.
fn write_settings(store: &Store) -> (i64, i64, i64) {
    let pragma = |name: &str| -> i64 {
        store
            .conn()
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
            .unwrap()
    };
    (
        pragma("main.synchronous"),
        pragma("records.synchronous"),
        pragma("wal_autocheckpoint"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pull_gives_its_connection_back_as_durable_as_it_was() {
    let mut rig = Rig::start(school()).await;
    let report = pull_all(&mut rig).await;
    assert!(report.pulled > 0 && report.failed.is_empty(), "{report:?}");
    assert_eq!(
        write_settings(&rig.store),
        (2, 2, 1000),
        "after the pull its connection commits with synchronous=FULL again (a mark saved on \
         it is on disk when saved) and checkpoints as SQLite does by default"
    );

    // A pull that stops early (the token refused) puts them back too.
    assert!(rig.sim.revoke_token(TOKEN));
    let stopped = pull_all(&mut rig).await;
    assert!(stopped.error.is_some());
    assert_eq!(write_settings(&rig.store), (2, 2, 1000));
}
