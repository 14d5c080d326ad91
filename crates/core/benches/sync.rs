//! Delivery throughput against athena-sim, by latency (5, 20, 100 and 250 ms per POST): 10,000
//! marks over 40 offerings drained by the engine with its adaptive concurrency (ceiling 32); in
//! the same run, at each latency, a sweep of fixed concurrencies (1 to 32, each over about 40
//! round trips) and the sequential loop (one POST after another, awaiting each, with the same
//! client). Then the same 10,000 marks against a server that takes 100 requests a second and
//! answers the rest 429 (athena-sim's rate limit).
//! Targets: adaptive >= 10x the sequential loop at 20 ms and >= 85 % of the best fixed
//! concurrency at every latency; under the rate limit, within 10 % of it with no more than 2 % of
//! requests answered 429.
//!
//! `cargo bench -p rollbook-core --bench sync` (env BENCH_MARKS, BENCH_LATENCIES (e.g. `20,100`),
//! BENCH_RATE, BENCH_DIR to change the run).
//!
//! `BENCH_SCENARIO=faults cargo bench -p rollbook-core --bench sync`: instead, the time until 500
//! marks (25 per offering) are all confirmed with the engine's default settings while athena-sim
//! answers 5 % of requests (POSTs and listings) with 500 and drops 10 % after committing (the
//! record is stored, the answer lost), 20 ms latency; `BENCH_RUNS` runs (default 5, each with its
//! own sim, fault seed and database, run side by side: the time is mostly backoff waits), their
//! median, and the listings they needed. `BENCH_TIMEOUT` (s, default 1800) bounds each run.
//!
//! `BENCH_SCENARIO=refresh cargo bench -p rollbook-core --bench sync`: the refresh of one class of
//! 30 with a term of records (see the `refresh` module).
//!
//! `BENCH_SCENARIO=school-pull cargo bench -p rollbook-core --bench sync`: `pull_all` of a school
//! of 200 offerings x 30 students x 180 school days with 20 ms latency per listing, against the
//! bound offerings / concurrency x the time of one listing, and the peak memory (see the
//! `school_pull` module; `BENCH_QUICK=1` for 40 offerings x 20 days).

// Test code unwraps: a failed unwrap fails the run at its line (clippy.toml allows it in #[test]
// functions; this covers their helpers too).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use athena_sim::{Faults, Sim};
use rollbook_core::clock::SystemClock;
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::api::Exchange;
use rollbook_core::sync::record::Attendance;
use rollbook_core::sync::{ApiClient, ApiConfig, BaseUrl, Engine, EngineConfig, TokenSource};
use rollbook_core::{Day, Id, Status};

const TOKEN: &str = "bench-token";
const OFFERINGS: usize = 40;
const LATENCY_MS: u64 = 20;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn id(kind: u32, n: usize) -> Id {
    Id::parse(&format!("{kind:08x}-0000-4000-8000-{n:012x}")).expect("bench id")
}

fn attendance(i: usize) -> Attendance {
    let offering = i % OFFERINGS;
    Attendance {
        offering_id: id(1, offering),
        teacher_assignment_id: id(2, offering),
        enrollment_id: id(3, i),
        student_id: id(4, i),
        date: Day::parse("2024-03-15").expect("date"),
        status: Status::ALL[i % 4],
    }
}

/// `n` pending outbox items, one per mark, written in one transaction.
fn fill_outbox(store: &mut Store, n: usize) {
    let tx = store.conn_mut().transaction().expect("tx");
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO outbox (offering_id, student_id, date, teacher_assignment_id,
                     enrollment_id, status, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', '2024-03-15T08:00:00Z',
                         '2024-03-15T08:00:00Z')",
            )
            .expect("prepare");
        for i in 0..n {
            let a = attendance(i);
            stmt.execute(rusqlite::params![
                a.offering_id,
                a.student_id,
                a.date,
                a.teacher_assignment_id,
                a.enrollment_id,
                a.status
            ])
            .expect("insert");
        }
    }
    tx.commit().expect("commit");
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: run small then.
    let full = std::env::args().any(|a| a == "--bench");
    if std::env::var("BENCH_SCENARIO").is_ok_and(|s| s == "faults") {
        return faults::run(full);
    }
    if std::env::var("BENCH_SCENARIO").is_ok_and(|s| s == "refresh") {
        return refresh::run(full);
    }
    if std::env::var("BENCH_SCENARIO").is_ok_and(|s| s == "school-pull") {
        return school_pull::run(full);
    }
    throughput::run(full);
}

