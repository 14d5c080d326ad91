//! Fixtures of the sync tests: athena-sim on 127.0.0.1:0 with its sample school, a database
//! file in a temp dir with that school's roster imported, and engines with millisecond backoff.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use athena_sim::{AttendanceRecord, Sim, SimBuilder};
use rollbook_core::clock::{Clock, SystemClock};
use rollbook_core::marks::{self, DateWindow, Origin};
use rollbook_core::roster;
use rollbook_core::secret::Secret;
use rollbook_core::store::Store;
use rollbook_core::sync::{
    ApiClient, ApiConfig, BaseUrl, Engine, EngineConfig, MemoryTokens, TokenSource,
};
use rollbook_core::{Day, Id, Status};

/// How long a test waits for something that must happen before calling it a failure. Only a
/// guard against hanging: tests never rely on anything taking less than this (CI runs them on
/// a loaded 2-core machine).
pub const GUARD: Duration = Duration::from_secs(60);

/// A token that may do everything the engine does. Long and unusual, so a leak is findable.
pub const TOKEN: &str = "tok-WRITE-3f9a1c7e5b2d4a6f8e0c";
pub const ALL_SCOPES: &[&str] = &["write:attendance", "read:attendance", "read:students"];
pub const DATE: &str = "2024-03-15";

pub fn day(s: &str) -> Day {
    Day::parse(s).expect("test date")
}

pub fn id(u: impl std::fmt::Display) -> Id {
    Id::parse(&u.to_string()).expect("test id")
}

/// Backoff, grace and debounce in milliseconds so tests run fast; seeded jitter.
pub fn fast() -> EngineConfig {
    EngineConfig {
        concurrency: 8,
        adaptive: true,
        backoff_base: Duration::from_millis(2),
        backoff_cap: Duration::from_millis(20),
        debounce: Duration::from_millis(30),
        reconcile_after: Duration::ZERO,
        idle_poll: Duration::from_millis(300),
        publish_every: Duration::ZERO,
        seed: Some(7),
        refresh_every: Duration::from_secs(600),
    }
}

pub fn sim_builder() -> SimBuilder {
    Sim::builder()
        .sample_school(7)
        .empty_store()
        .token(TOKEN, ALL_SCOPES)
}

pub struct Rig {
    pub sim: Sim,
    pub dir: tempfile::TempDir,
    /// The UI's connection (marks are recorded through it).
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub tokens: Arc<MemoryTokens>,
}

impl Rig {
    pub async fn start(builder: SimBuilder) -> Rig {
        Self::start_with_clock(builder, Arc::new(SystemClock)).await
    }

    pub async fn start_with_clock(builder: SimBuilder, clock: Arc<dyn Clock>) -> Rig {
        let sim = builder.start().await.expect("the sim starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut store = Store::open(&dir.path().join("rollbook.db")).expect("open db");
        let csv = sim.sample().expect("sample school").roster_csv();
        roster::import_roster_csv(&mut store, csv.as_bytes(), "roster.csv").expect("roster");
        let tokens = Arc::new(MemoryTokens::new(Secret::new(TOKEN)));
        Rig {
            sim,
            dir,
            store,
            clock,
            tokens,
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("rollbook.db")
    }

    pub fn api(&self) -> ApiClient {
        api_for(&self.sim.base_url())
    }

    pub fn token_source(&self) -> TokenSource {
        TokenSource::new(self.tokens.clone())
    }

    pub fn engine(&self) -> Engine {
        self.engine_with(fast())
    }

    pub fn engine_with(&self, config: EngineConfig) -> Engine {
        self.engine_using(self.api(), config)
    }

    /// An engine on this rig's database that talks through `api` instead of [`Rig::api`].
    pub fn engine_using(&self, api: ApiClient, config: EngineConfig) -> Engine {
        let store = Store::open(&self.db()).expect("engine db");
        Engine::new(store, api, self.token_source(), self.clock.clone(), config)
            .expect("engine starts")
    }

    /// The `i`-th offering of the sample school and the `s`-th student enrolled in it.
    pub fn pick(&self, offering: usize, student: usize) -> (Id, Id) {
        let o = &self.sim.offerings()[offering];
        let enrolled = self.sim.sample().expect("sample").enrollments_of(o.id);
        (id(o.id), id(enrolled[student].student_id))
    }

    /// Records a mark on `date` and returns its outbox item (if one was queued).
    pub fn mark_on(
        &mut self,
        offering: usize,
        student: usize,
        date: &str,
        status: Status,
    ) -> Option<i64> {
        let (o, s) = self.pick(offering, student);
        marks::record_mark(
            &mut self.store,
            &*self.clock,
            // The sample school's dates, whatever today is: not what these tests are about.
            DateWindow::new(day(date)).allow_outside(true),
            "teacher",
            Origin::Grid,
            &o,
            &s,
            day(date),
            status,
        )
        .expect("mark recorded")
        .outbox_id
    }

    pub fn mark(&mut self, offering: usize, student: usize, status: Status) -> Option<i64> {
        self.mark_on(offering, student, DATE, status)
    }

    /// (state, last_error, server_id, attempts) of an outbox item.
    pub fn item(&self, item: i64) -> (String, Option<String>, Option<String>, i64) {
        self.store
            .conn()
            .query_row(
                "SELECT state, last_error, server_id, attempts FROM outbox WHERE id = ?1",
                [item],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("outbox item")
    }

    pub fn state(&self, item: i64) -> String {
        self.item(item).0
    }

    /// Server records of one mark, oldest first.
    pub fn server_records(
        &self,
        offering: usize,
        student: usize,
        date: &str,
    ) -> Vec<AttendanceRecord> {
        let (o, s) = self.pick(offering, student);
        let mut list: Vec<AttendanceRecord> = self
            .sim
            .records()
            .into_iter()
            .filter(|r| {
                r.course_offering_id.to_string() == o.as_str()
                    && r.student_id.to_string() == s.as_str()
                    && athena_sim::format_date(r.attendance_date) == date
            })
            .collect();
        list.sort_by_key(|r| r.recorded_at);
        list
    }

    /// Waits until the sim has handled everything sent to it, once the clients that sent it are
    /// dropped: a request a killed engine left on the wire has then been stored (or not) for
    /// good. A crashed app restarts seconds later; without this a test would race the next
    /// engine against an abandoned request on a loaded machine.
    pub async fn wait_sim_idle(&self) {
        if let Err(busy) = self.sim.wait_idle(GUARD).await {
            panic!("the sim must finish the requests of a killed engine: {busy}");
        }
    }

    /// Simulates a crash mid-send: the item is left `sending`, as a kill would leave it.
    pub fn leave_sending(&self, item: i64) {
        self.store
            .conn()
            .execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1,
                        sent_at = '2024-03-15T08:00:00Z' WHERE id = ?1",
                [item],
            )
            .expect("leave sending");
    }
}

pub fn api_for(base: &str) -> ApiClient {
    let mut config = ApiConfig::new(BaseUrl::parse(base).expect("base url"));
    // Only a guard: a request that times out is abandoned on the wire, which no test wants by
    // accident.
    config.request_timeout = GUARD;
    ApiClient::new(config).expect("client")
}

/// A base URL where nothing listens (connection refused).
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}
