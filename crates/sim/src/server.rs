//! Starting the sim, its accept loop, and the handle tests use to observe and steer it.
//!
//! Connections are served one task each with hyper's HTTP/1 server rather than `axum::serve`, so
//! that a handler can make its own connection close with no response at all (the drop faults):
//! the handler signals the connection task, which drops the connection future and the socket.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use time::Date;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;
use uuid::Uuid;

use crate::auth::{TokenGrant, Tokens};
use crate::faults::{FaultKind, FaultState, Faults};
use crate::model::{AttendanceRecord, NewAttendance, Student};
use crate::sample::{today_utc, Enrollment, Offering, SampleSchool, DEFAULT_SCHOOL_ID};
use crate::shared::{ConnectionKill, InFlight, Shared};
use crate::store::{ListFilter, Store};

/// Why the sim could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// `start` was polled outside a tokio runtime.
    #[error("athena-sim needs a tokio runtime: use start_on(handle) outside one")]
    NoRuntime,
}

/// [`SimHandle::wait_idle`] gave up: something was still open when its time ran out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "athena-sim still busy after {waited:?}: {in_flight} request(s) being handled, \
     {connections} connection(s) open{}",
    if *.accepting { "" } else { ", connections queued but not accepted yet" }
)]
pub struct StillBusy {
    /// How long it waited.
    pub waited: Duration,
    /// Requests inside a handler when it gave up.
    pub in_flight: usize,
    /// Connections open when it gave up.
    pub connections: usize,
    /// Whether the sim answered the probe: when not, connections may be waiting in the listen
    /// queue, where the counters cannot see them.
    pub accepting: bool,
}

/// Configures and starts a [`Sim`]. Defaults: `127.0.0.1:0`, no sample school, empty store,
/// no tokens, no faults, strict enrollment off.
#[derive(Debug, Clone)]
pub struct SimBuilder {
    addr: SocketAddr,
    sample_seed: Option<u64>,
    /// (offerings, students per offering) of a school of that size instead of the sample one.
    size: Option<(usize, usize)>,
    history: Option<(Option<Date>, u32)>,
    tokens: Vec<(String, TokenGrant)>,
    faults: Faults,
    strict_enrollment: bool,
    rejected_students: HashSet<Uuid>,
    untaken_rolls: usize,
}

impl Default for SimBuilder {
    fn default() -> Self {
        SimBuilder {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            sample_seed: None,
            size: None,
            history: Some((None, 60)),
            tokens: Vec::new(),
            faults: Faults::none(),
            strict_enrollment: false,
            rejected_students: HashSet::new(),
            untaken_rolls: 0,
        }
    }
}

impl SimBuilder {
    /// Loads the sample school generated from `seed`, with its history (see [`Self::history`]).
    pub fn sample_school(mut self, seed: u64) -> Self {
        self.sample_seed = Some(seed);
        self
    }

    /// Loads a school of `offerings` offerings (five subjects per group) of
    /// `students_per_offering` students each, generated from `seed`, instead of the sample
    /// school's few groups: the benchmarks' large school ([`SampleSchool::generate_sized`]).
    pub fn sized_school(
        mut self,
        seed: u64,
        offerings: usize,
        students_per_offering: usize,
    ) -> Self {
        self.sample_seed = Some(seed);
        self.size = Some((offerings, students_per_offering));
        self
    }

    /// Preloads the sample school's history for the `school_days` weekdays before `end_date`
    /// (default: 60 days before today, UTC). Pin the date for reproducible tests.
    pub fn history(mut self, end_date: Date, school_days: u32) -> Self {
        self.history = Some((Some(end_date), school_days));
        self
    }

    /// Leaves `n` rolls of the history's last ten school days untaken (no record for that
    /// offering and day): [`SampleSchool::untaken_rolls`] says which.
    pub fn untaken_rolls(mut self, n: usize) -> Self {
        self.untaken_rolls = n;
        self
    }

    /// Starts with no records even when the sample school is loaded.
    pub fn empty_store(mut self) -> Self {
        self.history = None;
        self
    }

    /// Registers a token of the default school with these scopes (e.g. `"write:attendance"`).
    pub fn token(self, token: &str, scopes: &[&str]) -> Self {
        self.token_for_schools(token, scopes, &[])
    }

    /// Registers a token that belongs to `schools` (empty: the default school).
    pub fn token_for_schools(mut self, token: &str, scopes: &[&str], schools: &[Uuid]) -> Self {
        self.tokens
            .push((token.to_string(), grant(scopes, schools)));
        self
    }

