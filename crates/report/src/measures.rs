//! A student's attendance measures, defined as in issue 5 and the research they follow.
//!
//! - **Attendance rate** = (present + late) ÷ sessions. A late arrival attended.
//! - **Observed day**: a date with at least one effective session for the student.
//! - **Day absence** = (absent + excused sessions that day) ÷ (sessions that day), so a student
//!   who misses two of four classes is half a day absent.
//! - **Days absent** = the sum of day absences; **absence rate** = days absent ÷ observed days.
//! - **Tier** by absence rate, after Attendance Works: chronic absence is missing ≥ 10 % of days
//!   for any reason (excused or not); `at-risk` is 5–10 %, `severe-chronic` ≥ 20 %. Fewer than
//!   10 observed days is `insufficient-data`.
//! - **CRDC 15 days**: the U.S. Civil Rights Data Collection counts students absent 15 or more
//!   school days in a year.

use std::cmp::Ordering;

use chrono::Datelike;
use rollbook_core::{Day, Id, Status};
use serde::{Deserialize, Serialize};

use crate::frac::{Frac, FracSum};
use crate::records::SessionRecord;

/// Fewer observed days than this and no tier is given: 1 day in 9 is already 11 %.
pub const MIN_DAYS_FOR_TIER: u32 = 10;

/// Session counts by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCounts {
    pub present: u32,
    pub late: u32,
    pub absent: u32,
    pub excused: u32,
    pub total: u32,
}

impl SessionCounts {
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Present => self.present += 1,
            Status::Late => self.late += 1,
            Status::Absent => self.absent += 1,
            Status::Excused => self.excused += 1,
        }
        self.total += 1;
    }

    /// (present + late) ÷ total, a fraction in 0..=1; `None` when there are no sessions.
    pub fn attendance_rate(&self) -> Option<f64> {
        (self.total > 0).then(|| f64::from(self.present + self.late) / f64::from(self.total))
    }

    /// Sessions missed for any reason (absent or excused).
    pub fn missed(&self) -> u32 {
        self.absent + self.excused
    }

    pub fn get(&self, status: Status) -> u32 {
        match status {
            Status::Present => self.present,
            Status::Late => self.late,
            Status::Absent => self.absent,
            Status::Excused => self.excused,
        }
    }
}

/// Chronic-absence tier by absence rate (Attendance Works; chronic = ≥ 10 % of days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Fewer than [`MIN_DAYS_FOR_TIER`] observed days.
    InsufficientData,
    /// Absence rate < 5 %.
    Satisfactory,
    /// 5 % ≤ absence rate < 10 %.
    AtRisk,
    /// 10 % ≤ absence rate < 20 %: chronically absent.
    ModerateChronic,
    /// Absence rate ≥ 20 %: severely chronically absent.
    SevereChronic,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::InsufficientData => "insufficient-data",
            Tier::Satisfactory => "satisfactory",
            Tier::AtRisk => "at-risk",
            Tier::ModerateChronic => "moderate-chronic",
            Tier::SevereChronic => "severe-chronic",
        }
    }

    pub const ALL: [Tier; 5] = [
        Tier::InsufficientData,
        Tier::Satisfactory,
        Tier::AtRisk,
        Tier::ModerateChronic,
        Tier::SevereChronic,
    ];

    /// A tier by its name (`at-risk`, …), as the JSON and the command line write it.
    pub fn parse(s: &str) -> Result<Tier, rollbook_core::Error> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                rollbook_core::Error::Invalid(format!(
                    "{} is not a tier: expected insufficient-data, satisfactory, at-risk, \
                     moderate-chronic or severe-chronic",
                    rollbook_core::error::quoted(s)
                ))
            })
    }
}

/// Sessions and attendance rate in one course offering.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CourseBreakdown {
    pub course_offering_id: Id,
    pub course_name: Option<String>,
    pub sessions: SessionCounts,
    pub attendance_rate: Option<f64>,
}

/// Sessions and attendance rate in one calendar month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonthBreakdown {
    /// `YYYY-MM`.
    pub month: String,
    pub sessions: SessionCounts,
    pub attendance_rate: Option<f64>,
}

/// Everything a counselor reads about one student over a date range. Rates are fractions 0..1
/// (`null` when there is nothing to divide by); day counts are fractional (see module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentReport {
    pub student_id: Id,
    /// The range asked for, inclusive; `null` = unbounded (every record held).
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub sessions: SessionCounts,
    pub attendance_rate: Option<f64>,
    pub days_observed: u32,
    pub days_absent: f64,
    pub excused_days_absent: f64,
    pub unexcused_days_absent: f64,
    pub absence_rate: Option<f64>,
    pub tier: Tier,
    pub crdc_15_days: bool,
    pub longest_absence_streak: u32,
    pub current_absence_streak: u32,
    pub by_course: Vec<CourseBreakdown>,
    pub by_month: Vec<MonthBreakdown>,
}