/// The default scenario: delivery throughput by latency, adaptive against fixed concurrency.
mod throughput {
    use super::*;

    /// Fixed concurrencies of the sweep (up to the default ceiling).
    const SWEEP: [usize; 6] = [1, 2, 4, 8, 16, 32];

    /// A fresh sim with no records and `faults`, and the engine's client for it.
    async fn sim_and_client(faults: Faults) -> (Sim, ApiClient) {
        let sim = Sim::builder()
            .empty_store()
            .token(TOKEN, &["write:attendance", "read:attendance"])
            .faults(faults)
            .start()
            .await
            .expect("sim");
        let api = ApiClient::new(ApiConfig::new(
            BaseUrl::parse(&sim.base_url()).expect("url"),
        ))
        .expect("client");
        (sim, api)
    }

    /// One engine run of `marks` outbox items against a fresh sim with `faults`: seconds, and
    /// the requests the sim refused with 429.
    pub async fn engine_run(marks: usize, config: EngineConfig, faults: Faults) -> (f64, u64) {
        let (sim, api) = sim_and_client(faults).await;
        let dir = match std::env::var_os("BENCH_DIR") {
            Some(d) => tempfile::tempdir_in(d).expect("tempdir"),
            None => tempfile::tempdir().expect("tempdir"),
        };
        let path = dir.path().join("bench.db");
        let mut store = Store::open(&path).expect("db");
        fill_outbox(&mut store, marks);
        drop(store);
        let mut engine = Engine::new(
            Store::open(&path).expect("engine db"),
            api,
            TokenSource::fixed(TOKEN),
            Arc::new(SystemClock),
            EngineConfig {
                seed: Some(1),
                ..config
            },
        )
        .expect("engine");
        let started = Instant::now();
        let drained = engine
            .drain(Duration::from_secs(3600))
            .await
            .expect("drain");
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(
            drained.report.confirmed as usize, marks,
            "every mark delivered: {drained:?}"
        );
        assert_eq!(sim.record_count(), marks, "exactly once");
        let refused = sim.fault_count(athena_sim::FaultKind::TooManyRequests);
        sim.shutdown().await;
        (secs, refused)
    }

    /// POSTs one after another, awaiting each, with the engine's client: records a second.
    async fn sequential(latency_ms: u64, n: usize) -> f64 {
        let (sim, api) = sim_and_client(Faults::none().with_latency_ms(latency_ms)).await;
        let token = Secret::new(TOKEN).expect("token");
        let started = Instant::now();
        for i in 0..n {
            let ex = api.create(&token, &attendance(i)).await;
            assert!(
                matches!(ex, Exchange::Answered { status: 201, .. }),
                "sequential POST {i}"
            );
        }
        let rate = n as f64 / started.elapsed().as_secs_f64();
        sim.shutdown().await;
        rate
    }

    fn fixed(concurrency: usize) -> EngineConfig {
        EngineConfig {
            concurrency,
            adaptive: false,
            ..Default::default()
        }
    }

