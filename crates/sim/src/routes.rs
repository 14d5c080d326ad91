//! The HTTP endpoints of the contract.
//!
//! - `POST /academic/attendance` → 201 with the stored record; 422
//!   `{"error":"validation_error","message":..,"fields":{field: reason}}` naming every bad field.
//! - `GET /academic/attendance[?student_id=..&course_offering_id=..]` → 200 bare JSON array,
//!   `attendance_date` descending then `recorded_at` descending; a malformed filter is 422.
//! - `GET /students/{id}` → 200 student, or 404 `{"error":"not_found",..}`.
//!
//! Errors are JSON `{"error": code, "message": text}`: 401 `unauthorized`, 403 `forbidden`,
//! 400 `bad_request`, 404 `not_found`, 422 `validation_error`.

// An early-return `Response` is axum's idiom; boxing it would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;
use std::sync::{atomic::Ordering, PoisonError};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::auth::{AuthError, CREATE_ATTENDANCE, LIST_ATTENDANCE, READ_STUDENT};
use crate::inject::{enter, enter_listing, leave, refused};
use crate::model::{parse_uuid, FieldErrors, NewAttendance, UUID_REASON};
use crate::shared::{ConnectionKill, InFlight, Shared};
use crate::store::ListFilter;

type AppState = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/academic/attendance",
            post(create_attendance).get(list_attendance),
        )
        .route("/students/{id}", get(get_student))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .layer(middleware::from_fn_with_state(shared.clone(), log_request))
        .with_state(shared)
}

/// Counts the request as in flight until it is answered or dropped; logs method, path (with
/// query), status and time taken. Never logs headers (the token).
async fn log_request(State(shared): AppState, req: Request, next: Next) -> Response {
    let _in_flight = InFlight::request(shared);
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let started = Instant::now();
    let response = next.run(req).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "error": code, "message": message }))).into_response()
}

fn validation(message: &str, fields: &FieldErrors) -> Response {
    let body = json!({ "error": "validation_error", "message": message, "fields": fields });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

fn auth_response(e: AuthError) -> Response {
    match e {
        AuthError::Unauthorized => error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing, unknown or revoked bearer token",
        ),
        AuthError::Forbidden(m) => error(StatusCode::FORBIDDEN, "forbidden", &m),
        AuthError::BadRequest(m) => error(StatusCode::BAD_REQUEST, "bad_request", &m),
    }
}

fn authorize(shared: &Shared, headers: &HeaderMap, scopes: &[&str]) -> Result<Uuid, Response> {
    shared
        .tokens
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .authorize(headers, scopes, shared.school_id)
        .map_err(auth_response)
}

async fn create_attendance(
    State(shared): AppState,
    kill: Option<Extension<ConnectionKill>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let kill = kill.as_ref().map(|Extension(k)| k);
    let after = match enter(&shared, &Method::POST, kill).await {
        Ok(after) => after,
        Err(response) => return response,
    };
    let response = match create(&shared, &headers, &body) {
        Ok(record) => {
            let school_id = record.school_id;
            return leave(
                after,
                kill,
                &shared,
                school_id,
                StatusCode::CREATED,
                &record,
            )
            .await;
        }
        Err(response) => response,
    };
    refused(after, kill, response).await
}

fn create(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<crate::model::AttendanceRecord, Response> {
    let school_id = authorize(shared, headers, CREATE_ATTENDANCE)?;
    let invalid = |field: &str, reason: &str| {
        let fields = FieldErrors::from([(field.to_string(), reason.to_string())]);
        validation("the attendance record is invalid", &fields)
    };
    let json: Value =
        serde_json::from_slice(body).map_err(|_| invalid("body", "must be a valid JSON object"))?;
    let new = NewAttendance::from_json(&json)
        .map_err(|fields| validation("the attendance record is invalid", &fields))?;
    if shared.is_rejected(new.student_id) {
        return Err(invalid(
            "student_id",
            "the school does not accept attendance for this student",
        ));
    }
    if shared.strict_enrollment() {
        let enrollment = shared
            .sample
            .as_ref()
            .and_then(|s| s.enrollment(new.course_offering_id, new.student_id));
        match enrollment {
            None => {
                return Err(invalid(
                    "student_id",
                    "is not enrolled in this course offering",
                ));
            }
            Some(e) if e.id != new.course_enrollment_id => {
                return Err(invalid(
                    "course_enrollment_id",
                    "is not this student's enrollment in this course offering",
                ));
            }
            Some(_) => {}
        }
    }
    let record = shared
        .store
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(Uuid::new_v4(), school_id, &new, chrono::Utc::now());
    Ok(record)
}

async fn list_attendance(
    State(shared): AppState,
    kill: Option<Extension<ConnectionKill>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    shared.lists.fetch_add(1, Ordering::SeqCst);
    let _listing = ListingInFlight::new(shared.clone());
    let kill = kill.as_ref().map(|Extension(k)| k);
    let target = params
        .iter()
        .find(|(k, _)| k == "course_offering_id")
        .and_then(|(_, v)| parse_uuid(v));
    let after = match enter_listing(&shared, &Method::GET, kill, target).await {
        Ok(after) => after,
        Err(response) => return response,
    };
    let school_id = match authorize(&shared, &headers, LIST_ATTENDANCE) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let mut filter = ListFilter::default();
    let mut fields = FieldErrors::new();
    for (key, value) in &params {
        let slot = match key.as_str() {
            "student_id" => &mut filter.student_id,
            "course_offering_id" => &mut filter.course_offering_id,
            _ => continue,
        };
        match parse_uuid(value) {
            Some(id) => *slot = Some(id),
            None => {
                fields.insert(key.clone(), UUID_REASON.to_string());
            }
        }
    }
    if !fields.is_empty() {
        return validation("invalid query parameters", &fields);
    }
    let records = shared.store_list(school_id, filter);
    leave(after, kill, &shared, school_id, StatusCode::OK, &records).await
}

/// Counts a listing while its handler runs (latency included) and keeps the most seen at once.
struct ListingInFlight(Arc<Shared>);

impl ListingInFlight {
    fn new(shared: Arc<Shared>) -> ListingInFlight {
        let now = shared.lists_in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.lists_in_flight_max.fetch_max(now, Ordering::SeqCst);
        ListingInFlight(shared)
    }
}

impl Drop for ListingInFlight {
    fn drop(&mut self) {
        self.0.lists_in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn get_student(
    State(shared): AppState,
    kill: Option<Extension<ConnectionKill>>,
    headers: HeaderMap,
    Path(raw_id): Path<String>,
) -> Response {
    let kill = kill.as_ref().map(|Extension(k)| k);
    let after = match enter(&shared, &Method::GET, kill).await {
        Ok(after) => after,
        Err(response) => return response,
    };
    let school_id = match authorize(&shared, &headers, READ_STUDENT) {
        Ok(id) => id,
        Err(response) => return response,
    };
    let Some(id) = parse_uuid(&raw_id) else {
        let fields = FieldErrors::from([("student_id".to_string(), UUID_REASON.to_string())]);
        return validation("invalid student id", &fields);
    };
    let student = shared
        .students
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
        .filter(|s| s.school_id == school_id)
        .cloned();
    match student {
        Some(student) => leave(after, kill, &shared, school_id, StatusCode::OK, &student).await,
        None => {
            let response = error(StatusCode::NOT_FOUND, "not_found", "no such student");
            refused(after, kill, response).await
        }
    }
}
