//! `athena-sim`: a loopback server implementing the Athena attendance API contract
//! (`shared/athena-attendance-api.md`), for tests, benchmarks and the desktop app's demo mode.
//!
//! What it serves:
//! - `POST /academic/attendance` creates one record per call (no idempotency, no dedupe, like the
//!   real API) and answers 201 with it; `recorded_at` strictly increases, so "the newest
//!   `recorded_at` wins" picks one effective mark per (offering, student, date).
//! - `GET /academic/attendance` lists records (filters `student_id`, `course_offering_id`),
//!   newest `attendance_date` first, then newest `recorded_at`.
//! - `GET /students/{id}`.
//!
//! Bearer tokens with scopes and schools are registered in the sim ([`SimBuilder::token`],
//! [`SimHandle::add_token`]); faults ([`Faults`]) are injected per request, reproducibly.
//! [`SimHandle::wait_idle`] waits until every request it was sent (by a client since killed,
//! say) has been handled, so tests need no sleeps.
//!
//! ```no_run
//! # async fn demo() -> Result<(), athena_sim::SimError> {
//! use athena_sim::{FaultKind, Faults, Sim};
//! let sim = Sim::builder()
//!     .sample_school(42)
//!     .token("t-write", &["write:attendance", "read:attendance", "read:students"])
//!     .faults(Faults::parse("latency=20,500=0.1").expect("valid spec"))
//!     .start()
//!     .await?;
//! sim.fail_next(FaultKind::DropAfter, 1);
//! println!("{} has {} records", sim.base_url(), sim.record_count());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod auth;
#[cfg(feature = "faults")]
mod faults;
mod handle;
mod inject;
mod model;
#[cfg(feature = "faults")]
mod nonsense;
mod routes;
mod sample;
mod server;
mod shared;
mod store;

pub use auth::{TokenGrant, ALL_SCOPES, CREATE_ATTENDANCE, LIST_ATTENDANCE, READ_STUDENT};
#[cfg(feature = "faults")]
pub use faults::{FaultKind, FaultMethods, FaultSpecError, Faults, RetryAfter};
pub use handle::{SimHandle, StillBusy};
pub use model::{
    format_date, format_timestamp, parse_date, parse_timestamp, parse_uuid, AttendanceRecord,
    FieldErrors, NewAttendance, Status, Student,
};
pub use sample::{
    school_days_before, today_utc, Enrollment, Offering, SampleSchool, Teacher, DEFAULT_SCHOOL_ID,
    FRONT_DESK, ROSTER_HEADER,
};
pub use server::{Sim, SimBuilder, SimError};
pub use store::{sort_newest_first, ListFilter};
