//! The vocabulary of the Athena API: ids, dates and attendance statuses, validated once at the
//! edge so the rest of the code can trust them.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, TimeDelta};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// A UUID in the 8-4-4-4-12 hex form. Any version and variant nibble is accepted (the API's
/// own examples use non-RFC variants), and it is stored lowercased.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Id(String);

impl Id {
    pub fn parse(s: &str) -> Result<Id, Error> {
        Self::check(s).map_err(|why| {
            Error::Invalid(format!("{} is not a UUID: {why}", crate::error::quoted(s)))
        })
    }

    /// Why `s` is not an id, in words a user understands.
    pub fn check(s: &str) -> Result<Id, String> {
        // One pass over the bytes: a million cached records are read through here.
        let b = s.as_bytes();
        let dash = |i: usize| matches!(i, 8 | 13 | 18 | 23);
        let shape_ok = b.len() == 36 && b.iter().enumerate().all(|(i, c)| (*c == b'-') == dash(i));
        if !shape_ok {
            return Err("expected 8-4-4-4-12 hexadecimal digits".into());
        }
        if let Some(c) = s.chars().find(|c| *c != '-' && !c.is_ascii_hexdigit()) {
            return Err(format!("{c:?} is not a hexadecimal digit"));
        }
        Ok(Id(if b.iter().any(u8::is_ascii_uppercase) {
            s.to_ascii_lowercase()
        } else {
            s.to_owned()
        }))
    }

    /// A fresh random (v4) id.
    pub fn new_v4() -> Id {
        Id(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl FromStr for Id {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Id::parse(s)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Id::check(&s).map_err(|why| {
            serde::de::Error::custom(format!("{} is not a UUID: {why}", crate::error::quoted(&s)))
        })
    }
}

impl rusqlite::ToSql for Id {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.0.to_sql()
    }
}

impl rusqlite::types::FromSql for Id {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        let s = v.as_str()?;
        Id::check(s).map_err(|e| rusqlite::types::FromSqlError::Other(e.into()))
    }
}

/// A calendar date in the strict `YYYY-MM-DD` form, and a real date (no 2024-02-30).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(NaiveDate);

/// The calendar's first and last days, -9999-01-01 and 9999-12-31: date arithmetic stops at them
/// (a `days_before` past the first is the first; a checked step past either end is `None`).
const FIRST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(-9999, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};
const LAST_DAY: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MAX,
};

impl Day {
    pub fn parse(s: &str) -> Result<Day, Error> {
        Self::check(s).map_err(|why| {
            Error::Invalid(format!("{} is not a date: {why}", crate::error::quoted(s)))
        })
    }

    pub fn check(s: &str) -> Result<Day, String> {
        Day::check_bytes(s.as_bytes())
    }

    fn check_bytes(b: &[u8]) -> Result<Day, String> {
        let shape_ok = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape_ok {
            return Err("expected YYYY-MM-DD".into());
        }
        // The shape is checked: each field is its digits' value.
        let num =
            |r: std::ops::Range<usize>| b[r].iter().fold(0, |n, c| n * 10 + i32::from(c - b'0'));
        NaiveDate::from_ymd_opt(num(0..4), num(5..7) as u32, num(8..10) as u32)
            .map(Day)
            .ok_or_else(|| "no such day in the calendar".into())
    }

    pub fn from_date(d: NaiveDate) -> Day {
        Day(d)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// The ISO 8601 weekday: 1 = Monday ... 7 = Sunday.
    pub fn weekday(self) -> u8 {
        self.0.weekday().number_from_monday() as u8
    }

    /// The day `n` days before this one (itself for 0; the calendar's first day for an
    /// overflow).
    pub fn days_before(self, n: u32) -> Day {
        self.checked_add_days(-i64::from(n))
            .unwrap_or(Day(FIRST_DAY))
    }

    /// The day `n` days after this one (before it for a negative `n`), or `None` past either end
    /// of the calendar (-9999-01-01 to 9999-12-31).
    pub fn checked_add_days(self, n: i64) -> Option<Day> {
        self.0
            .checked_add_signed(TimeDelta::try_days(n)?)
            .filter(|d| (FIRST_DAY..=LAST_DAY).contains(d))
            .map(Day)
    }

    /// `YYYY-MM`, the month this day is in.
    pub fn month(self) -> String {
        format!("{:04}-{:02}", self.0.year(), self.0.month())
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl fmt::Debug for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Day({self})")
    }
}

impl FromStr for Day {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Day::parse(s)
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Day::check(&s).map_err(|why| {
            serde::de::Error::custom(format!("{} is not a date: {why}", crate::error::quoted(&s)))
        })
    }
}