    pub fn run(full: bool) {
        let marks = env_usize("BENCH_MARKS", if full { 10_000 } else { 200 });
        let latencies: Vec<u64> = std::env::var("BENCH_LATENCIES")
            .unwrap_or_else(|_| {
                if full {
                    "5,20,100,250".into()
                } else {
                    "20".into()
                }
            })
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect();
        let rate_limit = env_usize("BENCH_RATE", 100) as u32;
        let ceiling = rollbook_core::sync::DEFAULT_CONCURRENCY;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            println!(
                "sync throughput: {marks} marks over {OFFERINGS} offerings; adaptive (ceiling \
                 {ceiling}) against a sweep of fixed concurrencies, each fixed run about 40 \
                 round trips ({{c}} x 40 marks, 40 to {marks}), and the sequential loop"
            );
            for latency in latencies {
                let faults = Faults::none().with_latency_ms(latency);
                let round_trips = (2_000 / latency.max(1)).max(40) as usize;
                let naive_n = round_trips.min(if full { 300 } else { 20 });
                let naive = sequential(latency, naive_n).await;
                let mut best = (0usize, 0.0f64);
                let mut sweep = Vec::new();
                for c in SWEEP {
                    let n = (c * round_trips).clamp(40, marks);
                    let (secs, _) = engine_run(n, fixed(c), faults.clone()).await;
                    let rate = n as f64 / secs;
                    if rate > best.1 {
                        best = (c, rate);
                    }
                    sweep.push(format!("{c}: {rate:.0}"));
                }
                let (secs, _) = engine_run(marks, EngineConfig::default(), faults).await;
                let adaptive = marks as f64 / secs;
                println!("latency {latency} ms");
                println!("  sequential: {naive_n} POSTs: {naive:.1} records/s");
                println!("  fixed:      {} records/s", sweep.join(", "));
                println!(
                    "  adaptive:   {marks} marks in {secs:.2} s = {adaptive:.0} records/s = \
                     {:.1}x sequential, {:.0} % of the best fixed ({} at {:.0}/s)",
                    adaptive / naive,
                    100.0 * adaptive / best.1,
                    best.0,
                    best.1
                );
            }
            let latency = LATENCY_MS;
            let faults = Faults::none()
                .with_latency_ms(latency)
                .with_rate_limit(rate_limit);
            let (secs, refused) = engine_run(marks, EngineConfig::default(), faults).await;
            let rate = marks as f64 / secs;
            let requests = marks as u64 + refused;
            println!(
                "rate-limited server: {rate_limit} requests/s (bucket of a tenth of a second, \
                 429 with Retry-After: 1), latency {latency} ms"
            );
            println!(
                "  adaptive:   {marks} marks in {secs:.2} s = {rate:.1} records/s = {:.1} % of \
                 the limit; {refused} of {requests} requests answered 429 ({:.2} %)",
                100.0 * rate / f64::from(rate_limit),
                100.0 * refused as f64 / requests as f64
            );
        });
    }
}

/// `BENCH_SCENARIO=refresh`: the refresh of one offering of 30 students with a term of records
/// (120 school days, 3,600 records) from athena-sim on loopback: the first refresh (every record
/// new) and `BENCH_RUNS` more (default 9: the same records again), their median, and the roll
/// query (`roll::rows`, what the grid reads after a refresh) over that cache.
mod refresh {
    use super::*;
    use rollbook_core::{roll, roster};

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    pub fn run(full: bool) {
        let days = if full { 120 } else { 10 };
        let runs = env_usize("BENCH_RUNS", if full { 9 } else { 1 }).max(1);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let sim = Sim::builder()
                .sample_school(1)
                .history(athena_sim::today_utc(), days)
                .token(
                    TOKEN,
                    &["write:attendance", "read:attendance", "read:students"],
                )
                .start()
                .await
                .expect("sim");
            let school = sim.sample().expect("sample").clone();
            let class = school.offering_of_size(30).expect("a class of 30");
            let offering = Id::parse(&class.id.to_string()).expect("id");
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("bench.db");
            let mut store = Store::open(&path).expect("db");
            roster::import_roster_csv(&mut store, school.roster_csv().as_bytes(), "roster.csv")
                .expect("roster");
            let api = ApiClient::new(ApiConfig::new(
                BaseUrl::parse(&sim.base_url()).expect("url"),
            ))
            .expect("client");
            let mut engine = Engine::new(
                store,
                api,
                TokenSource::fixed(TOKEN),
                Arc::new(SystemClock),
                EngineConfig::default(),
            )
            .expect("engine");
            let t = Instant::now();
            let first = engine
                .refresh_these(std::slice::from_ref(&offering))
                .await
                .expect("refresh");
            let first_secs = t.elapsed().as_secs_f64();
            let mut again = Vec::new();
            for _ in 0..runs {
                let t = Instant::now();
                let r = engine
                    .refresh_these(std::slice::from_ref(&offering))
                    .await
                    .expect("refresh");
                again.push(t.elapsed().as_secs_f64());
                assert_eq!(r.new_records, 0, "the same records again");
            }
            let today = Day::parse(&athena_sim::format_date(athena_sim::today_utc())).expect("day");
            let mut rolls = Vec::new();
            for _ in 0..runs {
                let t = Instant::now();
                let rows = roll::rows(engine.store(), &offering, today).expect("roll");
                rolls.push(t.elapsed().as_secs_f64());
                assert_eq!(rows.len(), 30);
            }
            println!(
                "refresh of one offering, 30 students x {days} school days: {} records listed, \
                 {} new; first {:.1} ms; again (median of {runs}) {:.1} ms; roll query after it \
                 (median of {runs}) {:.2} ms",
                first.records,
                first.new_records,
                first_secs * 1e3,
                median(again) * 1e3,
                median(rolls) * 1e3,
            );
            sim.shutdown().await;
        });
    }
}

