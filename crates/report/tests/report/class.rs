//! The class overview: daily rates and the students most absent first.

use std::collections::HashMap;

use rollbook_report::{class_overview, Tier};

use crate::util::*;

#[test]
fn students_most_absent_first_with_daily_rates() {
    let mut records = Vec::new();
    for (i, d) in school_days("2024-09-02", 10).iter().enumerate() {
        let d = d.to_string();
        records.push(rec(1, 1, &d, P));
        records.push(rec(1, 2, &d, if i < 3 { A } else { P })); // 30 %
        records.push(rec(1, 3, &d, if i < 1 { E } else { L })); // 10 %
        records.push(rec(2, 1, &d, A)); // another offering: ignored
    }
    let names = HashMap::from([(id(1), "Ana".to_string()), (id(2), "Bea".to_string())]);
    let o = class_overview(&course(1), &records, &names);
    assert_eq!(o.offering_name.as_deref(), Some("Course 1"));
    let order: Vec<_> = o
        .students
        .iter()
        .map(|s| (s.name.clone(), s.tier))
        .collect();
    assert_eq!(
        order,
        [
            (Some("Bea".to_string()), Tier::SevereChronic),
            (None, Tier::ModerateChronic),
            (Some("Ana".to_string()), Tier::Satisfactory),
        ],
        "the students who need support come first"
    );
    assert_eq!(o.students[0].days_absent, 3.0);
    assert_eq!(o.daily.len(), 10);
    assert_eq!(
        o.daily[0].sessions.total, 3,
        "other offerings' records are not counted"
    );
    assert_eq!(o.daily[0].attendance_rate, Some(1.0 / 3.0));
    assert_eq!(o.daily[9].attendance_rate, Some(1.0));
    assert!(o.daily.windows(2).all(|w| w[0].date < w[1].date));
}

#[test]
fn empty_class_is_empty() {
    let o = class_overview(&course(1), &[], &HashMap::new());
    assert!(o.daily.is_empty() && o.students.is_empty());
    let json = serde_json::to_value(&o).expect("serializes");
    assert!(json["offering_name"].is_null());
}
