//! The attendance record on the wire: what Rollbook POSTs (the six fields) and what the server
//! answers (those plus `id`, `school_id`, `recorded_at`), parsed strictly.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::parse_rfc3339;
use crate::ids::{Day, Id, Status};
use crate::mark_change::MarkKey;

/// The six fields of one attendance record: the body of `POST /academic/attendance`, and what
/// reconciliation compares.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attendance {
    #[serde(rename = "course_offering_id")]
    pub offering_id: Id,
    pub teacher_assignment_id: Id,
    #[serde(rename = "course_enrollment_id")]
    pub enrollment_id: Id,
    pub student_id: Id,
    #[serde(rename = "attendance_date")]
    pub date: Day,
    pub status: Status,
}

impl Attendance {
    /// The mark this record is of.
    pub(crate) fn mark_key(&self) -> MarkKey<'_> {
        MarkKey {
            offering: &self.offering_id,
            student: &self.student_id,
            date: self.date,
        }
    }

    /// The six fields by their API names, as text, in the contract's order.
    pub fn by_name(&self) -> [(&'static str, String); 6] {
        [
            ("course_offering_id", self.offering_id.to_string()),
            (
                "teacher_assignment_id",
                self.teacher_assignment_id.to_string(),
            ),
            ("course_enrollment_id", self.enrollment_id.to_string()),
            ("student_id", self.student_id.to_string()),
            ("attendance_date", self.date.to_string()),
            ("status", self.status.to_string()),
        ]
    }
}

/// A field of [`Attendance`] as the server wrote it, in the canonical text of its type (ids in
/// lower case), or `None` when it is not a valid value of that type.
fn canonical(name: &str, text: &str) -> Option<String> {
    match name {
        "attendance_date" => Day::check(text).ok().map(|d| d.to_string()),
        "status" => Status::check(text).ok().map(|s| s.to_string()),
        _ => Id::check(text).ok().map(|id| id.to_string()),
    }
}

/// A record as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRecord {
    pub id: Id,
    pub school_id: Id,
    pub fields: Attendance,
    pub recorded_at: DateTime<Utc>,
    /// `recorded_at` exactly as the server wrote it.
    pub recorded_at_raw: String,
}

impl ServerRecord {
    /// `recorded_at` in microseconds since 1970, the order of records of one mark.
    pub fn recorded_at_us(&self) -> i64 {
        crate::clock::unix_micros(self.recorded_at)
    }
}

#[derive(Deserialize)]
struct Wire {
    id: Id,
    school_id: Id,
    #[serde(flatten)]
    fields: Attendance,
    recorded_at: String,
}

impl TryFrom<Wire> for ServerRecord {
    type Error = String;

    fn try_from(w: Wire) -> Result<ServerRecord, String> {
        let recorded_at = parse_rfc3339(&w.recorded_at).ok_or_else(|| {
            format!(
                "recorded_at {} is not an RFC 3339 time",
                excerpt(w.recorded_at.as_bytes())
            )
        })?;
        Ok(ServerRecord {
            id: w.id,
            school_id: w.school_id,
            fields: w.fields,
            recorded_at,
            recorded_at_raw: w.recorded_at,
        })
    }
}

/// Parses one record; every field must be present and valid. The error says what is wrong
/// and quotes at most the start of the answer.
pub fn parse_record(body: &[u8]) -> Result<ServerRecord, String> {
    let not_a_record = |why: String| {
        format!(
            "the answer is not an attendance record: {why} (it starts {})",
            excerpt(body)
        )
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| not_a_record(not_json(&e)))?;
    if !value.is_object() {
        return Err(not_a_record(format!(
            "it is {}, not an object",
            kind_of(&value)
        )));
    }
    serde_json::from_value::<Wire>(value)
        .map_err(|e| short(&e.to_string()))
        .and_then(ServerRecord::try_from)
        .map_err(not_a_record)
}

/// A list answer: its valid records, and the elements that are not valid records.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub records: Vec<ServerRecord>,
    /// Elements that are not valid records, as the server sent them.
    pub unreadable: Vec<serde_json::Value>,
}

/// Parses a list. The answer must be a JSON array; elements that are not valid records are
/// kept aside (one odd record must not stop reconciliation of all the others, but it may be the
/// record an unknown item is looking for: see [`might_be`]).
pub fn parse_listing(body: &[u8]) -> Result<Listing, String> {
    let not_a_list = |why: String| {
        format!(
            "the answer is not a list of records: {why} (it starts {})",
            excerpt(body)
        )
    };
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| not_a_list(not_json(&e)))?;
    let serde_json::Value::Array(items) = value else {
        return Err(not_a_list(format!(
            "it is {}, not an array",
            kind_of(&value)
        )));
    };
    let mut listing = Listing::default();
    for item in items {
        // Read from the element in place: only an unreadable one is kept, as it came.
        match Wire::deserialize(&item)
            .map_err(|e| e.to_string())
            .and_then(TryInto::try_into)
        {
            Ok(r) => listing.records.push(r),
            Err(_) => listing.unreadable.push(item),
        }
    }
    Ok(listing)
}

