//! The state the handlers and the handle share, the guards that count requests and connections
//! while they live, and the marker a handler closes its own connection with.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use tokio::sync::Notify;
use uuid::Uuid;

use crate::auth::Tokens;
#[cfg(feature = "faults")]
use crate::faults::FaultState;
use crate::model::{AttendanceRecord, Student};
use crate::sample::SampleSchool;
use crate::store::{ListFilter, Store};

/// State shared by the handlers and the handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) school_id: Uuid,
    pub(crate) sample: Option<SampleSchool>,
    pub(crate) store: Mutex<Store>,
    pub(crate) tokens: RwLock<Tokens>,
    #[cfg(feature = "faults")]
    pub(crate) faults: Mutex<FaultState>,
    pub(crate) students: RwLock<HashMap<Uuid, Student>>,
    pub(crate) strict_enrollment: AtomicBool,
    pub(crate) rejected_students: RwLock<HashSet<Uuid>>,
    /// Requests inside the router (counted by [`InFlight`] guards).
    pub(crate) in_flight: AtomicUsize,
    /// Accepted connections whose task has not ended.
    pub(crate) connections: AtomicUsize,
    /// `GET /academic/attendance` requests received, whatever their answer.
    pub(crate) lists: AtomicU64,
    /// `GET /academic/attendance` handlers running now, and the most ever running at once.
    pub(crate) lists_in_flight: AtomicUsize,
    pub(crate) lists_in_flight_max: AtomicUsize,
}

impl Shared {
    pub(crate) fn is_rejected(&self, student_id: Uuid) -> bool {
        self.rejected_students
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(&student_id)
    }

    pub(crate) fn strict_enrollment(&self) -> bool {
        self.strict_enrollment.load(Ordering::SeqCst)
    }

    pub(crate) fn store_list(&self, school_id: Uuid, filter: ListFilter) -> Vec<AttendanceRecord> {
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .list(school_id, filter)
    }
}

/// Counts one request or connection while it lives: incremented on creation, decremented on
/// drop, so a handler or connection dropped half-way (client gone, connection killed, server
/// stopped) is uncounted too.
pub(crate) struct InFlight(Arc<Shared>, fn(&Shared) -> &AtomicUsize);

impl InFlight {
    pub(crate) fn request(shared: Arc<Shared>) -> InFlight {
        Self::count(shared, |s| &s.in_flight)
    }

    pub(crate) fn connection(shared: Arc<Shared>) -> InFlight {
        Self::count(shared, |s| &s.connections)
    }

    fn count(shared: Arc<Shared>, counter: fn(&Shared) -> &AtomicUsize) -> InFlight {
        counter(&shared).fetch_add(1, Ordering::SeqCst);
        InFlight(shared, counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        (self.1)(&self.0).fetch_sub(1, Ordering::SeqCst);
    }
}

/// Inserted into every request: lets a handler close its own connection without a response
/// (only the drop faults do).
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "faults"), allow(dead_code))]
pub(crate) struct ConnectionKill(pub(crate) Arc<Notify>);
