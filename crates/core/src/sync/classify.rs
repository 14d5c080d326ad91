//! What an answer means: every outcome of a request sorted into a small set of classes, by a
//! pure function so the table of cases is tested directly.
//!
//! | answer                                         | POST             | GET          |
//! |------------------------------------------------|------------------|--------------|
//! | connect refused / DNS / TLS / connect timeout  | Transient        | Unavailable  |
//! | timeout, reset after sending, cut-off body     | Ambiguous        | Unavailable  |
//! | 5xx except 503; 1xx/3xx; 2xx not the record    | Ambiguous        | Unavailable  |
//! | 408                                            | Transient        | Unavailable  |
//! | 429, 503 (+ `Retry-After` seconds or date)     | Throttled        | Throttled    |
//! | 401                                            | Blocked(auth)    | Blocked      |
//! | 403                                            | Blocked(perm.)   | Forbidden    |
//! | 400 about the school, no school id set         | Blocked(school)  | Blocked      |
//! | other 4xx (400, 404, 409, 422, ...)            | Rejected(reason) | Failed       |
//! | 2xx with a valid record matching what was sent | Created          | Ok           |
//!
//! A token of several schools must send `X-School-Id` or every request is a 400; without a
//! school id set, a 400 whose body mentions the school is that, not a fault of the record, so
//! it stops the queue instead of refusing every item. With one set, a 400 is about the record.

use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use crate::sync::api::{Exchange, FailStage};
use crate::sync::record::{parse_record, Attendance, ServerRecord};
use crate::sync::status::{BlockReason, Blocked};

/// The longest pause a `Retry-After` can impose (a bogus header must not park the queue).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// The longest server reason kept with a rejected item.
pub const MAX_REASON_CHARS: usize = 500;

/// The class of a POST's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum PostOutcome {
    /// The server stored the record and said so.
    Created(ServerRecord),
    /// Nothing was sent (or the server did not start on it): send again after a backoff.
    Transient(String),
    /// It may or may not have been stored: reconcile before any re-send.
    Ambiguous(String),
    /// The server asks the whole queue to wait; `wait` from `Retry-After` when it gave one.
    Throttled {
        wait: Option<Duration>,
        message: String,
    },
    /// The whole queue stops until the user acts (new token, other permissions).
    Blocked(Blocked),
    /// The server refused this record; the reason is kept and other items go on.
    Rejected(String),
}

impl PostOutcome {
    /// Whether this answer stops the whole queue: no other POST leaves before it is written
    /// down (offline, a wait asked for, a token or school problem the user must fix). The one
    /// place this is decided; the engine asks it of each answer as it comes back.
    pub fn stops_queue(&self) -> bool {
        match self {
            PostOutcome::Transient(_) | PostOutcome::Throttled { .. } | PostOutcome::Blocked(_) => {
                true
            }
            PostOutcome::Created(_) | PostOutcome::Ambiguous(_) | PostOutcome::Rejected(_) => false,
        }
    }
}

/// The class of a GET's outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadOutcome<T> {
    Ok(T),
    /// The network or the server failed: try later (a GET is safe to repeat).
    Unavailable(String),
    Throttled {
        wait: Option<Duration>,
        message: String,
    },
    /// 401: the token is refused.
    Blocked(Blocked),
    /// 403: the token may not read this.
    Forbidden(String),
    /// 404.
    NotFound(String),
    /// Any other refusal, or an answer that is not what was asked for.
    Failed(String),
}

pub fn auth_blocked(detail: &str) -> Blocked {
    Blocked {
        reason: BlockReason::Auth,
        message: format!("the server refused the token ({detail}): sign in again"),
    }
}

/// The message of [`BlockReason::School`].
pub const SCHOOL_BLOCKED: &str = "this account belongs to several schools: set the school id \
     (rollbook-cli login --school-id ID, or Settings)";

pub fn school_blocked() -> Blocked {
    Blocked {
        reason: BlockReason::School,
        message: SCHOOL_BLOCKED.into(),
    }
}

/// A 400 that asks for a school id (its body mentions the school: the `X-School-Id` header, or
/// "school"), when none was sent.
fn wants_school_id(status: u16, body: &Result<Vec<u8>, String>, school_id_set: bool) -> bool {
    status == 400
        && !school_id_set
        && body
            .as_ref()
            .is_ok_and(|b| String::from_utf8_lossy(b).to_lowercase().contains("school"))
}