/// Parses a list into its valid records and the count of elements that were not.
pub fn parse_records(body: &[u8]) -> Result<(Vec<ServerRecord>, usize), String> {
    parse_listing(body).map(|l| (l.records, l.unreadable.len()))
}

/// Whether an element that is not a valid record could still be the server's copy of `fields`:
/// false only when one of the six fields is readable (a valid id, date or status) and differs.
pub fn might_be(element: &serde_json::Value, fields: &Attendance) -> bool {
    let Some(obj) = element.as_object() else {
        return true;
    };
    let text = |name: &str| obj.get(name).and_then(serde_json::Value::as_str);
    !fields.by_name().iter().any(|(name, ours)| {
        text(name)
            .and_then(|t| canonical(name, t))
            .is_some_and(|theirs| theirs != *ours)
    })
}

/// The longest excerpt of a server's answer a message quotes.
pub const EXCERPT_CHARS: usize = 60;
/// The longest parser explanation a message keeps (it may quote a value the server sent).
const EXPLANATION_CHARS: usize = 200;

/// The start of a server's answer for a message: at most [`EXCERPT_CHARS`] characters, control
/// characters as spaces, in backquotes, with its full size when cut.
pub fn excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return "empty".into();
    }
    // A character takes at most 4 bytes: no need to decode more.
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let decoded = String::from_utf8_lossy(head);
    let cut = head.len() < body.len() || decoded.chars().count() > EXCERPT_CHARS;
    let text: String = decoded
        .chars()
        .take(EXCERPT_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if cut {
        format!("`{text}…` ({} bytes)", body.len())
    } else {
        format!("`{text}`")
    }
}

/// A parser's explanation cut to [`EXPLANATION_CHARS`] characters.
fn short(why: &str) -> String {
    if why.chars().count() <= EXPLANATION_CHARS {
        return why.to_string();
    }
    let mut out: String = why.chars().take(EXPLANATION_CHARS - 1).collect();
    out.push('…');
    out
}

fn not_json(e: &serde_json::Error) -> String {
    format!("it is not JSON ({})", short(&e.to_string()))
}

