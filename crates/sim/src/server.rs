//! Starting the sim and its accept loop.
//!
//! Connections are served one task each with hyper's HTTP/1 server rather than `axum::serve`, so
//! that a handler can make its own connection close with no response at all (the drop faults):
//! the handler signals the connection task, which drops the connection future and the socket.

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use chrono::NaiveDate;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;
use uuid::Uuid;

use crate::auth::{grant, TokenGrant, Tokens};
#[cfg(feature = "faults")]
use crate::faults::{FaultState, Faults};
use crate::handle::SimHandle;
use crate::sample::{today_utc, SampleSchool, DEFAULT_SCHOOL_ID};
use crate::shared::{ConnectionKill, InFlight, Shared};
use crate::store::Store;

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

/// Configures and starts a [`Sim`]. Defaults: `127.0.0.1:0`, no sample school, empty store,
/// no tokens, no faults, strict enrollment off.
#[derive(Debug, Clone)]
pub struct SimBuilder {
    addr: SocketAddr,
    sample_seed: Option<u64>,
    /// (offerings, students per offering) of a school of that size instead of the sample one.
    size: Option<(usize, usize)>,
    history: Option<(Option<NaiveDate>, u32)>,
    tokens: Vec<(String, TokenGrant)>,
    #[cfg(feature = "faults")]
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
            #[cfg(feature = "faults")]
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
    pub fn history(mut self, end_date: NaiveDate, school_days: u32) -> Self {
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

    #[cfg(feature = "faults")]
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
            #[cfg(feature = "faults")]
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
