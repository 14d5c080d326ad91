//! The human-readable form of `report` and `class-report`: a few lines of measures and compact
//! tables (rates as percentages, day counts with at most two decimals).

use rollbook_core::Day;
use rollbook_report::gather::{ClassView, StudentView};
use rollbook_report::{SessionCounts, SessionRecord, Tier};

use crate::output;
use crate::output::outln;

fn pct(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{}%", num(r * 100.0, 1)),
        None => "-".to_string(),
    }
}

/// `x` with at most `places` decimals, trailing zeros dropped: 1.5, 2, 0.33.
fn num(x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn range(from: Option<Day>, to: Option<Day>, dates: impl Iterator<Item = Day> + Clone) -> String {
    match (from, to) {
        (None, None) => {
            let first = dates.clone().min();
            let last = dates.max();
            match (first, last) {
                (Some(a), Some(b)) => format!("every record held ({a} to {b})"),
                _ => "every record held".to_string(),
            }
        }
        (from, to) => format!(
            "{} to {}",
            from.map_or_else(|| "the first record".into(), |d| d.to_string()),
            to.map_or_else(|| "the last record".into(), |d| d.to_string())
        ),
    }
}

fn counts_row(label: String, s: &SessionCounts, rate: Option<f64>) -> Vec<String> {
    vec![
        label,
        s.total.to_string(),
        s.present.to_string(),
        s.late.to_string(),
        s.absent.to_string(),
        s.excused.to_string(),
        pct(rate),
    ]
}

pub fn student(view: &StudentView, records: &[SessionRecord]) {
    let r = &view.report;
    match &view.name {
        Some(name) => outln!("{name} (student {})", r.student_id),
        None => outln!("Student {}", r.student_id),
    }
    outln!(
        "Range: {}",
        range(r.from, r.to, records.iter().map(|x| x.date))
    );
    outln!("Tier: {} ({})", r.tier.as_str(), view.tier_label);
    let s = &r.sessions;
    if s.total == 0 {
        outln!("No records for this student in this range.");
        return;
    }
    outln!(
        "Sessions: {} (present {}, late {}, absent {}, excused {}); attendance rate {}",
        s.total,
        s.present,
        s.late,
        s.absent,
        s.excused,
        pct(r.attendance_rate)
    );
    outln!(
        "Days: {} observed, {} absent (excused {}, unexcused {}); absence rate {}",
        r.days_observed,
        num(r.days_absent, 2),
        num(r.excused_days_absent, 2),
        num(r.unexcused_days_absent, 2),
        pct(r.absence_rate)
    );
    outln!(
        "Absent 15+ days (CRDC): {}; whole days absent in a row: longest {}, current {}",
        if r.crdc_15_days { "yes" } else { "no" },
        r.longest_absence_streak,
        r.current_absence_streak
    );
    if r.tier == Tier::InsufficientData {
        outln!("Fewer than 10 observed days: too few for a tier.");
    }
    outln!();
    let header = [
        "SESSIONS",
        "PRESENT",
        "LATE",
        "ABSENT",
        "EXCUSED",
        "ATTENDANCE",
    ];
    let rows: Vec<Vec<String>> = r
        .by_course
        .iter()
        .map(|c| {
            let label = c
                .course_name
                .clone()
                .unwrap_or_else(|| c.course_offering_id.to_string());
            counts_row(label, &c.sessions, c.attendance_rate)
        })
        .collect();
    output::table(&[&["COURSE"][..], &header[..]].concat(), &rows);
    outln!();
    let rows: Vec<Vec<String>> = r
        .by_month
        .iter()
        .map(|m| counts_row(m.month.clone(), &m.sessions, m.attendance_rate))
        .collect();
    output::table(&[&["MONTH"][..], &header[..]].concat(), &rows);
}

pub fn class(view: &ClassView) {
    let o = &view.overview;
    match &view.name {
        Some(name) => outln!("{name} (offering {})", o.offering_id),
        None => outln!("Offering {}", o.offering_id),
    }
    outln!(
        "Range: {}",
        range(view.from, view.to, o.daily.iter().map(|d| d.date))
    );
    let mut total = SessionCounts::default();
    for d in &o.daily {
        total.present += d.sessions.present;
        total.late += d.sessions.late;
        total.absent += d.sessions.absent;
        total.excused += d.sessions.excused;
        total.total += d.sessions.total;
    }
    if total.total == 0 {
        outln!("No records for this offering in this range.");
        return;
    }
    let chronic = o
        .students
        .iter()
        .filter(|s| matches!(s.tier, Tier::ModerateChronic | Tier::SevereChronic))
        .count();
    outln!(
        "{}, {}; attendance rate {}; {}, {chronic} chronically absent",
        output::count(o.daily.len() as u64, "day", "days"),
        output::count(total.total, "session", "sessions"),
        pct(total.attendance_rate()),
        output::count(o.students.len() as u64, "student", "students"),
    );
    outln!();
    let rows: Vec<Vec<String>> = o
        .students
        .iter()
        .map(|s| {
            vec![
                s.name.clone().unwrap_or_else(|| s.student_id.to_string()),
                s.days_observed.to_string(),
                num(s.days_absent, 2),
                pct(s.absence_rate),
                s.tier.as_str().to_string(),
                s.student_id.to_string(),
            ]
        })
        .collect();
    output::table(
        &[
            "STUDENT",
            "DAYS",
            "DAYS ABSENT",
            "ABSENCE RATE",
            "TIER",
            "ID",
        ],
        &rows,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(num(1.5, 2), "1.5");
        assert_eq!(num(2.0, 2), "2");
        assert_eq!(num(1.0 / 3.0, 2), "0.33");
        assert_eq!(pct(Some(0.125)), "12.5%");
        assert_eq!(pct(Some(1.0)), "100%");
        assert_eq!(pct(None), "-");
    }
}
