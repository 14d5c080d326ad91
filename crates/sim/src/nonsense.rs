//! The nonsense a faulty server answers with after doing the work asked of it: the faults
//! `wrong_types`, `huge_body`, `slow_drip` and `wrong_record` leave a POSTed record stored (a
//! GET had nothing to store) but make the answer useless to a careful client.
//!
//! | kind | a record (POST) | a list (GET) | a student (GET) |
//! | --- | --- | --- | --- |
//! | `wrong_types` | `id` 48151623, `teacher_assignment_id` null, `attendance_date` "yesterday", `status` 42, `recorded_at` a number | an array of such records; every second injection, and when there is nothing to list, an object `{"data": [..], "total": "n"}` instead of an array | `id` a number, `full_name` 42, `is_active` "yes" |
//! | `huge_body` | [`HUGE_BODY_BYTES`] of whitespace, then the real answer; streamed, no `Content-Length` | same | same |
//! | `slow_drip` | the real answer after whitespace, [`DRIP_BYTES`] bytes every [`DRIP_EVERY`]: two minutes at least | same | same |
//! | `wrong_record` | a valid record with a fresh id that is not the one sent: another status; every second injection, another student of the offering | the answer to another question: the school's records the filter leaves out, or, when there are none, one made-up record of an offering that does not exist | another student of the school |
//!
//! "Every second injection" counts the injections of that kind so far (see
//! [`crate::SimHandle::fault_count`]), so a run is reproducible.

use std::collections::HashSet;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::model::{AttendanceRecord, Status, Student};
use crate::shared::Shared;
use crate::store::ListFilter;

/// The whitespace a `huge_body` answer carries before the real one.
pub(crate) const HUGE_BODY_BYTES: usize = 96 << 20;
/// The size of each streamed piece of a `huge_body` answer.
const HUGE_CHUNK: usize = 64 << 10;
/// How many bytes of a `slow_drip` answer arrive at a time.
pub(crate) const DRIP_BYTES: usize = 4;
/// How long a `slow_drip` answer waits between two pieces.
pub(crate) const DRIP_EVERY: Duration = Duration::from_millis(100);
/// The least a `slow_drip` body weighs (whitespace first): 4 bytes every 100 ms make it last
/// two minutes.
const DRIP_MIN_BYTES: usize = 4800;

/// An answer of the API that the faults of this module can garble.
pub(crate) trait Garble: Serialize {
    /// Well-formed JSON of the wrong shape or types; `nth`: this kind's injection count.
    fn wrong_types(&self, nth: u64) -> Value;
    /// A valid answer that is not this one, for a caller of `school_id`.
    fn wrong_record(&self, shared: &Shared, school_id: Uuid, nth: u64) -> Value;
}

impl Garble for AttendanceRecord {
    fn wrong_types(&self, _nth: u64) -> Value {
        json!({
            "id": 48151623,
            "school_id": self.school_id,
            "course_offering_id": self.course_offering_id,
            "teacher_assignment_id": null,
            "course_enrollment_id": self.course_enrollment_id,
            "student_id": self.student_id,
            "attendance_date": "yesterday",
            "status": 42,
            "recorded_at": self.recorded_at.timestamp(),
        })
    }

    fn wrong_record(&self, shared: &Shared, _school_id: Uuid, nth: u64) -> Value {
        let mut other = self.clone();
        other.id = Uuid::new_v4();
        if nth % 2 == 1 {
            other.status = next_status(self.status);
        } else {
            let classmate = shared.sample.as_ref().and_then(|school| {
                school
                    .enrollments_of(self.course_offering_id)
                    .into_iter()
                    .find(|e| e.student_id != self.student_id)
            });
            match classmate {
                Some(e) => {
                    other.student_id = e.student_id;
                    other.course_enrollment_id = e.id;
                }
                None => {
                    other.student_id = Uuid::new_v4();
                    other.course_enrollment_id = Uuid::new_v4();
                }
            }
        }
        to_value(&other)
    }
}

