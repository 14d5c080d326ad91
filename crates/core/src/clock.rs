//! Time is passed in: production code uses [`SystemClock`], tests use [`FixedClock`].
//!
//! Instants are `chrono::DateTime<Utc>`. The RFC 3339 text Rollbook stores and sends is written
//! and read here, by hand, so that its form is fixed by this file rather than by a library's
//! choices: fractions with only the digits needed, and the parse rules the records in existing
//! databases were written under.

use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, TimeDelta, Timelike, Utc};

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: TimeDelta) {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *t += by;
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// RFC 3339 in UTC with a `Z`, the form stored in SQLite and sent on the wire: whole seconds,
/// then a fraction only if there is one, with its trailing zeros cut (`.5`, `.000001`). A year
/// outside 0000 to 9999 has no such form: the Unix seconds are written instead.
/// The date in the user's time zone at `now`: the day a new mark defaults to and the retention
/// and reports count from (the CLI and the window alike).
pub fn local_today(now: DateTime<Utc>) -> crate::ids::Day {
    crate::ids::Day::from_date(now.with_timezone(&chrono::Local).date_naive())
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    use std::fmt::Write;

    let year = t.year();
    if !(0..10_000).contains(&year) {
        return t.timestamp().to_string();
    }
    let mut out = format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    // chrono counts a leap second as nanoseconds past 999,999,999: the last nanosecond before.
    let nanos = t.nanosecond().min(999_999_999);
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Reads an RFC 3339 instant: `YYYY-MM-DD`, any one character, `HH:MM:SS`, an optional fraction
/// (digits past the ninth are dropped), then `Z`/`z` or `+HH:MM`/`-HH:MM` (hours up to 23).
/// Second 60 is a leap second and is read as the last nanosecond before it, only where one can
/// be: 23:59:60 UTC on the last day of a month. Nothing may follow.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let digits = |at: usize, n: usize| -> Option<u32> {
        b.get(at..at + n)?.iter().try_fold(0u32, |value, c| {
            c.is_ascii_digit().then(|| value * 10 + u32::from(c - b'0'))
        })
    };
    let literal = |at: usize, c: u8| (b.get(at) == Some(&c)).then_some(());
    let year = digits(0, 4)?;
    literal(4, b'-')?;
    let month = digits(5, 2)?;
    literal(7, b'-')?;
    let day = digits(8, 2)?;
    // Byte 10 separates the date from the time: RFC 3339 lets it be any character.
    let hour = digits(11, 2)?;
    literal(13, b':')?;
    let minute = digits(14, 2)?;
    literal(16, b':')?;
    let second = digits(17, 2)?;
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
    if leap && !is_last_second_of_a_month(t) {
        return None;
    }
    Some(t)
}

/// `t` is 23:59:59 UTC on the last day of its month (where a leap second can be).
fn is_last_second_of_a_month(t: DateTime<Utc>) -> bool {
    let next_day = t.date_naive().succ_opt();
    (t.hour(), t.minute(), t.second()) == (23, 59, 59) && next_day.is_none_or(|d| d.day() == 1)
}

/// Microseconds since 1970-01-01T00:00:00Z, cut toward zero (also before 1970): the value that
/// orders a mark's records in SQLite (`recorded_at_us`).
pub fn unix_micros(t: DateTime<Utc>) -> i64 {
    let nanos = i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos());
    (nanos / 1000) as i64
}