    /// Sets the initial faults.
    pub fn faults(mut self, faults: Faults) -> Self {
        self.faults = faults;
        self
    }

    /// Refuses (422) POSTs whose (offering, student) is not enrolled in the sample school, or
    /// whose `course_enrollment_id` is not that enrollment's. Off by default.
    pub fn strict_enrollment(mut self, on: bool) -> Self {
        self.strict_enrollment = on;
        self
    }

    /// Refuses (422) every POST for these students, so tests can produce a rejected mark.
    pub fn reject_students(mut self, students: impl IntoIterator<Item = Uuid>) -> Self {
        self.rejected_students.extend(students);
        self
    }

    /// Listens on `127.0.0.1:port` (0: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.addr.set_port(port);
        self
    }

    /// Listens on this address.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<Sim, SimError> {
        let rt = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
        self.start_on(&rt)
    }

    /// Binds and starts serving on `rt`; callable from synchronous code (e.g. a desktop app's
    /// demo mode with its own runtime).
    pub fn start_on(self, rt: &tokio::runtime::Handle) -> Result<Sim, SimError> {
        let (listener, addr) = bind(self.addr, rt)?;

        let size = self.size;
        let sample = self.sample_seed.map(|seed| match size {
            Some((offerings, students)) => SampleSchool::generate_sized(seed, offerings, students),
            None => SampleSchool::generate(seed),
        });
        let mut store = Store::default();
        if let (Some(school), Some((end, days))) = (&sample, self.history) {
            let end = end.unwrap_or_else(today_utc);
            let untaken = school.untaken_rolls(end, self.untaken_rolls);
            store.preload(
                school
                    .history(end, days)
                    .into_iter()
                    .filter(|r| !untaken.contains(&(r.course_offering_id, r.attendance_date))),
            );
        }
        let students = sample
            .iter()
            .flat_map(|s| s.students.iter().cloned())
            .map(|s| (s.id, s))
            .collect();
        let mut tokens = Tokens::default();
        for (token, grant) in self.tokens {
            tokens.insert(token, grant);
        }
        let shared = Arc::new(Shared {
            school_id: sample.as_ref().map_or(DEFAULT_SCHOOL_ID, |s| s.school_id),
            sample,
            store: Mutex::new(store),
            tokens: RwLock::new(tokens),
            faults: Mutex::new(FaultState::new(self.faults)),
            students: RwLock::new(students),
            strict_enrollment: AtomicBool::new(self.strict_enrollment),
            rejected_students: RwLock::new(self.rejected_students),
            in_flight: AtomicUsize::new(0),
            connections: AtomicUsize::new(0),
            lists: AtomicU64::new(0),
            lists_in_flight: AtomicUsize::new(0),
            lists_in_flight_max: AtomicUsize::new(0),
        });
        let router = crate::routes::router(shared.clone());
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = rt.spawn(accept_loop(listener, router, shutdown_rx, shared.clone()));
        tracing::info!(%addr, "athena-sim listening");
        Ok(Sim {
            handle: SimHandle { shared, addr },
            shutdown_tx,
            task: Some(task),
        })
    }
}

fn grant(scopes: &[&str], schools: &[Uuid]) -> TokenGrant {
    TokenGrant {
        scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
        schools: schools.to_vec(),
    }
}