impl Garble for Vec<AttendanceRecord> {
    fn wrong_types(&self, nth: u64) -> Value {
        if nth % 2 == 1 && !self.is_empty() {
            Value::Array(self.iter().map(|r| r.wrong_types(nth)).collect())
        } else {
            json!({ "data": self, "total": self.len().to_string() })
        }
    }

    fn wrong_record(&self, shared: &Shared, school_id: Uuid, nth: u64) -> Value {
        let asked: HashSet<Uuid> = self.iter().map(|r| r.id).collect();
        let mut others: Vec<AttendanceRecord> = shared
            .store_list(school_id, ListFilter::default())
            .into_iter()
            .filter(|r| !asked.contains(&r.id))
            .collect();
        if others.is_empty() {
            others.push(made_up_record(school_id, nth));
        }
        to_value(&others)
    }
}

impl Garble for Student {
    fn wrong_types(&self, _nth: u64) -> Value {
        json!({
            "id": 7,
            "school_id": self.school_id,
            "full_name": 42,
            "document_type": null,
            "document_number": 1234567,
            "is_active": "yes",
        })
    }

    fn wrong_record(&self, shared: &Shared, school_id: Uuid, _nth: u64) -> Value {
        let other = shared
            .sample
            .as_ref()
            .and_then(|school| {
                school
                    .students
                    .iter()
                    .find(|s| s.id != self.id && s.school_id == school_id)
                    .cloned()
            })
            .unwrap_or_else(|| Student {
                id: Uuid::new_v4(),
                full_name: "Otra Persona Distinta".into(),
                ..self.clone()
            });
        to_value(&other)
    }
}

/// A valid record no one stored, of an offering, student and enrollment that do not exist: it
/// answers no filter a client could send.
fn made_up_record(school_id: Uuid, nth: u64) -> AttendanceRecord {
    AttendanceRecord {
        id: Uuid::new_v4(),
        school_id,
        course_offering_id: Uuid::new_v4(),
        teacher_assignment_id: Uuid::new_v4(),
        course_enrollment_id: Uuid::new_v4(),
        student_id: Uuid::new_v4(),
        attendance_date: chrono::NaiveDate::from_ymd_opt(2024, 3, 15).unwrap_or_default(),
        status: Status::ALL[(nth % 4) as usize],
        recorded_at: chrono::Utc::now(),
    }
}

fn next_status(status: Status) -> Status {
    let at = Status::ALL.iter().position(|s| *s == status).unwrap_or(0);
    Status::ALL[(at + 1) % Status::ALL.len()]
}

/// The wire types here always serialize; `null` stands in should one ever not.
fn to_value<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// A 2xx of [`HUGE_BODY_BYTES`] of whitespace then `json_body`, streamed piece by piece (never
/// held whole in memory) with no `Content-Length`, so a client learns its size only by reading.
pub(crate) fn huge_response(status: StatusCode, json_body: Vec<u8>) -> Response {
    let padding = Bytes::from(vec![b' '; HUGE_CHUNK]);
    let pieces = (0..HUGE_BODY_BYTES / HUGE_CHUNK)
        .map(move |_| padding.clone())
        .chain(std::iter::once(Bytes::from(json_body)))
        .map(Ok::<_, Infallible>);
    streamed(status, Body::from_stream(stream::iter(pieces)))
}

/// A 2xx whose headers and first bytes leave at once and whose body (`json_body` after
/// whitespace) follows [`DRIP_BYTES`] at a time every [`DRIP_EVERY`], for two minutes at least.
pub(crate) fn drip_response(status: StatusCode, json_body: Vec<u8>) -> Response {
    let mut all = vec![b' '; DRIP_MIN_BYTES.saturating_sub(json_body.len())];
    all.extend_from_slice(&json_body);
    let all = Bytes::from(all);
    let pieces = stream::unfold(0usize, move |at| {
        let all = all.clone();
        async move {
            if at >= all.len() {
                return None;
            }
            if at > 0 {
                tokio::time::sleep(DRIP_EVERY).await;
            }
            let end = (at + DRIP_BYTES).min(all.len());
            Some((Ok::<_, Infallible>(all.slice(at..end)), end))
        }
    });
    streamed(status, Body::from_stream(pieces))
}

fn streamed(status: StatusCode, body: Body) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}
