//! The in-memory record store: append-only, like the real API (no update, no delete, no
//! idempotency key, no uniqueness rule). The effective mark of a (offering, student, date) is the
//! record with the newest `recorded_at`, so `recorded_at` is made strictly increasing here.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use uuid::Uuid;

use crate::model::{AttendanceRecord, NewAttendance};

/// Optional filters of `GET /academic/attendance`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only records of this student.
    pub student_id: Option<Uuid>,
    /// Only records of this course offering.
    pub course_offering_id: Option<Uuid>,
}

/// Append-only attendance records plus the counters tests read.
#[derive(Debug, Default)]
pub(crate) struct Store {
    records: Vec<AttendanceRecord>,
    /// Positions in `records` of each offering's records (a school's listing by offering reads
    /// only its own: a large school holds a million records).
    by_offering: HashMap<Uuid, Vec<usize>>,
    last_recorded_at: Option<DateTime<Utc>>,
    posts_accepted: u64,
}

impl Store {
    /// Adds pre-built records (the sample school's history) without counting them as POSTs.
    pub(crate) fn preload(&mut self, records: impl IntoIterator<Item = AttendanceRecord>) {
        for r in records {
            self.bump_clock(r.recorded_at);
            self.push(r);
        }
    }

    fn push(&mut self, r: AttendanceRecord) {
        self.by_offering
            .entry(r.course_offering_id)
            .or_default()
            .push(self.records.len());
        self.records.push(r);
    }

    /// Removes the record with this id. Returns whether there was one.
    pub(crate) fn remove(&mut self, id: Uuid) -> bool {
        let Some(at) = self.records.iter().position(|r| r.id == id) else {
            return false;
        };
        self.records.remove(at);
        self.by_offering.clear();
        for (i, r) in self.records.iter().enumerate() {
            self.by_offering
                .entry(r.course_offering_id)
                .or_default()
                .push(i);
        }
        true
    }

    /// Stores one POSTed record: `recorded_at = max(now, last + 1µs)`, truncated to µs.
    pub(crate) fn insert(
        &mut self,
        id: Uuid,
        school_id: Uuid,
        new: &NewAttendance,
        now: DateTime<Utc>,
    ) -> AttendanceRecord {
        let now = truncate_to_micros(now);
        let recorded_at = match self.last_recorded_at {
            Some(last) if now <= last => last + TimeDelta::microseconds(1),
            _ => now,
        };
        self.bump_clock(recorded_at);
        let record = AttendanceRecord {
            id,
            school_id,
            course_offering_id: new.course_offering_id,
            teacher_assignment_id: new.teacher_assignment_id,
            course_enrollment_id: new.course_enrollment_id,
            student_id: new.student_id,
            attendance_date: new.attendance_date,
            status: new.status,
            recorded_at,
        };
        self.push(record.clone());
        self.posts_accepted += 1;
        record
    }

    /// Records of `school_id` matching `filter`, newest date first, then newest `recorded_at`.
    pub(crate) fn list(&self, school_id: Uuid, filter: ListFilter) -> Vec<AttendanceRecord> {
        let candidates: Box<dyn Iterator<Item = &AttendanceRecord>> =
            match filter.course_offering_id {
                Some(o) => Box::new(
                    self.by_offering
                        .get(&o)
                        .into_iter()
                        .flatten()
                        .map(|&i| &self.records[i]),
                ),
                None => Box::new(self.records.iter()),
            };
        let mut out: Vec<AttendanceRecord> = candidates
            .filter(|r| r.school_id == school_id)
            .filter(|r| filter.student_id.is_none_or(|s| r.student_id == s))
            .filter(|r| {
                filter
                    .course_offering_id
                    .is_none_or(|c| r.course_offering_id == c)
            })
            .cloned()
            .collect();
        sort_newest_first(&mut out);
        out
    }

    /// Every record in insertion order.
    pub(crate) fn all(&self) -> Vec<AttendanceRecord> {
        self.records.clone()
    }

    pub(crate) fn len(&self) -> usize {
        self.records.len()
    }

