//! The attendance record on the wire: what Rollbook POSTs (the six fields) and what the server
//! answers (those plus `id`, `school_id`, `recorded_at`), parsed strictly.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::clock::parse_rfc3339;
use crate::ids::{Day, Id, Status};

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

/// A record as the server holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRecord {
    pub id: Id,
    pub school_id: Id,
    pub fields: Attendance,
    pub recorded_at: OffsetDateTime,
    /// `recorded_at` exactly as the server wrote it.
    pub recorded_at_raw: String,
}

impl ServerRecord {
    /// `recorded_at` in microseconds since 1970, the order of records of one mark.
    pub fn recorded_at_us(&self) -> i64 {
        (self.recorded_at.unix_timestamp_nanos() / 1000) as i64
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
        let recorded_at = parse_rfc3339(&w.recorded_at)
            .ok_or_else(|| format!("recorded_at {:?} is not an RFC 3339 time", w.recorded_at))?;
        Ok(ServerRecord {
            id: w.id,
            school_id: w.school_id,
            fields: w.fields,
            recorded_at,
            recorded_at_raw: w.recorded_at,
        })
    }
}

/// Parses one record; every field must be present and valid.
pub fn parse_record(body: &[u8]) -> Result<ServerRecord, String> {
    let wire: Wire =
        serde_json::from_slice(body).map_err(|e| format!("not an attendance record: {e}"))?;
    ServerRecord::try_from(wire)
}

/// Parses a list. The answer must be a JSON array; elements that are not valid records are
/// skipped and counted (one odd record must not stop reconciliation of all the others).
pub fn parse_records(body: &[u8]) -> Result<(Vec<ServerRecord>, usize), String> {
    let items: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| format!("not a list of records: {e}"))?;
    let mut records = Vec::with_capacity(items.len());
    let mut skipped = 0;
    for item in items {
        match serde_json::from_value::<Wire>(item)
            .map_err(|e| e.to_string())
            .and_then(TryInto::try_into)
        {
            Ok(r) => records.push(r),
            Err(_) => skipped += 1,
        }
    }
    Ok((records, skipped))
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
