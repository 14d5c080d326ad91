//! Shared fixtures: tokens, a pinned history date, a client, a valid payload, and requests that
//! answer a status or parsed JSON.

use athena_sim::{Sim, SimBuilder};
use chrono::NaiveDate;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// A token with every scope the client needs.
pub const WRITE: &str = "t-write";
/// A token that may only read attendance.
pub const READ_ONLY: &str = "t-read";
/// Pinned so every run preloads the same history.
pub const END_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2024, 3, 18) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A sample school with pinned history and the two standard tokens.
pub fn builder() -> SimBuilder {
    Sim::builder()
        .sample_school(7)
        .history(END_DATE, 60)
        .token(
            WRITE,
            &["write:attendance", "read:attendance", "read:students"],
        )
        .token(READ_ONLY, &["read:attendance"])
}

/// A sample school with no preloaded records.
pub async fn empty_sim() -> Sim {
    builder().empty_store().start().await.expect("sim starts")
}

/// A client that never goes through a proxy and never reuses a dropped connection by accident.
pub fn client() -> reqwest::Client {
    client_builder().build().expect("client builds")
}

/// [`client`]'s builder, for a client with settings of its own. reqwest builds its TLS with the
/// process's crypto provider (ring, as in Rollbook), installed here.
pub fn client_builder() -> reqwest::ClientBuilder {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy()
}

/// A valid POST body for the `i`-th enrollment of the sample school.
pub fn payload(sim: &Sim, i: usize, date: &str, status: &str) -> Value {
    let e = sim.enrollments()[i];
    let o = sim
        .sample()
        .expect("sample school")
        .offering(e.course_offering_id)
        .expect("offering");
    json!({
        "course_offering_id": e.course_offering_id,
        "teacher_assignment_id": o.teacher_assignment_id,
        "course_enrollment_id": e.id,
        "student_id": e.student_id,
        "attendance_date": date,
        "status": status,
    })
}

/// POSTs a body with a token.
pub async fn post(sim: &Sim, token: &str, body: &Value) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}/academic/attendance", sim.base_url()))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
}

/// GETs a path (with query) with a token.
pub async fn get(sim: &Sim, token: &str, path: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .get(format!("{}{path}", sim.base_url()))
        .bearer_auth(token)
        .send()
        .await
}

/// POSTs a body with a token and answers the status, leaving the body unread.
pub async fn post_status(sim: &Sim, token: &str, body: &Value) -> StatusCode {
    post(sim, token, body)
        .await
        .expect("POST answered")
        .status()
}

/// GETs a path with a token and answers the status, leaving the body unread.
pub async fn get_status(sim: &Sim, token: &str, path: &str) -> StatusCode {
    get(sim, token, path).await.expect("GET answered").status()
}

/// POSTs a body with a token and parses the answer, whatever its status, as JSON.
pub async fn post_json<T: DeserializeOwned>(sim: &Sim, token: &str, body: &Value) -> T {
    let resp = post(sim, token, body).await.expect("POST answered");
    resp.json().await.expect("the answer parses")
}

/// GETs a path with a token and parses the answer, whatever its status, as JSON.
pub async fn get_json<T: DeserializeOwned>(sim: &Sim, token: &str, path: &str) -> T {
    let resp = get(sim, token, path).await.expect("GET answered");
    resp.json().await.expect("the answer parses")
}