impl rusqlite::ToSql for Day {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.to_string()))
    }
}

impl rusqlite::types::FromSql for Day {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        // Bytes: a date that passes is ASCII, so no UTF-8 check first.
        Day::check_bytes(v.as_bytes()?).map_err(|e| rusqlite::types::FromSqlError::Other(e.into()))
    }
}

/// An attendance status, exactly the four the API knows. Written lowercase; read in any case
/// (`Present`, `PRESENT`) wherever it comes from: CLI arguments, files, the window's commands.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Present,
    Absent,
    Late,
    Excused,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Present,
        Status::Absent,
        Status::Late,
        Status::Excused,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Present => "present",
            Status::Absent => "absent",
            Status::Late => "late",
            Status::Excused => "excused",
        }
    }

    /// The one parse of a status: surrounding spaces and case are ignored.
    pub fn check(s: &str) -> Result<Status, String> {
        let s = s.trim();
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| "expected present, absent, late or excused".into())
    }

    pub fn parse(s: &str) -> Result<Status, Error> {
        Self::check(s).map_err(|why| {
            Error::Invalid(format!(
                "{} is not a status: {why}",
                crate::error::quoted(s)
            ))
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Status::parse(s)
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Status::check(&s).map_err(|why| {
            serde::de::Error::custom(format!(
                "{} is not a status: {why}",
                crate::error::quoted(&s)
            ))
        })
    }
}

impl rusqlite::ToSql for Status {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::from(self.as_str()))
    }
}

