//! A deterministic sample school: teachers, course offerings, students, enrollments, and a term
//! of past attendance, all derived from one seed.
//!
//! The school has five groups (6A, 7A, 7B, 8A, 9A) of 25–35 students (about 150 in all). Each
//! group takes two or three of five subjects, one teacher per subject, so there are about a dozen
//! course offerings ("Matemáticas 7A", "Inglés 9A", ...), each with 25–35 enrolled students, and
//! every student is enrolled in two or three offerings. The API has no endpoint for rosters: they
//! come from the school's SIS export, which [`SampleSchool::roster_csv`] imitates.

mod names;

use std::collections::HashSet;
use std::io::Write;

use chrono::{Datelike, NaiveDate, NaiveTime, TimeDelta, Utc, Weekday};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::model::{AttendanceRecord, NewAttendance, Status, Student};
use names::{surname_key, unique_name, TEACHERS};

/// The school id used by the sample school and, by default, by every token.
pub const DEFAULT_SCHOOL_ID: Uuid = uuid::uuid!("7c9e6679-7425-40de-944b-e07fc1f90ae7");

/// The exact header of [`SampleSchool::roster_csv`].
pub const ROSTER_HEADER: [&str; 6] = [
    "course_offering_id",
    "course_name",
    "teacher_assignment_id",
    "course_enrollment_id",
    "student_id",
    "student_name",
];

/// A teacher, who teaches one subject to several groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teacher {
    /// Teacher id.
    pub id: Uuid,
    /// Full name.
    pub full_name: String,
    /// The subject taught.
    pub subject: String,
}

/// A course offering: one subject taught to one group by one teacher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offering {
    /// Course offering id.
    pub id: Uuid,
    /// Display name, e.g. "Matemáticas 7A".
    pub name: String,
    /// Subject, e.g. "Matemáticas".
    pub subject: String,
    /// Group, e.g. "7A".
    pub group: String,
    /// The teacher.
    pub teacher_id: Uuid,
    /// The teacher assignment (teacher ↔ offering) that records attendance.
    pub teacher_assignment_id: Uuid,
}

/// A student's enrollment in an offering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enrollment {
    /// Course enrollment id.
    pub id: Uuid,
    /// The offering.
    pub course_offering_id: Uuid,
    /// The student.
    pub student_id: Uuid,
}

/// The teacher assignment a sample front-desk kiosk posts under ([`SampleSchool::kiosk_arrivals`]):
/// no offering's, so Rollbook shows its marks as "another teacher or system".
pub const FRONT_DESK: Uuid = Uuid::from_u128(0xf407_de5c_0000_4000_8000_0000_0000_0001);

/// The sample school. Equal seeds give equal schools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSchool {
    /// The seed it was generated from.
    pub seed: u64,
    /// Always [`DEFAULT_SCHOOL_ID`].
    pub school_id: Uuid,
    /// Five teachers, one per subject.
    pub teachers: Vec<Teacher>,
    /// The course offerings, by group then subject.
    pub offerings: Vec<Offering>,
    /// The students, by group.
    pub students: Vec<Student>,
    /// Every enrollment, by offering.
    pub enrollments: Vec<Enrollment>,
    /// Students who miss class far more often than the rest (for reports to find).
    pub chronically_absent: Vec<Uuid>,
}

const GROUPS: [&str; 5] = ["6A", "7A", "7B", "8A", "9A"];
const SUBJECTS: [&str; 5] = [
    "Matemáticas",
    "Lengua Castellana",
    "Ciencias Naturales",
    "Inglés",
    "Ciencias Sociales",
];