pub fn permission_blocked(detail: &str) -> Blocked {
    Blocked {
        reason: BlockReason::Permission,
        message: format!(
            "the token may not record attendance ({detail}); it is probably read-only: \
             sign in with a token that has write:attendance"
        ),
    }
}

/// Classifies the answer to a POST of `sent`; `school_id_set`: whether it carried `X-School-Id`.
pub fn classify_post(
    ex: &Exchange,
    sent: &Attendance,
    now: DateTime<Utc>,
    school_id_set: bool,
) -> PostOutcome {
    let (status, retry_after, date, body) = match ex {
        Exchange::Failed {
            stage: FailStage::Connect,
            message,
        } => return PostOutcome::Transient(format!("could not connect: {message}")),
        Exchange::Failed {
            stage: FailStage::Timeout,
            message,
        } => return PostOutcome::Ambiguous(format!("no answer in time: {message}")),
        Exchange::Failed {
            stage: FailStage::Other,
            message,
        } => {
            return PostOutcome::Ambiguous(format!(
                "the connection failed after sending: {message}"
            ))
        }
        Exchange::Answered {
            status,
            retry_after,
            date,
            body,
        } => (*status, retry_after, date, body),
    };
    let reason = || server_reason(status, body);
    match status {
        200..=299 => match body {
            Err(e) => PostOutcome::Ambiguous(format!("HTTP {status} but {e}")),
            Ok(bytes) => match parse_record(bytes) {
                Ok(record) if record.fields == *sent => PostOutcome::Created(record),
                Ok(record) => PostOutcome::Ambiguous(format!(
                    "HTTP {status} with a record that is not the one sent (id {}: {})",
                    record.id,
                    differences(sent, &record.fields)
                )),
                Err(e) => PostOutcome::Ambiguous(format!("HTTP {status} but {e}")),
            },
        },
        401 => PostOutcome::Blocked(auth_blocked(&reason())),
        403 => PostOutcome::Blocked(permission_blocked(&reason())),
        400 if wants_school_id(status, body, school_id_set) => {
            PostOutcome::Blocked(school_blocked())
        }
        408 => PostOutcome::Transient(reason()),
        429 | 503 => PostOutcome::Throttled {
            wait: retry_after
                .as_deref()
                .and_then(|v| retry_after_wait(v, date.as_deref(), now)),
            message: reason(),
        },
        400..=499 => PostOutcome::Rejected(reason()),
        _ => PostOutcome::Ambiguous(reason()),
    }
}