/// One observed day of one student: the sessions that day by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DayTally {
    pub date: Day,
    pub sessions: SessionCounts,
}

impl DayTally {
    /// The day's absence as a fraction 0..=1 (absent + excused over sessions).
    pub fn absence(&self) -> f64 {
        if self.sessions.total == 0 {
            return 0.0;
        }
        f64::from(self.sessions.missed()) / f64::from(self.sessions.total)
    }

    pub fn fully_absent(&self) -> bool {
        self.sessions.total > 0 && self.sessions.missed() == self.sessions.total
    }
}

/// The measures of one student over `from..=to` (either bound may be open), from effective
/// records. Records of other students or outside the range are ignored; should two records
/// share an (offering, date) the later one in `records` counts, so nothing is counted twice.
pub fn student_report(
    student_id: &Id,
    records: &[SessionRecord],
    from: Option<Day>,
    to: Option<Day>,
) -> StudentReport {
    let mine = records
        .iter()
        .filter(|r| &r.student_id == student_id)
        .map(Session::from);
    report_from(student_id, mine, from, to)
}

/// One session of one student as the measures read it: borrowed from a [`SessionRecord`], or
/// from the school view's stream of a whole school's marks (nothing copied per record).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Session<'a> {
    pub date: Day,
    pub offering_id: &'a Id,
    pub offering_name: Option<&'a str>,
    pub status: Status,
}

impl<'a> From<&'a SessionRecord> for Session<'a> {
    fn from(r: &'a SessionRecord) -> Session<'a> {
        Session {
            date: r.date,
            offering_id: &r.offering_id,
            offering_name: r.offering_name.as_deref(),
            status: r.status,
        }
    }
}

/// [`student_report`] over one student's sessions, already picked out (the class overview
/// groups once; the school view reads them from its stream).
pub(crate) fn report_from<'a>(
    student_id: &Id,
    sessions: impl IntoIterator<Item = Session<'a>>,
    from: Option<Day>,
    to: Option<Day>,
) -> StudentReport {
    let sessions = dedup(sessions, from, to);
    let mut total = SessionCounts::default();
    // A student's few offerings; the school view's sessions share one id per offering.
    let mut courses: Vec<(&Id, Option<&str>, SessionCounts)> = Vec::new();
    // The sessions are in date order: so are their months.
    let mut months: Vec<((i32, u8), SessionCounts)> = Vec::new();
    for ((date, offering), (status, name)) in &sessions {
        total.add(*status);
        let i = match courses
            .iter()
            .position(|(id, ..)| std::ptr::eq(*id, *offering) || id == offering)
        {
            Some(i) => i,
            None => {
                courses.push((offering, None, SessionCounts::default()));
                courses.len() - 1
            }
        };
        let course = &mut courses[i];
        course.1 = course.1.or(*name);
        course.2.add(*status);
        let d = date.date();
        let month = (d.year(), d.month() as u8);
        match months.last_mut() {
            Some((m, counts)) if *m == month => counts.add(*status),
            _ => {
                let mut counts = SessionCounts::default();
                counts.add(*status);
                months.push((month, counts));
            }
        }
    }
    let days = day_tallies(&sessions);
    let measures = DayMeasures::of(&days);

    courses.sort_by(|a, b| a.0.cmp(b.0));
    let mut by_course: Vec<CourseBreakdown> = courses
        .into_iter()
        .map(|(id, name, counts)| CourseBreakdown {
            course_offering_id: id.clone(),
            course_name: name.map(str::to_owned),
            sessions: counts,
            attendance_rate: counts.attendance_rate(),
        })
        .collect();
    by_course.sort_by(|a, b| by_name(&a.course_name, &b.course_name));
    let by_month = months
        .into_iter()
        .map(|((year, month), counts)| MonthBreakdown {
            month: format!("{year:04}-{month:02}"),
            sessions: counts,
            attendance_rate: counts.attendance_rate(),
        })
        .collect();

    StudentReport {
        student_id: student_id.clone(),
        from,
        to,
        sessions: total,
        attendance_rate: total.attendance_rate(),
        days_observed: measures.days_observed,
        days_absent: measures.days_absent.to_f64(),
        excused_days_absent: measures.excused.to_f64(),
        unexcused_days_absent: measures.unexcused.to_f64(),
        absence_rate: measures.absence_rate(),
        tier: measures.tier(),
        crdc_15_days: measures.days_absent.per_cmp(1, 15, 1) != Ordering::Less,
        longest_absence_streak: measures.longest_streak,
        current_absence_streak: measures.current_streak,
        by_course,
        by_month,
    }
}

