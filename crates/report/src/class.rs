//! A course offering at a glance: its daily attendance rate and its students, those most
//! absent first, so a counselor sees who needs support.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use rollbook_core::{Day, Id};
use serde::{Deserialize, Serialize};

use crate::measures::{report_from, Session, SessionCounts, Tier};
use crate::records::SessionRecord;

/// The sessions held in the offering on one date, over all its students.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DailyRate {
    pub date: Day,
    pub sessions: SessionCounts,
    /// (present + late) ÷ sessions that day.
    pub attendance_rate: Option<f64>,
}

/// One student's measures within this offering (its sessions only, not the whole timetable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentSummary {
    pub student_id: Id,
    pub name: Option<String>,
    pub days_observed: u32,
    pub days_absent: f64,
    pub absence_rate: Option<f64>,
    pub tier: Tier,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassOverview {
    pub offering_id: Id,
    pub offering_name: Option<String>,
    /// In date order.
    pub daily: Vec<DailyRate>,
    /// By absence rate, highest first (students with no observed day last), then by name.
    pub students: Vec<StudentSummary>,
}

/// The overview of one offering from its effective records; records of other offerings are
/// ignored, and a duplicate (student, date) counts once (the later one in the slice).
pub fn class_overview(
    offering_id: &Id,
    records_for_offering: &[SessionRecord],
    names: &HashMap<Id, String>,
) -> ClassOverview {
    let mut offering_name = None;
    let mut latest: HashMap<(&Id, Day), &SessionRecord> = HashMap::new();
    for r in records_for_offering
        .iter()
        .filter(|r| &r.offering_id == offering_id)
    {
        offering_name = offering_name.or(r.offering_name.as_deref());
        latest.insert((&r.student_id, r.date), r);
    }

    let mut days: BTreeMap<Day, SessionCounts> = BTreeMap::new();
    let mut by_student: HashMap<&Id, Vec<&SessionRecord>> = HashMap::new();
    for r in latest.into_values() {
        days.entry(r.date).or_default().add(r.status);
        by_student.entry(&r.student_id).or_default().push(r);
    }
    let daily = days
        .into_iter()
        .map(|(date, sessions)| DailyRate {
            date,
            sessions,
            attendance_rate: sessions.attendance_rate(),
        })
        .collect();

    let mut students: Vec<StudentSummary> = by_student
        .into_iter()
        .map(|(id, recs)| {
            let report = report_from(id, recs.into_iter().map(Session::from), None, None);
            StudentSummary {
                student_id: id.clone(),
                name: names.get(id).cloned(),
                days_observed: report.days_observed,
                days_absent: report.days_absent,
                absence_rate: report.absence_rate,
                tier: report.tier,
            }
        })
        .collect();
    students.sort_by(most_absent_first);

    ClassOverview {
        offering_id: offering_id.clone(),
        offering_name: offering_name.map(str::to_owned),
        daily,
        students,
    }
}

fn most_absent_first(a: &StudentSummary, b: &StudentSummary) -> Ordering {
    let rate = |s: &StudentSummary| s.absence_rate.unwrap_or(-1.0);
    rate(b)
        .total_cmp(&rate(a))
        .then_with(|| crate::measures::by_name(&a.name, &b.name))
        .then_with(|| a.student_id.cmp(&b.student_id))
}