fn kind_of(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"{
      "id": "e5f6a7b8-c9d0-4e1f-b2c3-d4e5f6a7b8c9",
      "school_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
      "course_offering_id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
      "teacher_assignment_id": "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e",
      "course_enrollment_id": "c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f",
      "student_id": "d4e5f6a7-b8c9-4d0e-a1b2-c3d4e5f6a7b8",
      "attendance_date": "2024-03-15",
      "status": "present",
      "recorded_at": "2024-03-15T08:30:00Z"
    }"#;

    #[test]
    fn parses_the_vendor_example() {
        let r = parse_record(EXAMPLE.as_bytes()).unwrap();
        assert_eq!(r.id.as_str(), "e5f6a7b8-c9d0-4e1f-b2c3-d4e5f6a7b8c9");
        assert_eq!(r.fields.date.to_string(), "2024-03-15");
        assert_eq!(r.fields.status, Status::Present);
        assert_eq!(r.recorded_at_us(), 1_710_491_400_000_000);
    }

    #[test]
    fn recorded_at_is_kept_as_written_and_ordered_in_microseconds() {
        // The µs value orders a mark's records in SQLite (`recorded_at_us`): it must not move.
        for (at, us) in [
            ("2024-03-15T08:30:00Z", 1_710_491_400_000_000),
            ("2024-03-15T08:30:00.123456Z", 1_710_491_400_123_456),
            // Nanoseconds are cut, not rounded.
            ("2024-03-15T08:30:00.123456789Z", 1_710_491_400_123_456),
            ("2024-03-15T08:30:00.0000009Z", 1_710_491_400_000_000),
            ("2024-03-15T10:30:00.5+02:00", 1_710_491_400_500_000),
            ("2024-03-15t08:30:00z", 1_710_491_400_000_000),
            ("1970-01-01T00:00:00Z", 0),
            // Before 1970 the cut is toward zero as well.
            ("1969-12-31T23:59:59.5Z", -500_000),
            ("1969-12-31T23:59:59.9999995Z", 0),
            ("1969-12-31T23:59:59.9999985Z", -1),
            ("0000-01-01T00:00:00Z", -62_167_219_200_000_000),
            ("9999-12-31T23:59:59.999999Z", 253_402_300_799_999_999),
        ] {
            let body = EXAMPLE.replacen("2024-03-15T08:30:00Z", at, 1);
            let r = parse_record(body.as_bytes()).unwrap();
            assert_eq!(r.recorded_at_us(), us, "{at}");
            assert_eq!(
                r.recorded_at_raw, at,
                "the server's text is kept as it came"
            );
        }
        let body = EXAMPLE.replacen("2024-03-15T08:30:00Z", "2024-03-15T08:30Z", 1);
        let err = parse_record(body.as_bytes()).unwrap_err();
        assert!(
            err.contains("recorded_at `2024-03-15T08:30Z` is not an RFC 3339 time"),
            "{err}"
        );
    }

    #[test]
    fn refuses_records_with_a_bad_or_missing_field() {
        for (from, to) in [
            ("\"present\"", "\"here\""),
            ("2024-03-15\"", "2024-3-15\""),
            ("\"e5f6a7b8-c9d0-4e1f-b2c3-d4e5f6a7b8c9\"", "\"42\""),
            ("\"2024-03-15T08:30:00Z\"", "\"yesterday\""),
            ("\"school_id\"", "\"school\""),
        ] {
            let body = EXAMPLE.replacen(from, to, 1);
            assert!(
                parse_record(body.as_bytes()).is_err(),
                "{from} -> {to} must be refused"
            );
        }
        assert!(parse_record(b"<html>").is_err());
        assert!(parse_record(&EXAMPLE.as_bytes()[..EXAMPLE.len() / 2]).is_err());
    }

    #[test]
    fn list_skips_odd_elements() {
        let body = format!("[{EXAMPLE}, {{\"id\": 1}}]");
        let (records, skipped) = parse_records(body.as_bytes()).unwrap();
        assert_eq!((records.len(), skipped), (1, 1));
        assert!(
            parse_records(EXAMPLE.as_bytes()).is_err(),
            "an object is not a list"
        );
    }

    #[test]
    fn errors_say_what_is_wrong_and_quote_only_the_start_of_the_answer() {
        let huge = "9".repeat(1 << 20);
        let bodies = [
            EXAMPLE.replacen("\"present\"", "42", 1),
            EXAMPLE.replacen("\"2024-03-15T08:30:00Z\"", &format!("\"{huge}\""), 1),
            EXAMPLE.replacen("\"present\"", &format!("\"{huge}\""), 1),
            format!("<html>{huge}</html>"),
            format!("[{EXAMPLE}]"),
        ];
        for body in &bodies {
            let e = parse_record(body.as_bytes()).unwrap_err();
            assert!(
                e.starts_with("the answer is not an attendance record: "),
                "{e}"
            );
            assert!(
                e.chars().count() < 600,
                "a message never carries the body: {e}"
            );
        }
        let e = parse_record(bodies[3].as_bytes()).unwrap_err();
        assert!(e.contains("not JSON") && e.contains("`<html>"), "{e}");
        let e = parse_record(bodies[4].as_bytes()).unwrap_err();
        assert!(e.contains("it is an array, not an object"), "{e}");

        let e = parse_listing(b"{\"data\": []}").unwrap_err();
        assert!(e.contains("not a list of records: it is an object"), "{e}");
        let e = parse_listing(format!("[{huge}").as_bytes()).unwrap_err();
        assert!(e.contains("(1048577 bytes)"), "{e}");
        assert!(e.chars().count() < 600, "{e}");
    }

    #[test]
    fn an_unreadable_element_may_be_a_record_unless_a_readable_field_differs() {
        let ours = parse_record(EXAMPLE.as_bytes()).unwrap().fields;
        let element = |from: &str, to: &str| -> serde_json::Value {
            serde_json::from_str(&EXAMPLE.replacen(from, to, 1)).unwrap()
        };
        let wrong_types = element("\"present\"", "42");
        assert!(
            might_be(&wrong_types, &ours),
            "status unreadable: may be ours"
        );
        let bad_date = element("\"2024-03-15\"", "\"yesterday\"");
        assert!(might_be(&bad_date, &ours));
        assert!(
            might_be(&serde_json::json!(7), &ours),
            "cannot tell: may be"
        );
        let other_student = element(
            "\"d4e5f6a7-b8c9-4d0e-a1b2-c3d4e5f6a7b8\"",
            "\"11111111-2222-4333-8444-555555555555\"",
        );
        let mut other_student = other_student;
        other_student["status"] = 42.into();
        assert!(
            !might_be(&other_student, &ours),
            "another student is not ours"
        );
        let mut absent = element("\"present\"", "\"absent\"");
        absent["id"] = 1.into();
        assert!(!might_be(&absent, &ours), "another status is not ours");
    }

    #[test]
    fn post_body_uses_the_wire_names() {
        let r = parse_record(EXAMPLE.as_bytes()).unwrap();
        let v = serde_json::to_value(&r.fields).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys.len(),
            6,
            "exactly the six documented fields are sent: {keys:?}"
        );
        assert_eq!(
            v["course_enrollment_id"],
            "c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f"
        );
        assert_eq!(v["attendance_date"], "2024-03-15");
    }
}
