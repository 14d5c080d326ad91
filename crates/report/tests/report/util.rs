//! Builders for test records.

use chrono::Datelike;
use rollbook_core::{Day, Id, Status};
use rollbook_report::SessionRecord;

pub fn id(n: u32) -> Id {
    Id::parse(&format!("00000000-0000-4000-8000-{n:012}")).expect("test id")
}

pub fn day(s: &str) -> Day {
    Day::parse(s).expect("test date")
}

pub fn course(n: u32) -> Id {
    id(1000 + n)
}

pub const P: Status = Status::Present;
pub const A: Status = Status::Absent;
pub const L: Status = Status::Late;
pub const E: Status = Status::Excused;

/// One session of student `student` in course `c` (named "Course c").
pub fn rec(c: u32, student: u32, date: &str, status: Status) -> SessionRecord {
    SessionRecord {
        offering_id: course(c),
        offering_name: Some(format!("Course {c}")),
        student_id: id(student),
        date: day(date),
        status,
    }
}

/// The weekdays (Mon–Fri) from `from` on, `n` of them.
pub fn school_days(from: &str, n: usize) -> Vec<Day> {
    let mut out = Vec::with_capacity(n);
    let mut d = day(from).date();
    while out.len() < n {
        if d.weekday().num_days_from_monday() < 5 {
            out.push(Day::from_date(d));
        }
        d = d.succ_opt().expect("in range");
    }
    out
}

/// Student 1 on `days` school days, one course a day, absent on the first `absent` of them.
pub fn whole_days(days: usize, absent: usize) -> Vec<SessionRecord> {
    school_days("2024-09-02", days)
        .into_iter()
        .enumerate()
        .map(|(i, d)| rec(1, 1, &d.to_string(), if i < absent { A } else { P }))
        .collect()
}

/// A realistic year: `students` students, 5 courses, `days` school days, a deterministic mix.
pub fn year(students: u32, days: usize) -> Vec<SessionRecord> {
    let mut out = Vec::new();
    for (i, d) in school_days("2024-09-02", days).into_iter().enumerate() {
        for s in 1..=students {
            for c in 1..=5 {
                let k = (i as u32 * 7 + s * 13 + c * 3) % 41;
                let status = match k {
                    0..=1 => A,
                    2 => E,
                    3..=4 => L,
                    _ => P,
                };
                out.push(rec(c, s, &d.to_string(), status));
            }
        }
    }
    out
}