/// Which of the six fields differ between what was sent and what came back, in words.
fn differences(sent: &Attendance, got: &Attendance) -> String {
    sent.by_name()
        .into_iter()
        .zip(got.by_name())
        .filter(|((_, ours), (_, theirs))| ours != theirs)
        .map(|((name, ours), (_, theirs))| format!("{name} {theirs}, not {ours}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Classifies the answer to a GET, parsing a 2xx body with `parse`; `school_id_set`: whether it
/// carried `X-School-Id`.
pub fn classify_read<T>(
    ex: &Exchange,
    now: DateTime<Utc>,
    school_id_set: bool,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> ReadOutcome<T> {
    let (status, retry_after, date, body) = match ex {
        Exchange::Failed { message, .. } => return ReadOutcome::Unavailable(message.clone()),
        Exchange::Answered {
            status,
            retry_after,
            date,
            body,
        } => (*status, retry_after, date, body),
    };
    let reason = || server_reason(status, body);
    match status {
        200..=299 => match body {
            Err(e) => ReadOutcome::Unavailable(format!("HTTP {status} but {e}")),
            Ok(bytes) => match parse(bytes) {
                Ok(value) => ReadOutcome::Ok(value),
                Err(e) => ReadOutcome::Unavailable(format!("HTTP {status} but {e}")),
            },
        },
        401 => ReadOutcome::Blocked(auth_blocked(&reason())),
        403 => ReadOutcome::Forbidden(reason()),
        400 if wants_school_id(status, body, school_id_set) => {
            ReadOutcome::Blocked(school_blocked())
        }
        404 => ReadOutcome::NotFound(reason()),
        408 => ReadOutcome::Unavailable(reason()),
        429 | 503 => ReadOutcome::Throttled {
            wait: retry_after
                .as_deref()
                .and_then(|v| retry_after_wait(v, date.as_deref(), now)),
            message: reason(),
        },
        400..=499 => ReadOutcome::Failed(reason()),
        _ => ReadOutcome::Unavailable(reason()),
    }
}

/// How long `Retry-After` asks to wait: delta seconds, or an HTTP date measured against the
/// answer's own `Date` header when present (so a wrong local clock does not matter), else `now`.
/// Capped at [`MAX_RETRY_AFTER`]; `None` when unreadable.
pub fn retry_after_wait(value: &str, date: Option<&str>, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let reference = date
        .and_then(|d| httpdate::parse_http_date(d).ok())
        .unwrap_or_else(|| SystemTime::from(now));
    let wait = at.duration_since(reference).unwrap_or(Duration::ZERO);
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The server's reason in words: `message` and per-field reasons of a JSON error body, else the
/// start of the body as text; always prefixed with the HTTP status; at most
/// [`MAX_REASON_CHARS`] characters.
pub fn server_reason(status: u16, body: &Result<Vec<u8>, String>) -> String {
    let head = format!("HTTP {status}");
    let detail = match body {
        Err(e) => e.clone(),
        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => json_reason(&v),
            Err(_) => String::from_utf8_lossy(bytes).trim().to_string(),
        },
    };
    let detail: String = detail
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>();
    let text = if detail.trim().is_empty() {
        head
    } else {
        format!("{head}: {}", detail.trim())
    };
    truncate(&text, MAX_REASON_CHARS)
}

fn json_reason(v: &serde_json::Value) -> String {
    let text = |key: &str| v.get(key).and_then(|m| m.as_str()).map(str::to_string);
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = text("message")
        .or_else(|| text("detail"))
        .or_else(|| text("error"))
    {
        parts.push(m);
    }
    let fields = v.get("fields").or_else(|| v.get("errors"));
    if let Some(obj) = fields.and_then(|f| f.as_object()) {
        let list: Vec<String> = obj
            .iter()
            .map(|(k, why)| match why.as_str() {
                Some(s) => format!("{k}: {s}"),
                None => format!("{k}: {why}"),
            })
            .collect();
        if !list.is_empty() {
            parts.push(list.join("; "));
        }
    }
    if parts.is_empty() {
        v.to_string()
    } else {
        parts.join(" — ")
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Day, Id, Status};
    use rstest::rstest;

    /// 2024-03-15T08:30:00Z.
    const NOW: DateTime<Utc> = match DateTime::from_timestamp(1_710_491_400, 0) {
        Some(t) => t,
        None => DateTime::UNIX_EPOCH,
    };

    fn sent() -> Attendance {
        let id = |s: &str| Id::parse(s).unwrap();
        Attendance {
            offering_id: id("a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"),
            teacher_assignment_id: id("b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"),
            enrollment_id: id("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f"),
            student_id: id("d4e5f6a7-b8c9-4d0e-a1b2-c3d4e5f6a7b8"),
            date: Day::parse("2024-03-15").unwrap(),
            status: Status::Present,
        }
    }

    fn record_json(status: &str) -> Vec<u8> {
        let mut v = serde_json::to_value(sent()).unwrap();
        v["id"] = "e5f6a7b8-c9d0-4e1f-b2c3-d4e5f6a7b8c9".into();
        v["school_id"] = "7c9e6679-7425-40de-944b-e07fc1f90ae7".into();
        v["status"] = status.into();
        v["recorded_at"] = "2024-03-15T08:30:00.123456Z".into();
        serde_json::to_vec(&v).unwrap()
    }

    fn answer(status: u16, body: &[u8]) -> Exchange {
        Exchange::Answered {
            status,
            retry_after: None,
            date: None,
            body: Ok(body.to_vec()),
        }
    }

    fn kind(o: &PostOutcome) -> &'static str {
        match o {
            PostOutcome::Created(_) => "created",
            PostOutcome::Transient(_) => "transient",
            PostOutcome::Ambiguous(_) => "ambiguous",
            PostOutcome::Throttled { .. } => "throttled",
            PostOutcome::Blocked(b) => match b.reason {
                BlockReason::Auth => "blocked-auth",
                BlockReason::Permission => "blocked-permission",
                BlockReason::School => "blocked-school",
            },
            PostOutcome::Rejected(_) => "rejected",
        }
    }

    fn failed(stage: FailStage) -> Exchange {
        Exchange::Failed {
            stage,
            message: "x".into(),
        }
    }

    #[rstest]
    #[case::refused(failed(FailStage::Connect), "transient")]
    #[case::timeout(failed(FailStage::Timeout), "ambiguous")]
    #[case::reset(failed(FailStage::Other), "ambiguous")]
    #[case::created(answer(201, &record_json("present")), "created")]
    #[case::ok_200(answer(200, &record_json("present")), "created")]
    #[case::other_record(answer(201, &record_json("absent")), "ambiguous")]
    #[case::garbage(answer(201, b"{\"id\": \"e5f6a7b8-c9d0"), "ambiguous")]
    #[case::html_200(answer(200, b"<html>portal</html>"), "ambiguous")]
    #[case::empty_204(answer(204, b""), "ambiguous")]
    #[case::cut_off(Exchange::Answered { status: 201, retry_after: None, date: None,
        body: Err("cut off".into()) }, "ambiguous")]
    #[case::e500(answer(500, b"{}"), "ambiguous")]
    #[case::e502(answer(502, b"<html>bad gateway</html>"), "ambiguous")]
    #[case::e504(answer(504, b""), "ambiguous")]
    #[case::e503(answer(503, b""), "throttled")]
    #[case::e429(answer(429, b""), "throttled")]
    #[case::e401(answer(401, b""), "blocked-auth")]
    #[case::e403(answer(403, b""), "blocked-permission")]
    #[case::e400(answer(400, b""), "rejected")]
    #[case::e404(answer(404, b""), "rejected")]
    #[case::e409(answer(409, b""), "rejected")]
    #[case::e422(answer(422, b"{}"), "rejected")]
    #[case::e408(answer(408, b""), "transient")]
    #[case::redirect(answer(302, b""), "ambiguous")]
    fn post_outcomes(#[case] ex: Exchange, #[case] want: &str) {
        assert_eq!(kind(&classify_post(&ex, &sent(), NOW, false)), want);
    }

    /// Which answers stop the whole queue before another POST leaves: every one the user or
    /// time must fix, none that is about one record.
    #[rstest]
    #[case::offline(failed(FailStage::Connect), false, true)]
    #[case::timeout(failed(FailStage::Timeout), false, false)]
    #[case::reset(failed(FailStage::Other), false, false)]
    #[case::created(answer(201, &record_json("present")), false, false)]
    #[case::e500(answer(500, b"{}"), false, false)]
    #[case::e408(answer(408, b""), false, true)]
    #[case::e429(answer(429, b""), false, true)]
    #[case::e503(answer(503, b""), false, true)]
    #[case::e401(answer(401, b""), false, true)]
    #[case::e403(answer(403, b""), false, true)]
    #[case::school_asked(answer(400, b"{\"error\": \"X-School-Id required\"}"), false, true)]
    #[case::school_sent(answer(400, b"{\"error\": \"X-School-Id required\"}"), true, false)]
    #[case::e400(answer(400, b"{\"error\": \"bad date\"}"), false, false)]
    #[case::e422(answer(422, b"{}"), false, false)]
    fn answers_that_stop_the_queue(
        #[case] ex: Exchange,
        #[case] school_id_set: bool,
        #[case] stops: bool,
    ) {
        let outcome = classify_post(&ex, &sent(), NOW, school_id_set);
        assert_eq!(outcome.stops_queue(), stops, "{}", kind(&outcome));
    }

    #[test]
    fn a_record_that_is_not_the_one_sent_is_named_by_its_differences() {
        match classify_post(&answer(201, &record_json("absent")), &sent(), NOW, false) {
            PostOutcome::Ambiguous(why) => {
                assert!(why.contains("not the one sent"), "{why}");
                assert!(why.contains("status absent, not present"), "{why}");
                assert!(!why.contains("student_id"), "only what differs: {why}");
            }
            other => panic!("{other:?}"),
        }
    }

    const SEVERAL_SCHOOLS: &[u8] = br#"{"error":"bad_request",
        "message":"the token belongs to several schools: send X-School-Id"}"#;

    #[rstest]
    #[case::several_schools(SEVERAL_SCHOOLS, false, "blocked-school")]
    #[case::any_wording(b"Missing SCHOOL header", false, "blocked-school")]
    #[case::school_id_was_sent(SEVERAL_SCHOOLS, true, "rejected")]
    #[case::not_about_the_school(br#"{"message":"bad date"}"#, false, "rejected")]
    #[case::empty(b"", false, "rejected")]
    fn a_400_about_the_school_blocks_only_without_a_school_id(
        #[case] body: &[u8],
        #[case] school_id_set: bool,
        #[case] want: &str,
    ) {
        let ex = answer(400, body);
        assert_eq!(
            kind(&classify_post(&ex, &sent(), NOW, school_id_set)),
            want,
            "a missing school id must not refuse every record one by one"
        );
        let read = classify_read(&ex, NOW, school_id_set, |_| Ok(()));
        let read_blocked = matches!(
            read,
            ReadOutcome::Blocked(Blocked {
                reason: BlockReason::School,
                ..
            })
        );
        assert_eq!(read_blocked, want == "blocked-school", "{read:?}");
    }

    #[test]
    fn the_school_block_says_what_to_do() {
        let b = school_blocked();
        assert_eq!(b.reason, BlockReason::School);
        assert!(b.message.contains("several schools"), "{}", b.message);
        assert!(b.message.contains("--school-id"), "{}", b.message);
        assert_eq!(
            serde_json::to_value(b.reason).unwrap(),
            "school",
            "the UI and status --json read the reason"
        );
    }

    #[rstest]
    #[case::seconds("120", None, Some(120))]
    #[case::zero("0", None, Some(0))]
    #[case::capped("999999", None, Some(3600))]
    #[case::date_vs_now("Fri, 15 Mar 2024 08:30:30 GMT", None, Some(30))]
    #[case::date_vs_server_date(
        "Fri, 15 Mar 2024 09:00:10 GMT",
        Some("Fri, 15 Mar 2024 09:00:00 GMT"),
        Some(10)
    )]
    #[case::past_date("Fri, 15 Mar 2024 08:00:00 GMT", None, Some(0))]
    #[case::garbage("soon", None, None)]
    fn retry_after(#[case] v: &str, #[case] date: Option<&str>, #[case] want: Option<u64>) {
        assert_eq!(
            retry_after_wait(v, date, NOW),
            want.map(Duration::from_secs)
        );
    }

    #[test]
    fn throttle_carries_retry_after() {
        let ex = Exchange::Answered {
            status: 429,
            retry_after: Some("7".into()),
            date: None,
            body: Ok(b"{}".to_vec()),
        };
        match classify_post(&ex, &sent(), NOW, false) {
            PostOutcome::Throttled { wait, .. } => assert_eq!(wait, Some(Duration::from_secs(7))),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rejection_keeps_the_servers_reason() {
        let body = br#"{"error":"validation_error","message":"the attendance record is invalid",
            "fields":{"student_id":"is not enrolled in this course offering"}}"#;
        match classify_post(&answer(422, body), &sent(), NOW, false) {
            PostOutcome::Rejected(r) => assert_eq!(
                r,
                "HTTP 422: the attendance record is invalid — student_id: is not enrolled in this \
                 course offering"
            ),
            other => panic!("{other:?}"),
        }
        let long = "x".repeat(5000);
        let r = server_reason(400, &Ok(long.into_bytes()));
        assert_eq!(r.chars().count(), MAX_REASON_CHARS, "reasons are truncated");
        let r = server_reason(404, &Ok(b"<h1>Not\nFound</h1>".to_vec()));
        assert_eq!(r, "HTTP 404: <h1>Not Found</h1>");
    }

    #[test]
    fn reads() {
        let ok = classify_read(&answer(200, b"[]"), NOW, false, |b| {
            serde_json::from_slice::<Vec<u8>>(b).map_err(|e| e.to_string())
        });
        assert_eq!(ok, ReadOutcome::Ok(vec![]));
        let parse = |_: &[u8]| -> Result<(), String> { Err("bad".into()) };
        assert!(matches!(
            classify_read(&answer(200, b"x"), NOW, false, parse),
            ReadOutcome::Unavailable(_)
        ));
        assert!(matches!(
            classify_read(&answer(403, b""), NOW, false, parse),
            ReadOutcome::Forbidden(_)
        ));
        assert!(matches!(
            classify_read(&answer(401, b""), NOW, false, parse),
            ReadOutcome::Blocked(_)
        ));
        assert!(matches!(
            classify_read(&answer(404, b""), NOW, false, parse),
            ReadOutcome::NotFound(_)
        ));
        assert!(matches!(
            classify_read(&answer(500, b""), NOW, false, parse),
            ReadOutcome::Unavailable(_)
        ));
        assert!(matches!(
            classify_read(&answer(503, b""), NOW, false, parse),
            ReadOutcome::Throttled { .. }
        ));
        assert!(matches!(
            classify_read(&answer(422, b""), NOW, false, parse),
            ReadOutcome::Failed(_)
        ));
    }
}