/// `BENCH_SCENARIO=faults`: time to all confirmed under ordinary fault rates.
mod faults {
    use super::*;

    const MARKS_PER_OFFERING: usize = 25;

    /// How one run ended: seconds until every mark was confirmed (`None`: timed out), listings.
    struct Outcome {
        secs: Option<f64>,
        listings: u64,
    }

    async fn one_run(marks: usize, seed: u64, timeout: Duration) -> Outcome {
        let spec = format!("latency={LATENCY_MS},500=0.05,drop_after=0.10,methods=all,seed={seed}");
        let sim = Sim::builder()
            .empty_store()
            .token(TOKEN, &["write:attendance", "read:attendance"])
            .faults(Faults::parse(&spec).expect("fault spec"))
            .start()
            .await
            .expect("sim");
        let api = ApiClient::new(ApiConfig::new(
            BaseUrl::parse(&sim.base_url()).expect("url"),
        ))
        .expect("client");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bench.db");
        let mut store = Store::open(&path).expect("db");
        fill_outbox_by(&mut store, marks, marks.div_ceil(MARKS_PER_OFFERING));
        drop(store);
        let config = EngineConfig {
            seed: Some(seed),
            ..Default::default()
        };
        let mut engine = Engine::new(
            Store::open(&path).expect("engine db"),
            api,
            TokenSource::fixed(TOKEN),
            Arc::new(SystemClock),
            config,
        )
        .expect("engine");
        let started = Instant::now();
        let drained = engine.drain(timeout).await.expect("drain");
        let secs = started.elapsed().as_secs_f64();
        let done = drained.report.left == 0;
        if done {
            let stored = sim.record_count();
            assert_eq!(
                stored, marks,
                "exactly once: {stored} records for {marks} marks"
            );
        }
        let listings = sim.list_count();
        sim.shutdown().await;
        Outcome {
            secs: done.then_some(secs),
            listings,
        }
    }