    pub(crate) fn posts_accepted(&self) -> u64 {
        self.posts_accepted
    }

    fn bump_clock(&mut self, t: DateTime<Utc>) {
        if self.last_recorded_at.is_none_or(|last| t > last) {
            self.last_recorded_at = Some(t);
        }
    }
}

/// The list order of the API: `attendance_date` descending, then `recorded_at` descending.
pub fn sort_newest_first(records: &mut [AttendanceRecord]) {
    records.sort_by(|a, b| {
        b.attendance_date
            .cmp(&a.attendance_date)
            .then(b.recorded_at.cmp(&a.recorded_at))
    });
}

fn truncate_to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    let micros = t.nanosecond() / 1_000 * 1_000;
    t.with_nanosecond(micros).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use chrono::NaiveDate;

    fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn new(date: NaiveDate) -> NewAttendance {
        NewAttendance {
            course_offering_id: Uuid::from_u128(1),
            teacher_assignment_id: Uuid::from_u128(2),
            course_enrollment_id: Uuid::from_u128(3),
            student_id: Uuid::from_u128(4),
            attendance_date: date,
            status: Status::Present,
        }
    }

    #[test]
    fn recorded_at_strictly_increases_within_the_same_instant() {
        let mut store = Store::default();
        let now = utc("2024-03-15T08:30:00.0000005Z");
        let a = store.insert(
            Uuid::from_u128(10),
            Uuid::nil(),
            &new(ymd(2024, 3, 15)),
            now,
        );
        let b = store.insert(
            Uuid::from_u128(11),
            Uuid::nil(),
            &new(ymd(2024, 3, 15)),
            now,
        );
        assert!(
            b.recorded_at > a.recorded_at,
            "newest recorded_at must be unambiguous"
        );
        assert_eq!(b.recorded_at - a.recorded_at, TimeDelta::microseconds(1));
        assert_eq!(store.posts_accepted(), 2);
    }

    #[test]
    fn recorded_at_is_the_insert_instant_cut_to_the_microsecond() {
        let mut store = Store::default();
        let stamp = |r: &AttendanceRecord| crate::model::format_timestamp(r.recorded_at);
        let t = utc("2024-03-15T08:30:00.123456789Z");
        let first = store.insert(Uuid::from_u128(1), Uuid::nil(), &new(ymd(2024, 3, 15)), t);
        assert_eq!(first.recorded_at, utc("2024-03-15T08:30:00.123456Z"));
        assert_eq!(stamp(&first), "2024-03-15T08:30:00.123456Z");
        // A clock that went back: still after the last record.
        let earlier = utc("2024-03-15T08:00:00Z");
        let second = store.insert(
            Uuid::from_u128(2),
            Uuid::nil(),
            &new(ymd(2024, 3, 15)),
            earlier,
        );
        assert_eq!(stamp(&second), "2024-03-15T08:30:00.123457Z");
        let later = utc("2024-03-15T09:00:00.5Z");
        let third = store.insert(
            Uuid::from_u128(3),
            Uuid::nil(),
            &new(ymd(2024, 3, 15)),
            later,
        );
        assert_eq!(stamp(&third), "2024-03-15T09:00:00.500000Z");
    }

    #[test]
    fn list_orders_by_date_then_recorded_at() {
        let mut store = Store::default();
        let t = utc("2024-03-15T08:30:00Z");
        store.insert(Uuid::from_u128(1), Uuid::nil(), &new(ymd(2024, 3, 14)), t);
        store.insert(Uuid::from_u128(2), Uuid::nil(), &new(ymd(2024, 3, 15)), t);
        store.insert(Uuid::from_u128(3), Uuid::nil(), &new(ymd(2024, 3, 15)), t);
        let ids: Vec<u128> = store
            .list(Uuid::nil(), ListFilter::default())
            .iter()
            .map(|r| r.id.as_u128())
            .collect();
        assert_eq!(ids, vec![3, 2, 1]);
        assert!(store
            .list(Uuid::from_u128(99), ListFilter::default())
            .is_empty());
    }
}
