//! Measures from hand-computed cases.

use std::collections::BTreeSet;

use rollbook_report::{student_report, Tier};

use crate::util::*;

fn approx(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn several_courses_a_day_make_fractional_days() {
    let records = vec![
        rec(1, 1, "2024-09-02", A),
        rec(2, 1, "2024-09-02", P),
        rec(1, 1, "2024-09-03", L),
        rec(2, 1, "2024-09-03", P),
    ];
    let r = student_report(&id(1), &records, None, None);
    assert_eq!(r.days_observed, 2);
    assert!(
        approx(r.days_absent, 0.5),
        "one of two classes missed is half a day"
    );
    assert_eq!(r.absence_rate, Some(0.25));
    assert_eq!(r.attendance_rate, Some(0.75), "late counts as attended");
    assert_eq!(
        (r.sessions.present, r.sessions.late, r.sessions.absent),
        (2, 1, 1)
    );
}

#[test]
fn excused_and_unexcused_are_reported_apart_and_both_count() {
    let records = vec![
        rec(1, 1, "2024-09-02", A),
        rec(2, 1, "2024-09-02", E),
        rec(1, 1, "2024-09-03", E),
        rec(1, 1, "2024-09-04", A),
        rec(2, 1, "2024-09-04", P),
        rec(3, 1, "2024-09-04", P),
        rec(4, 1, "2024-09-04", P),
    ];
    let r = student_report(&id(1), &records, None, None);
    assert!(
        approx(r.excused_days_absent, 1.5),
        "{}",
        r.excused_days_absent
    );
    assert!(
        approx(r.unexcused_days_absent, 0.75),
        "{}",
        r.unexcused_days_absent
    );
    assert!(
        approx(r.days_absent, 2.25),
        "chronic absence counts absence for any reason"
    );
}

#[test]
fn tier_boundaries_are_exact() {
    let cases = [
        (0, Tier::Satisfactory),
        (1, Tier::AtRisk),
        (2, Tier::ModerateChronic),
        (4, Tier::SevereChronic),
    ];
    for (absent, tier) in cases {
        let r = student_report(&id(1), &whole_days(20, absent), None, None);
        assert_eq!(r.tier, tier, "{absent} of 20 days");
    }
    let r = student_report(&id(1), &whole_days(20, 3), None, None);
    assert_eq!(r.tier, Tier::ModerateChronic, "15 % is moderate");
}

/// Day absences that floats sum to just under the boundary: six days with one of six
/// sessions missed is exactly one day, but 1/6 added six times is 0.9999999999999999.
#[test]
fn tier_boundaries_hold_for_fractional_sums() {
    let days = school_days("2024-09-02", 20);
    let with_parts = |sessions: u32, missed: u32, partial_days: usize| {
        let mut out = Vec::new();
        for (i, d) in days.iter().enumerate() {
            for c in 0..sessions {
                let absent = i < partial_days && c < missed;
                out.push(rec(c, 1, &d.to_string(), if absent { A } else { P }));
            }
        }
        out
    };
    let cases = [
        (6, 1, 6, Tier::AtRisk),          // 6 × 1/6 = 1 day of 20 = 5 %
        (3, 1, 6, Tier::ModerateChronic), // 6 × 1/3 = 2 days of 20 = 10 %
        (5, 2, 10, Tier::SevereChronic),  // 10 × 2/5 = 4 days of 20 = 20 %
    ];
    for (sessions, missed, partial_days, tier) in cases {
        let r = student_report(
            &id(1),
            &with_parts(sessions, missed, partial_days),
            None,
            None,
        );
        assert_eq!(
            r.tier, tier,
            "{partial_days} days missing {missed}/{sessions}"
        );
    }
}

#[test]
fn ten_observed_days_are_needed_for_a_tier() {
    let r = student_report(&id(1), &whole_days(9, 9), None, None);
    assert_eq!(r.tier, Tier::InsufficientData, "9 days, even all absent");
    assert_eq!(r.absence_rate, Some(1.0), "the rate is still reported");
    let r = student_report(&id(1), &whole_days(10, 1), None, None);
    assert_eq!(r.tier, Tier::ModerateChronic, "1 of 10 days is 10 %");
}

#[test]
fn crdc_flag_at_fifteen_days() {
    let r = student_report(&id(1), &whole_days(100, 15), None, None);
    assert!(r.crdc_15_days, "15 days absent is the CRDC measure");
    let mut records = whole_days(100, 14);
    records.push(rec(2, 1, "2024-09-23", A)); // a half day on a present day
    let r = student_report(&id(1), &records, None, None);
    assert!(approx(r.days_absent, 14.5));
    assert!(!r.crdc_15_days);
}

#[test]
fn streaks_run_across_weekends_and_break_on_a_partial_day() {
    // Thu 5, Fri 6, Mon 9 absent (no records on the weekend), Tue 10 half, Wed 11, Thu 12 absent.
    let records = vec![
        rec(1, 1, "2024-09-04", P),
        rec(1, 1, "2024-09-05", A),
        rec(1, 1, "2024-09-06", E),
        rec(1, 1, "2024-09-09", A),
        rec(1, 1, "2024-09-10", A),
        rec(2, 1, "2024-09-10", P),
        rec(1, 1, "2024-09-11", A),
        rec(1, 1, "2024-09-12", A),
        rec(2, 1, "2024-09-12", E),
    ];
    let r = student_report(&id(1), &records, None, None);
    assert_eq!(
        r.longest_absence_streak, 3,
        "a weekend without records does not break a run"
    );
    assert_eq!(
        r.current_absence_streak, 2,
        "the run ending on the last observed day"
    );
    let mut attended_last = records.clone();
    attended_last.push(rec(1, 1, "2024-09-13", L));
    let r = student_report(&id(1), &attended_last, None, None);
    assert_eq!(r.current_absence_streak, 0);
}

#[test]
fn empty_input_gives_zeros_and_nulls() {
    let r = student_report(&id(1), &[], None, None);
    assert_eq!(r.sessions.total, 0);
    assert_eq!(r.attendance_rate, None);
    assert_eq!(r.absence_rate, None);
    assert_eq!(r.days_observed, 0);
    assert_eq!(r.days_absent, 0.0);
    assert_eq!(r.tier, Tier::InsufficientData);
    assert!(!r.crdc_15_days);
    assert_eq!((r.longest_absence_streak, r.current_absence_streak), (0, 0));
    assert!(r.by_course.is_empty() && r.by_month.is_empty());
    let json = serde_json::to_value(&r).expect("serializes");
    assert!(json["attendance_rate"].is_null() && json["absence_rate"].is_null());
    assert_eq!(json["tier"], "insufficient-data");
}

#[test]
fn breakdowns_by_course_and_month() {
    let records = vec![
        rec(2, 1, "2024-09-30", A),
        rec(1, 1, "2024-09-30", P),
        rec(1, 1, "2024-10-01", L),
        rec(2, 1, "2024-10-01", P),
        rec(2, 1, "2024-10-02", E),
    ];
    let r = student_report(&id(1), &records, None, None);
    let courses: Vec<_> = r
        .by_course
        .iter()
        .map(|c| {
            (
                c.course_name.clone().unwrap_or_default(),
                c.sessions.total,
                c.attendance_rate,
            )
        })
        .collect();
    assert_eq!(
        courses,
        [
            ("Course 1".to_string(), 2, Some(1.0)),
            ("Course 2".to_string(), 3, Some(1.0 / 3.0))
        ]
    );
    assert_eq!(r.by_course[1].course_offering_id, course(2));
    let months: Vec<_> = r
        .by_month
        .iter()
        .map(|m| (m.month.as_str(), m.sessions.total, m.attendance_rate))
        .collect();
    assert_eq!(
        months,
        [("2024-09", 2, Some(0.5)), ("2024-10", 3, Some(2.0 / 3.0))]
    );
}

#[test]
fn range_is_inclusive_and_other_students_and_duplicates_are_ignored() {
    let records = vec![
        rec(1, 1, "2024-09-01", A),
        rec(1, 1, "2024-09-02", A),
        rec(1, 1, "2024-09-02", P), // a duplicate: the later one counts, once
        rec(1, 2, "2024-09-03", A),
        rec(1, 1, "2024-09-04", A),
        rec(1, 1, "2024-09-05", A),
    ];
    let r = student_report(
        &id(1),
        &records,
        Some(day("2024-09-02")),
        Some(day("2024-09-04")),
    );
    assert_eq!(
        r.sessions.total, 2,
        "09-02 once and 09-04; not 09-01, 09-05 or student 2"
    );
    assert_eq!((r.sessions.present, r.sessions.absent), (1, 1));
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(json["from"], "2024-09-02");
    assert_eq!(json["to"], "2024-09-04");
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The CLI's `--json` and the window read these keys: renaming one breaks them.
#[test]
fn json_keys_are_pinned() {
    let r = student_report(&id(1), &whole_days(3, 1), None, None);
    let json = serde_json::to_value(&r).expect("serializes");
    assert_eq!(
        keys(&json),
        set(&[
            "student_id",
            "from",
            "to",
            "sessions",
            "attendance_rate",
            "days_observed",
            "days_absent",
            "excused_days_absent",
            "unexcused_days_absent",
            "absence_rate",
            "tier",
            "crdc_15_days",
            "longest_absence_streak",
            "current_absence_streak",
            "by_course",
            "by_month",
        ])
    );
    let sessions = set(&["present", "late", "absent", "excused", "total"]);
    assert_eq!(keys(&json["sessions"]), sessions);
    assert_eq!(
        keys(&json["by_course"][0]),
        set(&[
            "course_offering_id",
            "course_name",
            "sessions",
            "attendance_rate"
        ])
    );
    assert_eq!(
        keys(&json["by_month"][0]),
        set(&["month", "sessions", "attendance_rate"])
    );
    assert_eq!(json["student_id"], id(1).as_str());
    assert_eq!(json["by_month"][0]["month"], "2024-09");
    let back: rollbook_report::StudentReport = serde_json::from_value(json).expect("round trip");
    assert_eq!(back, r);
}