impl rusqlite::types::FromSql for Status {
    fn column_result(v: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        // As Rollbook writes it (no UTF-8 check first), else the one parse.
        let b = v.as_bytes()?;
        if let Some(st) = Status::ALL
            .into_iter()
            .find(|st| st.as_str().as_bytes() == b)
        {
            return Ok(st);
        }
        Status::check(v.as_str()?).map_err(|e| rusqlite::types::FromSqlError::Other(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f")] // the API's own example: variant nibble 0
    #[case("00000000-0000-0000-0000-000000000000")]
    #[case("D4E5F6A7-B8C9-4D0E-A1B2-C3D4E5F6A7B8")]
    fn accepts_any_uuid_shape(#[case] s: &str) {
        assert_eq!(Id::parse(s).unwrap().as_str(), s.to_ascii_lowercase());
    }

    #[rstest]
    #[case("")]
    #[case("c3d4e5f6a7b84c9d0e1f2a3b4c5d6e7f")]
    #[case("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7")]
    #[case("g3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f")]
    #[case("{c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f}")]
    #[case(" c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6e7f")]
    #[case("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6-7f")]
    #[case("c3d4e5f6a-7b8-4c9d-0e1f-2a3b4c5d6e7f")]
    #[case("c3d4e5f6-a7b8-4c9d-0e1f-2a3b4c5d6eé")]
    fn rejects_non_uuids_naming_the_input(#[case] s: &str) {
        let err = Id::parse(s).unwrap_err().to_string();
        assert!(err.contains("is not a UUID"), "{err}");
    }

    #[rstest]
    #[case("2024-03-15", true)]
    #[case("2024-02-29", true)]
    #[case("2023-02-29", false)]
    #[case("2024-02-30", false)]
    #[case("2024-04-31", false)]
    #[case("2024-13-01", false)]
    #[case("2024-00-10", false)]
    #[case("2024-05-00", false)]
    #[case("2024-12-31", true)]
    #[case("2024-3-15", false)]
    #[case("2024/03/15", false)]
    #[case("15-03-2024", false)]
    #[case("2024-03-15T00:00:00Z", false)]
    #[case("+2024-03-1", false)]
    fn dates_are_strict_and_real(#[case] s: &str, #[case] ok: bool) {
        assert_eq!(Day::parse(s).is_ok(), ok, "{s}");
        if ok {
            assert_eq!(
                Day::parse(s).unwrap().to_string(),
                s,
                "round trip keeps the form"
            );
        }
    }

    #[rstest]
    #[case(
        "2024-02-30",
        "\"2024-02-30\" is not a date: no such day in the calendar"
    )]
    #[case(
        "2023-02-29",
        "\"2023-02-29\" is not a date: no such day in the calendar"
    )]
    #[case("2024-2-3", "\"2024-2-3\" is not a date: expected YYYY-MM-DD")]
    #[case("2024-03-15 ", "\"2024-03-15 \" is not a date: expected YYYY-MM-DD")]
    #[case(
        "２０２４-03-15",
        "\"２０２４-03-15\" is not a date: expected YYYY-MM-DD"
    )]
    fn a_refused_date_says_why(#[case] s: &str, #[case] message: &str) {
        assert_eq!(Day::parse(s).unwrap_err().to_string(), message);
        let from_ipc = serde_json::from_str::<Day>(&format!("\"{s}\"")).unwrap_err();
        assert!(from_ipc.to_string().starts_with(message), "{from_ipc}");
    }

    #[test]
    fn days_keep_their_form_at_the_ends_of_the_calendar() {
        for s in [
            "0000-01-01",
            "0001-01-01",
            "0999-12-31",
            "9999-12-31",
            "2000-02-29",
        ] {
            let day = Day::parse(s).unwrap();
            assert_eq!(day.to_string(), s);
            assert_eq!(serde_json::to_string(&day).unwrap(), format!("\"{s}\""));
            assert_eq!(
                serde_json::from_str::<Day>(&format!("\"{s}\"")).unwrap(),
                day
            );
            assert_eq!(format!("{day:?}"), format!("Day({s})"));
        }
        let d = |s: &str| Day::parse(s).unwrap();
        assert_eq!(d("2024-03-15").month(), "2024-03");
        assert_eq!(d("0005-11-30").month(), "0005-11");
        assert_eq!(d("2024-03-01").days_before(1).to_string(), "2024-02-29");
        assert_eq!(d("2024-03-15").days_before(0), d("2024-03-15"));
        assert_eq!(d("2024-03-15").days_before(366).to_string(), "2023-03-15");
        assert_eq!(d("0000-01-01").days_before(1).to_string(), "-001-12-31");
        // Past the calendar's first day: that day (-9999-01-01), never a panic.
        assert_eq!(
            d("2024-03-15").days_before(u32::MAX).to_string(),
            "-9999-01-01"
        );
        assert_eq!(
            d("0000-01-01").days_before(3_652_059).to_string(),
            "-9999-01-01"
        );
        assert_eq!(
            d("0000-01-01").days_before(3_652_058).to_string(),
            "-9999-01-02"
        );
        assert!(d("2024-03-15") < d("2024-03-16") && d("2023-12-31") < d("2024-01-01"));
    }

    #[rstest]
    #[case("2024-03-11", 1)] // a Monday
    #[case("2024-03-15", 5)]
    #[case("2024-03-17", 7)]
    #[case("2000-01-01", 6)]
    #[case("0001-01-01", 1)]
    fn weekdays_are_iso_numbers(#[case] s: &str, #[case] weekday: u8) {
        assert_eq!(Day::parse(s).unwrap().weekday(), weekday);
    }

    #[test]
    fn statuses_are_the_four_of_the_api() {
        for s in ["present", "absent", "late", "excused"] {
            assert_eq!(Status::parse(s).unwrap().as_str(), s);
        }
        assert!(Status::parse("tardy").is_err());
        assert!(Status::parse("").is_err());
    }

    #[test]
    fn a_status_is_read_in_any_case_everywhere() {
        for s in ["Present", "PRESENT", "pReSeNt", " present "] {
            assert_eq!(Status::parse(s).unwrap(), Status::Present, "{s:?}");
        }
        let from_ipc: Status = serde_json::from_str("\"Absent\"").unwrap();
        assert_eq!(
            from_ipc,
            Status::Absent,
            "the window's commands read it the same way"
        );
        assert_eq!(serde_json::to_string(&Status::Late).unwrap(), "\"late\"");
        let err = Status::parse("Tardy").unwrap_err().to_string();
        assert!(err.contains("\"Tardy\" is not a status"), "{err}");
    }
}