/// A running sim. Dereferences to its [`SimHandle`]; dropping it stops the server.
#[derive(Debug)]
pub struct Sim {
    handle: SimHandle,
    shutdown_tx: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Sim {
    /// A builder with the defaults of [`SimBuilder`].
    pub fn builder() -> SimBuilder {
        SimBuilder::default()
    }

    /// A cloneable handle to observe and steer the running sim.
    pub fn handle(&self) -> SimHandle {
        self.handle.clone()
    }

    /// Stops accepting, lets in-flight requests finish (up to 5 s), and waits for the server.
    pub async fn shutdown(mut self) {
        self.stop_listening().await;
    }

    /// Stops serving as [`Self::shutdown`] does (connections are refused from then on) but keeps
    /// the records, tokens and faults, so [`Self::listen_again`] brings the same server back:
    /// a server that goes away and returns without losing what it stored.
    pub async fn stop_listening(&mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Serves again on the same address after [`Self::stop_listening`] (nothing happens while
    /// it is listening).
    pub fn listen_again(&mut self, rt: &tokio::runtime::Handle) -> Result<(), SimError> {
        if self.task.is_some() {
            return Ok(());
        }
        let listener = bind(self.handle.addr, rt)?.0;
        let router = crate::routes::router(self.handle.shared.clone());
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        self.shutdown_tx = shutdown_tx;
        self.task = Some(rt.spawn(accept_loop(
            listener,
            router,
            shutdown_rx,
            self.handle.shared.clone(),
        )));
        tracing::info!(addr = %self.handle.addr, "athena-sim listening again");
        Ok(())
    }
}

/// A listener on `addr` registered with `rt`'s reactor, and the address it got.
fn bind(
    addr: SocketAddr,
    rt: &tokio::runtime::Handle,
) -> Result<(TcpListener, SocketAddr), SimError> {
    let bind_err = |source| SimError::Bind { addr, source };
    let std_listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
    std_listener.set_nonblocking(true).map_err(bind_err)?;
    let bound = std_listener.local_addr().map_err(bind_err)?;
    let _guard = rt.enter();
    let listener = TcpListener::from_std(std_listener).map_err(bind_err)?;
    Ok((listener, bound))
}

impl Deref for Sim {
    type Target = SimHandle;

    fn deref(&self) -> &SimHandle {
        &self.handle
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.shutdown_tx.send(true);
    }
}

/// Observes and steers a running sim; every method is synchronous and cheap.
#[derive(Debug, Clone)]
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl SimHandle {
    /// `http://<ip>:<port>`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The default school (the sample school's id, or [`DEFAULT_SCHOOL_ID`]).
    pub fn school_id(&self) -> Uuid {
        self.shared.school_id
    }

    /// The sample school, if loaded.
    pub fn sample(&self) -> Option<&SampleSchool> {
        self.shared.sample.as_ref()
    }

    /// The sample school's offerings (empty without it).
    pub fn offerings(&self) -> &[Offering] {
        self.sample().map_or(&[], |s| &s.offerings)
    }

    /// The sample school's students (empty without it).
    pub fn students(&self) -> &[Student] {
        self.sample().map_or(&[], |s| &s.students)
    }

    /// The sample school's enrollments (empty without it).
    pub fn enrollments(&self) -> &[Enrollment] {
        self.sample().map_or(&[], |s| &s.enrollments)
    }

    /// A snapshot of every stored record, in insertion order (preloaded history first).
    pub fn records(&self) -> Vec<AttendanceRecord> {
        self.store().all()
    }

    /// Stores a record in the default school as another writer of the school would POST it
    /// (a check-in kiosk, a co-teacher, the teacher's other device): counted as a POST, given a
    /// new id and the next `recorded_at`. No fault applies; nothing is checked.
    pub fn add_record(&self, new: &NewAttendance) -> AttendanceRecord {
        let id = Uuid::new_v4();
        let now = time::OffsetDateTime::now_utc();
        self.store().insert(id, self.shared.school_id, new, now)
    }

    /// What `GET /academic/attendance` would list for the default school.
    pub fn list(&self, filter: ListFilter) -> Vec<AttendanceRecord> {
        self.store().list(self.shared.school_id, filter)
    }

    /// Number of stored records, preloaded history included.
    pub fn record_count(&self) -> usize {
        self.store().len()
    }

    /// Number of POSTs that stored a record (those later dropped or garbled included).
    pub fn post_count(&self) -> u64 {
        self.store().posts_accepted()
    }

    /// Number of `GET /academic/attendance` requests received (faulted ones included).
    pub fn list_count(&self) -> u64 {
        self.shared.lists.load(Ordering::SeqCst)
    }

    /// The most `GET /academic/attendance` requests ever handled at once (from the moment each
    /// arrives, its latency included, until it is answered or dropped).
    pub fn max_lists_in_flight(&self) -> usize {
        self.shared.lists_in_flight_max.load(Ordering::SeqCst)
    }

    /// Makes the next `n` listings of one offering (`?course_offering_id=`) fail with `kind`,
    /// whatever methods the faults apply to; other offerings' listings are not touched.
    pub fn fail_listings_of(&self, offering: Uuid, kind: FaultKind, n: usize) {
        self.fault_state().fail_listings_of(offering, kind, n);
    }

    /// Removes a stored record, as the school's administrators may in Athena itself (the API
    /// has no delete): the next listings leave it out. Returns whether it was stored.
    pub fn remove_record(&self, id: Uuid) -> bool {
        self.store().remove(id)
    }

    /// Replaces the fault configuration (and reseeds its draw).
    pub fn set_faults(&self, faults: Faults) {
        self.fault_state().set(faults);
    }

    /// The current fault configuration.
    pub fn faults(&self) -> Faults {
        self.fault_state().faults().clone()
    }

    /// Makes the next `n` faultable requests fail with `kind`, before any random draw.
    pub fn fail_next(&self, kind: FaultKind, n: usize) {
        self.fault_state().fail_next(kind, n);
    }

    /// Removes every fault: no latency, no probabilities, no queued failures.
    pub fn clear_faults(&self) {
        let mut state = self.fault_state();
        state.set(Faults::none());
        state.clear_queue();
    }

    /// How many times `kind` has been injected so far.
    pub fn fault_count(&self, kind: FaultKind) -> u64 {
        self.fault_state().injected(kind)
    }

    /// Requests being handled now: from the moment the router gets one until its handler
    /// finishes or is dropped (its client went away, its connection was killed).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Connections accepted and not yet closed (idle keep-alive connections included).
    pub fn open_connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Waits until the sim is done with everything sent to it so far: no connection open and no
    /// request in flight, so whatever an abandoned request was going to store is stored. Tests
    /// call it after killing a client mid-request (every client must be dropped first: an idle
    /// keep-alive connection counts as open), before checking the store or starting the next
    /// client, instead of hoping a sleep or a grace period is long enough.
    ///
    /// Connections the OS has queued but the sim has not accepted yet are not counted, so first
    /// a probe request goes through the same listen queue (accepted in order) and is answered:
    /// by then every earlier connection is counted. `within` only bounds the wait.
    pub async fn wait_idle(&self, within: Duration) -> Result<(), StillBusy> {
        let started = tokio::time::Instant::now();
        let deadline = started + within;
        let accepting = tokio::time::timeout_at(deadline, probe(self.addr))
            .await
            .is_ok();
        loop {
            let (in_flight, connections) = (self.in_flight(), self.open_connections());
            if accepting && in_flight == 0 && connections == 0 {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StillBusy {
                    waited: started.elapsed(),
                    in_flight,
                    connections,
                    accepting,
                });
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Registers (or replaces) a token of the default school.
    pub fn add_token(&self, token: &str, scopes: &[&str]) {
        self.add_token_for_schools(token, scopes, &[]);
    }

    /// Registers (or replaces) a token that belongs to `schools`.
    pub fn add_token_for_schools(&self, token: &str, scopes: &[&str], schools: &[Uuid]) {
        self.tokens()
            .insert(token.to_string(), grant(scopes, schools));
    }

    /// Revokes a token; later requests with it get 401. Returns whether it was registered.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.tokens().remove(token)
    }

    /// Turns strict enrollment on or off (see [`SimBuilder::strict_enrollment`]).
    pub fn set_strict_enrollment(&self, on: bool) {
        self.shared.strict_enrollment.store(on, Ordering::SeqCst);
    }

    /// Refuses (422) every later POST for this student.
    pub fn reject_student(&self, student_id: Uuid) {
        self.shared
            .rejected_students
            .write()
            .expect("rejected lock poisoned")
            .insert(student_id);
    }

    /// Stops refusing POSTs for this student.
    pub fn accept_student(&self, student_id: Uuid) {
        self.shared
            .rejected_students
            .write()
            .expect("rejected lock poisoned")
            .remove(&student_id);
    }

    /// Adds (or replaces) a student served by `GET /students/{id}`.
    pub fn add_student(&self, student: Student) {
        self.shared
            .students
            .write()
            .expect("students lock poisoned")
            .insert(student.id, student);
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.shared.store.lock().expect("store lock poisoned")
    }

    fn fault_state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.shared.faults.lock().expect("faults lock poisoned")
    }

    fn tokens(&self) -> std::sync::RwLockWriteGuard<'_, Tokens> {
        self.shared.tokens.write().expect("tokens lock poisoned")
    }
}

/// One request on a fresh connection, answered and closed: the sim has accepted it, so it has
/// accepted every connection queued before it. The path is no endpoint, so the 404 fallback
/// answers it, with no fault or latency. Returns at once when the connection is refused (the sim
/// is not listening: then nothing is queued either).
async fn probe(addr: SocketAddr) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return;
    };
    let request = "GET /_sim/probe HTTP/1.1\r\nHost: athena-sim\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).await.is_err() {
        return;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    shared: Arc<Shared>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Counted as soon as accepted, before its task first runs.
                    let open = InFlight::connection(shared.clone());
                    let serve = serve_connection(stream, router.clone(), shutdown.clone());
                    connections.spawn(async move {
                        let _open = open;
                        serve.await;
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, router: Router, mut shutdown: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let marker = ConnectionKill(kill.clone());
    let service = router.map_request(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(marker.clone());
        req
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    let mut draining = *shutdown.borrow();
    if draining {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            // Dropping the connection future closes the socket: the client gets no response.
            _ = kill.notified() => return,
            _ = shutdown.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
