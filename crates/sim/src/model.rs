//! The wire types of the Athena attendance API and the strict parsing rules of its inputs.
//!
//! The contract: ids are UUIDs written 8-4-4-4-12 in hex, of any version or variant (the vendor's
//! own examples carry non-RFC variant nibbles); dates are strict `YYYY-MM-DD` real calendar
//! dates; a status is one of `present`, `absent`, `late`, `excused`; `recorded_at` is RFC 3339
//! in UTC with a `Z` suffix (written here with microseconds).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The attendance status of one student in one offering on one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Attended the class on time.
    Present,
    /// Did not attend the class.
    Absent,
    /// Arrived late to class.
    Late,
    /// The absence was excused (medical, family emergency, ...).
    Excused,
}

impl Status {
    /// All four statuses, in the order the vendor lists them.
    pub const ALL: [Status; 4] = [
        Status::Present,
        Status::Absent,
        Status::Late,
        Status::Excused,
    ];

    /// The wire form (`present`, `absent`, `late`, `excused`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Absent => "absent",
            Status::Late => "late",
            Status::Excused => "excused",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = ();

    /// Exact, case-sensitive match of the wire form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

/// One stored attendance record, exactly as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceRecord {
    /// Server-assigned id (a fresh v4 UUID for POSTed records).
    pub id: Uuid,
    /// The school the record belongs to (the caller's effective school).
    pub school_id: Uuid,
    /// The course offering (a subject taught to a group, e.g. "Matemáticas 7A").
    pub course_offering_id: Uuid,
    /// The teacher assignment that recorded the attendance.
    pub teacher_assignment_id: Uuid,
    /// The student's enrollment in the offering.
    pub course_enrollment_id: Uuid,
    /// The student.
    pub student_id: Uuid,
    /// The class date, `YYYY-MM-DD`.
    #[serde(with = "wire_date")]
    pub attendance_date: NaiveDate,
    /// The status.
    pub status: Status,
    /// When the server stored it: RFC 3339 UTC with `Z`; strictly increasing across records.
    #[serde(with = "wire_timestamp")]
    pub recorded_at: DateTime<Utc>,
}

/// A student as `GET /students/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Student {
    /// Student id.
    pub id: Uuid,
    /// The student's school.
    pub school_id: Uuid,
    /// Full name, given names then both surnames (Colombian style).
    pub full_name: String,
    /// `TI` (tarjeta de identidad) for minors, `CC` for adults, `RC` for young children.
    pub document_type: String,
    /// The document number.
    pub document_number: String,
    /// Whether the student is currently active.
    pub is_active: bool,
}

/// The validated body of `POST /academic/attendance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttendance {
    /// See [`AttendanceRecord::course_offering_id`].
    pub course_offering_id: Uuid,
    /// See [`AttendanceRecord::teacher_assignment_id`].
    pub teacher_assignment_id: Uuid,
    /// See [`AttendanceRecord::course_enrollment_id`].
    pub course_enrollment_id: Uuid,
    /// See [`AttendanceRecord::student_id`].
    pub student_id: Uuid,
    /// See [`AttendanceRecord::attendance_date`].
    pub attendance_date: NaiveDate,
    /// See [`AttendanceRecord::status`].
    pub status: Status,
}

/// Per-field reasons a request was refused with 422, keyed by field name.
pub type FieldErrors = BTreeMap<String, String>;

const UUID_FIELDS: [&str; 4] = [
    "course_offering_id",
    "teacher_assignment_id",
    "course_enrollment_id",
    "student_id",
];

/// The reason given for an id that is not 8-4-4-4-12 hex.
pub const UUID_REASON: &str = "must be a UUID in 8-4-4-4-12 hexadecimal form";
const DATE_REASON: &str = "must be a real calendar date in YYYY-MM-DD form";
const STATUS_REASON: &str = "must be one of: present, absent, late, excused";

impl NewAttendance {
    /// Validates a decoded JSON body, naming every bad or missing field.
    pub fn from_json(body: &Value) -> Result<NewAttendance, FieldErrors> {
        let mut errors = FieldErrors::new();
        let Some(obj) = body.as_object() else {
            errors.insert("body".into(), "must be a JSON object".into());
            return Err(errors);
        };
        let mut text = |name: &str| -> Option<String> {
            match obj.get(name) {
                None | Some(Value::Null) => {
                    errors.insert(name.into(), "is required".into());
                    None
                }
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => {
                    errors.insert(name.into(), "must be a string".into());
                    None
                }
            }
        };
        let raw_ids: Vec<Option<String>> = UUID_FIELDS.iter().map(|f| text(f)).collect();
        let raw_date = text("attendance_date");
        let raw_status = text("status");

        let mut ids = [Uuid::nil(); 4];
        for (i, raw) in raw_ids.iter().enumerate() {
            if let Some(raw) = raw {
                match parse_uuid(raw) {
                    Some(id) => ids[i] = id,
                    None => {
                        errors.insert(UUID_FIELDS[i].into(), UUID_REASON.into());
                    }
                }
            }
        }
        let date = raw_date.as_deref().and_then(|raw| {
            let d = parse_date(raw);
            if d.is_none() {
                errors.insert("attendance_date".into(), DATE_REASON.into());
            }
            d
        });
        let status = raw_status.as_deref().and_then(|raw| {
            let s = raw.parse::<Status>().ok();
            if s.is_none() {
                errors.insert("status".into(), STATUS_REASON.into());
            }
            s
        });
        match (date, status) {
            (Some(attendance_date), Some(status)) if errors.is_empty() => Ok(NewAttendance {
                course_offering_id: ids[0],
                teacher_assignment_id: ids[1],
                course_enrollment_id: ids[2],
                student_id: ids[3],
                attendance_date,
                status,
            }),
            _ => Err(errors),
        }
    }
}