fn random_id(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

impl SampleSchool {
    /// Generates the school for `seed`.
    pub fn generate(seed: u64) -> SampleSchool {
        let mut rng = StdRng::seed_from_u64(seed);
        let teachers: Vec<Teacher> = TEACHERS
            .iter()
            .zip(SUBJECTS)
            .map(|(name, subject)| Teacher {
                id: random_id(&mut rng),
                full_name: (*name).to_string(),
                subject: subject.to_string(),
            })
            .collect();

        let mut offerings = Vec::new();
        let mut students = Vec::new();
        let mut enrollments = Vec::new();
        let mut names_used = HashSet::new();
        for (g, group) in GROUPS.iter().enumerate() {
            // Two subjects per group in rotation (so every teacher teaches), a third sometimes.
            let mut subjects = vec![g % 5, (g + 1) % 5];
            if rng.random_bool(0.6) {
                subjects.push((g + 3) % 5);
            }
            subjects.sort_unstable();
            let group_offerings: Vec<Offering> = subjects
                .iter()
                .map(|&s| Offering {
                    id: random_id(&mut rng),
                    name: format!("{} {group}", SUBJECTS[s]),
                    subject: SUBJECTS[s].to_string(),
                    group: (*group).to_string(),
                    teacher_id: teachers[s].id,
                    teacher_assignment_id: random_id(&mut rng),
                })
                .collect();

            let size = rng.random_range(25..=35);
            let mut group_students: Vec<Student> = (0..size)
                .map(|_| {
                    let full_name = unique_name(&mut rng, &mut names_used);
                    Student {
                        id: random_id(&mut rng),
                        school_id: DEFAULT_SCHOOL_ID,
                        full_name,
                        document_type: "TI".into(),
                        document_number: format!("10{:08}", rng.random_range(0..100_000_000u32)),
                        is_active: true,
                    }
                })
                .collect();
            group_students.sort_by_key(|s| surname_key(&s.full_name));
            for offering in &group_offerings {
                for student in &group_students {
                    enrollments.push(Enrollment {
                        id: random_id(&mut rng),
                        course_offering_id: offering.id,
                        student_id: student.id,
                    });
                }
            }
            offerings.extend(group_offerings);
            students.extend(group_students);
        }
        let mut chronically_absent: Vec<Uuid> = students.iter().map(|s| s.id).collect();
        chronically_absent.shuffle(&mut rng);
        chronically_absent.truncate(4);
        SampleSchool {
            seed,
            school_id: DEFAULT_SCHOOL_ID,
            teachers,
            offerings,
            students,
            enrollments,
            chronically_absent,
        }
    }

    /// A school of `offerings` offerings of `students_per_offering` students each: groups of
    /// that many students taking the five subjects (the last group fewer when `offerings` is not
    /// a multiple of five), for the benchmarks' large school. Same seed, same school.
    pub fn generate_sized(
        seed: u64,
        offerings: usize,
        students_per_offering: usize,
    ) -> SampleSchool {
        let mut rng = StdRng::seed_from_u64(seed);
        let teachers: Vec<Teacher> = TEACHERS
            .iter()
            .zip(SUBJECTS)
            .map(|(name, subject)| Teacher {
                id: random_id(&mut rng),
                full_name: (*name).to_string(),
                subject: subject.to_string(),
            })
            .collect();
        let mut school = SampleSchool {
            seed,
            school_id: DEFAULT_SCHOOL_ID,
            teachers,
            offerings: Vec::new(),
            students: Vec::new(),
            enrollments: Vec::new(),
            chronically_absent: Vec::new(),
        };
        let mut names_used = HashSet::new();
        let mut g = 0;
        while school.offerings.len() < offerings {
            g += 1;
            let group = format!("G{g:03}");
            let group_students: Vec<Student> = (0..students_per_offering)
                .map(|i| Student {
                    id: random_id(&mut rng),
                    school_id: DEFAULT_SCHOOL_ID,
                    full_name: if names_used.len() < 20_000 {
                        unique_name(&mut rng, &mut names_used)
                    } else {
                        format!("Estudiante {group}-{i:02}")
                    },
                    document_type: "TI".into(),
                    document_number: format!("10{:08}", rng.random_range(0..100_000_000u32)),
                    is_active: true,
                })
                .collect();
            let left = offerings - school.offerings.len();
            for (subject, teacher) in SUBJECTS.iter().zip(school.teachers.clone()).take(left) {
                let offering = Offering {
                    id: random_id(&mut rng),
                    name: format!("{subject} {group}"),
                    subject: subject.to_string(),
                    group: group.clone(),
                    teacher_id: teacher.id,
                    teacher_assignment_id: random_id(&mut rng),
                };
                for student in &group_students {
                    school.enrollments.push(Enrollment {
                        id: random_id(&mut rng),
                        course_offering_id: offering.id,
                        student_id: student.id,
                    });
                }
                school.offerings.push(offering);
            }
            school.students.extend(group_students);
        }
        let mut chronic: Vec<Uuid> = school.students.iter().map(|s| s.id).collect();
        chronic.shuffle(&mut rng);
        chronic.truncate((school.students.len() / 40).max(4));
        school.chronically_absent = chronic;
        school
    }

    /// The student with this id.
    pub fn student(&self, id: Uuid) -> Option<&Student> {
        self.students.iter().find(|s| s.id == id)
    }

    /// The offering with this id.
    pub fn offering(&self, id: Uuid) -> Option<&Offering> {
        self.offerings.iter().find(|o| o.id == id)
    }

    /// The enrollment of `student_id` in `course_offering_id`, if enrolled.
    pub fn enrollment(&self, course_offering_id: Uuid, student_id: Uuid) -> Option<&Enrollment> {
        self.enrollments
            .iter()
            .find(|e| e.course_offering_id == course_offering_id && e.student_id == student_id)
    }

    /// The enrollments of one offering.
    pub fn enrollments_of(&self, course_offering_id: Uuid) -> Vec<&Enrollment> {
        self.enrollments
            .iter()
            .filter(|e| e.course_offering_id == course_offering_id)
            .collect()
    }

    /// The first offering with exactly `students` enrollments (a class of a known size).
    pub fn offering_of_size(&self, students: usize) -> Option<&Offering> {
        self.offerings
            .iter()
            .find(|o| self.enrollments_of(o.id).len() == students)
    }

    /// Writes the roster as CSV (header [`ROSTER_HEADER`], one row per enrollment).
    pub fn write_roster_csv<W: Write>(&self, out: W) -> csv::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(ROSTER_HEADER)?;
        for e in &self.enrollments {
            let (Some(o), Some(s)) = (
                self.offering(e.course_offering_id),
                self.student(e.student_id),
            ) else {
                continue;
            };
            w.write_record([
                o.id.to_string().as_str(),
                &o.name,
                &o.teacher_assignment_id.to_string(),
                &e.id.to_string(),
                &s.id.to_string(),
                &s.full_name,
            ])?;
        }
        w.flush()?;
        Ok(())
    }

    /// `n` (offering, day) rolls among the last ten school days before `end_date` that a
    /// history with [`crate::SimBuilder::untaken_rolls`] leaves without records: spread over
    /// offerings and days, the same for the same school.
    pub fn untaken_rolls(&self, end_date: NaiveDate, n: usize) -> Vec<(Uuid, NaiveDate)> {
        let days = school_days_before(end_date, 10);
        (0..n)
            .filter(|_| !self.offerings.is_empty() && !days.is_empty())
            .map(|i| {
                let offering = &self.offerings[(i * 2 + 1) % self.offerings.len()];
                (offering.id, days[days.len() - 1 - (i * 3) % days.len()])
            })
            .collect()
    }

    /// A check-in kiosk at the front desk (a teacher assignment of no offering) recording
    /// `per_offering` late arrivals on `date` in each of the first `offerings` offerings.
    pub fn kiosk_arrivals(
        &self,
        date: NaiveDate,
        offerings: usize,
        per_offering: usize,
    ) -> Vec<NewAttendance> {
        self.offerings
            .iter()
            .take(offerings)
            .flat_map(|o| {
                self.enrollments_of(o.id)
                    .into_iter()
                    .skip(1)
                    .step_by(3)
                    .take(per_offering)
                    .map(move |e| NewAttendance {
                        course_offering_id: o.id,
                        teacher_assignment_id: FRONT_DESK,
                        course_enrollment_id: e.id,
                        student_id: e.student_id,
                        attendance_date: date,
                        status: Status::Late,
                    })
            })
            .collect()
    }

    /// The roster as a CSV string, like a SIS export:
    /// `course_offering_id,course_name,teacher_assignment_id,course_enrollment_id,student_id,student_name`.
    // Writing CSV of UTF-8 strings into memory cannot fail.
    #[allow(clippy::expect_used)]
    pub fn roster_csv(&self) -> String {
        let mut buf = Vec::new();
        self.write_roster_csv(&mut buf)
            .expect("writing CSV to memory cannot fail");
        String::from_utf8(buf).expect("the roster is built from UTF-8 strings")
    }

    /// A term of past attendance: every offering on each of the `school_days` weekdays
    /// (Monday–Friday) before `end_date` (exclusive). Mostly present, some absent, late or
    /// excused; the [`chronically_absent`](Self::chronically_absent) students miss about a third.
    /// About 1% of marks are corrected later the same day by a second record, whose newer
    /// `recorded_at` makes it the effective mark. Deterministic for (seed, end_date, days).
    pub fn history(&self, end_date: NaiveDate, school_days: u32) -> Vec<AttendanceRecord> {
        let mut rng = StdRng::seed_from_u64(self.seed ^ 0x5eed_a77e_0000_0001);
        let chronic: HashSet<Uuid> = self.chronically_absent.iter().copied().collect();
        let mut out = Vec::new();
        for date in school_days_before(end_date, school_days) {
            for (slot, offering) in self.offerings.iter().enumerate() {
                // Classes start 07:00 Bogotá (12:00 UTC); each offering has its own period.
                let period = i64::try_from(slot % 3).unwrap_or(0) * 55;
                let start = date.and_time(NaiveTime::MIN).and_utc()
                    + TimeDelta::hours(12)
                    + TimeDelta::minutes(period);
                for e in self
                    .enrollments
                    .iter()
                    .filter(|e| e.course_offering_id == offering.id)
                {
                    let status = pick_status(&mut rng, chronic.contains(&e.student_id));
                    let micros = rng.random_range(0..600_000_000i64);
                    let recorded_at = start + TimeDelta::microseconds(micros);
                    let mut record = AttendanceRecord {
                        id: random_id(&mut rng),
                        school_id: self.school_id,
                        course_offering_id: offering.id,
                        teacher_assignment_id: offering.teacher_assignment_id,
                        course_enrollment_id: e.id,
                        student_id: e.student_id,
                        attendance_date: date,
                        status,
                        recorded_at,
                    };
                    out.push(record.clone());
                    if status == Status::Absent && rng.random_bool(0.2) {
                        record.id = random_id(&mut rng);
                        record.status = if rng.random_bool(0.5) {
                            Status::Late
                        } else {
                            Status::Excused
                        };
                        record.recorded_at = recorded_at
                            + TimeDelta::minutes(rng.random_range(30..240))
                            + TimeDelta::microseconds(rng.random_range(0..1_000_000));
                        out.push(record);
                    }
                }
            }
        }
        out
    }
}