/// An instant written as RFC 3339, for tests (read by chrono, not by [`parse_rfc3339`]).
#[cfg(test)]
pub(crate) fn utc(s: &str) -> DateTime<Utc> {
    s.parse().expect("a test instant")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant `nanos` nanoseconds after 1970-01-01T00:00:00Z.
    fn at(nanos: i128) -> DateTime<Utc> {
        let (secs, sub) = (nanos.div_euclid(SECOND), nanos.rem_euclid(SECOND));
        DateTime::from_timestamp(secs as i64, sub as u32).unwrap()
    }

    const SECOND: i128 = 1_000_000_000;
    /// 2024-03-15T08:30:00Z.
    const BASE: i128 = 1_710_491_400 * SECOND;

    #[test]
    fn rfc3339_prints_as_many_fraction_digits_as_needed_and_no_more() {
        // What the database holds and the API receives: changing a digit changes stored text.
        for (nanos, text) in [
            (0, "2024-03-15T08:30:00Z"),
            (1_000_000, "2024-03-15T08:30:00.001Z"),
            (1_000, "2024-03-15T08:30:00.000001Z"),
            (1, "2024-03-15T08:30:00.000000001Z"),
            (500_000_000, "2024-03-15T08:30:00.5Z"),
            (120_000_000, "2024-03-15T08:30:00.12Z"),
            (123_456_000, "2024-03-15T08:30:00.123456Z"),
            (123_456_789, "2024-03-15T08:30:00.123456789Z"),
            (999_999_999, "2024-03-15T08:30:00.999999999Z"),
        ] {
            assert_eq!(rfc3339(at(BASE + nanos)), text, "{nanos} ns");
        }
        assert_eq!(rfc3339(at(0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(-1)), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn rfc3339_is_always_utc_with_a_z() {
        let t = parse_rfc3339("2024-03-15T10:30:00.25+02:00").unwrap();
        assert_eq!(rfc3339(t), "2024-03-15T08:30:00.25Z");
        let t = parse_rfc3339("2024-03-14T23:30:00-09:30").unwrap();
        assert_eq!(rfc3339(t), "2024-03-15T09:00:00Z");
    }

    #[test]
    fn parse_rfc3339_reads_what_the_server_and_the_database_hold() {
        // Each accepted form and the instant it is (nanoseconds from BASE).
        for (text, nanos) in [
            ("2024-03-15T08:30:00Z", 0),
            ("2024-03-15T08:30:00.5Z", 500_000_000),
            ("2024-03-15T08:30:00.000001Z", 1_000),
            ("2024-03-15T08:30:00.123456789Z", 123_456_789),
            // Digits past the ninth are dropped, not rounded.
            ("2024-03-15T08:30:00.1234567899Z", 123_456_789),
            ("2024-03-15T08:30:00.999999999999Z", 999_999_999),
            ("2024-03-15T10:30:00+02:00", 0),
            ("2024-03-15T03:00:00-05:30", 0),
            ("2024-03-15T08:30:00+00:00", 0),
            ("2024-03-15T08:30:00-00:00", 0),
            ("2024-03-16T08:29:00+23:59", 0),
            // Lower-case letters, and any one character between the date and the time.
            ("2024-03-15t08:30:00z", 0),
            ("2024-03-15T08:30:00z", 0),
            ("2024-03-15 08:30:00Z", 0),
            ("2024-03-15_08:30:00Z", 0),
        ] {
            let t = parse_rfc3339(text).unwrap_or_else(|| panic!("{text} must be read"));
            assert_eq!(t, at(BASE + nanos), "{text}");
        }
    }

    #[test]
    fn parse_rfc3339_takes_a_leap_second_only_where_one_can_be() {
        // A leap second is the last nanosecond before it; only 23:59:60 UTC on a month's last day.
        let end_of_june = parse_rfc3339("2016-06-30T23:59:60Z").unwrap();
        assert_eq!(rfc3339(end_of_june), "2016-06-30T23:59:59.999999999Z");
        let with_fraction = parse_rfc3339("2016-12-31T23:59:60.5Z").unwrap();
        assert_eq!(rfc3339(with_fraction), "2016-12-31T23:59:59.999999999Z");
        let in_an_offset = parse_rfc3339("2017-01-01T01:59:60+02:00").unwrap();
        assert_eq!(rfc3339(in_an_offset), "2016-12-31T23:59:59.999999999Z");
        for text in [
            "2016-06-15T23:59:60Z",
            "2016-06-30T22:59:60Z",
            "2016-06-30T23:58:60Z",
            "2016-06-30T23:59:60+02:00",
            "2016-06-30T23:59:61Z",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text}");
        }
    }

    #[test]
    fn parse_rfc3339_refuses_anything_else() {
        for text in [
            "",
            "2024-03-15",
            "2024-03-15T08:30Z",
            "2024-03-15T08:30:00",
            "2024-03-15T8:30:00Z",
            "2024-3-15T08:30:00Z",
            "24-03-15T08:30:00Z",
            "+2024-03-15T08:30:00Z",
            "2024-03-15T08:30:00.Z",
            "2024-03-15T08:30:00,5Z",
            "2024-03-15T08:30:00+0200",
            "2024-03-15T08:30:00+02",
            "2024-03-15T08:30:00+24:00",
            "2024-03-15T08:30:00+02:60",
            "2024-03-15T08:30:00 +02:00",
            "2024-03-15T08:30:00ZZ",
            "2024-03-15T08:30:00Z ",
            " 2024-03-15T08:30:00Z",
            "2024-03-15T24:00:00Z",
            "2024-03-15T08:60:00Z",
            "2024-02-30T08:30:00Z",
            "2024-13-15T08:30:00Z",
            "2024-00-15T08:30:00Z",
            "2024-03-00T08:30:00Z",
            "2024-03-15T08:30:00UTC",
            "2024-03-1508:30:00Z",
            "2024-03-15TT08:30:00Z",
            "2024-03-15é08:30:00Z",
            "1710491400",
        ] {
            assert_eq!(parse_rfc3339(text), None, "{text:?} must be refused");
        }
    }

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let clock = FixedClock::new(at(BASE));
        assert_eq!(clock.now(), at(BASE));
        clock.advance(TimeDelta::milliseconds(1500));
        assert_eq!(rfc3339(clock.now()), "2024-03-15T08:30:01.5Z");
        clock.set(at(0));
        assert_eq!(rfc3339(clock.now()), "1970-01-01T00:00:00Z");
    }
}