/// Parses a UUID only in its 8-4-4-4-12 hex form (either case), any version or variant.
///
/// `Uuid::parse_str` alone would also take the simple, braced and URN forms.
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let bytes = s.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let well_formed = bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    if !well_formed {
        return None;
    }
    Uuid::parse_str(s).ok()
}

/// Parses a strict `YYYY-MM-DD` that names a real calendar date (no sign, no spaces, no time).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &b[r];
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        part.iter()
            .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: NaiveDate) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

/// Formats a timestamp as RFC 3339 in UTC with microseconds and a `Z` suffix.
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    // chrono counts a leap second as nanoseconds past 999,999,999: the last microsecond before.
    let micros = t.nanosecond().min(999_999_999) / 1_000;
    format!(
        "{}T{:02}:{:02}:{:02}.{micros:06}Z",
        format_date(t.date_naive()),
        t.hour(),
        t.minute(),
        t.second(),
    )
}

/// Parses an RFC 3339 instant: `YYYY-MM-DD`, any one character, `HH:MM:SS`, an optional
/// fraction (digits past the ninth are dropped), then `Z`/`z` or `+HH:MM`/`-HH:MM` (hours up to
/// 23). Second 60 is a leap second, read as the nanosecond before it, and only at 23:59:60 UTC
/// on the last day of a month. The rules Rollbook's own parser follows, written again here on
/// purpose: the simulator stands for the school's server, so it shares no code with the client
/// it tests (a bug in a shared parser would agree with itself and pass).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let digits = |at: usize, n: usize| -> Option<u32> {
        b.get(at..at + n)?.iter().try_fold(0u32, |value, c| {
            c.is_ascii_digit().then(|| value * 10 + u32::from(c - b'0'))
        })
    };
    let literal = |at: usize, c: u8| (b.get(at) == Some(&c)).then_some(());
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    for (at, c) in [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')] {
        literal(at, c)?;
    }
    let mut at = 19;
    let mut nanos = 0u32;
    if literal(at, b'.').is_some() {
        at += 1;
        let first = at;
        let mut weight = 100_000_000;
        while let Some(d) = b.get(at).filter(|c| c.is_ascii_digit()) {
            nanos += u32::from(d - b'0') * weight;
            weight /= 10;
            at += 1;
        }
        if at == first {
            return None;
        }
    }
    let offset_seconds = match b.get(at)? {
        b'Z' | b'z' => {
            at += 1;
            0
        }
        sign @ (b'+' | b'-') => {
            let hours = digits(at + 1, 2).filter(|h| *h <= 23)?;
            literal(at + 3, b':')?;
            let minutes = digits(at + 4, 2).filter(|m| *m <= 59)?;
            at += 6;
            let seconds = i64::from(hours * 3600 + minutes * 60);
            if *sign == b'-' {
                -seconds
            } else {
                seconds
            }
        }
        _ => return None,
    };
    if at != b.len() {
        return None;
    }
    let leap = second == 60;
    let (second, nanos) = if leap {
        (59, 999_999_999)
    } else {
        (second, nanos)
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    let t = date
        .and_time(time)
        .checked_sub_signed(TimeDelta::seconds(offset_seconds))?
        .and_utc();
    let last_second_of_a_month = (t.hour(), t.minute(), t.second()) == (23, 59, 59)
        && t.date_naive().succ_opt().is_none_or(|d| d.day() == 1);
    (!leap || last_second_of_a_month).then_some(t)
}

mod wire_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_date(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let raw = String::deserialize(d)?;
        super::parse_date(&raw).ok_or_else(|| serde::de::Error::custom("expected YYYY-MM-DD"))
    }
}