/// The `n` weekdays before `end` (exclusive), oldest first.
pub fn school_days_before(end: NaiveDate, n: u32) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut d = end;
    while days.len() < n as usize {
        let Some(prev) = d.pred_opt() else { break };
        d = prev;
        if !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
            days.push(d);
        }
    }
    days.reverse();
    days
}

/// Today's date in UTC.
pub fn today_utc() -> NaiveDate {
    Utc::now().date_naive()
}

fn pick_status(rng: &mut StdRng, chronic: bool) -> Status {
    let x: f64 = rng.random();
    let (absent, late, excused) = if chronic {
        (0.35, 0.10, 0.05)
    } else {
        (0.04, 0.05, 0.02)
    };
    if x < absent {
        Status::Absent
    } else if x < absent + late {
        Status::Late
    } else if x < absent + late + excused {
        Status::Excused
    } else {
        Status::Present
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn shape_matches_the_brief() {
        let s = SampleSchool::generate(7);
        assert_eq!(s.teachers.len(), 5);
        assert!(
            (125..=175).contains(&s.students.len()),
            "{}",
            s.students.len()
        );
        for o in &s.offerings {
            let n = s.enrollments_of(o.id).len();
            assert!((25..=35).contains(&n), "{} has {n}", o.name);
        }
        for st in &s.students {
            let n = s
                .enrollments
                .iter()
                .filter(|e| e.student_id == st.id)
                .count();
            assert!((2..=3).contains(&n), "{} in {n} offerings", st.full_name);
        }
        assert!(s
            .teachers
            .iter()
            .all(|t| s.offerings.iter().any(|o| o.teacher_id == t.id)));
    }

    #[test]
    fn school_days_skip_weekends_and_exclude_the_end() {
        let days = school_days_before(ymd(2024, 3, 18), 3); // a Monday
        assert_eq!(
            days,
            vec![ymd(2024, 3, 13), ymd(2024, 3, 14), ymd(2024, 3, 15)]
        );
    }
}