    /// Like [`fill_outbox`], over `offerings` offerings.
    fn fill_outbox_by(store: &mut Store, n: usize, offerings: usize) {
        let tx = store.conn_mut().transaction().expect("tx");
        for i in 0..n {
            let offering = i % offerings.max(1);
            let a = Attendance {
                offering_id: id(1, offering),
                teacher_assignment_id: id(2, offering),
                ..attendance(i)
            };
            tx.execute(
                "INSERT INTO outbox (offering_id, student_id, date, teacher_assignment_id,
                     enrollment_id, status, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', '2024-03-15T08:00:00Z',
                         '2024-03-15T08:00:00Z')",
                rusqlite::params![
                    a.offering_id,
                    a.student_id,
                    a.date,
                    a.teacher_assignment_id,
                    a.enrollment_id,
                    a.status
                ],
            )
            .expect("insert");
        }
        tx.commit().expect("commit");
    }

    pub fn run(full: bool) {
        let marks = env_usize("BENCH_MARKS", if full { 500 } else { 50 });
        let runs = env_usize("BENCH_RUNS", if full { 5 } else { 1 }).max(1);
        let timeout = Duration::from_secs(env_usize("BENCH_TIMEOUT", 1800) as u64);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let outcomes: Vec<Outcome> = rt.block_on(async {
            let mut set = tokio::task::JoinSet::new();
            for run in 0..runs {
                set.spawn(one_run(marks, 1 + run as u64, timeout));
            }
            let mut all = Vec::new();
            while let Some(o) = set.join_next().await {
                all.push(o.expect("run"));
            }
            all
        });
        let mut secs: Vec<f64> = outcomes
            .iter()
            .map(|o| o.secs.unwrap_or(f64::INFINITY))
            .collect();
        secs.sort_by(f64::total_cmp);
        let mut listings: Vec<u64> = outcomes.iter().map(|o| o.listings).collect();
        listings.sort_unstable();
        let shown: Vec<String> = secs
            .iter()
            .map(|s| {
                if s.is_finite() {
                    format!("{s:.1}")
                } else {
                    format!("> {}", timeout.as_secs())
                }
            })
            .collect();
        println!(
            "sync under faults (500 5 %, drop-after-commit 10 %, POSTs and listings, latency \
             {LATENCY_MS} ms, default engine settings): {marks} marks, {MARKS_PER_OFFERING} per \
             offering, {runs} run(s)"
        );
        println!("  seconds until all confirmed: {}", shown.join(", "));
        println!(
            "  median {} s; listings per run: {listings:?}",
            shown[shown.len() / 2]
        );
    }
}

