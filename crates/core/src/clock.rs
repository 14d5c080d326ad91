//! Time is passed in: production code uses [`SystemClock`], tests use [`FixedClock`].

use std::sync::{Mutex, PoisonError};

use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: time::Duration) {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *t += by;
    }

    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// RFC 3339 in UTC with a `Z`, the form stored in SQLite and sent on the wire.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

pub fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The instant `nanos` nanoseconds after 1970-01-01T00:00:00Z.
    fn at(nanos: i128) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap()
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
        clock.advance(time::Duration::milliseconds(1500));
        assert_eq!(rfc3339(clock.now()), "2024-03-15T08:30:01.5Z");
        clock.set(at(0));
        assert_eq!(rfc3339(clock.now()), "1970-01-01T00:00:00Z");
    }
}
