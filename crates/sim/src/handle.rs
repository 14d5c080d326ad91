//! The handle tests use to observe and steer a running sim.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::{atomic::Ordering, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use uuid::Uuid;

use crate::auth::{grant, Tokens};
#[cfg(feature = "faults")]
use crate::faults::{FaultKind, FaultState, Faults};
use crate::model::{AttendanceRecord, NewAttendance, Student};
use crate::sample::{Enrollment, Offering, SampleSchool};
use crate::shared::Shared;
use crate::store::{ListFilter, Store};

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

/// Observes and steers a running sim; every method is synchronous and cheap.
#[derive(Debug, Clone)]
pub struct SimHandle {
    pub(crate) shared: Arc<Shared>,
    pub(crate) addr: SocketAddr,
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

    /// The default school (the sample school's id, or
    /// [`DEFAULT_SCHOOL_ID`](crate::DEFAULT_SCHOOL_ID)).
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
        let now = chrono::Utc::now();
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

    #[cfg(feature = "faults")]
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

    #[cfg(feature = "faults")]
    /// Replaces the fault configuration (and reseeds its draw).
    pub fn set_faults(&self, faults: Faults) {
        self.fault_state().set(faults);
    }

    #[cfg(feature = "faults")]
    /// The current fault configuration.
    pub fn faults(&self) -> Faults {
        self.fault_state().faults().clone()
    }

    #[cfg(feature = "faults")]
    /// Makes the next `n` faultable requests fail with `kind`, before any random draw.
    pub fn fail_next(&self, kind: FaultKind, n: usize) {
        self.fault_state().fail_next(kind, n);
    }

    #[cfg(feature = "faults")]
    /// Removes every fault: no latency, no probabilities, no queued failures.
    pub fn clear_faults(&self) {
        let mut state = self.fault_state();
        state.set(Faults::none());
        state.clear_queue();
    }

    #[cfg(feature = "faults")]
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

    /// Turns strict enrollment on or off (see
    /// [`SimBuilder::strict_enrollment`](crate::SimBuilder::strict_enrollment)).
    pub fn set_strict_enrollment(&self, on: bool) {
        self.shared.strict_enrollment.store(on, Ordering::SeqCst);
    }

    /// Refuses (422) every later POST for this student.
    pub fn reject_student(&self, student_id: Uuid) {
        self.shared
            .rejected_students
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(student_id);
    }

    /// Stops refusing POSTs for this student.
    pub fn accept_student(&self, student_id: Uuid) {
        self.shared
            .rejected_students
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&student_id);
    }

    /// Adds (or replaces) a student served by `GET /students/{id}`.
    pub fn add_student(&self, student: Student) {
        self.shared
            .students
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(student.id, student);
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.shared
            .store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    #[cfg(feature = "faults")]
    fn fault_state(&self) -> std::sync::MutexGuard<'_, FaultState> {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn tokens(&self) -> std::sync::RwLockWriteGuard<'_, Tokens> {
        self.shared
            .tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
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