/// `BENCH_SCENARIO=school-pull`: the school pull (`sync::pull_all`, default concurrency) of a
/// school of 200 offerings x 30 students x 180 school days (about 1,080,000 records) served by
/// athena-sim with 20 ms latency per listing, into a fresh database with the school's roster.
/// In the same run: the time of one listing (one offering pulled into a fresh database, the
/// median of 5) and so the bound, offerings / concurrency x that time; `BENCH_RUNS` school pulls
/// (default 3, each into its own fresh database), their median and its ratio to the bound; and
/// the peak resident memory of the process (VmHWM), the sim's records included.
mod school_pull {
    use super::*;
    use rollbook_core::roster;
    use rollbook_core::sync::stop::Stop;
    use rollbook_core::sync::{self, PullAllOptions, DEFAULT_PULL_CONCURRENCY};

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    fn vm_hwm_mb() -> f64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }

    /// The `write_us` of every "listing saved" event (`save_listing`: one listing's write
    /// transaction), collected while a pull runs.
    #[derive(Clone, Default)]
    struct WriteTimes(Arc<std::sync::Mutex<Vec<u64>>>);

    impl WriteTimes {
        fn take(&self) -> Vec<f64> {
            let mut v = std::mem::take(&mut *self.0.lock().unwrap());
            v.sort_unstable();
            v.into_iter().map(|us| us as f64 / 1e3).collect()
        }
    }

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WriteTimes {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            struct Find(Option<u64>);
            impl tracing::field::Visit for Find {
                fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                    if field.name() == "write_us" {
                        self.0 = Some(value);
                    }
                }
                fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
            }
            let mut find = Find(None);
            event.record(&mut find);
            if let Some(us) = find.0 {
                self.0.lock().unwrap().push(us);
            }
        }
    }

    /// The `p` quantile of sorted values (nearest rank).
    fn quantile(sorted: &[f64], p: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        sorted[((sorted.len() - 1) as f64 * p).round() as usize]
    }

    fn fresh_store(dir: &std::path::Path, name: &str, roster_csv: &str) -> Store {
        let mut store = Store::open(&dir.join(name)).expect("db");
        roster::import_roster_csv(&mut store, roster_csv.as_bytes(), "roster.csv").expect("roster");
        store
    }

    pub fn run(full: bool) {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1") || !full;
        let (offerings, days) = if quick { (40, 20) } else { (200, 180) };
        let runs = env_usize("BENCH_RUNS", if quick { 1 } else { 3 }).max(1);
        let writes = WriteTimes::default();
        {
            use tracing_subscriber::layer::SubscriberExt;
            let subscriber = tracing_subscriber::registry().with(writes.clone());
            tracing::subscriber::set_global_default(subscriber).expect("subscriber");
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let sim = Sim::builder()
                .sized_school(11, offerings, 30)
                .history(athena_sim::today_utc(), days)
                .token(TOKEN, &["read:attendance", "read:students"])
                .faults(Faults::none().with_latency_ms(20).on_methods(false, true))
                .start()
                .await
                .expect("sim");
            let school = sim.sample().expect("school").clone();
            let roster_csv = school.roster_csv();
            let records = sim.record_count();
            let dir = tempfile::tempdir().expect("tempdir");
            let api = ApiClient::new(ApiConfig::new(
                BaseUrl::parse(&sim.base_url()).expect("url"),
            ))
            .expect("client");
            let tokens = TokenSource::fixed(TOKEN);

            let mut one = Vec::new();
            let mut scratch = fresh_store(dir.path(), "one.db", &roster_csv);
            for o in school.offerings.iter().take(5) {
                let id = Id::parse(&o.id.to_string()).expect("id");
                let t = Instant::now();
                sync::pull_offering(&mut scratch, &api, &tokens, &SystemClock, &id)
                    .await
                    .expect("one listing");
                one.push(t.elapsed().as_secs_f64());
            }
            drop(scratch);
            let one = median(one);
            let concurrency = DEFAULT_PULL_CONCURRENCY;
            let bound = offerings as f64 / concurrency as f64 * one;

            let mut times = Vec::new();
            let mut pulled = 0;
            writes.take();
            for run in 0..runs {
                let mut store = fresh_store(dir.path(), &format!("school-{run}.db"), &roster_csv);
                let t = Instant::now();
                let report = sync::pull_all(
                    &mut store,
                    &api,
                    &tokens,
                    &SystemClock,
                    PullAllOptions::default(),
                    &Stop::new().signal(),
                    &mut |_| {},
                )
                .await
                .expect("school pull");
                times.push(t.elapsed().as_secs_f64());
                assert_eq!(report.pulled as usize, offerings, "{:?}", report.failed);
                assert_eq!(report.records as usize, records);
                pulled = report.records;
                drop(store);
                let _ = std::fs::remove_file(dir.path().join(format!("school-{run}.db")));
            }
            let median_s = median(times.clone());
            let tx = writes.take();
            let tx_total: f64 = tx.iter().sum::<f64>() / 1e3;
            println!(
                "school pull: {offerings} offerings x 30 students x {days} school days = {pulled} \
                 records, 20 ms latency, concurrency {concurrency}: one listing (median of 5) \
                 {:.1} ms; bound {offerings} / {concurrency} x {:.1} ms = {:.2} s; pull_all \
                 (median of {runs}: {:?}) {:.2} s = {:.2}x the bound; peak memory (VmHWM, sim \
                 included) {:.0} MB; write transactions ({} listings, {runs} run(s)): p50 {:.1} \
                 ms, p90 {:.1} ms, max {:.1} ms, {:.2} s in all",
                one * 1e3,
                one * 1e3,
                bound,
                times.iter().map(|t| format!("{t:.2}")).collect::<Vec<_>>(),
                median_s,
                median_s / bound,
                vm_hwm_mb(),
                tx.len(),
                quantile(&tx, 0.5),
                quantile(&tx, 0.9),
                quantile(&tx, 1.0),
                tx_total,
            );
            sim.shutdown().await;
        });
    }
}