mod wire_timestamp {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_timestamp(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = String::deserialize(d)?;
        super::parse_timestamp(&raw)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_form_is_strict_but_any_variant() {
        assert!(parse_uuid("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f").is_some());
        assert!(parse_uuid("C3D4E5F6-A7B8-4C9D-0E1F-2A3B4C5D6E7F").is_some());
        assert!(parse_uuid("c3d4e5f6a7b84c9d0e1f2a3b4c5d6e7f").is_none());
        assert!(parse_uuid("{c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f}").is_none());
        assert!(parse_uuid("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7g").is_none());
    }

    #[test]
    fn dates_are_strict_and_real() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2024-3-15").is_none());
        assert!(parse_date("+024-03-15").is_none());
        assert!(parse_date("2024-03-15T00:00").is_none());
        assert!(parse_date("2024-13-01").is_none());
    }

    /// The instant `nanos` nanoseconds after 1970-01-01T00:00:00Z.
    fn at(nanos: i128) -> DateTime<Utc> {
        let second = 1_000_000_000;
        let (secs, sub) = (nanos.div_euclid(second), nanos.rem_euclid(second));
        DateTime::from_timestamp(secs as i64, sub as u32).unwrap()
    }

    const BASE: i128 = 1_710_491_400_000_000_000; // 2024-03-15T08:30:00Z

    #[test]
    fn timestamps_are_written_with_exactly_six_digits() {
        for (nanos, text) in [
            (0, "2024-03-15T08:30:00.000000Z"),
            (1, "2024-03-15T08:30:00.000000Z"),
            (999, "2024-03-15T08:30:00.000000Z"),
            (1_000, "2024-03-15T08:30:00.000001Z"),
            (1_000_000, "2024-03-15T08:30:00.001000Z"),
            (500_000_000, "2024-03-15T08:30:00.500000Z"),
            (999_999_999, "2024-03-15T08:30:00.999999Z"),
        ] {
            assert_eq!(format_timestamp(at(BASE + nanos)), text, "{nanos} ns");
        }
        assert_eq!(format_timestamp(at(-1)), "1969-12-31T23:59:59.999999Z");
        assert_eq!(format_timestamp(at(0)), "1970-01-01T00:00:00.000000Z");
    }

    #[test]
    fn dates_are_written_with_four_digit_years() {
        for s in [
            "2024-03-15",
            "0001-01-01",
            "0999-12-31",
            "9999-12-31",
            "2024-02-29",
        ] {
            assert_eq!(format_date(parse_date(s).unwrap()), s);
        }
        for s in [
            "2024-02-30",
            "2024-2-3",
            "2024-03-1a",
            "2024-03-15 ",
            " 2024-03-15",
            "2024/03/15",
            "2024-00-10",
            "2024-05-00",
            "２０２４-03-15",
            "",
        ] {
            assert!(parse_date(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn a_record_on_the_wire_has_its_date_and_timestamp_in_the_contract_s_form() {
        let record = AttendanceRecord {
            id: Uuid::from_u128(1),
            school_id: Uuid::from_u128(2),
            course_offering_id: Uuid::from_u128(3),
            teacher_assignment_id: Uuid::from_u128(4),
            course_enrollment_id: Uuid::from_u128(5),
            student_id: Uuid::from_u128(6),
            attendance_date: parse_date("2024-03-15").unwrap(),
            status: Status::Late,
            recorded_at: at(BASE + 123_456_789),
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["attendance_date"], "2024-03-15");
        assert_eq!(json["recorded_at"], "2024-03-15T08:30:00.123456Z");
        let back: AttendanceRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(
            back.recorded_at,
            at(BASE + 123_456_000),
            "read back to the microsecond"
        );
        assert_eq!(back.attendance_date, record.attendance_date);

        // What the sim reads back: any RFC 3339 instant, kept to the nanosecond.
        let read = |recorded_at: &str| {
            let mut json = json.clone();
            json["recorded_at"] = recorded_at.into();
            serde_json::from_value::<AttendanceRecord>(json).map(|r| r.recorded_at)
        };
        for (text, nanos) in [
            ("2024-03-15T08:30:00Z", 0),
            ("2024-03-15T10:30:00.5+02:00", 500_000_000),
            ("2024-03-15t08:30:00.123456789z", 123_456_789),
            ("2024-03-15 08:30:00.1234567891Z", 123_456_789),
        ] {
            assert_eq!(read(text).unwrap(), at(BASE + nanos), "{text}");
        }
        for text in [
            "2024-03-15T08:30Z",
            "2024-03-15T08:30:00",
            "1710491400",
            "2024-03-15T08:30:60Z",
        ] {
            assert!(read(text).is_err(), "{text}");
        }
        let mut bad_date = json.clone();
        bad_date["attendance_date"] = "2024-02-30".into();
        let err = serde_json::from_value::<AttendanceRecord>(bad_date).unwrap_err();
        assert_eq!(err.to_string(), "expected YYYY-MM-DD");
    }

    #[test]
    fn timestamp_has_micros_and_z() {
        let t = at(1_710_491_400_123_456_789);
        assert_eq!(format_timestamp(t), "2024-03-15T08:30:00.123456Z");
    }
}