/// Sessions by (date, offering), one per key.
type Sessions<'a> = Vec<((Day, &'a Id), (Status, Option<&'a str>))>;

/// One entry per (date, offering) within the range, in that order; a duplicate replaces the
/// earlier one. Sessions that come in that order already (the school view's stream) are not
/// sorted again.
fn dedup<'a>(
    sessions: impl IntoIterator<Item = Session<'a>>,
    from: Option<Day>,
    to: Option<Day>,
) -> Sessions<'a> {
    let mut out: Sessions<'a> = sessions
        .into_iter()
        .filter(|r| !(from.is_some_and(|f| r.date < f) || to.is_some_and(|t| r.date > t)))
        .map(|r| ((r.date, r.offering_id), (r.status, r.offering_name)))
        .collect();
    if !out.is_sorted_by(|a, b| a.0 < b.0) {
        // Stable: of equal keys the later stays after, and replaces the earlier.
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0;
            if same {
                *earlier = *later;
            }
            same
        });
    }
    out
}

/// The absence rate of [`StudentReport`] alone (days absent over days observed), for a window
/// of one student's sessions: the school view's 30-day change.
pub(crate) fn absence_rate_of<'a>(
    sessions: impl IntoIterator<Item = Session<'a>>,
    from: Option<Day>,
    to: Option<Day>,
) -> Option<f64> {
    DayMeasures::of(&day_tallies(&dedup(sessions, from, to))).absence_rate()
}

fn day_tallies(sessions: &Sessions<'_>) -> Vec<DayTally> {
    let mut days: Vec<DayTally> = Vec::new();
    for ((date, _), (status, _)) in sessions {
        match days.last_mut() {
            Some(day) if day.date == *date => day.sessions.add(*status),
            _ => {
                let mut counts = SessionCounts::default();
                counts.add(*status);
                days.push(DayTally {
                    date: *date,
                    sessions: counts,
                });
            }
        }
    }
    days
}

/// The observed days of one student, in date order, for the charts.
pub(crate) fn student_days(
    student_id: &Id,
    records: &[SessionRecord],
    from: Option<Day>,
    to: Option<Day>,
) -> Vec<DayTally> {
    let mine = records
        .iter()
        .filter(|r| &r.student_id == student_id)
        .map(Session::from);
    day_tallies(&dedup(mine, from, to))
}

/// Course names sort alphabetically (case-insensitive); unnamed courses last.
pub(crate) fn by_name(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The day-based measures, summed exactly.
struct DayMeasures {
    days_observed: u32,
    days_absent: Frac,
    excused: Frac,
    unexcused: Frac,
    longest_streak: u32,
    current_streak: u32,
}

impl DayMeasures {
    fn of(days: &[DayTally]) -> DayMeasures {
        let (mut missed, mut excused, mut unexcused) =
            (FracSum::default(), FracSum::default(), FracSum::default());
        let (mut longest, mut current) = (0, 0);
        for day in days {
            let s = day.sessions;
            missed.add(s.missed(), s.total);
            excused.add(s.excused, s.total);
            unexcused.add(s.absent, s.total);
            // Consecutive in the list of observed days: weekends and holidays (no records)
            // do not break a run; a partly attended day does.
            if day.fully_absent() {
                current += 1;
                longest = u32::max(longest, current);
            } else {
                current = 0;
            }
        }
        DayMeasures {
            days_observed: days.len() as u32,
            days_absent: missed.total(),
            excused: excused.total(),
            unexcused: unexcused.total(),
            longest_streak: longest,
            current_streak: current,
        }
    }

    fn absence_rate(&self) -> Option<f64> {
        (self.days_observed > 0).then(|| self.days_absent.to_f64() / f64::from(self.days_observed))
    }

    /// Thresholds compared exactly: exactly 5 % is at-risk, 10 % moderate, 20 % severe.
    fn tier(&self) -> Tier {
        if self.days_observed < MIN_DAYS_FOR_TIER {
            return Tier::InsufficientData;
        }
        let days = u128::from(self.days_observed);
        let at_least = |pct: u128| self.days_absent.per_cmp(days, pct, 100) != Ordering::Less;
        if at_least(20) {
            Tier::SevereChronic
        } else if at_least(10) {
            Tier::ModerateChronic
        } else if at_least(5) {
            Tier::AtRisk
        } else {
            Tier::Satisfactory
        }
    }
}
